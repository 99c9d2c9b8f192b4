"""PPO's clipped surrogate, the ratio-box KL bound, and the KL the clip lets through."""

from __future__ import annotations

import numpy as np
import pytest

from symgeom.errors import InvalidParameterError
from symgeom.natural import (
    bernoulli_clip_stationary,
    clip_stationary_policy,
    clipped_surrogate,
    ppo_clip_objective,
    ratio_box_kl_bound,
)


def kl(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p‖q) = Σ p log(p/q), straight from the definition (an independent reference)."""
    return float(np.sum(p * np.log(p / q)))


# Each row follows the definition min(rA, clip(r)A) by hand: which side clips depends on sign(A).
@pytest.mark.parametrize(
    ("r", "a", "expected"),
    [
        (1.5, 1.0, 1.2),    # A > 0, r above the box: gain capped at (1+ε)A
        (0.5, 1.0, 0.5),    # A > 0, r below: the unclipped rA is the smaller, kept
        (0.5, -1.0, -0.8),  # A < 0, r below: capped at (1−ε)A
        (1.5, -1.0, -1.5),  # A < 0, r above: rA is the smaller, kept
        (1.1, 2.0, 2.2),    # inside the box: rA
        (3.0, 0.0, 0.0),
    ],
)
def test_clipped_surrogate_definition(r: float, a: float, expected: float) -> None:
    assert clipped_surrogate(np.array([r]), np.array([a]), 0.2)[0] == pytest.approx(expected)


def test_objective_weights_are_an_expectation() -> None:
    old = np.array([0.2, 0.5, 0.3])
    ratio = np.array([1.4, 0.9, 0.7])
    adv = np.array([1.0, -2.0, 0.5])
    terms = clipped_surrogate(ratio, adv, 0.2)
    assert ppo_clip_objective(ratio, adv, 0.2, weights=old) == pytest.approx(old @ terms)
    assert ppo_clip_objective(ratio, adv, 0.2) == pytest.approx(terms.mean())


def test_inside_the_box_the_objective_is_the_unclipped_surrogate() -> None:
    rng = np.random.default_rng(0)
    ratio = rng.uniform(0.8, 1.2, size=100)
    adv = rng.normal(size=100)
    assert ppo_clip_objective(ratio, adv, 0.2) == pytest.approx(np.mean(ratio * adv), rel=1e-15)


@pytest.mark.parametrize("eps", [0.05, 0.2, 0.5])
def test_ratio_box_bound_holds_and_is_attained(eps: float) -> None:
    rng = np.random.default_rng(1)
    bound = ratio_box_kl_bound(eps)
    checked = 0
    for k in (2, 3, 10):
        for _ in range(300):
            old = rng.dirichlet(np.ones(k))
            u = rng.uniform(-eps, eps, size=k)
            u -= old @ u  # E_old[r − 1] = 0 keeps the new policy normalized
            if np.all(np.abs(u) <= eps):
                assert kl(old, old * (1 + u)) <= bound
                checked += 1
    assert checked > 300
    # Half the old mass at each end of the box: Bernoulli ½ → ½(1+ε) attains the maximum.
    half = np.array([0.5, 0.5])
    assert kl(half, half * np.array([1 - eps, 1 + eps])) == pytest.approx(bound, rel=1e-14)


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.7])
@pytest.mark.parametrize("eps", [0.1, 0.2])
def test_bernoulli_stationary_point_closed_form(p: float, eps: float) -> None:
    lr = 4e-4
    found = clip_stationary_policy([1 - p, p], [-1.0, 1.0], eps, learning_rate=lr)
    assert found.converged
    # One ascent step moves the logit by ≤ lr·max|A| and p by a quarter of that.
    assert abs(found.probs[1] - bernoulli_clip_stationary(p, eps)) <= lr


def test_bernoulli_never_stops_when_the_favoured_side_cannot_saturate() -> None:
    assert bernoulli_clip_stationary(0.9, 0.2) == 1.0
    found = clip_stationary_policy([0.1, 0.9], [-1.0, 1.0], 0.2, learning_rate=0.1, max_steps=2000)
    assert not found.converged and found.probs[1] > 0.99


@pytest.mark.parametrize("p", [0.1, 0.3])
def test_bernoulli_clip_kl_follows_the_fisher_metric_and_can_exceed_the_box(p: float) -> None:
    # Δp = ε·max(p, 1−p) and KL ≈ ½F(p)Δp² = ε² max(p,1−p)² / (2p(1−p)).  The cubic term of
    # KL(p‖p+Δp) is ⅓(1/(1−p)² − 1/p²)Δp³, a relative error of c·Δp with c below.
    fisher = 1.0 / (p * (1.0 - p))
    c = (2 / 3) * p * (1 - p) * abs(1 / (1 - p) ** 2 - 1 / p**2)
    old = np.array([1 - p, p])
    for eps in (1e-3, 1e-2):
        new_p = bernoulli_clip_stationary(p, eps)
        taken = kl(old, np.array([1 - new_p, new_p]))
        predicted = 0.5 * fisher * (new_p - p) ** 2
        assert abs(taken / predicted - 1) < 1.5 * c * (new_p - p)
    # Away from p = ½ the clip lets through more KL than any policy inside the ratio box has.
    new_p = bernoulli_clip_stationary(p, 0.2)
    assert kl(old, np.array([1 - new_p, new_p])) > 2 * ratio_box_kl_bound(0.2)


def test_categorical_clip_kl_scales_like_eps_squared() -> None:
    old = np.array([0.1, 0.2, 0.3, 0.4])
    adv = np.array([1.0, -0.5, 0.3, -0.8])
    eps = np.geomspace(0.01, 0.08, 4)
    taken = []
    for e in eps:
        # A step size ∝ ε keeps the overshoot a fixed small fraction of the move.
        found = clip_stationary_policy(old, adv, e, learning_rate=4e-3 * e)
        assert found.converged
        taken.append(kl(old, found.probs))
    slope = np.polyfit(np.log(eps), np.log(taken), 1)[0]
    # KL = c ε² (1 + O(ε)); over ε ≤ 0.08 the O(ε) drift moves the fitted slope by well under 0.1.
    assert abs(slope - 2) < 0.1


@pytest.mark.parametrize("eps", [0.0, 1.0, -0.1, float("nan")])
def test_bad_epsilon(eps: float) -> None:
    with pytest.raises(InvalidParameterError, match="epsilon"):
        ppo_clip_objective([1.0], [1.0], eps)
    with pytest.raises(InvalidParameterError, match="epsilon"):
        ratio_box_kl_bound(eps)


def test_bad_shapes_and_values() -> None:
    with pytest.raises(InvalidParameterError, match="shape"):
        ppo_clip_objective([1.0, 1.0], [1.0], 0.2)
    with pytest.raises(InvalidParameterError, match="ratio"):
        ppo_clip_objective([-1.0], [1.0], 0.2)
    with pytest.raises(InvalidParameterError, match="weights"):
        ppo_clip_objective([1.0, 1.0], [1.0, 1.0], 0.2, weights=[1.0])
    with pytest.raises(InvalidParameterError, match="sum to 1"):
        clip_stationary_policy([0.5, 0.6], [1.0, -1.0], 0.2)
    with pytest.raises(InvalidParameterError, match="advantage"):
        clip_stationary_policy([0.5, 0.5], [1.0], 0.2)
