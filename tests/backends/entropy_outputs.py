"""One entropy derivation on torch, JAX and ``jax.jit`` at the same float64 points, and the 1e-12
relative bar of issue 12 against a 50-digit reference (tests of the vector-form count entropies)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest


def torch_jax_jit(derivation: Any, x: np.ndarray) -> dict[str, np.ndarray]:
    """``derivation``'s .torch(), .jax() and jax.jit(.jax()) at ``x`` (skips without torch or JAX)."""
    torch = pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return {"torch": derivation.torch()(torch.from_numpy(x)).numpy(),
            "jax": np.asarray(derivation.jax()(jnp.asarray(x))),
            "jit": np.asarray(jax.jit(derivation.jax())(jnp.asarray(x)))}


def assert_within(
    outputs: dict[str, np.ndarray], want: np.ndarray, x: np.ndarray, bar: float = 1e-12
) -> None:
    """Every output within ``bar`` relative of ``want`` (absolute where it is 0) and ≥ 0."""
    for name, got in outputs.items():
        error = np.abs(got - want) / np.where(want == 0, 1.0, np.abs(want))
        assert (error <= bar).all(), (name, x[error > bar], error.max())
        assert (got >= 0).all(), (name, x[got < 0])
