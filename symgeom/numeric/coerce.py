"""The strict front door for numeric array arguments: real numbers in a rectangular array, or a
SymgeomError naming the argument — never a silent cast (complex → real, "0.5" → 0.5)."""

from __future__ import annotations

import numbers

import numpy as np

from symgeom.errors import InvalidParameterError

_KEPT = (np.dtype(np.float32), np.dtype(np.float64))


def real_array(x: object, name: str) -> np.ndarray:
    """``x`` as a float32/float64 array (float32 and float64 are kept; bool, int → float64).

    Rejected with :class:`InvalidParameterError` naming ``name``: None, strings and bytes
    (also inside sequences), dicts and sets, complex numbers, ragged nested sequences,
    integers beyond float64's range (10**400), and any other non-numeric object.
    """
    if x is None:
        raise InvalidParameterError(f"{name} must be an array of real numbers, got None")
    if isinstance(x, str | bytes):
        raise InvalidParameterError(f"{name} must be an array of real numbers, got the string {x!r:.40}")
    if isinstance(x, dict | set | frozenset):
        raise InvalidParameterError(
            f"{name} must be an array of real numbers, got a {type(x).__name__}"
        )
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError, OverflowError):
        raise InvalidParameterError(
            f"{name} must be a rectangular array of real numbers (nested sequences of equal "
            "length)"
        ) from None
    if arr.dtype in _KEPT:
        return arr
    if np.iscomplexobj(arr):
        raise InvalidParameterError(
            f"{name} must be real, got complex values (the imaginary part would be lost)"
        )
    kind = arr.dtype.kind
    if kind in "biuf":
        return arr.astype(np.float64)
    if kind == "O":
        return _from_objects(arr, name)
    raise InvalidParameterError(
        f"{name} must be an array of real numbers, got dtype {arr.dtype} "
        f"({_kind_text(kind)})"
    )


def _kind_text(kind: str) -> str:
    return {"U": "strings", "S": "bytes", "M": "datetimes", "m": "timedeltas", "V": "records"}.get(
        kind, "not numbers"
    )


def _from_objects(arr: np.ndarray, name: str) -> np.ndarray:
    """Object arrays: Python ints (maybe huge), floats, Fractions … but nothing else."""
    out = np.empty(arr.shape, dtype=np.float64)
    flat = out.reshape(-1)
    for index, item in enumerate(arr.reshape(-1)):
        if isinstance(item, bool | np.bool_) or not isinstance(item, numbers.Real):
            what = "complex" if isinstance(item, numbers.Complex) else type(item).__name__
            raise InvalidParameterError(
                f"{name} must be an array of real numbers, got a {what} entry {item!r:.40}"
                if not isinstance(item, list | tuple)
                else f"{name} must be a rectangular array of real numbers (nested sequences "
                "of equal length)"
            )
        try:
            flat[index] = float(item)
        except OverflowError:
            raise InvalidParameterError(
                f"{name} has an entry too large for float64 (|x| > 1.8e308): {str(item)[:20]}…"
            ) from None
    return out


def float64_array(x: object, name: str) -> np.ndarray:
    """:func:`real_array`, always as float64 (for the natural-gradient code's linear algebra)."""
    return real_array(x, name).astype(np.float64, copy=False)


def real_number(x: object, name: str) -> float:
    """A real scalar (int, float, 0-d array) as a float; anything else is an InvalidParameterError.

    Bounds are the caller's to check; nan and ±inf come back as they are.
    """
    if isinstance(x, bool | np.bool_) or x is None or isinstance(x, str | bytes):
        raise InvalidParameterError(f"{name} must be a real number, got {x!r:.40}")
    arr = real_array(x, name)
    if arr.ndim != 0:
        raise InvalidParameterError(f"{name} must be a real number, got an array of shape {arr.shape}")
    return float(arr)


def whole_number(x: object, name: str) -> int:
    """An integer (Python or NumPy int, not bool) as an int; anything else is an InvalidParameterError."""
    if isinstance(x, bool | np.bool_) or not isinstance(x, numbers.Integral):
        raise InvalidParameterError(f"{name} must be an integer, got {x!r:.40}")
    return int(x)
