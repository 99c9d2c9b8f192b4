"""Entropy and Fisher through the dilation symmetry x ↦ cx (issue 12), against 50-digit mpmath.

The references are written again in mpmath from textbook formulas (½ log det(2πeΣ), Σ⁻¹ and
½ tr(Σ⁻¹EₐΣ⁻¹E_b), the Hessian of A(η) = −η₁²/(4η₂) − ½ log(−2η₂)), never from a derivation.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from gaussian_references import entropy_mvn, fisher_mvn

import symgeom as sg
from symgeom.numeric.dilation import dilation_weights

S3 = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 0.5]])




def test_three_dimensional_gaussian_entropy_reaches_its_canonical_form() -> None:
    result = sg.entropy(sg.MultivariateGaussian(3, "full")).result
    assert not {s.name for s in result.free_symbols} & {"mu1", "mu2", "mu3"}
    assert sp.count_ops(result) < 40  # ½ log det Σ + constants, not the 3 284-character form


@pytest.mark.parametrize(("mu", "cov"), [(1e8, S3), (0.0, 1e-110 * np.eye(3)), (-3.0, 1e150 * S3)])
def test_three_dimensional_gaussian_entropy_values(mu: float, cov: np.ndarray) -> None:
    got = sg.entropy(sg.MultivariateGaussian(3, "full")).numpy()(np.full(3, mu), cov)
    want = entropy_mvn(cov)
    assert abs(got - want) <= 1e-14 * abs(want)


@pytest.mark.parametrize("scale", [1e-100, 1e100, 1.0, 1e-300, 1e300])
def test_full_covariance_fisher_far_from_one(scale: float) -> None:
    cov = scale * np.array([[1.0, 0.25], [0.25, 0.5]])
    got = sg.fisher(sg.MultivariateGaussian(2, "full")).numpy()(np.zeros(2), cov)
    want = fisher_mvn(cov)
    nonzero = (want != 0) & np.isfinite(want)
    # Each entry is a short rational function of Σ (cond Σ ≈ 3): a few ulp, exact scaling by 2ᵏ;
    # entries past float64's range (≈10⁶⁰⁰ at Σ ≈ 10⁻³⁰⁰) are ±inf with the right sign.
    assert np.array_equal(got[~np.isfinite(want)], want[~np.isfinite(want)])
    assert np.max(np.abs(got[nonzero] / want[nonzero] - 1)) <= 1e-14
    assert np.all(np.abs(got[~nonzero]) <= 1e-14 * np.max(np.abs(want)))


def _hessian_natural(e1: float, e2: float) -> list[list[mp.mpf]]:
    with mp.workdps(50):
        a, b = mp.mpf(e1), mp.mpf(e2)
        return [[-1 / (2 * b), a / (2 * b**2)], [a / (2 * b**2), -(a**2) / (2 * b**3) + 1 / (2 * b**2)]]


@pytest.mark.parametrize(
    ("e1", "e2"), [(-2.3873543900134e-70, -1.169523679790314e-140), (3e50, -2e100), (0.5, -0.25)]
)
def test_natural_gaussian_fisher_with_tiny_and_huge_natural_parameters(e1: float, e2: float) -> None:
    got = sg.fisher(sg.Gaussian("natural")).numpy()(e1, e2)
    want = _hessian_natural(e1, e2)
    for i in range(2):
        for j in range(2):
            assert abs(got[i, j] - want[i][j]) <= 1e-14 * abs(want[i][j])


def test_location_scale_entropy_and_fisher_over_300_decades() -> None:
    sigma = 10.0 ** np.linspace(-150, 150, 61)
    mu = np.linspace(-1e3, 1e3, 61)
    entropy = sg.entropy(sg.Gaussian()).numpy()(mu, sigma)
    fisher = sg.fisher(sg.Gaussian()).numpy()(mu, sigma)
    with mp.workdps(50):
        for h, f, s in zip(entropy, fisher, sigma, strict=True):
            want = 0.5 * mp.log(2 * mp.pi * mp.e * mp.mpf(s) ** 2)
            assert abs(h - want) <= 1e-14 * abs(want)
            for value, exact in ((f[0, 0], 1 / mp.mpf(s) ** 2), (f[1, 1], 2 / mp.mpf(s) ** 2)):
                if exact < 1e308:
                    assert abs(value - exact) <= 1e-15 * exact
            assert f[0, 1] == 0 and f[1, 0] == 0


def test_dilation_weights_are_read_from_the_log_density() -> None:
    assert dilation_weights(sg.Gaussian("natural")) == (-1, -2)
    assert dilation_weights(sg.MultivariateGaussian(2, "full")) == (1, 1, 2, 2, 2)
    assert dilation_weights(sg.Gaussian("mean_logstd")) is None  # log σ shifts, it does not scale
    assert dilation_weights(sg.Beta()) is None  # (0, 1) is not invariant under x ↦ cx


def test_full_covariance_fisher_at_condition_number_1e12() -> None:
    """Entries through Σ⁻¹ from a double-double Cholesky (symgeom.numeric.dd_linalg): within issue
    #12's 1e-12 of the largest entry (numpy.linalg.inv: ≈ cond·ε ≈ 10⁻⁴; the cofactor/det form
    was 430 % off here)."""
    fisher = sg.fisher(sg.MultivariateGaussian(3, "full")).numpy()
    rng = np.random.default_rng(0)
    for _ in range(5):
        q, _r = np.linalg.qr(rng.normal(size=(3, 3)))
        cov = q @ np.diag([1.0, 1e-6, 1e-12]) @ q.T
        cov = (cov + cov.T) / 2
        want = fisher_mvn(cov)
        error = np.max(np.abs(fisher(np.zeros(3), cov) - want)) / np.max(np.abs(want))
        assert error <= 1e-12
