"""The general-d Gaussian in matrix notation: routes, lemmas, front door, specializations."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symgeom as sg
from symgeom.derive import general_gaussian as gg
from symgeom.derive import matrix_calculus as mc
from symgeom.errors import InvalidSizeError, UnknownQuantityError
from symgeom.verification import general_gaussian as checks
from symgeom.verification.identity import FAILED, PROVED

D = sp.Symbol("d", integer=True, positive=True)


@pytest.mark.parametrize("quantity", ["kl", "fisher", "entropy", "expansion"])
def test_routes_proved_for_every_d(quantity):
    assert checks.routes_agree.__wrapped__(quantity).status == PROVED


def test_normal_form_can_fail():
    """A KL missing the ½ on its trace, or with the mean form through Σ₁⁻¹, is not the derived KL."""
    derived = gg.kl_poly("definition")
    s1, s2 = sp.MatrixSymbol("Sigma_1", D, D), sp.MatrixSymbol("Sigma_2", D, D)
    m1, m2 = sp.MatrixSymbol("mu_1", D, 1), sp.MatrixSymbol("mu_2", D, 1)
    half = sp.Rational(1, 2)
    right = half * (mc.Tr(s2.I, s1) + mc.Form(m2 - m1, s2.I, m2 - m1) - D + sp.log(mc.Det(s2) / mc.Det(s1)))
    assert mc.proved_equal(derived, mc.from_sympy(right))
    no_half = right + half * mc.Tr(s2.I, s1)
    wrong_metric = right - half * mc.Form(m2 - m1, s2.I, m2 - m1) + half * mc.Form(m2 - m1, s1.I, m2 - m1)
    assert not mc.proved_equal(derived, mc.from_sympy(no_half))
    assert not mc.proved_equal(derived, mc.from_sympy(wrong_metric))


def test_wrong_display_form_is_refused():
    with pytest.raises(AssertionError):
        gg._settled(gg.fisher_poly("negative_hessian"), 2 * gg.fisher_display(), "Fisher")


def test_expansion_coefficients():
    """c₂ = ½F[Δ,Δ] and c₃ = −½aᵀΣ⁻¹AΣ⁻¹a − ⅓tr((Σ⁻¹A)³) by both routes."""
    s, a, am = sp.MatrixSymbol("Sigma", D, D), sp.MatrixSymbol("a", D, 1), sp.MatrixSymbol("A", D, D)
    c3 = -mc.Form(a, s.I, am, s.I, a) / 2 - mc.Tr(s.I, am, s.I, am, s.I, am) / 3
    for route in ("taylor", "definition"):
        c = gg.expansion_coefficients(route)
        assert c[0].is_zero() and c[1].is_zero()
        assert mc.proved_equal(c[2], mc.from_sympy(gg.quadratic_display()))
        assert mc.proved_equal(c[3], mc.from_sympy(c3))


def test_front_door_symbolic_d():
    fam = sg.MultivariateGaussian(D)
    assert fam == sg.MultivariateGaussian(D, "full")
    latex = sg.kl(fam).latex()
    assert r"\operatorname{tr}" in latex and r"\det" in latex and r"\Sigma_{2}^{-1}" in latex
    assert mc.proved_equal(mc.from_sympy(sg.kl(fam, "bregman").result), gg.kl_poly("definition"))
    assert r"\ln\det" in sg.entropy(fam).latex()
    assert sg.fisher(fam, "kl_hessian").result == gg.fisher_display()
    n = sp.Symbol("n", integer=True, positive=True)
    assert n in sg.kl(sg.MultivariateGaussian(n)).result.free_symbols
    assert sg.expansion(fam).result.has(sp.Order)


def test_front_door_refusals():
    with pytest.raises(sg.SymgeomError, match="unknown covariance 'banded'"):
        sg.MultivariateGaussian(D, "banded")
    with pytest.raises(InvalidSizeError, match="got d=m"):
        sg.MultivariateGaussian(sp.Symbol("m", negative=True))
    with pytest.raises(InvalidSizeError, match="at most 200"):
        sg.MultivariateGaussian(201, "full")
    with pytest.raises(UnknownQuantityError, match="unknown route"):
        sg.kl(sg.MultivariateGaussian(D), "nope")
    with pytest.raises(UnknownQuantityError, match="'expansion' is not printed for array backends"):
        sg.expansion(sg.MultivariateGaussian(D)).numpy()


def test_specialized_equals_explicit_numerically_at_d2():
    """The matrix-notation path at d = 2 gives the explicit family's compiled values."""
    from symgeom.families.general_gaussian import specialized_full

    explicit, special = sg.MultivariateGaussian(2, "full"), specialized_full(2, "mean_cov")
    rng = np.random.default_rng(3)
    for _ in range(3):
        a, b = rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
        s1, s2 = a @ a.T + 0.5 * np.eye(2), b @ b.T + 0.5 * np.eye(2)
        m1, m2 = rng.standard_normal(2), rng.standard_normal(2)
        # 1e-13: a few float64 roundings of O(1) quantities with cond(Σ) ≲ 10².
        for quantity, args in (("fisher", (m1, s1)), ("entropy", (m1, s1))):
            want = sg.derive.derive(quantity, explicit).numpy()(*args)
            got = sg.derive.derive(quantity, special).numpy()(*args)
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(sg.kl(special).numpy()(m1, s1, m2, s2),
                                   sg.kl(explicit).numpy()(m1, s1, m2, s2), rtol=1e-13)


