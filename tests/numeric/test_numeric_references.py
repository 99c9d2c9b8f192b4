"""The mpmath references check each other: closed form vs quadrature, sums vs known values."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from symgeom.numeric import reference as ref

# (chart, θ₁, θ₂): far, near (δ = 1e-9) and extreme-σ pairs in every Gaussian chart.
GAUSSIAN_PAIRS = [
    ("mean_std", (0.3, 1.5), (-0.2, 0.7)),
    ("mean_std", (0.3, 1.5), (0.3 * (1 + 1e-9), 1.5 * (1 - 1e-9))),
    ("mean_std", (1e140, 1e150), (-1e140, 3e149)),
    ("mean_var", (0.3, 2.25), (-0.2, 0.49)),
    ("natural", (0.5, -0.25), (0.5 * (1 + 1e-9), -0.25)),
    ("mean_logstd", (0.3, -300.0), (0.3, -299.0)),
]


@pytest.mark.parametrize(("param", "theta1", "theta2"), GAUSSIAN_PAIRS)
def test_gaussian_closed_form_reference_equals_quadrature(
    param: str, theta1: tuple[float, float], theta2: tuple[float, float]
) -> None:
    closed = ref.kl_gaussian(param, *theta1, *theta2)
    quad = ref.kl_gaussian_quad(param, *theta1, *theta2)
    with mp.workdps(ref.DPS):
        assert abs(closed - quad) <= mp.mpf(10) ** -30 * abs(closed)


def test_seed_note_numbers() -> None:
    """KL([.4,.6]‖[.5,.5]) ≈ 0.0201, KL([.4,.6]‖[.1,.9]) ≈ 0.311; Gaussians 0.005 and 50."""
    assert float(ref.kl_probabilities([0.4, 0.6], [0.5, 0.5])) == pytest.approx(0.0201355, rel=1e-5)
    assert float(ref.kl_probabilities([0.4, 0.6], [0.1, 0.9])) == pytest.approx(0.3112387, rel=1e-6)
    assert float(ref.kl_gaussian("mean_std", 0.0, 10.0, 1.0, 10.0)) == 0.005
    assert float(ref.kl_gaussian("mean_std", 0.0, 0.1, 1.0, 0.1)) == pytest.approx(50, rel=1e-15)


def test_bernoulli_and_logit_references_agree() -> None:
    theta1, theta2 = 1.25, -0.5
    with mp.workdps(ref.DPS):
        p1, p2 = (1 / (1 + mp.exp(-mp.mpf(t))) for t in (theta1, theta2))
        direct = p1 * mp.log(p1 / p2) + (1 - p1) * mp.log((1 - p1) / (1 - p2))
        assert abs(ref.kl_bernoulli_logit(theta1, theta2) - direct) < mp.mpf(10) ** -60


def test_full_gaussian_reference_reduces_to_univariate() -> None:
    value = ref.kl_full_gaussian(
        np.array([0.3, 0.0]), np.diag([2.25, 1.0]), np.array([-0.2, 0.0]), np.diag([0.49, 1.0])
    )
    assert abs(value - ref.kl_gaussian("mean_var", 0.3, 2.25, -0.2, 0.49)) < mp.mpf(10) ** -60


def test_converged_raises_for_an_unstable_evaluation() -> None:
    calls = iter(range(100))
    with pytest.raises(ArithmeticError):
        ref.converged(lambda: mp.mpf(next(calls)), dps=40)


def test_monte_carlo_bound_covers_a_known_fisher() -> None:
    """N(μ, 1): s(x) = x − μ, F = 1; the 5-SE bound holds for 1 and rejects 1.1."""
    rng = np.random.default_rng(1)
    estimate = ref.fisher_monte_carlo(lambda x: (x - 0.5)[:, None], rng.normal(0.5, 1.0, 40_000))
    assert estimate.contains(np.array([[1.0]]))
    assert not estimate.contains(np.array([[1.1]]))
