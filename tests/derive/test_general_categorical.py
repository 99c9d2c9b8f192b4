"""Categorical for every k: general routes proved equal, specializations equal the concrete
derivations, large sizes specialized fast and checked against independent NumPy, sizes refused."""

from __future__ import annotations

import time

import numpy as np
import pytest
import sympy as sp

import symgeom as sg
from symgeom.derive import general_categorical as general
from symgeom.derive.indexed import J, K
from symgeom.families.categorical import general_categorical
from symgeom.verification.general import routes_agree, specialization_agrees
from symgeom.verification.identity import FAILED, PROVED


@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize("quantity", ["kl", "fisher"])
def test_general_routes_are_proved_equal_for_every_k(param: str, quantity: str) -> None:
    assert routes_agree(general_categorical(param), quantity).status == PROVED


def test_a_wrong_general_formula_is_not_proved() -> None:
    family = general_categorical("probs")
    definition = general.kl_definition(family).result
    p = family.chart.base(1)
    wrong = definition + sp.Sum(p[J] ** 2, (J, 1, K - 1))
    assert not general.proved_equal(wrong, general.kl_bregman(family).result, family)


@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize("k", [2, 3, 4])
def test_specializations_equal_the_concrete_derivations(param: str, k: int) -> None:
    family = general_categorical(param)
    for quantity, route in (("kl", "definition"), ("fisher", "score_covariance")):
        verdict = specialization_agrees(family, quantity, route, k)
        assert verdict.status == PROVED, (quantity, verdict)


def test_large_fisher_and_entropy_compile() -> None:
    """Sizes past the explicit limit compile their derived Fisher matrix and entropy."""
    p = np.random.default_rng(2).dirichlet(np.ones(9))
    f = sg.fisher(sg.Categorical(9, "logits")).numpy()(np.log(p))
    np.testing.assert_allclose(f, np.diag(p[:-1]) - np.outer(p[:-1], p[:-1]), rtol=1e-12, atol=1e-15)
    assert sg.entropy(sg.Categorical(9)).numpy()(p) == pytest.approx(-np.sum(p * np.log(p)), rel=1e-12)


def test_the_fisher_matrix_has_the_textbook_form() -> None:
    """F = diag(1/p) + 11ᵀ/p_k (probs) and diag(p) − ppᵀ (logits), at a numeric point, k = 9."""
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(9))
    probs = sg.Categorical(9, "probs")
    f_probs = np.array(sg.fisher(probs).result.subs(dict(zip(probs.symbols(), p[:-1]))), float)
    np.testing.assert_allclose(f_probs, np.diag(1 / p[:-1]) + 1 / p[-1], rtol=1e-12)
    z = np.log(p / p[-1])
    logits = sg.Categorical(9, "logits")
    f_logits = np.array(sg.fisher(logits).result.subs(dict(zip(logits.symbols(), z[:-1]))), float)
    np.testing.assert_allclose(f_logits, np.diag(p[:-1]) - np.outer(p[:-1], p[:-1]), rtol=1e-12,
                               atol=1e-15)


def test_large_k_specializes_and_says_so() -> None:
    family = sg.Categorical(50, "logits")
    derivation = sg.kl(family)
    assert "general-k" in derivation.steps[0].justification
    assert sg.routes("kl", family) == ("definition", "bregman")
    rng = np.random.default_rng(1)
    z1, z2 = rng.normal(size=50), rng.normal(size=50)
    # xreplace with Floats: .subs of 98 symbols took 13 s for the same value
    point = zip(family.symbols(1) + family.symbols(2), np.r_[z1[:-1] - z1[-1], z2[:-1] - z2[-1]])
    value = derivation.result.doit().xreplace({s: sp.Float(v) for s, v in point})
    p, q = np.exp(z1) / np.exp(z1).sum(), np.exp(z2) / np.exp(z2).sum()
    assert float(value) == pytest.approx(float(np.sum(p * np.log(p / q))), rel=1e-12)


@pytest.mark.parametrize("k", [8, 25])
def test_entropy_and_expansion_past_the_explicit_size_specialize_the_general_result(k: int) -> None:
    """Past 20 classes too (no expansion of the explicit family): −Σ pᵢ log pᵢ at a point, and
    c₂ = ½ΔᵀFΔ with F = diag(1/p) + 11ᵀ/p_k, against NumPy."""
    family = sg.Categorical(k)
    entropy, expansion = sg.entropy(family), sg.expansion(family)
    assert "general-k" in entropy.steps[0].justification
    assert "general-k" in expansion.steps[0].justification
    rng = np.random.default_rng(k)
    p = rng.dirichlet(np.ones(k))
    delta = rng.normal(size=k - 1)
    point = dict(zip(family.symbols(), p[:-1]))
    value = float(entropy.result.doit().xreplace(point))
    assert value == pytest.approx(float(-np.sum(p * np.log(p))), rel=1e-12)
    assert entropy.numpy()(p) == pytest.approx(value, rel=1e-12)
    series = expansion.result.doit().xreplace({**point, **dict(zip(family.delta_symbols(), delta))})
    fisher = np.diag(1 / p[:-1]) + 1 / p[-1]
    c2 = float(sp.Poly(series, sp.Symbol("t", real=True)).coeff_monomial(sp.Symbol("t", real=True) ** 2))
    assert c2 == pytest.approx(0.5 * delta @ fisher @ delta, rel=1e-12)