def test_large_d_steps_say_specialized():
    fam = sg.MultivariateGaussian(50, "full")
    d = sg.kl(fam)
    assert "specialize d = 50" in d.steps[-1].justification
    assert d.result.has(mc.Tr) and not d.result.has(sp.Symbol("Sigma1_1"))
    assert sg.routes("fisher", fam) == ("score_covariance", "negative_hessian", "kl_hessian")


@pytest.mark.parametrize("lemma", sorted(checks.LEMMAS))
def test_lemmas_at_small_d(lemma):
    for d in (1, 2):
        assert checks.lemma_check.__wrapped__(lemma, d).status == PROVED


def test_inverse_rule_every_d(monkeypatch):
    assert checks.inverse_rule_general.__wrapped__().status == PROVED
    original = mc.derivative
    monkeypatch.setattr(mc, "derivative", lambda poly, direction: -original(poly, direction))
    assert checks.inverse_rule_general.__wrapped__().status != PROVED


def test_quadratic_and_jacobi_lemmas_every_d(monkeypatch):
    """E[xᵀPx] = tr(PΣ) + μᵀPμ and Jacobi's induction step are proved for every d; each fails
    when its rule is broken (the covariance pairing dropped; the ln det rule tr(X⁻¹A) → tr(XA))."""
    assert checks.quadratic_rule_general.__wrapped__().status == PROVED
    assert checks.jacobi_induction_step.__wrapped__().status == PROVED
    original_expect, original_derivative = mc.expect, mc.derivative
    monkeypatch.setattr(mc, "expect", lambda poly, z, cov: original_expect(poly, z, cov) * 2)
    assert checks.quadratic_rule_general.__wrapped__().status == FAILED
    monkeypatch.setattr(mc, "expect", original_expect)

    def broken(poly, direction):
        out = original_derivative(poly, direction)
        if any(f[0] == "logdet" for mono, _ in poly.terms for f in mono):
            return mc.substitute(out, {("X", -1): mc.mat(("X", 1))})
        return out

    monkeypatch.setattr(mc, "derivative", broken)
    assert checks.jacobi_induction_step.__wrapped__().status == FAILED


def test_lemma_check_can_fail(monkeypatch):
    """Break the ln det rule (tr(Σ⁻¹A) → tr(ΣA)) and the general routes no longer agree."""
    original = mc.derivative

    def broken(poly, direction):
        out = original(poly, direction)
        return mc.substitute(out, {("Sigma", -1): mc.mat(("Sigma", 1))}) if "Sigma" in direction else out

    monkeypatch.setattr(gg, "derivative", broken)
    for fn in (gg.fisher_poly,):
        fn.cache_clear()
    try:
        assert not mc.proved_equal(gg.fisher_poly("negative_hessian"), gg.fisher_poly("kl_hessian"))
    finally:
        gg.fisher_poly.cache_clear()


