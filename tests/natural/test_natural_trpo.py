"""TRPO step: the quadratic model's optimum, exact KL = δ + c₃(2δ/q)^{3/2} + …, line search."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from natural_catalog import CATALOG, IDS, sample_point

import symgeom as sg
from symgeom.errors import InvalidParameterError
from symgeom.natural import (
    exact_kl,
    fisher_at,
    fisher_vector_product,
    fvp_operator,
    trpo_direction,
    trpo_step,
)


def test_direction_is_the_optimum_of_the_quadratic_model() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 4))
    f = a @ a.T + 0.5 * np.eye(4)
    g = rng.normal(size=4)
    delta = 0.03
    best = trpo_direction(f, g, delta)
    assert 0.5 * best.step @ f @ best.step == pytest.approx(delta, rel=1e-13)
    assert best.quadratic_kl == pytest.approx(delta, rel=1e-15)
    # Any other step on the boundary ½ΔᵀFΔ = δ gains less: gᵀΔ is maximal at F⁻¹g.
    chol = np.linalg.cholesky(f)
    for _ in range(200):
        u = rng.normal(size=4)
        other = np.linalg.solve(chol.T, u) * np.sqrt(2 * delta) / np.linalg.norm(u)
        assert g @ other <= g @ best.step + 1e-15
    # Matrix-free (CG on v ↦ Fv) gives the same step.
    free = trpo_direction(lambda v: f @ v, g, delta)
    np.testing.assert_allclose(free.step, best.step, rtol=1e-10)
    assert free.cg_iterations >= 1


def _taylor(fam: sg.Family, theta: np.ndarray, direction: np.ndarray) -> tuple[float, float]:
    """c₃, c₄ of KL(θ‖θ+tΔ̂) = ½qt² + c₃t³ + c₄t⁴ + …, from the derived closed form."""
    d = sg.kl(fam)
    t = sp.Symbol("t", real=True)
    n = len(theta)
    point = [sp.Float(x, 30) for x in theta]
    moved = [sp.Float(x, 30) + t * sp.Float(v, 30) for x, v in zip(theta, direction, strict=True)]
    series = d.result.xreplace(dict(zip(d.arguments, point + moved, strict=True)))
    assert len(d.arguments) == 2 * n
    third = sp.diff(series, t, 3)
    c3 = third.subs(t, 0).evalf(25) / 6
    c4 = sp.diff(third, t).subs(t, 0).evalf(25) / 24
    return float(c3), float(c4)


@pytest.mark.parametrize("fam", CATALOG, ids=IDS)
def test_exact_kl_of_the_step_is_delta_plus_order_three_halves(fam: sg.Family) -> None:
    rng = np.random.default_rng(21)
    theta = sample_point(fam, rng)
    g = rng.normal(size=len(theta))
    kl = exact_kl(fam)
    deltas = np.geomspace(1e-10, 1e-6, 5)
    excess, predicted = [], []
    unit = trpo_direction(fvp_operator(fam, theta), g, 0.5)  # q = ΔᵀFΔ = 1 along this step
    q = 2 * unit.quadratic_kl
    c3, c4 = _taylor(fam, theta, unit.step)
    for delta in deltas:
        step = trpo_direction(fvp_operator(fam, theta), g, delta).step
        taken = kl(theta, theta + step)
        t = np.sqrt(2 * delta / q)
        assert taken / delta == pytest.approx(1.0, abs=1e-2)
        excess.append(taken - delta)
        predicted.append(c3 * t**3)
        # The leading term predicts the excess up to the next one, c₄t⁴, plus rounding: storing
        # θ + Δ moves Δ by up to an ulp of each coordinate, which changes KL by (FΔ)·ulp.
        rounding = np.abs(fisher_vector_product(fam, theta, step)) @ np.spacing(theta + step)
        bound = 2 * abs(c4) * t**4 + np.abs(rounding) + 8 * np.finfo(float).eps * delta
        assert abs(excess[-1] - predicted[-1]) <= bound
    slope = np.polyfit(np.log(deltas), np.log(np.abs(excess)), 1)[0]
    # KL − δ = c₃(2δ/q)^{3/2}(1 + O(δ^{1/2})) with δ^{1/2} ≤ 1e-3: slope 1.5 to ~1e-3.
    assert abs(slope - 1.5) < 0.01


def test_line_search_backtracks_to_the_first_step_inside_the_trust_region() -> None:
    fam = sg.Gaussian("mean_std")
    theta = np.array([0.0, 1.0])
    # Shrinking σ: KL(σ‖σ(1+u)) = u² − (5/3)u³ + …, above ½ΔᵀFΔ for u < 0.
    result = trpo_step(fam, theta, [0.0, -1.0], 0.5)
    kl = exact_kl(fam)
    assert result.accepted and 0 < result.fraction < 1
    assert result.fraction == pytest.approx(0.8**result.backtracks, rel=1e-15)
    assert result.kl == pytest.approx(kl(theta, result.theta), rel=1e-15)
    assert result.kl <= 0.5
    one_less = theta + (result.fraction / 0.8) * result.full_step.step
    assert kl(theta, one_less) > 0.5
    full = trpo_step(fam, theta, [0.0, -1.0], 0.5, line_search=False)
    assert full.kl > 0.5 and full.fraction == 1.0


def test_line_search_stays_inside_the_domain() -> None:
    fam = sg.Bernoulli("prob")
    # F = 4 at p = ½, so δ = 2 gives Δp = 1: outside (0, 1); the search shrinks it back.
    result = trpo_step(fam, [0.5], [1.0], 2.0)
    assert result.full_step.step[0] == pytest.approx(1.0, rel=1e-14)
    assert result.accepted and 0.5 < result.theta[0] < 1.0
    assert result.kl <= 2.0


def test_line_search_rejects_steps_that_do_not_improve_the_surrogate() -> None:
    fam = sg.Gaussian("mean_std")
    result = trpo_step(fam, [0.0, 1.0], [1.0, 0.0], 0.01, surrogate=lambda th: -th[0])
    assert not result.accepted
    np.testing.assert_array_equal(result.theta, [0.0, 1.0])
    improving = trpo_step(fam, [0.0, 1.0], [1.0, 0.0], 0.01, surrogate=lambda th: th[0])
    assert improving.accepted and improving.fraction == 1.0
    # Along μ the Gaussian KL is exactly quadratic: the full step's KL is δ to rounding.
    assert improving.kl == pytest.approx(0.01, rel=1e-14)


def test_zero_gradient_gives_zero_step() -> None:
    assert not np.any(trpo_direction(np.eye(2), [0.0, 0.0], 0.1).step)


def test_direction_with_formed_fisher_matches_fvp() -> None:
    fam = sg.MultivariateGaussian(2)
    theta = sample_point(fam, np.random.default_rng(2))
    g = np.arange(1.0, 6.0)
    formed = trpo_direction(fisher_at(fam, theta), g, 0.01).step
    free = trpo_direction(fvp_operator(fam, theta), g, 0.01).step
    np.testing.assert_allclose(free, formed, rtol=1e-10)


@pytest.mark.parametrize("delta", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_delta(delta: float) -> None:
    with pytest.raises(InvalidParameterError, match="max_kl"):
        trpo_direction(np.eye(2), [1.0, 0.0], delta)
    with pytest.raises(InvalidParameterError, match="max_kl"):
        trpo_step(sg.Gaussian(), [0.0, 1.0], [1.0, 0.0], delta)


def test_bad_input() -> None:
    fam = sg.Gaussian()
    with pytest.raises(InvalidParameterError, match="shape"):
        trpo_step(fam, [0.0, 1.0], [1.0], 0.1)
    with pytest.raises(InvalidParameterError, match="sigma"):
        trpo_step(fam, [0.0, -1.0], [1.0, 0.0], 0.1)
    with pytest.raises(InvalidParameterError, match="shrink"):
        trpo_step(fam, [0.0, 1.0], [1.0, 0.0], 0.1, shrink=1.0)
    with pytest.raises(InvalidParameterError, match="not positive definite"):
        trpo_direction(np.diag([1.0, -1.0]), [1.0, 1.0], 0.1)
    with pytest.raises(InvalidParameterError, match="not positive definite"):
        trpo_direction(lambda v: np.array([v[0], -v[1]]), [1.0, 1.0], 0.1)
