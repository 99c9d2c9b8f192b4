"""How each family's numeric functions take their inputs (grouped arrays) and how those are checked.

Scalar charts (Bernoulli, univariate Gaussian) take one broadcastable array per parameter.
Categorical takes whole vectors of shape (..., k): probabilities p (class k included) or logits z
(any shift).  The multivariate Gaussian takes μ of shape (..., d) and Σ of shape (..., d, d)
(full) or the diagonal σ², σ or log σ of shape (..., d).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from symgeom.errors import InvalidParameterError
from symgeom.families.base import Family
from symgeom.numeric.coerce import real_array


@dataclass(frozen=True)
class Input:
    """One argument of a compiled function: its name, its shape and its domain, in words.

    ``check`` is ``interval`` (entries within ``lower``/``upper``, each bound accepted where
    ``lower_included``/``upper_included``, from the family's parameters), ``simplex``
    (probability vector, entries in [0, 1]) or ``covariance`` (symmetric positive definite matrix).
    """

    name: str
    shape: str
    domain: str
    kind: str  # "scalar" | "vector" | "matrix"
    check: str  # "interval" | "simplex" | "covariance"
    lower: float | None = None
    upper: float | None = None
    lower_included: bool = False
    upper_included: bool = False


def _size_name(family: Family, n: int, any_size: bool) -> str:
    """The family's size key whose value is n (so shapes read (..., k)), else n itself."""
    if any_size:
        for key, value in family.size:
            if value == n:
                return key
    return str(n)


def matrix_order(count: int) -> int:
    """d with d(d+1)/2 = ``count``."""
    d = int((np.sqrt(8 * count + 1) - 1) / 2)
    return d + 1 if (d + 1) * (d + 2) // 2 <= count else d


def inputs(family: Family, any_size: bool = False) -> tuple[Input, ...]:
    """The grouped inputs describing one parameter point θ of ``family`` in its chart.

    Read from the chart's :class:`~symgeom.families.base.ArrayArgument` declarations and the
    parameters' bounds.  ``any_size`` leaves the sizes free: shapes read (..., k).
    """
    out = []
    start = 0
    for arg in family.chart.array_arguments:
        pars = family.parameters[start : start + arg.count]
        start += arg.count
        lower, upper = _common_bounds(pars)
        ends = {"lower_included": pars[0].lower_included, "upper_included": pars[0].upper_included}
        domain = _domain(lower, upper, **ends)
        if arg.form == "scalar":
            out.append(Input(arg.name, "(...)", domain, "scalar", "interval", lower, upper, **ends))
        elif arg.form == "vector":
            n = _size_name(family, arg.count, any_size)
            out.append(Input(arg.name, f"(..., {n})", domain, "vector", "interval", lower, upper, **ends))
        elif arg.form == "simplex":
            n = _size_name(family, arg.count + 1, any_size)
            out.append(Input(arg.name, f"(..., {n})", "pᵢ ∈ [0, 1], Σpᵢ = 1", "vector", "simplex", 0.0, 1.0,
                             True, True))
        elif arg.form == "pinned":
            n = _size_name(family, arg.count + 1, any_size)
            out.append(
                Input(arg.name, f"(..., {n})", "real, any common shift", "vector", "interval", lower, upper,
                      **ends)
            )
        else:
            d = _size_name(family, matrix_order(arg.count), any_size)
            shape = f"(..., {d}, {d})"
            out.append(Input(arg.name, shape, "symmetric positive definite", "matrix", "covariance"))
    return tuple(out)


def _common_bounds(pars: tuple) -> tuple[float | None, float | None]:
    """The bounds shared by all ``pars`` (an array argument's entries share one domain)."""
    return pars[0].lower, pars[0].upper


def _domain(lower: float | None, upper: float | None, lower_included: bool = False,
            upper_included: bool = False) -> str:
    left = "≤" if lower_included else "<"
    right = "≤" if upper_included else "<"
    if lower is not None and upper is not None:
        return f"{lower:g} {left} value {right} {upper:g}"
    if lower is not None:
        return f"value {'≥' if lower_included else '>'} {lower:g}"
    if upper is not None:
        return f"value {right} {upper:g}"
    return "real"


def unpack(family: Family, arrays: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    """Grouped arrays of one point → one array per entry of ``family.symbols()`` (chart order)."""
    return unpack_layout(layout(family), arrays)


def layout(family: Family) -> tuple[tuple[str, int], ...]:
    """(form, count) of each array argument of ``family``'s chart: all :func:`unpack` reads."""
    return tuple((arg.form, arg.count) for arg in family.chart.array_arguments)


def unpack_layout(forms: tuple[tuple[str, int], ...], arrays: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    """:func:`unpack` from the chart's :func:`layout` (NumPy only: exported modules carry it)."""
    out: list[np.ndarray] = []
    for (form, count), v in zip(forms, arrays, strict=True):
        if form == "scalar":
            out.append(v)
        elif form in ("vector", "simplex"):
            out += [v[..., i] for i in range(count)]
        elif form == "pinned":
            out += [v[..., i] - v[..., -1] for i in range(count)]
        else:
            d = matrix_order(count)
            # the upper triangle row by row (combinations_with_replacement's order), written as
            # plain loops: torch.compile traces them, not the itertools object
            out += [v[..., i, j] for i in range(d) for j in range(i, d)]
    return out


def group(family: Family, theta: np.ndarray) -> tuple[np.ndarray, ...]:
    """Chart coordinates θ (shape (n,)) → the grouped arrays of one point; inverse of :func:`unpack`.

    A simplex gets its last entry 1 − Σ, a pinned vector a last entry 0, a matrix both triangles.
    """
    out: list[np.ndarray] = []
    start = 0
    for arg in family.chart.array_arguments:
        values = np.asarray(theta[start : start + arg.count], dtype=float)
        start += arg.count
        if arg.form == "scalar":
            out.append(np.float64(values[0]))
        elif arg.form == "vector":
            out.append(values)
        elif arg.form == "simplex":
            out.append(np.append(values, 1.0 - values.sum()))
        elif arg.form == "pinned":
            out.append(np.append(values, 0.0))
        else:
            d = matrix_order(arg.count)
            rows, cols = np.triu_indices(d)
            matrix = np.zeros((d, d))
            matrix[rows, cols] = values
            matrix[cols, rows] = values
            out.append(matrix)
    return tuple(out)


def joint_constraints(family: Family) -> tuple[tuple[object, str], ...]:
    """The chart's joint constraints not already implied by an array form (simplex, Σ ≻ 0).

    Each is (a NumPy predicate of the chart scalars, its text).
    """
    import sympy as sp

    covered: set[sp.Symbol] = set()
    start = 0
    for arg in family.chart.array_arguments:
        if arg.form in ("simplex", "positive_definite"):
            covered |= set(family.symbols()[start : start + arg.count])
        start += arg.count
    out = []
    for relation, text in family.chart.constraints:
        if relation.free_symbols <= covered:
            continue
        out.append((sp.lambdify(family.symbols(), relation, modules="numpy"), text))
    return tuple(out)


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
    for inp, arg, arr in zip(spec, family.chart.array_arguments, arrays, strict=True):
        name = f"{inp.name}{label}"
        if inp.kind == "vector":
            n = arg.count + (arg.form in ("simplex", "pinned"))
            if arr.ndim < 1 or (arr.shape[-1] != n and not any_size):
                raise InvalidParameterError(
                    f"{name} must have shape {inp.shape} for {family.label}, got {arr.shape}"
                )
        if inp.kind == "matrix":
            d = arr.shape[-1] if any_size and arr.ndim else matrix_order(arg.count)
            if arr.ndim < 2 or arr.shape[-2:] != (d, d):
                raise InvalidParameterError(
                    f"{name} must have shape {inp.shape} for {family.label}, got {arr.shape}"
                )
        if values:
            _check_values(name, inp, arr)
    if values and not any_size:
        _check_joint(family, arrays, label)


def _check_joint(family: Family, arrays: tuple[np.ndarray, ...], label: str) -> None:
    constraints = joint_constraints(family)
    if not constraints:
        return
    scalars = unpack(family, arrays)
    for predicate, text in constraints:
        ok = np.asarray(predicate(*scalars))
        if not np.all(ok):
            where = tuple(int(i) for i in np.argwhere(~ok)[0]) if ok.ndim else ()
            at = f" at index {where}" if where else ""
            raise InvalidParameterError(
                f"point{label} of {family.label} violates a joint constraint{at}: {text}"
            )


def _check_values(name: str, inp: Input, arr: np.ndarray) -> None:
    check = inp.check
    # Fast path: two reductions decide validity (nan propagates through min and max, so it
    # fails every comparison); the slower elementwise checks below only run to name the culprit.
    if arr.size and check != "covariance" and _in_range(inp, np.min(arr), np.max(arr), arr.dtype):
        if check != "simplex":
            return
    elif not arr.size:
        return
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError(f"{name} must be finite, got {_first_bad(arr, ~np.isfinite(arr))}")
    if check in ("interval", "simplex"):
        bad = ~_elementwise_ok(inp, arr)
        if bad.any():
            raise InvalidParameterError(f"{name} must {_bound_text(inp)}, got {_first_bad(arr, bad)}")
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


def _bound_text(inp: Input) -> str:
    return domain_text(inp, finite_checked=True)


def domain_text(inp: Input, finite_checked: bool = False) -> str:
    """An argument's domain in words, after "must": the one wording of every backend's errors.

    ``finite_checked``: finiteness was reported separately, so an open bound reads "be > 0"
    instead of "be finite and > 0".
    """
    if inp.check == "simplex" and not finite_checked:  # else: the entries' part, sums come apart
        return "lie in [0, 1] with rows summing to 1 (within √ε)"
    if inp.check == "covariance":
        return "be symmetric and positive definite" if finite_checked else (
            "be finite, symmetric and positive definite")
    lower, upper = inp.lower, inp.upper
    finite = "" if finite_checked else "finite and "
    if lower is not None and upper is not None:
        left = "[" if inp.lower_included else "("
        right = "]" if inp.upper_included else ")"
        return f"lie in {left}{lower:g}, {upper:g}{right}"
    if lower is not None:
        return f"be {finite}{'≥' if inp.lower_included else '>'} {lower:g}"
    if upper is not None:
        return f"be {finite}{'≤' if inp.upper_included else '<'} {upper:g}"
    return "be finite"


class RangeObserver:
    """Decides, block by block while the kernel's inputs are in cache, whether all are in range.

    ``spec`` are the arguments in call order; ``sums`` also bounds |Σpᵢ − 1| of simplex
    rows.  ``ok`` stays True only if every block of every argument passed; a nan anywhere fails
    (it propagates through min, max and sums, and fails every comparison).  A simplex block needs
    no maximum: entries ≥ 0 whose rows sum to 1 within the tolerance are at most 1 + tolerance.
    """

    def __init__(self, spec: list[Input], sums: bool) -> None:
        self.spec = spec
        self.sums = sums
        self.ok = True
        #: Some block of an argument whose domain starts at 0 holds a −0.0 (see :func:`signed_zero`).
        self.negative_zero = False
        # Interval bounds as floats once (∓inf where open-ended), so that a block costs its two
        # reductions and a few float comparisons, not a walk through the Input per block.
        self._bounds = [_interval_bounds(inp) for inp in spec]

    def __call__(self, blocks: list[np.ndarray], row_sums: list[np.ndarray] | None = None) -> None:
        """Check one block of every argument; ``row_sums`` are Σ over the last axis, if known."""
        if not self.ok:
            return
        for index, (inp, block) in enumerate(zip(self.spec, blocks, strict=True)):
            if not block.size:
                continue
            bounds = self._bounds[index]
            if inp.check == "simplex" and (self.sums or row_sums is not None):
                sums = np.sum(block, axis=-1) if row_sums is None else row_sums[index]
                low = _MIN(block, axis=None)
                ok = _simplex_block_ok(block, sums, self.sums, low)
            elif bounds is None:
                low = np.min(block)
                ok = _in_range(inp, low, np.max(block), block.dtype)
            else:
                lower, upper, lower_in, upper_in = bounds
                low, high = _MIN(block, axis=None), _MAX(block, axis=None)
                # nan fails every comparison; ∓inf fail the strict ones and the finite included ones.
                ok = ((lower <= low) if lower_in else (lower < low)) and (
                    (high <= upper) if upper_in else (high < upper))
            if not ok:
                self.ok = False
                return
            if low == 0 and zero_closed(inp) and np.signbit(block).any():
                self.negative_zero = True


_MIN, _MAX = np.minimum.reduce, np.maximum.reduce


def _interval_bounds(inp: Input) -> tuple[float, float, bool, bool] | None:
    """(lower, upper, lower included, upper included) of an interval input as floats, ∓inf for a
    missing bound; None for simplex and covariance inputs (their top depends on the dtype, or they
    are not intervals)."""
    if inp.check != "interval":
        return None
    lower = -np.inf if inp.lower is None else float(inp.lower)
    upper = np.inf if inp.upper is None else float(inp.upper)
    return lower, upper, inp.lower_included, inp.upper_included


def _simplex_block_ok(block: np.ndarray, sums: np.ndarray, check_sums: bool, low: float) -> bool:
    """Entries in [0, 1 + tol] (and, if ``check_sums``, |Σ − 1| ≤ tol) from the row sums Σ.

    Entries ≥ 0 of rows that sum to at most 1 + tol are at most 1 + tol: the maximum over the
    block is only needed where a row sums to more.
    """
    tolerance = sum_tolerance(block.dtype)
    if not low >= 0:
        return False
    if check_sums:
        return bool(np.max(np.abs(sums - 1)) <= tolerance)
    return bool(np.max(sums) <= 1 + tolerance or np.max(block) <= 1 + tolerance)


def invalid_mask(family: Family, arrays: tuple[np.ndarray, ...], any_size: bool = False) -> np.ndarray | None:
    """Where (over the batch shape) some input of one point is outside its domain; None if nowhere.

    Two reductions per array decide the common all-valid case; only then is a mask built.
    Checked: finiteness, the parameter bounds, and joint constraints of scalar charts.  Not
    checked: simplex sums (vectors are read as proportional to the distributions) and Σ, whose
    non-positive-definite entries already come out as nan from the kernels.
    """
    mask: np.ndarray | None = None
    for inp, arr in zip(inputs(family, any_size), arrays, strict=True):
        if inp.check == "covariance" or not arr.size:
            continue
        if _in_range(inp, np.min(arr), np.max(arr), arr.dtype):
            continue
        bad = ~_elementwise_ok(inp, arr)
        rank = {"scalar": 0, "vector": 1, "matrix": 2}[inp.kind]
        if rank:
            bad = bad.any(axis=tuple(range(-rank, 0)))
        mask = bad if mask is None else np.logical_or(mask, bad)
    constraints = () if any_size else joint_constraints(family)
    if constraints:
        scalars = unpack(family, arrays)
        with np.errstate(all="ignore"):
            for predicate, _ in constraints:
                bad = ~np.asarray(predicate(*scalars), dtype=bool)
                if bad.any():
                    mask = bad if mask is None else np.logical_or(mask, bad)
    return mask


def _top(inp: Input, dtype: np.dtype) -> float | None:
    """Largest accepted entry: the upper bound; for a simplex entry 1 + the sum tolerance, since
    entries ≥ 0 of a row that sums to 1 within that tolerance can exceed 1 by as much."""
    return 1 + sum_tolerance(dtype) if inp.check == "simplex" else inp.upper


def zero_closed(inp: Input) -> bool:
    """Whether 0 is an accepted value of ``inp`` (a simplex entry, or an interval [0, upper])."""
    return inp.check == "simplex" or (inp.check == "interval" and inp.lower_included and inp.lower == 0)


def signed_zero(spec: tuple[Input, ...] | list[Input], arrays: list[np.ndarray]) -> bool:
    """Whether an argument whose domain starts at 0 holds a −0.0 (one reduction per such argument;
    the sign bit is read only where the minimum is 0)."""
    for inp, arr in zip(spec, arrays, strict=True):
        if arr.size and zero_closed(inp) and np.min(arr) == 0 and np.signbit(arr).any():
            return True
    return False


def unsigned_zeros(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """The arrays with every −0.0 read as +0.0 (x + 0 = +0 for x = −0 in round-to-nearest).

    p = −0.0 passes 0 ≤ p (IEEE: −0 = +0) but flips the sign of 1/p, so a kernel written for
    p ∈ [0, 1] returned −inf or nan (Binomial Fisher −inf at p = −0, KL(p‖−0) nan); the sign of
    zero carries no meaning for a probability, so it is dropped before evaluating.
    """
    return [arr + arr.dtype.type(0) for arr in arrays]


def _elementwise_ok(inp: Input, arr: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(arr)
        top = _top(inp, arr.dtype)
        if inp.lower is not None:
            ok &= (arr >= inp.lower) if inp.lower_included else (arr > inp.lower)
        if top is not None:
            ok &= (arr <= top) if inp.upper_included else (arr < top)
        return ok


def _in_range(inp: Input, low: float, high: float, dtype: np.dtype) -> bool:
    if not (np.isfinite(low) and np.isfinite(high)):
        return False
    top = _top(inp, dtype)
    if inp.lower is not None and not ((low >= inp.lower) if inp.lower_included else (low > inp.lower)):
        return False
    return top is None or bool((high <= top) if inp.upper_included else (high < top))


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