@pytest.mark.slow
@pytest.mark.parametrize("quantity", ["kl", "fisher", "entropy", "expansion"])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_specializations_against_concrete_derivations(quantity, d):
    for route in gg.ROUTES[quantity]:
        if quantity == "expansion":
            assert checks.expansion_exact.__wrapped__(route, d).status == PROVED
            if d < 3:  # the identity checker agrees where it finishes in its time limit
                assert checks.specialization_agrees.__wrapped__(quantity, route, d).status == PROVED
        else:
            assert checks.specialization_agrees.__wrapped__(quantity, route, d).status == PROVED


def test_exact_expansion_comparison_can_fail(monkeypatch):
    """c₃ off by tr(Σ⁻¹AΣ⁻¹AΣ⁻¹A)/100 (and, apart, c₂ scaled by 2): the ring comparison at d = 2
    against the concrete expansion must fail."""
    assert checks.expansion_exact.__wrapped__("taylor", 2).status == PROVED
    original = gg.routes_poly
    extra = mc.trace(mc.mat(("Sigma", -1), ("A", 1), ("Sigma", -1), ("A", 1), ("Sigma", -1), ("A", 1)))
    for n, change in ((3, lambda c: c + extra * sp.Rational(1, 100)), (2, lambda c: c * 2)):
        def broken(quantity, route, n=n, change=change):
            out = list(original(quantity, route))
            out[n] = change(out[n])
            return tuple(out)

        monkeypatch.setattr(gg, "routes_poly", broken)
        assert checks.expansion_exact.__wrapped__("taylor", 2).status == FAILED, n


def test_verify_of_a_specialized_size_points_to_the_general_rows():
    with pytest.raises(sg.SymgeomError, match="general-d matrix result"):
        sg.verify(sg.MultivariateGaussian(7, "full"))


def test_backends_refuse_the_expansion_at_once():
    fam = sg.MultivariateGaussian(7, "full")
    for family in (fam, sg.MultivariateGaussian(D)):
        with pytest.raises(UnknownQuantityError, match="not printed for array backends"):
            sg.expansion(family).torch()
    with pytest.raises(UnknownQuantityError, match="no compiled function"):
        sg.expansion(fam).numpy()


def test_expansion_c2_and_c3_by_the_fisher_and_skewness_for_every_d():
    """c₂ = ½F[Δ,Δ] and c₃ = (3∇F[Δ,Δ,Δ] − T[Δ,Δ,Δ])/12 for each expansion route, in normal form;
    T[Δ,Δ,Δ] = 3aᵀΣ⁻¹AΣ⁻¹a + tr((Σ⁻¹A)³), the Gaussian's skewness tensor along Δ."""
    assert checks.expansion_terms_agree(2).status == PROVED
    assert checks.expansion_terms_agree(3).status == PROVED
    sigma, a, big_a = gg._m("Sigma"), gg._v("a"), gg._m("A")
    textbook = (3 * mc.Form(a, sigma.I, big_a, sigma.I, a)
                + mc.Tr(big_a, sigma.I, big_a, sigma.I, big_a, sigma.I))
    assert mc.proved_equal(checks.skewness(), mc.from_sympy(textbook))


def test_expansion_c3_check_can_fail(monkeypatch):
    """A skewness tensor off by a factor (the cube taken as a square times 2) fails the c₃ row,
    and a Fisher form off by ½ fails the c₂ row."""
    real = checks.skewness
    monkeypatch.setattr(checks, "skewness", lambda: real() * 2)
    assert checks.expansion_terms_agree.__wrapped__(3).status == FAILED
    monkeypatch.setattr(checks, "skewness", real)
    real_quadratic = checks.quadratic_form
    monkeypatch.setattr(checks, "quadratic_form", lambda: real_quadratic() * sp.Rational(1, 2))
    assert checks.expansion_terms_agree.__wrapped__(2).status == FAILED


def test_verify_of_the_general_family_lists_its_rows():
    report = sg.verify(sg.MultivariateGaussian(D))
    names = {row.identity for row in report}
    assert {"general/kl_routes", "general/expansion_c2", "general/expansion_c3",
            "lemma/logdet@induction", "general/expansion/taylor@d=3"} <= names
    assert all(row.verdict.status == PROVED for row in report)
