"""A printed KL, Fisher or entropy on CUDA tensors: one compiled function, one validity sync.

Eager, :meth:`BackendFunction._primitives` runs the printed stable form op by op (dozens of
kernels at 10⁷ Gaussian pairs) and validates each argument with a reduction read back to the
host.  For the tensors :func:`symgeom.backends.torch_compile.wanted` picks, the printed form over
the generic primitives (``where`` forms, no host reads) and the combined validity of every
argument are one ``torch.compile``d function; the host reads one boolean, and only when it says
some entry is invalid does the eager check run to raise the error naming the argument.

Gradients: the forward pass runs without a graph; the backward pass evaluates the compiled
function again with autograd (one fused forward and one fused backward kernel set: the derived
partials of the primitives, as eagerly).  Where a graph of the gradient is asked for
(``create_graph=True``) the backward pass recomputes eagerly instead, so double backward works
(compiled graphs do not differentiate twice).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from symgeom.backends import torch_compile, validation
from symgeom.backends.ops import torch_ops

if TYPE_CHECKING:
    from symgeom.backends.compile import BackendFunction

Array = Any


def _body(function: BackendFunction, validate: bool) -> Any:
    """(value, any entry invalid) of ``function`` as one traceable function of the arrays."""
    ops = torch_ops()
    plan = function._plan

    def body(*arrays: Array) -> tuple[Array, Array]:
        out = function._primitives(ops, arrays, False)
        if not validate:
            return out, None
        per = len(plan.spec)
        bad = None
        for index in range(plan.points):
            mask = validation.invalid_mask(ops, plan.spec, list(arrays[index * per : (index + 1) * per]))
            if mask is not None:
                mask = ops.xp.any(mask)
                bad = mask if bad is None else bad | mask
        return out, bad

    return body


def _key(function: BackendFunction, validate: bool) -> tuple[str, int, bool]:
    return ("printed", id(function._plan), validate)  # plans are cached for the process


def _value(function: BackendFunction, arrays: list[Array], validate: bool) -> Array:
    out, bad = torch_compile.call(_key(function, validate), _body(function, validate), *arrays)
    if bad is not None and bool(bad):  # the one host read
        function._primitives(torch_ops(), arrays, True)  # raises, naming the argument
    return out


def evaluate(function: BackendFunction, arrays: list[Array]) -> Array:
    """``function(*arrays)`` by the compiled route (see the module docstring)."""
    import torch

    if torch.is_grad_enabled() and any(a.requires_grad for a in arrays):
        return _gradient_function().apply(function, *arrays)
    return _value(function, arrays, function.validate)


@cache
def _gradient_function() -> Any:
    import torch

    class CompiledPrinted(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, function: BackendFunction, *arrays: Array) -> Array:
            ctx.function = function
            ctx.save_for_backward(*arrays)
            return _value(function, list(arrays), function.validate)

        @staticmethod
        def backward(ctx: Any, grad: Array) -> tuple[Array | None, ...]:
            function = ctx.function
            arrays = ctx.saved_tensors
            wanted = [i for i, need in enumerate(ctx.needs_input_grad[1:]) if need]
            create = torch.is_grad_enabled()
            with torch.enable_grad():
                if create:
                    leaves = list(arrays)
                    out = function._primitives(torch_ops(), leaves, False)
                else:
                    leaves = [a.detach().requires_grad_(i in wanted) for i, a in enumerate(arrays)]
                    key = _key(function, False)
                    out, _ = torch_compile.call(key, _body(function, False), *leaves)
                found = torch.autograd.grad(
                    out, [leaves[i] for i in wanted], grad, create_graph=create, allow_unused=True
                )
            result: list[Array | None] = [None] * (1 + len(arrays))
            for i, g in zip(wanted, found, strict=True):
                result[1 + i] = torch.zeros_like(arrays[i]) if g is None else g
            return tuple(result)

    return CompiledPrinted
