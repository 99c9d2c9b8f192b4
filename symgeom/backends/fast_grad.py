"""Eager CPU torch with autograd: the NumPy kernel's forward, the torch primitives' derivatives.

A KL evaluated on tensors that require grad used to run the stable form op by op through the
torch primitives (each a ``torch.autograd.Function`` with derived partials), ≈ 3× the time of
``torch.distributions`` for the forward pass alone.  Here the forward pass is the no-grad route
of :mod:`symgeom.backends.numpy_route` (the NumPy kernel on zero-copy views: the same stable
forms, blocked), and the backward pass recomputes the value with the torch primitives and takes
their derivative, so

    ∂KL/∂θ = the derived partials of kl_div, χ, logsumexp chained through the printed stable form,

exactly the gradient of the primitive route (same derived partials, no branch of a ``where``
differentiated, 0 and not nan at p = q).  Where the printed form has a derived gradient
(:mod:`symgeom.backends.derived_grad`: the same chain written symbolically and run by NumPy in
blocks) and no graph is asked for, the backward evaluates that instead of recomputing the value
(2.3× → 0.66× ``torch.distributions``' forward + backward at 10⁷ Gaussian pairs), for inputs
within 2^±250 (``Gradient.in_range``; beyond, the printed powers under- or overflow and the
recomputation is differentiated).  The
recomputation is made of differentiable torch operations and is recorded when a graph is asked
for (``create_graph=True``), so double backward and Hessians work.  Forward-mode AD (dual
tensors) and ``torch.func`` transforms take the primitive route, which has a jvp.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from symgeom.backends.derived_grad import Gradient

Array = Any


def usable(arrays: list[Array]) -> bool:
    """Eager CPU float32/float64 tensors with autograd recording, and no forward-mode dual."""
    import torch
    import torch.autograd.forward_ad as forward_ad

    from symgeom.backends import eager_torch

    if not arrays or not eager_torch.eager(*arrays) or not torch.is_grad_enabled():
        return False
    if not any(a.requires_grad for a in arrays):
        return False
    if not all(a.device.type == "cpu" and a.dtype in (torch.float32, torch.float64) for a in arrays):
        return False
    return all(forward_ad.unpack_dual(a).tangent is None for a in arrays)


def apply(
    forward: Callable[..., Array],
    recompute: Callable[..., Array],
    arrays: list[Array],
    gradient: Gradient | None = None,
) -> Array:
    """``forward(*arrays)`` (no graph) as the value, ``recompute(*arrays)``'s derivative as its
    derivative; ``recompute`` must give the same function built from differentiable torch ops.
    ``gradient(numpy arrays, numpy grad)``, when given, returns grad·∂value/∂(each array) reduced
    to the arrays' shapes (:class:`symgeom.backends.derived_grad.Gradient`): the backward uses it
    when no graph is asked for, and the recomputation otherwise."""
    return _function().apply(forward, recompute, gradient, *arrays)


_FUNCTION: Any = None


def _function() -> Any:
    global _FUNCTION
    if _FUNCTION is None:
        import torch

        class FastForward(torch.autograd.Function):
            @staticmethod
            def forward(
                ctx: Any, forward: Callable, recompute: Callable, gradient: Callable | None, *arrays: Array
            ) -> Array:
                ctx.recompute = recompute
                ctx.gradient = gradient
                ctx.save_for_backward(*arrays)
                with torch.no_grad():
                    return forward(*[a.detach() for a in arrays])

            @staticmethod
            def backward(ctx: Any, grad: Array) -> tuple[Array | None, ...]:
                arrays = ctx.saved_tensors
                wanted = [i for i, need in enumerate(ctx.needs_input_grad[3:]) if need]
                create = torch.is_grad_enabled()
                result: list[Array | None] = [None] * (3 + len(arrays))
                host = [a.detach().numpy() for a in arrays]
                if not create and ctx.gradient is not None and ctx.gradient.in_range(host):
                    found = ctx.gradient(host, grad.detach().numpy())
                    for i in wanted:
                        result[3 + i] = torch.from_numpy(found[i]).to(arrays[i].dtype)
                    return tuple(result)
                with torch.enable_grad():
                    leaves = list(arrays)
                    if not create:  # a graph of its own, freed after this backward
                        leaves = [a.detach().requires_grad_(i in wanted) for i, a in enumerate(arrays)]
                    out = ctx.recompute(*leaves)
                    found = torch.autograd.grad(
                        out, [leaves[i] for i in wanted], grad, create_graph=create, allow_unused=True
                    )
                for i, g in zip(wanted, found, strict=True):
                    result[3 + i] = torch.zeros_like(arrays[i]) if g is None else g
                return tuple(result)

        _FUNCTION = FastForward
    return _FUNCTION
