"""How each family's numeric functions take their inputs (grouped arrays) and how those are checked.

Scalar charts (Bernoulli, univariate Gaussian) take one broadcastable array per parameter.
Categorical takes whole vectors of shape (..., k): probabilities p (class k included) or logits z
(any shift).  The multivariate Gaussian takes μ of shape (..., d) and Σ of shape (..., d, d)
(full) or the diagonal σ², σ or log σ of shape (..., d).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from itertools import combinations_with_replacement

import numpy as np

from symgeom.errors import InvalidParameterError
from symgeom.families.base import Family
from symgeom.numeric.coerce import real_array


@dataclass(frozen=True)
class Input:
    """One argument of a compiled function: its name, its shape and its domain, in words."""

    name: str
    shape: str
    domain: str
    kind: str  # "scalar" | "vector" | "matrix"
    check: str  # "real" | "positive" | "negative" | "probability" | "simplex" | "covariance"


def inputs(family: Family, any_size: bool = False) -> tuple[Input, ...]:
    """The grouped inputs describing one parameter point θ of ``family`` in its chart.

    ``any_size`` leaves k (Categorical) or d (MultivariateGaussian) free: shapes read (..., k).
    """
    sizes = dict(family.size)
    if any_size:
        sizes.update({key: key for key in ("k", "d") if key in sizes})
    if family.name == "categorical":
        k = sizes["k"]
        if family.param == "probs":
            return (Input("p", f"(..., {k})", "pᵢ ∈ [0, 1], Σpᵢ = 1", "vector", "simplex"),)
        return (Input("z", f"(..., {k})", "real logits, any shift", "vector", "real"),)
    if family.name == "multivariate_gaussian":
        d = sizes["d"]
        mean = Input("mu", f"(..., {d})", "real", "vector", "real")
        if sizes["covariance"] == "full":
            return mean, Input(
                "Sigma", f"(..., {d}, {d})", "symmetric positive definite", "matrix", "covariance"
            )
        par = family.parameters[d]
        name = par.name.rstrip("0123456789").rstrip("_")
        return mean, Input(name, f"(..., {d})", _domain(par.lower, par.upper), "vector", _check(par))
    return tuple(
        Input(par.name, "(...)", _domain(par.lower, par.upper), "scalar", _check(par))
        for par in family.parameters
    )


def _check(par: object) -> str:
    lower, upper = par.lower, par.upper
    if lower == 0 and upper == 1:
        return "probability"
    if lower == 0:
        return "positive"
    if upper == 0:
        return "negative"
    return "real"


def _domain(lower: float | None, upper: float | None) -> str:
    if lower == 0 and upper == 1:
        return "0 ≤ value ≤ 1"
    if lower == 0:
        return "value > 0"
    if upper == 0:
        return "value < 0"
    return "real"


def unpack(family: Family, arrays: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    """Grouped arrays of one point → one array per entry of ``family.symbols()`` (chart order)."""
    sizes = dict(family.size)
    if family.name == "categorical":
        (v,) = arrays
        if family.param == "probs":
            return [v[..., i] for i in range(sizes["k"] - 1)]
        return [v[..., i] - v[..., -1] for i in range(sizes["k"] - 1)]
    if family.name == "multivariate_gaussian":
        d = sizes["d"]
        mu, second = arrays
        means = [mu[..., i] for i in range(d)]
        if sizes["covariance"] == "full":
            return means + [second[..., i, j] for i, j in combinations_with_replacement(range(d), 2)]
        return means + [second[..., i] for i in range(d)]
    return list(arrays)


# --- validation -----------------------------------------------------------------------------------
@functools.cache
def sum_tolerance(dtype: np.dtype) -> float:
    """|Σpᵢ − 1| accepted for a probability vector: √ε of its dtype.

    That is 1.5e-8 in float64 and 3.5e-4 in float32.
    """
    return float(np.sqrt(np.finfo(dtype).eps)) if np.issubdtype(dtype, np.floating) else 1.5e-8


def as_float(x: object, name: str = "argument") -> np.ndarray:
    """A floating array: float32 and float64 are kept, other real inputs become float64;
    anything else raises InvalidParameterError naming ``name`` (see numeric.coerce)."""
    return real_array(x, name)


def validate(
    family: Family,
    arrays: tuple[np.ndarray, ...],
    label: str,
    any_size: bool = False,
    values: bool = True,
) -> None:
    """Raise InvalidParameterError naming the argument and the violated constraint.

    ``values=False`` checks shapes only (the values are then checked block by block).
    """
    spec = inputs(family, any_size)
    sizes = dict(family.size)
    for inp, arr in zip(spec, arrays, strict=True):
        name = f"{inp.name}{label}"
        if inp.kind == "vector":
            n = sizes.get("k", sizes.get("d"))
            if arr.ndim < 1 or (arr.shape[-1] != n and not any_size):
                raise InvalidParameterError(
                    f"{name} must have shape {inp.shape} for {family.label}, got {arr.shape}"
                )
        if inp.kind == "matrix":
            d = arr.shape[-1] if any_size and arr.ndim else sizes["d"]
            if arr.ndim < 2 or arr.shape[-2:] != (d, d):
                raise InvalidParameterError(
                    f"{name} must have shape {inp.shape} for {family.label}, got {arr.shape}"
                )
        if values:
            _check_values(name, inp.check, arr)


def _check_values(name: str, check: str, arr: np.ndarray) -> None:
    # Fast path: two reductions decide validity (nan propagates through min and max, so it
    # fails every comparison); the slower elementwise checks below only run to name the culprit.
    if arr.size and check != "covariance" and _in_range(check, np.min(arr), np.max(arr), arr.dtype):
        if check != "simplex":
            return
    elif not arr.size:
        return
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError(f"{name} must be finite, got {_first_bad(arr, ~np.isfinite(arr))}")
    if check == "positive" and not np.all(arr > 0):
        raise InvalidParameterError(f"{name} must be > 0, got {_first_bad(arr, ~(arr > 0))}")
    if check == "negative" and not np.all(arr < 0):
        raise InvalidParameterError(f"{name} must be < 0, got {_first_bad(arr, ~(arr < 0))}")
    if check in ("probability", "simplex"):
        bad = ~_elementwise_ok(check, arr)
        if bad.any():
            raise InvalidParameterError(f"{name} must lie in [0, 1], got {_first_bad(arr, bad)}")
    if check == "simplex":
        total = np.sum(arr, axis=-1)
        tol = sum_tolerance(arr.dtype)
        off = np.abs(total - 1) > tol
        if off.any():
            raise InvalidParameterError(
                f"{name} must sum to 1 along its last axis (within {tol:.1e}), "
                f"got sum {_first_bad(total, off)}"
            )
    if check == "covariance":
        asym = np.abs(arr - np.swapaxes(arr, -1, -2))
        scale = np.abs(arr).max(axis=(-1, -2), keepdims=True)
        tol = 8 * np.finfo(arr.dtype).eps
        if np.any(asym > tol * scale):
            raise InvalidParameterError(f"{name} must be symmetric")
        low = np.linalg.eigvalsh(arr)[..., 0]
        if not np.all(low > 0):
            shown = _first_bad(low, ~(low > 0))
            raise InvalidParameterError(f"{name} must be positive definite, got smallest eigenvalue {shown}")


class RangeObserver:
    """Decides, block by block while the kernel's inputs are in cache, whether all are in range.

    ``checks`` are the arguments' checks in call order; ``sums`` also bounds |Σpᵢ − 1| of simplex
    rows.  ``ok`` stays True only if every block of every argument passed; a nan anywhere fails
    (it propagates through min, max and sums, and fails every comparison).  A simplex block needs
    no maximum: entries ≥ 0 whose rows sum to 1 within the tolerance are at most 1 + tolerance.
    """

    def __init__(self, checks: list[str], sums: bool) -> None:
        self.checks = checks
        self.sums = sums
        self.ok = True

    def __call__(self, blocks: list[np.ndarray], row_sums: list[np.ndarray] | None = None) -> None:
        """Check one block of every argument; ``row_sums`` are Σ over the last axis, if known."""
        if not self.ok:
            return
        for index, (check, block) in enumerate(zip(self.checks, blocks, strict=True)):
            if not block.size:
                continue
            if check == "simplex" and (self.sums or row_sums is not None):
                sums = np.sum(block, axis=-1) if row_sums is None else row_sums[index]
                ok = _simplex_block_ok(block, sums, self.sums)
            else:
                ok = _in_range(check, np.min(block), np.max(block), block.dtype)
            if not ok:
                self.ok = False
                return


def _simplex_block_ok(block: np.ndarray, sums: np.ndarray, check_sums: bool) -> bool:
    """Entries in [0, 1 + tol] (and, if ``check_sums``, |Σ − 1| ≤ tol) from the row sums Σ.

    Entries ≥ 0 of rows that sum to at most 1 + tol are at most 1 + tol: the maximum over the
    block is only needed where a row sums to more.
    """
    tolerance = sum_tolerance(block.dtype)
    if not np.min(block) >= 0:
        return False
    if check_sums:
        return bool(np.max(np.abs(sums - 1)) <= tolerance)
    return bool(np.max(sums) <= 1 + tolerance or np.max(block) <= 1 + tolerance)


def invalid_mask(family: Family, arrays: tuple[np.ndarray, ...], any_size: bool = False) -> np.ndarray | None:
    """Where (over the batch shape) some input of one point is outside its domain; None if nowhere.

    Two reductions per array decide the common all-valid case; only then is a mask built.
    Checked: finiteness, the bounds (p ∈ [0, 1], σ > 0, η₂ < 0).  Not checked: simplex sums
    (vectors are read as proportional to the distributions) and Σ, whose non-positive-definite
    entries already come out as nan from the kernels.
    """
    mask: np.ndarray | None = None
    for inp, arr in zip(inputs(family, any_size), arrays, strict=True):
        if inp.check == "covariance" or not arr.size:
            continue
        check = inp.check
        if _in_range(check, np.min(arr), np.max(arr), arr.dtype):
            continue
        bad = ~_elementwise_ok(check, arr)
        rank = {"scalar": 0, "vector": 1, "matrix": 2}[inp.kind]
        if rank:
            bad = bad.any(axis=tuple(range(-rank, 0)))
        mask = bad if mask is None else np.logical_or(mask, bad)
    return mask


def _top(check: str, dtype: np.dtype) -> float:
    """Largest accepted entry: 1 for a probability; 1 + the sum tolerance for a simplex entry,
    since entries ≥ 0 of a row that sums to 1 within that tolerance can exceed 1 by as much."""
    return 1 + sum_tolerance(dtype) if check == "simplex" else 1


def _elementwise_ok(check: str, arr: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        if check in ("probability", "simplex"):
            return (arr >= 0) & (arr <= _top(check, arr.dtype))
        if check == "positive":
            return (arr > 0) & np.isfinite(arr)
        if check == "negative":
            return (arr < 0) & np.isfinite(arr)
        return np.isfinite(arr)


def _in_range(check: str, low: float, high: float, dtype: np.dtype) -> bool:
    if not (np.isfinite(low) and np.isfinite(high)):
        return False
    if check in ("probability", "simplex"):
        return bool(low >= 0 and high <= _top(check, dtype))
    if check == "positive":
        return bool(low > 0)
    if check == "negative":
        return bool(high < 0)
    return True


def _first_bad(arr: np.ndarray, bad: np.ndarray) -> str:
    bad = np.asarray(bad)
    index = np.unravel_index(int(np.argmax(bad)), bad.shape) if bad.ndim else ()
    index = tuple(int(i) for i in index)
    value = np.asarray(arr[index] if index else arr).item()
    where = f" at index {index}" if index else ""
    return f"{value!r}{where}"


def broadcast_check(names: list[str], arrays: list[np.ndarray], core: list[int]) -> None:
    """Raise InvalidParameterError when batch shapes (minus ``core`` trailing axes) clash."""
    batches = [a.shape[: a.ndim - c] for a, c in zip(arrays, core, strict=True)]
    try:
        np.broadcast_shapes(*batches)
    except ValueError:
        shown = ", ".join(f"{n}{s}" for n, s in zip(names, batches, strict=True))
        raise InvalidParameterError(f"batch shapes do not broadcast: {shown}") from None
