"""The general-d diagonal Gaussian: a product of d one-dimensional Gaussians, for every d."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
import sympy as sp

import symgeom as sg
from symgeom.derive import indexed_product as product
from symgeom.families.indexed_product import INDEX, IndexedProduct
from symgeom.verification import indexed_product as checks
from symgeom.verification.identity import FAILED, PROVED, check_identity
from symgeom.verification.sampling import family_sampler

D = sp.Symbol("d", integer=True, positive=True)
CHARTS = ("mean_var", "mean_std", "mean_logstd", "natural")


@pytest.mark.parametrize("param", CHARTS)
def test_every_chart_and_quantity_is_derived_for_symbolic_d(param: str) -> None:
    family = sg.MultivariateGaussian(D, "diagonal", param)
    assert isinstance(family, IndexedProduct)
    assert family.label == f"multivariate_gaussian(d=d,diagonal)[{param}]"
    for quantity in ("kl", "fisher", "entropy", "expansion"):
        routes = sg.routes(quantity, family)
        assert len(routes) >= 2, quantity
        for route in routes:
            derivation = sg.derive.derive(quantity, family, route)
            assert derivation.family is None and derivation.route == route
            assert D in derivation.result.free_symbols or quantity == "fisher"
            assert "product lemma" in derivation.steps[0].justification
            assert derivation.latex()


def test_mean_var_kl_is_the_textbook_sum() -> None:
    """½Σᵢ[σ₁ᵢ²/σ₂ᵢ² + (μ₂ᵢ − μ₁ᵢ)²/σ₂ᵢ² − 1 + ln(σ₂ᵢ²/σ₁ᵢ²)], written by hand once here as the
    target (the derivation does not read it), equal term by term."""
    family = sg.MultivariateGaussian(D, "diagonal", "mean_var")
    result = sg.kl(family).result
    assert isinstance(result, sp.Sum) and result.limits == ((INDEX, 1, D),)
    m1, m2 = family.base(0, 1)[INDEX], family.base(0, 2)[INDEX]
    v1, v2 = family.base(1, 1)[INDEX], family.base(1, 2)[INDEX]
    textbook = (v1 / v2 + (m2 - m1) ** 2 / v2 - 1 + sp.log(v2 / v1)) / 2
    assert sp.simplify(sp.expand_log(result.function - textbook, force=True)) == 0
    entropy = sg.entropy(family).result.function
    assert sp.simplify(sp.expand_log(entropy - sp.log(2 * sp.pi * sp.E * family.base(1)[INDEX]) / 2,
                                     force=True)) == 0


def test_fisher_is_block_diagonal_with_the_univariate_block() -> None:
    family = sg.MultivariateGaussian(D, "diagonal", "mean_logstd")
    fisher = sg.fisher(family).result
    a, b = sp.Symbol("a", integer=True, positive=True), sp.Symbol("b", integer=True, positive=True)
    assert fisher.xreplace({b: a}).subs(sp.KroneckerDelta(a, a), 1) == \
        sp.ImmutableMatrix(sg.fisher(sg.Gaussian("mean_logstd")).result).xreplace(family.indexed(a))
    assert all(e.subs(sp.KroneckerDelta(a, b), 0) == 0 for e in fisher)


@pytest.mark.parametrize("param", CHARTS)
def test_routes_and_c2_proved_for_every_d(param: str) -> None:
    family = sg.MultivariateGaussian(D, "diagonal", param)
    for quantity in ("kl", "fisher", "entropy", "expansion"):
        assert checks.routes_agree(family, quantity).status == PROVED, quantity
    for route in product.routes("expansion", family):
        assert checks.quadratic_term(family, route).status == PROVED, route
        assert checks.cubic_term(family, route).status == PROVED, route


def test_a_wrong_c3_fails_the_every_d_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The t³ coefficient off by a factor 3/2 is not the factor's (3∇F − T)/12."""
    family = sg.MultivariateGaussian(D, "diagonal", "mean_logstd")
    real = product.coordinate

    def bent(quantity, fam, route):
        one, series = real(quantity, fam, route)
        c3 = sp.Poly(sp.expand(series), product.T).coeff_monomial(product.T**3)
        return one, series + c3 * product.T**3 / 2

    monkeypatch.setattr(product, "coordinate", bent)
    assert checks.cubic_term.__wrapped__(family, "definition").status == FAILED


@pytest.mark.parametrize("param", CHARTS)
@pytest.mark.parametrize("d", [1, 2, 3])
def test_general_result_at_d_equals_the_concrete_derivation(param: str, d: int) -> None:
    family = sg.MultivariateGaussian(D, "diagonal", param)
    for quantity in ("kl", "fisher", "entropy", "expansion"):
        assert checks.specialization_agrees(family, quantity, d).status == PROVED, quantity


