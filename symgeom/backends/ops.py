"""Ops: the primitives of :mod:`symgeom.backends.primitives` wrapped for one array library.

* torch — each primitive becomes a ``torch.autograd.Function`` whose backward and jvp use the
  derived partials (double backward works: the backward is itself made of differentiable ops;
  ``torch.func`` transforms work through ``setup_context`` and ``generate_vmap_rule``);
* JAX — each primitive becomes a ``jax.custom_jvp`` (``grad``, ``jit``, ``vmap``, ``hessian``);
* any other Array API namespace (NumPy, CuPy, Dask through array-api-compat) — the values.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from symgeom.backends import eager_torch
from symgeom.backends.primitives import PRIMITIVES, Primitive, log_ratio

Array = Any


def is_number(x: object) -> bool:
    """A Python (or NumPy scalar) number without an array dtype of its own to keep."""
    return isinstance(x, int | float) and not hasattr(x, "dtype")


class Ops:
    """The namespace ``xp`` of one library plus its primitives: ``ops.kl_div(a, b)``, ``ops.chi(y)``."""

    def __init__(self, name: str, xp: Any, wrap: Callable[[Primitive], Callable[..., Array]]) -> None:
        self.name = name
        self.xp = xp
        self._functions = {key: wrap(prim) for key, prim in PRIMITIVES.items()}

    def primitive(self, name: str) -> Callable[..., Array]:
        return self._functions[name]

    def asarray(self, x: Array, like: Array) -> Array:
        """``x`` as an array of ``like``'s dtype (and device)."""
        xp = self.xp
        if hasattr(like, "device") and self.name in ("torch", "array_api"):
            try:
                return xp.asarray(x, dtype=like.dtype, device=like.device)
            except TypeError:
                pass
        return xp.asarray(x, dtype=like.dtype)

    def _common(self, *args: Array) -> list[Array]:
        """Python numbers become arrays of the first array's dtype (they stay weakly typed)."""
        like = next((a for a in args if not is_number(a)), None)
        if like is None:
            like = self.xp.asarray(float(args[0]))
        return [self.asarray(a, like) if is_number(a) else a for a in args]

    def kl_div(self, a: Array, b: Array, d: Array | None = None, lr: Array | None = None,
               through_log: bool = False) -> Array:
        """kl_div(a, b) = a·log(a/b) − a + b; ``d`` = a − b and ``lr`` = log(a/b) when known better.
        ``through_log``: ``lr`` is log(a/b) as a differentiable function of its own (the printed
        log_quotient of a power's parts), and the derivative where b < a/2 goes through it
        (:func:`symgeom.backends.primitives.kl_div_log_partials`: b may have underflowed)."""
        a, b = self._common(a, b)
        d = a - b if d is None else self._common(d, a)[0]
        if lr is None and self.name == "torch" and eager_torch.eager(a, b, d):
            a, b, d = _broadcast(self.xp, a, b, d)
            lr = eager_torch.log_ratio(a, b, d)
        elif lr is None:
            lr = log_ratio(self.xp, a, b, d)
        else:
            lr = self._common(lr, a)[0]
        a, b, d, lr = _broadcast(self.xp, a, b, d, lr)
        return self._functions["kl_div_log" if through_log else "kl_div"](a, b, d, lr)

    def chi(self, y: Array) -> Array:
        """χ(y) = y·eʸ − eʸ + 1."""
        return self._functions["chi"](self._common(y)[0])

    def logsumexp(self, z: Array) -> Array:
        """log Σ e^{zᵢ} over the last axis."""
        return self._functions["logsumexp"](z)


def _broadcast(xp: Any, *arrays: Array) -> list[Array]:
    shapes = [tuple(a.shape) for a in arrays]
    if len(set(shapes)) == 1:
        return list(arrays)
    return list(xp.broadcast_arrays(*arrays))


# --- torch ---------------------------------------------------------------------------------------
def _sum_to(grad: Array, shape: tuple[int, ...]) -> Array:
    return grad if tuple(grad.shape) == tuple(shape) else grad.sum_to_size(shape)


