"""Named refusals: an ArithmeticError raised deep in a kernel becomes an
:class:`~symgeom.errors.OutOfRangeError` naming the parameters, their values and the limit.

The low-level evaluators (:mod:`symgeom.numeric.log_factorial`, :mod:`.count_entropy`,
:mod:`.log_moments`, :mod:`.explicit_sums`) see derived numbers (a rate c, a mean E[X]) on
flattened, filtered batches; they state the limit that was not met.  The compiled function knows
the family's inputs (named from the chart's array arguments, i.e. the family's
``Parameter.name`` for scalar charts, with ``_1``/``_2`` for the two points of a KL), so it finds
the first refused batch entry by bisection (the kernel evaluated on halves of the flattened batch:
≈ 2N entries of extra work, on the error path only) and names the inputs' values there:

    entropy of poisson[rate] refused at lam = 9.0072e+15: Poisson-type entropy: needs a finite
    rate 0 < c < 2⁵² = 4.5036e+15 (c = lam), got c = 9.0072e+15
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from symgeom.errors import OutOfRangeError

#: core dimensions of each input kind (the rest of an array's shape is the batch)
CORE_RANK = {"scalar": 0, "vector": 1, "matrix": 2}
#: float64's range, as refusals quote it
FLOAT64_RANGE = f"|x| ≤ {np.finfo(np.float64).max:.4g}, nonzero |x| ≥ {np.nextafter(0.0, 1.0):.2g}"


def _batched(spec: Sequence[Any], arrays: Sequence[np.ndarray]) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """(batch shape, each input reshaped to (N, *core)) with the batch dimensions broadcast."""
    cores = [CORE_RANK[inp.kind] for inp in spec]
    batch = np.broadcast_shapes(*(a.shape[: a.ndim - c] for a, c in zip(arrays, cores, strict=True)))
    n = int(np.prod(batch)) if batch else 1
    flat = [np.broadcast_to(a, batch + a.shape[a.ndim - c:]).reshape((n, *a.shape[a.ndim - c:]))
            for a, c in zip(arrays, cores, strict=True)]
    return batch, flat


def first_refused(run: Callable[..., Any], spec: Sequence[Any], arrays: Sequence[np.ndarray]
                  ) -> tuple[tuple[int, ...], ArithmeticError] | None:
    """(batch index, its error) of the first entry on which ``run`` raises ArithmeticError, found by
    bisection; None where no single entry raises (the refusal is the batch's, not one entry's)."""
    batch, flat = _batched(spec, arrays)

    def error_on(lo: int, hi: int) -> ArithmeticError | None:
        try:
            with np.errstate(all="ignore"):
                run(*[f[lo:hi] for f in flat])
        except ArithmeticError as error:
            return error
        return None

    lo, hi = 0, flat[0].shape[0] if flat else 1
    error = error_on(lo, hi)
    if error is None:
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        left = error_on(lo, mid)
        if left is not None:
            hi, error = mid, left
            continue
        right = error_on(mid, hi)
        if right is None:
            return None
        lo, error = mid, right
    index = tuple(int(i) for i in np.unravel_index(lo, batch)) if batch else ()
    return index, error


def values_at(spec: Sequence[Any], arrays: Sequence[np.ndarray], where: tuple[int, ...]) -> str:
    """'lam_1 = 2, lam_2 = 3e+300' at batch index ``where`` (vectors and matrices as lists)."""
    batch, flat = _batched(spec, arrays)
    n = int(np.ravel_multi_index(where, batch)) if batch else 0
    parts = []
    for inp, f in zip(spec, flat, strict=True):
        value = f[n]
        shown = f"{float(value):.6g}" if np.ndim(value) == 0 else np.array2string(
            np.asarray(value, dtype=float), precision=6, separator=", ", threshold=12)
        parts.append(f"{inp.name} = {shown}")
    return ", ".join(parts)


def named(what: str, spec: Sequence[Any], arrays: Sequence[np.ndarray], where: tuple[int, ...] | None,
          reason: str) -> OutOfRangeError:
    """The :class:`OutOfRangeError` for ``what`` ("entropy of poisson[rate]") refused at batch
    index ``where`` (None: the whole batch) for ``reason`` (which states the limit)."""
    if where is None:
        return OutOfRangeError(f"{what} refused for this batch (no single entry is refused alone): {reason}")
    at = f" at index {where}" if where else ""
    return OutOfRangeError(f"{what} refused{at}, {values_at(spec, arrays, where)}: {reason}")


def size_name(family: Any, value: object, default: str) -> str:
    """The key of ``family.size`` (its declared sizes, e.g. ("r", 2000)) whose value is ``value``;
    ``default`` where no declared size has it (a custom family)."""
    for key, declared in getattr(family, "size", ()):
        if declared == value:
            return key
    return default
