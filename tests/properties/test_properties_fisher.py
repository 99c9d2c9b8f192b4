"""Hypothesis properties of the compiled Fisher matrices: symmetric positive definite, equal to the
covariance of the score (exact sums, mpmath quadrature, Monte Carlo), the Hessian of KL at Δ = 0."""

from __future__ import annotations

from functools import partial

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from properties_densities import log_density, numeric_score, outcomes, sample

import symgeom as sg
from symgeom.families.base import Family
from symgeom.numeric import kl_function
from symgeom.numeric import reference as ref
from symgeom.testing import arrays, catalog, params, perturb

CATALOG = catalog()
IDS = [f.label for f in CATALOG]
FINITE = [f for f in CATALOG if f.name in ("bernoulli", "categorical")]
CONTINUOUS = [f for f in CATALOG if f not in FINITE]
GAUSSIAN = [f for f in CATALOG if f.name == "gaussian"]


def fisher(family: Family, theta: tuple[float, ...]) -> np.ndarray:
    return np.asarray(sg.fisher(family).numpy()(*arrays(family, theta)), dtype=float)


def _close(value: np.ndarray, reference: np.ndarray, rtol: float) -> bool:
    return bool(np.max(np.abs(value - reference)) <= rtol * np.max(np.abs(reference)))


@pytest.mark.parametrize("family", CATALOG, ids=IDS)
def test_fisher_symmetric_positive_definite(family: Family) -> None:
    @given(params(family))
    def check(theta: tuple[float, ...]) -> None:
        f = fisher(family, theta)
        assert np.array_equal(f, f.T)
        assert np.linalg.eigvalsh(f)[0] > 0

    check()


@pytest.mark.parametrize("family", FINITE, ids=[f.label for f in FINITE])
def test_fisher_equals_score_covariance_exact_sum(family: Family) -> None:
    """Σₓ p(x) s(x)s(x)ᵀ at 80 digits with s from mpmath.diff of a hand-written log-density."""
    logp = partial(log_density(family), mp)

    @given(params(family))
    def check(theta: tuple[float, ...]) -> None:
        reference = np.array(ref.fisher_finite(logp, theta, outcomes(family)).tolist(), dtype=float)
        assert _close(fisher(family, theta), reference, 1e-12)

    check()


GAUSSIAN_POINTS = {
    "mean_std": (0.5, 2.0),
    "mean_var": (0.5, 4.0),
    "natural": (0.125, -0.125),
    "mean_logstd": (0.5, float(np.log(2.0))),
}


@pytest.mark.parametrize("family", GAUSSIAN, ids=[f.label for f in GAUSSIAN])
def test_fisher_equals_score_covariance_by_quadrature(family: Family) -> None:
    """∫ p s sᵀ dx by mpmath.quad (30 digits) at one point per chart; the slow test draws more."""
    theta = GAUSSIAN_POINTS[family.param]
    reference = np.array(ref.fisher_gaussian_quad(family.param, *theta).tolist(), dtype=float)
    assert _close(fisher(family, theta), reference, 1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("family", GAUSSIAN, ids=[f.label for f in GAUSSIAN])
def test_fisher_equals_score_covariance_by_quadrature_deep(family: Family) -> None:
    @settings(max_examples=10)
    @given(params(family))
    def check(theta: tuple[float, ...]) -> None:
        reference = np.array(ref.fisher_gaussian_quad(family.param, *theta).tolist(), dtype=float)
        assert _close(fisher(family, theta), reference, 1e-12)

    check()


@pytest.mark.parametrize("family", CONTINUOUS, ids=[f.label for f in CONTINUOUS])
def test_fisher_within_monte_carlo_confidence_bound(family: Family) -> None:
    """F lies within 5 standard errors of the sample covariance of the score (20 000 draws).

    The score is a central difference of a hand-written NumPy log-density (truncation
    ~10⁻¹⁰ relative, far below the ~1 % Monte Carlo error), so this route shares nothing with
    the symbolic one.  A wrong F (scaled by 1.1) is outside the bound, which the test also checks.
    """

    @settings(max_examples=5)
    @given(params(family), st.integers(0, 2**32 - 1))
    def check(theta: tuple[float, ...], seed: int) -> None:
        draws = sample(family, theta, 20_000, np.random.default_rng(seed))
        estimate = ref.fisher_monte_carlo(numeric_score(family, theta), draws)
        f = fisher(family, theta)
        assert estimate.contains(f, z=5)
        assert not estimate.contains(1.1 * f, z=5)

    check()


@pytest.mark.parametrize("family", CATALOG, ids=IDS)
def test_kl_is_half_the_fisher_quadratic_form_locally(family: Family) -> None:
    """KL(θ‖θ+tΔ)/(½t²ΔᵀFΔ) = 1 + O(t): within 1 % at t = 10⁻⁴ (the seed note's ruler and metric)."""
    size = len(family.parameters) + 16

    @given(params(family), st.lists(st.floats(-1, 1), min_size=size, max_size=size))
    def check(theta: tuple[float, ...], direction: list[float]) -> None:
        moved = perturb(family, theta, 1e-4, np.asarray(direction))
        delta = np.asarray(moved) - np.asarray(theta)
        quadratic = 0.5 * delta @ fisher(family, theta) @ delta
        value = float(kl_function(family)(*arrays(family, theta), *arrays(family, moved)))
        if quadratic == 0:
            assert value == 0
        else:
            assert value / quadratic == pytest.approx(1, abs=1e-2)

    check()
