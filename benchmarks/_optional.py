"""The optional peers of the accuracy benchmarks, imported once: torch, and JAX with float64
enabled (``jax_enable_x64``); each is None where it is not installed, and its column is left out."""

try:
    import torch
except ImportError:  # pragma: no cover - optional
    torch = None
try:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
except ImportError:  # pragma: no cover - optional
    jax = jnp = None

__all__ = ["jax", "jnp", "torch"]
