"""A printed KL, Fisher or entropy on CUDA tensors: one compiled function, one validity sync.

Eager, :meth:`BackendFunction._primitives` runs the printed stable form op by op (dozens of
kernels at 10⁷ Gaussian pairs) and validates each argument with a reduction read back to the
host.  For the tensors :func:`symgeom.backends.torch_compile.wanted` picks, the printed form over
the generic primitives (``where`` forms, no host reads) and the validity of every argument are
one ``torch.compile``d function: entries with an invalid input become nan, and the host reads
one boolean, "some output is nan" (a reduction over the output, not over every input again);
only then does the eager check run, to raise the error naming the argument.

Gradients: the forward pass records the compiled function's graph (one fused forward kernel
set, saving what its backward needs) and the backward pass differentiates it (the derived
partials of the primitives, as eagerly).  Where a graph of the gradient is asked for
(``create_graph=True``) the backward pass recomputes eagerly instead, so double backward works
(compiled graphs do not differentiate twice).
"""

from __future__ import annotations

import inspect
from functools import cache
from typing import TYPE_CHECKING, Any

from symgeom.backends import printer, torch_compile, validation
from symgeom.backends.ops import Ops, torch_ops, widen
from symgeom.backends.primitives import Primitive
from symgeom.numeric.inputs import unpack

if TYPE_CHECKING:
    from symgeom.backends.compile import BackendFunction

Array = Any


class _TracedOps(Ops):
    """The torch primitives as ``torch.compile`` traces them: each a ``torch.autograd.Function``
    whose backward applies the derived partials (the eager ones also carry a forward-mode jvp and
    a signature without ctx, which Dynamo cannot trace: it would split the graph at every
    primitive); Python numbers become 0-d tensors (never inspected with ``hasattr``)."""

    def _common(self, *args: Array) -> list[Array]:
        import torch

        like = next(a for a in args if isinstance(a, torch.Tensor))
        return [a if isinstance(a, torch.Tensor) else torch.full((), a, dtype=like.dtype, device=like.device)
                for a in args]


def _traced_wrap(prim: Primitive) -> Any:
    import torch
    from array_api_compat import torch as xp

    def chain(g: Array, p: Array) -> Array:
        return (g[..., None] if prim.reduces else g) * p

    class TracedPrimitive(torch.autograd.Function):
        # forward(ctx, a, b, …) with exactly the primitive's arguments: with ``forward(ctx, *args)``
        # Dynamo bound the first tensor to ctx (a graph break at every primitive on torch 2.13,
        # InternalTorchDynamoError "'Tensor' object has no attribute 'save_for_backward'" on torch
        # 2.11).  ctx-style, not setup_context: that made AOT autograd donate the saved buffers
        # (refusing the retain_graph backward below) and its backward 1.6–1.8× slower.
        forward = staticmethod(_fixed_arity(prim, xp))

        @staticmethod
        def backward(ctx: Any, g: Array) -> tuple[Array | None, ...]:
            args = ctx.saved_tensors
            partials = prim.partials(xp, *args)
            return tuple(None if p is None else _sum_to(chain(g, p), a.shape)
                         for a, p in zip(args, partials, strict=True))

    return TracedPrimitive.apply


def _fixed_arity(prim: Primitive, xp: Any) -> Any:
    """``forward(ctx, …)`` saving its arguments and returning ``prim.value(xp, …)``, written for
    exactly the primitive's arguments (no ``*args``, which Dynamo mis-binds when it inlines an
    ``autograd.Function``'s forward)."""
    value = prim.value
    arity = len(inspect.signature(value).parameters) - 1

    def one(ctx: Any, a: Array) -> Array:
        ctx.save_for_backward(a)
        return value(xp, a)

    def two(ctx: Any, a: Array, b: Array) -> Array:
        ctx.save_for_backward(a, b)
        return value(xp, a, b)

    def three(ctx: Any, a: Array, b: Array, c: Array) -> Array:
        ctx.save_for_backward(a, b, c)
        return value(xp, a, b, c)

    def four(ctx: Any, a: Array, b: Array, c: Array, d: Array) -> Array:
        ctx.save_for_backward(a, b, c, d)
        return value(xp, a, b, c, d)

    forwards = {1: one, 2: two, 3: three, 4: four}
    if arity not in forwards:
        raise NotImplementedError(f"primitive {prim.name!r} takes {arity} arguments; the traced "
                                  f"forms cover 1 … {max(forwards)}")
    return forwards[arity]


def _sum_to(grad: Array, shape: tuple[int, ...]) -> Array:
    return grad if tuple(grad.shape) == tuple(shape) else grad.sum_to_size(shape)


