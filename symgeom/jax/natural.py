"""Natural gradient for a JAX network: F v = E_s[J(s)ᵀ F(θ(s)) J(s) v] by one jvp and one vjp.

``apply(params, states)`` returns the head parameters θ(s) (a tuple of arrays, leading state
axis); params is any pytree, flattened with ``jax.flatten_util.ravel_pytree``.  J v comes from
``jax.jvp``, F per state is the head's closed form (:mod:`symgeom.backends.heads`), Jᵀ(·) from a
``jax.vjp`` taken once per batch — no second derivative of the network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from symgeom.backends.cg import cg_recurrence
from symgeom.backends.ops import jax_ops
from symgeom.errors import InvalidParameterError

Array = Any


def _as_tuple(out: Any) -> tuple[Array, ...]:
    return tuple(out) if isinstance(out, tuple | list) else (out,)


def fisher_vector_product(
    apply: Callable[[Any, Array], Any], head: Any, params: Any, states: Array, damping: float = 0.0
) -> Callable[[Array], Array]:
    """v ↦ (1/N) Σₛ J(s)ᵀ F(θ(s)) J(s) v + λ v for flat vectors v (``ravel_pytree`` order)."""
    if damping < 0:
        raise InvalidParameterError(f"damping must be >= 0, got {damping!r}")
    ops = jax_ops()
    w, unravel = ravel_pytree(params)

    def theta_of(flat: Array) -> tuple[Array, ...]:
        return _as_tuple(apply(unravel(flat), states))

    theta, pullback = jax.vjp(theta_of, w)
    head.check(theta)
    n = states.shape[0]

    def product(v: Array) -> Array:
        _, tangent = jax.jvp(theta_of, (w,), (v,))
        fu = head.fisher_product(ops, theta, tangent)
        fu = tuple(jnp.broadcast_to(p, t.shape) / n for p, t in zip(fu, theta, strict=True))
        (out,) = pullback(fu)
        return out + damping * v

    return product


def kl_hessian_vector_product(
    apply: Callable[[Any, Array], Any], head: Any, params: Any, states: Array
) -> Callable[[Array], Array]:
    """The reference ∇²_w mean KL(π_old‖π_w) v at w = w_old (forward over reverse)."""
    ops = jax_ops()
    w, unravel = ravel_pytree(params)
    old = jax.lax.stop_gradient(_as_tuple(apply(params, states)))

    def mean_kl(flat: Array) -> Array:
        return jnp.mean(head.kl(ops, old, _as_tuple(apply(unravel(flat), states))))

    return lambda v: jax.jvp(jax.grad(mean_kl), (w,), (v,))[1]


def conjugate_gradient(
    apply: Callable[[Array], Array], b: Array, iterations: int = 10, tol: float = 1e-10
) -> tuple[Array, Array]:
    """(x ≈ A⁻¹b, final residual norm) by at most ``iterations`` conjugate-gradient steps.

    Eagerly it stops once ‖r‖² ≤ tol·‖b‖²; under ``jax.jit`` (traced residuals) it runs all
    ``iterations`` steps, unrolled, so no ``while_loop`` is retraced per call.
    """
    x, rr, _ = cg_recurrence(
        apply, b, jnp.zeros_like(b), iterations, tol,
        lambda new, stop: not isinstance(new, jax.core.Tracer) and bool(new <= stop))
    return x, jnp.sqrt(rr)


@dataclass(frozen=True)
class TRPOStep:
    """The new params (the old ones if no step was accepted) and what the line search found."""

    params: Any
    accepted: bool
    kl: float
    improvement: float
    fraction: float


def trpo_step(
    apply: Callable[[Any, Array], Any],
    head: Any,
    params: Any,
    states: Array,
    actions: Array,
    advantages: Array,
    max_kl: float = 0.01,
    damping: float = 0.1,
    cg_iterations: int = 10,
    backtrack: float = 0.8,
    max_backtracks: int = 10,
) -> TRPOStep:
    """Δ = √(2δ/xᵀFx)·x with x = CG(F, ∇L); backtrack until mean KL(π_old‖π_new) ≤ δ and L improves."""
    if not max_kl > 0:
        raise InvalidParameterError(f"max_kl must be > 0, got {max_kl!r}")
    ops = jax_ops()
    w, unravel = ravel_pytree(params)
    old = _as_tuple(apply(params, states))
    old_log_prob = head.log_prob(ops, old, actions)

    def surrogate(flat: Array) -> Array:
        new = _as_tuple(apply(unravel(flat), states))
        return jnp.mean(jnp.exp(head.log_prob(ops, new, actions) - old_log_prob) * advantages)

    base, g = jax.value_and_grad(surrogate)(w)
    fvp = fisher_vector_product(apply, head, params, states, damping)
    x, _ = conjugate_gradient(fvp, g, cg_iterations)
    step = jnp.sqrt(2 * max_kl / (x @ fvp(x))) * x
    for j in range(max_backtracks):
        fraction = backtrack**j
        trial = w + fraction * step
        kl = float(jnp.mean(head.kl(ops, old, _as_tuple(apply(unravel(trial), states)))))
        gain = float(surrogate(trial) - base)
        if kl <= max_kl and gain > 0:
            return TRPOStep(unravel(trial), True, kl, gain, fraction)
    return TRPOStep(params, False, 0.0, 0.0, 0.0)