def test_a_wrong_route_fails_the_every_d_check(monkeypatch: pytest.MonkeyPatch) -> None:
    family = sg.MultivariateGaussian(D, "diagonal", "mean_std")
    real = product.coordinate

    def doubled(quantity, fam, route):
        one, result = real(quantity, fam, route)
        return one, (2 * result if route == "bregman" else result)

    monkeypatch.setattr(product, "coordinate", doubled)
    assert checks.routes_agree.__wrapped__(family, "kl").status == FAILED


def test_a_wrong_product_lemma_fails_against_the_concrete_derivation() -> None:
    """KL summed over one coordinate too few (a broken lemma) is not the d = 2 derivation."""
    family = sg.MultivariateGaussian(D, "diagonal", "mean_logstd")
    concrete = sg.MultivariateGaussian(2, "diagonal", "mean_logstd")
    right = product.specialize("kl", family, "definition", concrete)
    _, one = product.coordinate("kl", family, "definition")
    first = sp.sympify(one).xreplace(family.indexed(INDEX)).xreplace(
        product.concrete_symbols(family, concrete, 0))
    reference = sg.kl(concrete).result
    sampler = family_sampler(concrete)
    assert check_identity(right, reference, sampler=sampler).status == PROVED
    assert check_identity(first, reference, sampler=sampler).status == FAILED


def test_verify_of_the_general_family_lists_its_rows() -> None:
    report = sg.verify(sg.MultivariateGaussian(D, "diagonal", "mean_var"))
    names = {row.identity for row in report}
    assert {"general/kl_routes", "general/kl@d=3", "general/expansion/definition/c2"} <= names
    assert all(row.verdict.status == PROVED for row in report)


def test_refusals() -> None:
    with pytest.raises(sg.SymgeomError, match=r"'expectation'.*mean_logstd, natural"):
        sg.MultivariateGaussian(D, "diagonal", "expectation")
    with pytest.raises(sg.SymgeomError, match="unknown route 'nope'"):
        sg.kl(sg.MultivariateGaussian(D, "diagonal"), "nope")


def test_concrete_large_d_specializes_the_general_result() -> None:
    family = sg.MultivariateGaussian(6, "diagonal", "mean_var")
    derivation = sg.kl(family)
    assert "general-d result" in derivation.steps[0].justification
    theta1 = np.r_[np.linspace(-1, 1, 6), np.linspace(0.5, 2, 6)]
    theta2 = np.r_[np.linspace(1, -1, 6), np.linspace(2, 0.5, 6)]
    values = dict(zip(family.symbols(1) + family.symbols(2), np.r_[theta1, theta2], strict=True))
    exact = float(derivation.result.subs(values))
    m1, v1, m2, v2 = theta1[:6], theta1[6:], theta2[:6], theta2[6:]
    expected = 0.5 * np.sum(v1 / v2 + (m2 - m1) ** 2 / v2 - 1 + np.log(v2 / v1))
    assert exact == pytest.approx(expected, rel=1e-14)
    assert derivation.numpy()(m1, v1, m2, v2) == pytest.approx(expected, rel=1e-14)


@pytest.mark.slow
def test_d_1000_compiles_without_expanding() -> None:
    """KL, entropy and Fisher of d = 1000 compile from the factor (no 1000-term lambdify)."""
    start = time.perf_counter()
    family = sg.MultivariateGaussian(1000, "diagonal", "mean_logstd")
    kl, entropy, fisher = (getattr(sg, q)(family).numpy() for q in ("kl", "entropy", "fisher"))
    seconds = time.perf_counter() - start
    rng = np.random.default_rng(1)
    mu, log_sigma = rng.normal(size=1000), rng.normal(size=1000) * 0.3
    one_kl = sg.kl(sg.Gaussian("mean_logstd")).numpy()
    one_h = sg.entropy(sg.Gaussian("mean_logstd")).numpy()
    # sums of 1000 float64 terms: relative error a few hundred ulps at most
    assert kl(mu, log_sigma, mu + 0.1, log_sigma) == pytest.approx(
        np.sum(one_kl(mu, log_sigma, mu + 0.1, log_sigma)), rel=1e-12)
    assert entropy(mu, log_sigma) == pytest.approx(np.sum(one_h(mu, log_sigma)), rel=1e-12)
    matrix = fisher(mu, log_sigma)
    assert matrix.shape == (2000, 2000)
    np.testing.assert_allclose(np.diag(matrix), np.r_[np.exp(-2 * log_sigma), np.full(1000, 2.0)],
                               rtol=1e-15)
    assert np.count_nonzero(matrix) == 2000
    assert seconds < 60  # the 10 s is for an unloaded machine; see benchmarks