@cache
def _traced_ops() -> Ops:
    from array_api_compat import torch as xp

    return _TracedOps("torch", xp, _traced_wrap)


def _body(function: BackendFunction, validate: bool) -> Any:
    """(value, any entry invalid) of ``function`` as one traceable function of the arrays: the
    printed source bound here, eagerly (binding builds the special functions' classes)."""
    import torch

    ops = _traced_ops()
    plan = function._plan
    bound = printer.bind(plan.source, ops)
    per = len(plan.spec)

    def body(*arrays: Array) -> tuple[Array, Array | None]:
        out_dtype = arrays[0].dtype
        compute = [widen(ops, a) for a in arrays]
        if plan.float64_inside and all(a.dtype == torch.float32 for a in compute):
            compute = [a.to(torch.float64) for a in compute]
        groups = [compute[i * per : (i + 1) * per] for i in range(plan.points)]
        scalars: list[Array] = []
        for group in groups:
            scalars += unpack(plan.family, tuple(group))
        like = scalars[0]
        full = {"dtype": like.dtype, "device": like.device}
        values = [v if isinstance(v, torch.Tensor) else torch.full((), v, **full)
                  for v in bound(*scalars)]  # a constant entry (a Fisher's 0) is a number
        values = list(torch.broadcast_tensors(*values, *scalars)[: len(values)])
        if plan.matrix_shape is None:
            out = values[0]
        else:
            stacked = torch.stack(values, dim=-1)
            out = stacked.reshape(*stacked.shape[:-1], *plan.matrix_shape)
        if validate:
            mask = None
            for group in groups:
                bad = validation.invalid_mask(ops, plan.spec, group)
                mask = bad if mask is None else mask | bad
            if mask is not None:
                mask = mask[(...,) + (None,) * (out.ndim - mask.ndim)]
                out = torch.where(mask, torch.full((), float("nan"), **full), out)
        out = out.to(out_dtype)
        # One flag from the output (nan where an input is invalid): the reduction reads the
        # output the kernel writes anyway, not every input again.
        return out, (torch.isnan(out).any() if validate else None)

    return body


def _key(function: BackendFunction, validate: bool) -> tuple[str, int, bool]:
    return ("printed", id(function._plan), validate)  # plans are cached for the process


def _value(function: BackendFunction, arrays: list[Array], validate: bool) -> Array:
    out, bad = torch_compile.call(_key(function, validate), _body(function, validate), *arrays)
    _raise_if_invalid(function, arrays, bad)
    return out


def _raise_if_invalid(function: BackendFunction, arrays: list[Array], bad: Array | None) -> None:
    """The one host read; where the output has a nan, the eager check names the invalid
    argument (it raises; a nan from valid inputs, if a form ever gave one, is returned)."""
    if bad is not None and bool(bad):
        function._primitives(torch_ops(), [a.detach() for a in arrays], True)


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
            # The compiled graph is recorded here and differentiated in backward: one fused
            # forward (saving what its backward needs), one fused backward, no recomputation.
            ctx.function = function
            ctx.save_for_backward(*arrays)
            ctx.wanted = [i for i, need in enumerate(ctx.needs_input_grad[1:]) if need]
            with torch.enable_grad():
                ctx.leaves = [a.detach().requires_grad_(i in ctx.wanted) for i, a in enumerate(arrays)]
                key = _key(function, function.validate)
                out, bad = torch_compile.call(key, _body(function, function.validate), *ctx.leaves)
            _raise_if_invalid(function, list(arrays), bad)
            ctx.graph = out
            return out.detach()

        @staticmethod
        def backward(ctx: Any, grad: Array) -> tuple[Array | None, ...]:
            function, wanted = ctx.function, ctx.wanted
            arrays = ctx.saved_tensors
            create = torch.is_grad_enabled()
            if create:  # compiled graphs do not differentiate twice: the eager primitives do
                with torch.enable_grad():
                    leaves, out = list(arrays), function._primitives(torch_ops(), list(arrays), False)
            else:
                leaves, out = ctx.leaves, ctx.graph
            # retain: the outer graph may be run backward again; so no donated buffers (the
            # compiled backward is made here, at its first run, and refuses retain_graph with them)
            with torch._functorch.config.patch(donated_buffer=False):
                found = torch.autograd.grad(
                    out, [leaves[i] for i in wanted], grad, create_graph=create, retain_graph=True,
                    allow_unused=True,
                )
            result: list[Array | None] = [None] * (1 + len(arrays))
            for i, g in zip(wanted, found, strict=True):
                result[1 + i] = torch.zeros_like(arrays[i]) if g is None else g
            return tuple(result)

    return CompiledPrinted