@pytest.mark.parametrize("param", ["probs", "logits"])
def test_general_entropy_and_expansion_are_proved_for_every_k(param: str) -> None:
    from symgeom.verification.general import expansion_agrees

    family = general_categorical(param)
    assert routes_agree(family, "entropy").status == PROVED
    for order in range(3):
        assert expansion_agrees(family, order).status == PROVED, order


@pytest.mark.parametrize("param", ["probs", "logits"])
def test_third_order_coefficient_is_proved_by_two_routes_for_every_k(param: str) -> None:
    from symgeom.verification.general import third_order_agrees

    family = general_categorical(param)
    assert third_order_agrees(family).status == PROVED
    # the second route's c₂ is the Taylor c₂ as well (the same construction, one order lower)
    definition = general.expansion_coefficients_definition(family)
    assert general.proved_equal(definition[2], general.expansion_coefficients(family)[2], family)


@pytest.mark.parametrize("param", ["probs", "logits"])
def test_a_wrong_third_order_coefficient_is_not_proved(param: str) -> None:
    """c₃ off by one term ⅙Σ Δ_j³ (or by a factor): the every-k check must not prove it."""
    family = general_categorical(param)
    taylor = general.expansion_coefficients(family)[3]
    definition = general.expansion_coefficients_definition(family)[3]
    assert not general.proved_equal(taylor, definition + sp.Sum(general.DELTA[J] ** 3, (J, 1, K - 1)) / 6,
                                    family)
    assert not general.proved_equal(taylor, 2 * definition, family)


def test_a_wrong_quadratic_form_is_not_proved() -> None:
    family = general_categorical("logits")
    c2 = general.expansion_coefficients(family)[2]
    assert not general.proved_equal(c2, 2 * general.quadratic_form(family), family)
    entropy = general.entropy_definition(family).result
    z = family.chart.base(None)
    wrong = general.entropy_log_partition(family).result + sp.Sum(z[J], (J, 1, K - 1)) / 100
    assert not general.proved_equal(entropy, wrong, family)


@pytest.mark.slow
@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize("k", [2, 3, 4])
def test_entropy_and_expansion_specializations_equal_the_concrete_derivations(param: str,
                                                                              k: int) -> None:
    family = general_categorical(param)
    for quantity, route in (("entropy", "definition"), ("entropy", "log_partition"),
                            ("expansion", "taylor")):
        verdict = specialization_agrees(family, quantity, route, k)
        assert verdict.status == PROVED, (quantity, route, verdict)


def test_unbuildable_sizes_are_refused_at_once() -> None:
    start = time.perf_counter()
    with pytest.raises(sg.SymgeomError, match=r"k must be at most 100000.*any_size=True"):
        sg.Categorical(10**9)
    assert time.perf_counter() - start < 1.0


def test_failed_is_reported_for_an_unequal_pair() -> None:
    family = general_categorical("probs")
    original = general.FISHER_ROUTES["negative_hessian"]
    try:
        general.FISHER_ROUTES["negative_hessian"] = lambda f: type(
            "D", (), {"result": 2 * original(f).result})()
        # __wrapped__: the check itself, not the cached verdict of the real routes.
        assert routes_agree.__wrapped__(family, "fisher").status == FAILED
    finally:
        general.FISHER_ROUTES["negative_hessian"] = original


@pytest.mark.parametrize("param", ["mean_var", "mean_std", "mean_logstd"])
def test_diagonal_gaussian_from_independent_factors_equals_the_expansion(param: str) -> None:
    from symgeom.verification.general import product_agrees

    for quantity in ("kl", "fisher", "entropy", "expansion"):
        assert product_agrees(param, 2, quantity).status == PROVED, quantity


def test_large_diagonal_gaussian_fisher_is_block_structured() -> None:
    family = sg.MultivariateGaussian(6, "diagonal", "mean_logstd")
    derivation = sg.fisher(family)
    assert "independent" in derivation.steps[-1].justification
    theta = np.r_[np.zeros(6), np.linspace(-0.5, 0.5, 6)]
    f = np.array(derivation.result.subs(dict(zip(family.symbols(), theta))), dtype=float)
    expected = np.diag(np.r_[np.exp(-2 * theta[6:]), np.full(6, 2.0)])
    np.testing.assert_allclose(f, expected, rtol=1e-14)


def test_full_covariance_past_the_limit_is_refused_with_the_reason() -> None:
    with pytest.raises(sg.SymgeomError, match=r"at most 200 with full covariance.*parameters per point"):
        sg.MultivariateGaussian(201, "full")
