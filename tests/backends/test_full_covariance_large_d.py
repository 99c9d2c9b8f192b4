"""Full-covariance Gaussians past d = 2: the Fisher matrix compiled (through P = Σ⁻¹, reduced once and
shared by NumPy, torch and JAX) and the entropy, against 50-digit mpmath references, at a
well-conditioned Σ and at condition number 10⁶.

The error allowed is 10·cond(Σ)·ε of the largest entry (the conditioning of Σ⁻¹ itself) for the
Fisher, and 10·d·cond(Σ)·ε absolute for the entropy (a backward-stable Cholesky perturbs ln det Σ by
about tr(Σ⁻¹E), |E| ≲ d·ε·|Σ|).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "numeric"))
from gaussian_references import entropy_mvn, fisher_mvn, ill_conditioned  # noqa: E402

import symgeom as sg  # noqa: E402

BACKENDS = ("numpy", "torch", "jax")
EPS64 = np.finfo(np.float64).eps


def _call(backend: str, derivation, arrays) -> np.ndarray:
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    if backend == "numpy":
        return np.asarray(derivation.numpy()(*arrays))
    if backend == "torch":
        return derivation.torch()(*map(torch.as_tensor, arrays)).numpy()
    return np.asarray(jax.jit(derivation.jax())(*map(jnp.asarray, arrays)))


def _covariances(d: int) -> list[np.ndarray]:
    rng = np.random.default_rng(d)
    a = rng.normal(size=(d, d))
    return [a @ a.T + d * np.eye(d), ill_conditioned(d, seed=d, condition=1e6)]


def _check(d: int, backend: str) -> None:
    family = sg.MultivariateGaussian(d, "full")
    fisher, entropy = sg.fisher(family), sg.entropy(family)
    mu = np.linspace(-1.0, 2.0, d)
    for cov in _covariances(d):
        condition = np.linalg.cond(cov)
        want = fisher_mvn(cov)
        got = _call(backend, fisher, (mu, cov))
        assert got.shape == want.shape
        assert np.max(np.abs(got - want)) <= 10 * condition * EPS64 * np.max(np.abs(want))
        h = float(_call(backend, entropy, (mu, cov)))
        assert abs(h - float(entropy_mvn(cov))) <= 10 * d * condition * EPS64


@pytest.mark.parametrize("backend", BACKENDS)
def test_d3_fisher_and_entropy_against_mpmath(backend):
    _check(3, backend)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_d4_fisher_and_entropy_against_mpmath(backend):
    _check(4, backend)
