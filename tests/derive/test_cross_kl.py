"""KL between two families: closed forms against 50-digit sums/quadratures of the densities,
special cases proved equal to same-family KL, ∞ for non-nested supports, refusal otherwise."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

import symgeom as sg
from symgeom.derive.expectation import NoClosedFormError
from symgeom.families.base import IntegerSupport, RealSupport
from symgeom.verification.identity import PROVED, check_identity

#: 50-digit quadrature/summation: any wrong term is O(1), 1e-30 leaves ~15 digits of margin.
TOL = mpmath.mpf("1e-30")
F = mpmath.mpf

PAIRS = [
    (sg.Exponential(), (F("1.5"),), sg.Gamma(), (F("2.5"), F("0.75"))),
    (sg.Gamma(), (F("2.5"), F("1.5")), sg.Exponential(), (F("0.4"),)),
    (sg.Exponential(), (F("1.5"),), sg.Gaussian(), (F("0.25"), F("1.25"))),
    (sg.Binomial(4), (F("0.3"),), sg.Poisson(), (F("1.75"),)),
    (sg.Laplace(), (F("0.5"), F("1.5")), sg.Gaussian(), (F("-0.25"), F("2"))),
    (sg.Gaussian(), (F("0.5"), F("1.5")), sg.Laplace(), (F("-0.75"), F("0.8"))),
]


def _reference(p, theta_p, q, theta_q):
    (x,) = p.variables
    log_p = sp.lambdify((x, *p.symbols()), p.log_density(), "mpmath")
    log_q = sp.lambdify((q.variables[0], *q.symbols()), q.log_density(), "mpmath")

    def term(v):
        here = log_p(v, *theta_p)  # once: the quadrature evaluates thousands of nodes
        return mpmath.exp(here) * (here - log_q(v, *theta_q))

    if isinstance(p.support, IntegerSupport):
        return mpmath.fsum(term(F(k)) for k in range(p.support.upper + 1))
    if isinstance(p.support, RealSupport):
        kinks = sorted({theta_p[0], theta_q[0]})
        return mpmath.quad(term, [-mpmath.inf, *kinks, mpmath.inf])
    return mpmath.quad(term, [0, mpmath.inf])


@pytest.mark.parametrize(("p", "theta_p", "q", "theta_q"), PAIRS,
                         ids=[f"{p.name}-{q.name}" for p, _, q, _ in PAIRS])
def test_cross_kl_matches_quadrature(p, theta_p, q, theta_q):
    derivation = sg.kl(p, q)
    assert derivation.latex() and derivation.markdown()
    with mpmath.workdps(50):
        at = dict(zip(p.symbols(1) + q.symbols(2), theta_p + theta_q))
        value = F(str(sp.N(derivation.result.xreplace({s: sp.Float(v, 50) for s, v in at.items()}),
                           50)))
        assert abs(value - _reference(p, theta_p, q, theta_q)) < TOL


def test_exponential_is_gamma_with_shape_one():
    """KL(Exp(λ₁)‖Gamma(1, β₂)) = KL(Exp(λ₁)‖Exp(β₂)), and the same with the roles swapped: proved."""
    gamma, expo = sg.Gamma(), sg.Exponential()
    (alpha2, beta2), (lam2,) = gamma.symbols(2), expo.symbols(2)
    (lam1,), (alpha1, beta1) = expo.symbols(1), gamma.symbols(1)
    same = sg.kl(expo).result
    to_gamma = sg.kl(expo, gamma).result.xreplace({alpha2: 1, beta2: lam2})
    assert check_identity(to_gamma, same).status == PROVED
    from_gamma = sg.kl(gamma, expo).result.xreplace({alpha1: 1, beta1: lam1})
    assert check_identity(from_gamma, same).status == PROVED


@pytest.mark.parametrize(("p", "q"), [(sg.Gaussian(), sg.Exponential()),
                                      (sg.Poisson(), sg.Binomial(4)),
                                      (sg.Poisson(), sg.Gaussian())])
def test_kl_is_infinite_when_supports_do_not_nest(p, q):
    derivation = sg.kl(p, q)
    assert derivation.result == sp.oo
    assert "q" in derivation.steps[-1].justification


def test_no_closed_form_is_an_error_naming_the_expectation():
    with pytest.raises(NoClosedFormError, match=r"E\[log.*under poisson"):
        sg.kl(sg.Poisson(), sg.NegativeBinomial(3))
