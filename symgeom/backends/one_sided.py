"""A value whose derivative in one argument is given: the one-sided derivative at an endpoint.

At an included endpoint a (a Binomial's p = 0) the backends evaluate the one-sided limit L of the
closed form (:mod:`symgeom.backends.endpoint_where`), in which the argument on the endpoint no
longer appears, so autodiff alone would give ∂/∂θᵢ = 0 there.  :func:`attach` returns L
unchanged with

    ∂ attach(θᵢ, L, s) / ∂θᵢ = s,      ∂ attach / ∂L = 1,

s the one-sided derivative of the closed form (:func:`symgeom.numeric.endpoint_limits
.derivative_entries`: ±∞ where it diverges, nan where SymPy finds none).  ``slope`` is 0 on the
entries not on that endpoint (the caller masks it), so no 0·∞ reaches them.  torch: an
``autograd.Function`` (backward, forward-mode jvp, vmap); JAX: ``custom_jvp`` (grad, jit, jvp);
other namespaces have no derivatives and get L.  The slope itself is not differentiated further
(second derivatives at an endpoint are not given).
"""

from __future__ import annotations

from functools import cache
from typing import Any

Array = Any


def attach(ops: Any, x: Array, value: Array, slope: Array) -> Array:
    """``value`` with ∂/∂x = ``slope`` added (``slope`` broadcast to ``value``'s shape)."""
    if ops.name == "torch":
        return _torch()(x, value, ops.xp.broadcast_to(slope, value.shape))
    if ops.name == "jax":
        return _jax()(x, value, ops.xp.broadcast_to(slope, value.shape))
    return value


@cache
def _torch() -> Any:
    import torch

    from symgeom.backends.ops import _sum_to, torch_function

    def forward(x: Array, value: Array, slope: Array) -> Array:
        return value.clone()

    def setup_context(ctx: Any, inputs: tuple[Array, ...], output: Array) -> None:
        x, _, slope = inputs
        ctx.save_for_backward(slope)
        ctx.save_for_forward(slope)
        ctx.x_shape = x.shape

    def backward(ctx: Any, g: Array) -> tuple[Array | None, ...]:
        (slope,) = ctx.saved_tensors
        dx = _sum_to(g * slope, ctx.x_shape) if ctx.needs_input_grad[0] else None
        return dx, g, None

    def jvp(ctx: Any, dx: Array | None, dvalue: Array | None, dslope: Array | None) -> Array:
        (slope,) = ctx.saved_tensors
        total = torch.zeros_like(slope) if dvalue is None else dvalue
        return total if dx is None else total + dx * slope

    return torch_function("one_sided_function", forward, setup_context, backward, jvp)


@cache
def _jax() -> Any:
    import jax

    @jax.custom_jvp
    def function(x: Array, value: Array, slope: Array) -> Array:
        return value

    @function.defjvp
    def _jvp(primals: tuple[Array, ...], tangents: tuple[Array, ...]) -> tuple[Array, Array]:
        _, value, slope = primals
        dx, dvalue, _ = tangents
        return value, dvalue + dx * jax.lax.stop_gradient(slope)

    return function
