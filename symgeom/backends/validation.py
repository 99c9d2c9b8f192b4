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
from symgeom.numeric.inputs import Input, domain_text

Array = Any


def concrete(ops: Any, arrays: list[Array]) -> bool:
    """Whether the values can be read now (not a tracer, not a compiled graph, not lazy)."""
    if ops.name == "torch":  # a torch.func transform's wrapped tensors cannot be read (.item())
        from symgeom.backends.eager_torch import eager

        return eager(*arrays)
    if ops.name == "jax":
        import jax

        return not any(isinstance(a, jax.core.Tracer) for a in arrays)
    import array_api_compat

    return not any(array_api_compat.is_dask_array(a) for a in arrays)


def _tolerance(ops: Any, x: Array) -> float:
    return 1.5e-8 if x.dtype == ops.xp.float64 else 3.5e-4


def bad_entries(ops: Any, inp: Input, x: Array) -> Array:
    """Boolean array over the batch shape: True where ``x`` is outside ``inp``'s domain."""
    xp = ops.xp
    bad = ~xp.isfinite(x)
    if inp.check == "interval":
        bad = bad | _outside(inp, x)
    elif inp.check == "simplex":
        bad = bad | (x < 0) | (x > 1 + _tolerance(ops, x))
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

        low, high = (float(v) for v in torch.aminmax(x.detach()))  # one pass for both
    else:
        low, high = float(xp.min(x)), float(xp.max(x))
    if not (math.isfinite(low) and math.isfinite(high)):
        return False
    return not (_outside(inp, low) or _outside(inp, high))  # an interval check


def check(ops: Any, spec: tuple[Input, ...], arrays: list[Array], suffix: str) -> None:
    """Raise InvalidParameterError for the first argument with an entry outside its domain."""
    xp = ops.xp
    for inp, x in zip(spec, arrays, strict=True):
        if _range_ok(ops, inp, x):
            continue
        bad = bad_entries(ops, inp, x)
        if bool(xp.any(bad)):
            raise InvalidParameterError(f"{inp.name}{suffix} must {domain_text(inp)}")


def _outside(inp: Input, x: Any) -> Any:
    """x outside the input's interval, each finite bound accepted where the family's parameter
    includes it (p ∈ [0, 1], σ > 0, η₂ < 0): :class:`symgeom.numeric.inputs.Input`."""
    lower, upper = inp.lower, inp.upper
    out = x != x  # all False (nan is caught by the finiteness check)
    if lower is not None:
        out = out | ((x < lower) if inp.lower_included else (x <= lower))
    if upper is not None:
        out = out | ((x > upper) if inp.upper_included else (x >= upper))
    return out


def invalid_mask(ops: Any, spec: tuple[Input, ...], arrays: list[Array]) -> Array | None:
    """Where (over the batch) some argument is invalid; None when there are no arguments."""
    mask = None
    for inp, x in zip(spec, arrays, strict=True):
        bad = bad_entries(ops, inp, x)
        mask = bad if mask is None else mask | bad
    return mask