def _torch_wrap(prim: Primitive) -> Callable[..., Array]:
    from array_api_compat import torch as xp

    fast = getattr(eager_torch, prim.name, None)

    def forward(*args: Array) -> Array:
        if fast is not None and eager_torch.eager(*args):
            return fast(*args)
        return prim.value(xp, *args)

    def setup_context(ctx: Any, inputs: tuple[Array, ...], output: Array) -> None:
        ctx.save_for_backward(*inputs)
        ctx.save_for_forward(*inputs)

    def chain(g: Array, p: Array) -> Array:
        return (g[..., None] if prim.reduces else g) * p

    def backward(ctx: Any, g: Array) -> tuple[Array | None, ...]:
        args = ctx.saved_tensors
        partials = prim.partials(xp, *args)
        return tuple(
            None if p is None or not need else _sum_to(chain(g, p), a.shape)
            for a, p, need in zip(args, partials, ctx.needs_input_grad, strict=True)
        )

    def jvp(ctx: Any, *tangents: Array) -> Array:
        args = ctx.saved_tensors
        partials = prim.partials(xp, *args)
        total = None
        for p, t in zip(partials, tangents, strict=True):
            if p is None or t is None:
                continue
            term = (p * t).sum(dim=-1) if prim.reduces else p * t
            total = term if total is None else total + term
        return total

    return torch_function(f"{prim.name}_function", forward, setup_context, backward, jvp)


def torch_function(
    name: str,
    forward: Callable[..., Array],
    setup_context: Callable[..., None],
    backward: Callable[..., Any],
    jvp: Callable[..., Array],
    doc: str | None = None,
) -> Callable[..., Array]:
    """The ``apply`` of a ``torch.autograd.Function`` subclass called ``name`` with these static
    methods (``setup_context`` style, so ``torch.func`` transforms work) and a generated vmap rule;
    the one factory of the primitives here, :mod:`symgeom.backends.one_sided` and
    :mod:`symgeom.backends.special`."""
    import torch

    members: dict[str, Any] = {
        "forward": staticmethod(forward),
        "setup_context": staticmethod(setup_context),
        "backward": staticmethod(backward),
        "jvp": staticmethod(jvp),
        "generate_vmap_rule": True,
    }
    if doc is not None:
        members["__doc__"] = doc
    return type(name, (torch.autograd.Function,), members).apply


# --- JAX -----------------------------------------------------------------------------------------
def _jax_wrap(prim: Primitive) -> Callable[..., Array]:
    import jax
    import jax.numpy as jnp

    @jax.custom_jvp
    def function(*args: Array) -> Array:
        return prim.value(jnp, *args)

    @function.defjvp
    def _jvp(primals: tuple[Array, ...], tangents: tuple[Array, ...]) -> tuple[Array, Array]:
        out = function(*primals)
        partials = prim.partials(jnp, *primals)
        total = jnp.zeros_like(out)
        for p, t in zip(partials, tangents, strict=True):
            if p is None:
                continue
            total = total + (jnp.sum(p * t, axis=-1) if prim.reduces else p * t)
        return out, total

    return function


def _plain_wrap(xp: Any) -> Callable[[Primitive], Callable[..., Array]]:
    import numpy as np

    def wrap(prim: Primitive) -> Callable[..., Array]:
        def value(*args: Array) -> Array:
            # Both branches of a where are computed; the discarded one may overflow or divide by 0.
            with np.errstate(all="ignore"):
                return prim.value(xp, *args)

        return value

    return wrap


@cache
def torch_ops() -> Ops:
    from array_api_compat import torch as xp

    return Ops("torch", xp, _torch_wrap)


@cache
def jax_ops() -> Ops:
    import jax.numpy as jnp

    return Ops("jax", jnp, _jax_wrap)


def namespace_ops(xp: Any) -> Ops:
    """Ops for an Array API namespace (values only; NumPy, CuPy, Dask …)."""
    return _namespace_ops(xp)


@cache
def _namespace_ops(xp: Any) -> Ops:
    return Ops("array_api", xp, _plain_wrap(xp))


def ops_for(*arrays: Array) -> Ops:
    """The Ops of the library the arrays belong to (torch and JAX get their differentiable ones)."""
    import array_api_compat

    candidates = [a for a in arrays if array_api_compat.is_array_api_obj(a)]
    if any(array_api_compat.is_torch_array(a) for a in candidates):
        return torch_ops()
    if any(array_api_compat.is_jax_array(a) for a in candidates):
        return jax_ops()
    if not candidates:
        import numpy as np

        return namespace_ops(array_api_compat.array_namespace(np.zeros(0)))
    return namespace_ops(array_api_compat.array_namespace(*candidates))


def widen(ops: Ops, x: Array) -> Array:
    """16-bit floats are computed in float32 (bfloat16 has 8 significant bits)."""
    xp = ops.xp
    narrow = [getattr(xp, name) for name in ("float16", "bfloat16") if hasattr(xp, name)]
    if ops.name == "torch":
        import torch

        narrow.append(torch.bfloat16)
    if ops.name == "jax":
        import jax.numpy as jnp

        narrow.append(jnp.bfloat16)
    return xp.astype(x, xp.float32) if any(x.dtype == n for n in narrow) else x
