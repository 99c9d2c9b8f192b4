"""PPO losses as differentiable JAX arrays (to minimize); see :mod:`symgeom.torch.ppo` for the formulas."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from symgeom.backends.ops import jax_ops
from symgeom.errors import InvalidParameterError

Array = Any


def ppo_clip_loss(log_prob: Array, old_log_prob: Array, advantages: Array, epsilon: float = 0.2) -> Array:
    """−mean min(r A, clip(r, 1−ε, 1+ε) A), r = exp(log π_new − log π_old)."""
    if not 0 < epsilon < 1:
        raise InvalidParameterError(f"clip range epsilon must be in (0, 1), got {epsilon!r}")
    ratio = jnp.exp(log_prob - jax.lax.stop_gradient(old_log_prob))
    clipped = jnp.clip(ratio, 1 - epsilon, 1 + epsilon)
    return -jnp.mean(jnp.minimum(ratio * advantages, clipped * advantages))


def policy_kl(head: Any, old: tuple[Array, ...], new: tuple[Array, ...]) -> Array:
    """mean_s KL(π_old(·|s)‖π_new(·|s)), exact and stable, differentiable in ``new``."""
    return jnp.mean(head.kl(jax_ops(), jax.lax.stop_gradient(tuple(old)), tuple(new)))


def kl_penalty_loss(
    log_prob: Array,
    old_log_prob: Array,
    advantages: Array,
    head: Any,
    old: tuple[Array, ...],
    new: tuple[Array, ...],
    beta: float,
) -> Array:
    """−mean r A + β·mean KL(π_old‖π_new)."""
    if not beta >= 0:
        raise InvalidParameterError(f"beta must be >= 0, got {beta!r}")
    ratio = jnp.exp(log_prob - jax.lax.stop_gradient(old_log_prob))
    return -jnp.mean(ratio * advantages) + beta * policy_kl(head, old, new)


def kl_early_stop(kl: Array | float, target: float, factor: float = 1.5) -> bool:
    """True once the mean KL exceeds ``factor``·``target``."""
    if not target > 0:
        raise InvalidParameterError(f"target KL must be > 0, got {target!r}")
    return float(kl) > factor * target
