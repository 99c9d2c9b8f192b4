"""The second Laplace KL route (reflection about the centre) and the cross-family KL rows of
`symgeom verify`: proved equal to the derived KL, and able to fail."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

import symgeom as sg
from symgeom.derive.reflection import Reflection, kl_by_reflection
from symgeom.verification import catalog, cross
from symgeom.verification.identity import FAILED, PROVED, check_identity


@pytest.mark.parametrize("param", ["loc_scale", "loc_logscale"])
def test_laplace_kl_by_reflection_is_proved_equal_to_the_definition(param):
    family = sg.Laplace(param)
    assert "kl/reflection" in {i.name for i in catalog.identities_for(family)}
    assert catalog.check("kl/reflection", family).status == PROVED


def test_reflection_expectation_matches_quadrature():
    """E|x − c| under Laplace(μ, b) at 50 digits, c on both sides of μ (|·| is the hard part)."""
    family = sg.Laplace()
    mu, b = family.symbols(1)
    x = family.variables[0]
    c = sp.Symbol("c", real=True)
    value = Reflection(family, 1).absolute(c)
    with mpmath.workdps(50):
        for m, s, cc in [(0.5, 1.5, -1.25), (0.5, 1.5, 2.0), (-1, 0.25, -1)]:
            m, s, cc = mpmath.mpf(m), mpmath.mpf(s), mpmath.mpf(cc)
            def term(t, m=m, s=s, cc=cc):
                return abs(t - cc) * mpmath.exp(-abs(t - m) / s) / (2 * s)

            reference = mpmath.quad(term, [-mpmath.inf, min(m, cc), max(m, cc), mpmath.inf])
            got = sp.N(value.xreplace({mu: sp.Float(m, 50), b: sp.Float(s, 50), c: sp.Float(cc, 50)}), 50)
            assert abs(mpmath.mpf(str(got)) - reference) < mpmath.mpf("1e-40")
    assert x not in value.free_symbols


def test_a_wrong_reflection_term_is_caught():
    """Break the route (E[Y] dropped from ½(D + E[Y])): the catalog identity fails."""
    family = sg.Laplace()
    right = kl_by_reflection(family)
    _, b1 = family.symbols(1)
    _, b2 = family.symbols(2)
    wrong = right - b1 / (2 * b2)
    verdict = check_identity(sg.kl(family).result, wrong, family=family)
    assert verdict.status == FAILED


def test_reflection_refuses_an_asymmetric_density():
    with pytest.raises(sg.SymgeomError, match="not shown"):
        x = sp.Symbol("x", real=True)
        family = sg.Laplace()
        mu, b = family.symbols()
        from dataclasses import replace

        skewed = replace(family, log_density_reference=-sp.Abs(x - mu) / b - x / 10 - sp.log(2 * b))
        Reflection(skewed, None)


@pytest.mark.parametrize(("p", "q"), cross.PAIRS, ids=[f"{p.name}-{q.name}" for p, q in cross.PAIRS])
def test_cross_pairs_are_proved_against_an_independent_route(p, q):
    assert cross.cross_verdict(p, q).status == PROVED


def test_cross_rows_are_in_verify_and_a_broken_pair_fails():
    rows = cross.cross_rows()
    assert len(rows) == len(cross.PAIRS) == 6
    assert all(r[3].status == PROVED for r in rows)
    p, q = cross.PAIRS[0]
    derived = sg.kl(p, q).result
    verdict = check_identity(derived + sp.Rational(1, 100), cross.independent_kl(p, q),
                             sampler=cross._sampler(p, q))
    assert verdict.status == FAILED