@pytest.mark.parametrize("d", [2, 4, 12])
def test_natural_chart_is_the_mean_var_chart_in_eta(d: int) -> None:
    """The natural chart at (η₁ᵢ, η₂ᵢ) = (μᵢ/σᵢ², −1/(2σᵢ²)): KL and entropy are the mean_var values
    (the same distributions); the Fisher is the pull-back JᵀF_var J, J = ∂(μ, σ²)/∂η, written
    out per coordinate.  For symbolic d and for d = 2, 4 (expanded) and 12 (specialized)."""
    rng = np.random.default_rng(d)
    mu1, mu2 = rng.normal(size=(2, 3, d))
    var1, var2 = rng.uniform(0.5, 2.0, size=(2, 3, d))
    theta1, theta2 = (mu1 / var1, -0.5 / var1), (mu2 / var2, -0.5 / var2)
    mean_var = sg.MultivariateGaussian(d, "diagonal", "mean_var")
    kl = sg.kl(mean_var).numpy()(mu1, var1, mu2, var2)
    entropy = sg.entropy(mean_var).numpy()(mu1, var1)
    # ∂μ/∂η₁ = σ², ∂μ/∂η₂ = 2μσ², ∂σ²/∂η₁ = 0, ∂σ²/∂η₂ = 2σ⁴; F_var = diag(1/σ², 1/(2σ⁴)):
    # F_η = [[σ², 2μσ²], [2μσ², 4μ²σ² + 2σ⁴]] per coordinate, parameter j of coordinate i at j·d + i
    blocks = ((var1, 2 * mu1 * var1), (2 * mu1 * var1, 4 * mu1**2 * var1 + 2 * var1**2))
    fisher = np.zeros((3, 2 * d, 2 * d))
    for j in range(2):
        for m in range(2):
            for i in range(d):
                fisher[:, j * d + i, m * d + i] = blocks[j][m][:, i]
    for family in (sg.MultivariateGaussian(D, "diagonal", "natural"),
                   sg.MultivariateGaussian(d, "diagonal", "natural")):
        np.testing.assert_allclose(sg.kl(family).numpy()(*theta1, *theta2), kl, rtol=1e-12)
        np.testing.assert_allclose(sg.entropy(family).numpy()(*theta1), entropy, rtol=1e-12)
        np.testing.assert_allclose(sg.fisher(family).numpy()(*theta1), fisher, rtol=1e-12, atol=1e-12)


def test_score_covariance_keeps_the_denominators_of_the_moments() -> None:
    """The natural chart's moments are rational, σ² = −1/(2η₂): the score-covariance Fisher of the
    expanded d = 3 family (polynomial-ring route) equals the negative Hessian's.  Dropping the
    moments' denominators (the bug this guards: F₁₁ came out −1/2 instead of −1/(2η₂)) fails."""
    from symgeom.derive import expectation
    from symgeom.derive.fisher import fisher_negative_hessian, fisher_score_covariance

    family = sg.MultivariateGaussian(3, "diagonal", "natural")
    reference = fisher_negative_hessian(family).result
    assert sp.simplify(fisher_score_covariance.__wrapped__(family).result - reference) == sp.zeros(6, 6)
    real = expectation._moment_fraction

    def numerator_only(context, mean, cov, powers):
        moment = real(context, mean, cov, powers)
        return type(moment)(context, moment.numerator, ())

    expectation._moment_fraction = numerator_only
    try:
        broken = fisher_score_covariance.__wrapped__(family).result
    finally:
        expectation._moment_fraction = real
    assert sp.simplify(broken - reference) != sp.zeros(6, 6)


def test_natural_chart_prints_one_subscript_list() -> None:
    """η₂ of coordinate i at point 1 prints η_{1,2,i} (the concrete η_{2,i} at point 1), its
    displacement (Δη_{2,i}) as one symbol; never a subscript on a subscripted group."""
    family = sg.MultivariateGaussian(D, "diagonal", "natural")
    kl, expansion = sg.kl(family).latex(), sg.expansion(family).latex()
    assert r"\eta_{1,2,i}" in kl and r"\eta_{2,2,i}" in kl
    assert r"{\Delta \eta_{2,i}}^{2}" in expansion and r"\eta_{2,i}" in expansion
    assert not re.search(r"\{\\eta_\{\d\}\}_", kl + expansion) and "None" not in kl + expansion
    concrete = sg.MultivariateGaussian(2, "diagonal", "natural")
    assert concrete.latex_names()[concrete.symbols(1)[3]] == r"\eta_{1,2,2}"
