"""Input checks on any array library: raise on concrete arrays, nan under tracing or lazy arrays.

The checks are the ones of :func:`symgeom.numeric.inputs.inputs` (finite, > 0, < 0, in [0, 1],
simplex rows summing to 1 within √ε, symmetric positive definite Σ).  Eager torch, NumPy and CuPy
arrays that violate one raise :class:`~symgeom.errors.InvalidParameterError` naming the argument;
where values cannot be inspected — ``jax.jit``/``vmap`` tracers, ``torch.compile`` graphs, Dask's
lazy arrays — the result is nan over every batch entry with an invalid input instead.
"""

from __future__ import annotations

import math
from typing import Any

from symgeom.errors import InvalidParameterError
from symgeom.numeric.inputs import Input

Array = Any


def concrete(ops: Any, arrays: list[Array]) -> bool:
    """Whether the values can be read now (not a tracer, not a compiled graph, not lazy)."""
    if ops.name == "torch":
        import torch

        return not torch.compiler.is_compiling()
    if ops.name == "jax":
        import jax

        return not any(isinstance(a, jax.core.Tracer) for a in arrays)
    import array_api_compat

    return not any(array_api_compat.is_dask_array(a) for a in arrays)


def _tolerance(ops: Any, x: Array) -> float:
    return 1.5e-8 if x.dtype == ops.xp.float64 else 3.5e-4


def _top(ops: Any, inp: Input, x: Array) -> float | None:
    """Largest accepted entry: the upper bound; a simplex entry may exceed 1 by the sum tolerance."""
    return 1 + _tolerance(ops, x) if inp.check == "simplex" else inp.upper


def _closed(inp: Input) -> bool:
    """Both bounds finite (a probability-like coordinate): the endpoints are accepted."""
    return inp.lower is not None and inp.upper is not None


def bad_entries(ops: Any, inp: Input, x: Array) -> Array:
    """Boolean array over the batch shape: True where ``x`` is outside ``inp``'s domain
    (the bounds of :class:`~symgeom.numeric.inputs.Input`, closed when both are finite)."""
    xp = ops.xp
    bad = ~xp.isfinite(x)
    top = _top(ops, inp, x)
    if _closed(inp):
        bad = bad | (x < inp.lower) | (x > top)
    else:
        if inp.lower is not None:
            bad = bad | ~(x > inp.lower)
        if top is not None:
            bad = bad | ~(x < top)
    if inp.kind == "vector":
        bad = xp.any(bad, axis=-1)
        if inp.check == "simplex":
            bad = bad | (xp.abs(xp.sum(x, axis=-1) - 1) > _tolerance(ops, x))
    elif inp.kind == "matrix":
        bad = xp.any(xp.any(bad, axis=-1), axis=-1)
        if inp.check == "covariance" and hasattr(xp, "linalg"):
            bad = bad | ~(xp.linalg.eigvalsh(x)[..., 0] > 0)
    return bad


def _range_ok(ops: Any, inp: Input, x: Array) -> bool:
    """Two reductions decide the common valid case (nan fails every comparison)."""
    empty = math.prod(x.shape) == 0
    if inp.check in ("simplex", "covariance") or empty:
        return empty
    xp = ops.xp
    if ops.name == "torch":
        import torch

        low, high = (float(v) for v in torch.aminmax(x))  # one pass for both
    else:
        low, high = float(xp.min(x)), float(xp.max(x))
    if not (math.isfinite(low) and math.isfinite(high)):
        return False
    if _closed(inp):
        return low >= inp.lower and high <= inp.upper
    return (inp.lower is None or low > inp.lower) and (inp.upper is None or high < inp.upper)


def check(ops: Any, spec: tuple[Input, ...], arrays: list[Array], suffix: str) -> None:
    """Raise InvalidParameterError for the first argument with an entry outside its domain."""
    xp = ops.xp
    for inp, x in zip(spec, arrays, strict=True):
        if _range_ok(ops, inp, x):
            continue
        bad = bad_entries(ops, inp, x)
        if bool(xp.any(bad)):
            raise InvalidParameterError(f"{inp.name}{suffix} must be {_words(inp)}")


def _words(inp: Input) -> str:
    if inp.check == "simplex":
        return "in [0, 1] with rows summing to 1 (within √ε)"
    if inp.check == "covariance":
        return "finite, symmetric and positive definite"
    if _closed(inp):
        return f"in [{inp.lower:g}, {inp.upper:g}]"
    if inp.lower is not None:
        return f"finite and > {inp.lower:g}"
    if inp.upper is not None:
        return f"finite and < {inp.upper:g}"
    return "finite"


def invalid_mask(ops: Any, spec: tuple[Input, ...], arrays: list[Array]) -> Array | None:
    """Where (over the batch) some argument is invalid; None when there are no arguments."""
    mask = None
    for inp, x in zip(spec, arrays, strict=True):
        bad = bad_entries(ops, inp, x)
        mask = bad if mask is None else mask | bad
    return mask
