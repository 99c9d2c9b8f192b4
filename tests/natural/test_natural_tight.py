"""Tolerances the natural-gradient code promises, checked at their edges: CG to 1e-14, TRPO's
KL never above δ after the line search, PPO's −½log(1 − ε²) accurate for tiny ε."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import symgeom as sg
from symgeom.natural import conjugate_gradient, ratio_box_kl_bound, trpo_step


def test_cg_meets_its_default_tolerance():
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    a = q @ np.diag(np.logspace(0, 2, 30)) @ q.T  # condition number 100
    x_true = rng.standard_normal(30)
    b = a @ x_true
    result = conjugate_gradient(a, b)
    assert result.converged and result.residual_norm <= 1e-14 * np.linalg.norm(b)
    # Forward error ≤ cond(A)·(relative residual) ≈ 100·1e-14, plus rounding.
    assert np.linalg.norm(result.x - x_true) <= 2e-12 * np.linalg.norm(x_true)


@pytest.mark.parametrize("delta", [2.5e-5, 1e-4, 1e-3])
def test_trpo_line_search_never_accepts_kl_above_delta(delta):
    # Shrinking σ: the full step's KL is δ(1 + O(√δ)) > δ, by under 1 % at δ = 2.5e-5.
    fam = sg.Gaussian()
    full = trpo_step(fam, [0.0, 1.0], [0.0, -1.0], delta, line_search=False)
    assert full.kl > delta
    result = trpo_step(fam, [0.0, 1.0], [0.0, -1.0], delta)
    assert result.accepted and result.kl <= delta and result.fraction < 1


@pytest.mark.parametrize("epsilon", [1e-12, 1e-8, 1e-4, 0.2, 0.9, 0.999])
def test_ratio_box_kl_bound_is_accurate_for_tiny_epsilon(epsilon):
    with mpmath.workdps(50):
        want = float(-mpmath.log1p(-mpmath.mpf(epsilon) ** 2) / 2)
    # log1p(−u) is ≤ 1 ulp; the rounding of u = ε² (≤ 1 ulp) is amplified by log1p's condition
    # number u/((1 − u)|log(1 − u)|): 1 for tiny ε, about 500 at ε = 0.999.
    u = epsilon**2
    condition = u / ((1 - u) * abs(np.log1p(-u)))
    tolerance = 4 * np.finfo(float).eps * (1 + condition)
    assert ratio_box_kl_bound(epsilon) == pytest.approx(want, rel=tolerance, abs=0)


def test_ppo_objective_of_no_samples_is_an_error():
    from symgeom.errors import InvalidParameterError
    from symgeom.natural import ppo_clip_objective

    with pytest.raises(InvalidParameterError, match="empty"):
        ppo_clip_objective([], [])
