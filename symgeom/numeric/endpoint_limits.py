"""Values at accepted endpoints of a domain: the one-sided limit of the derived closed form.

A parameter declared ``lower_included``/``upper_included`` (Binomial p ∈ [0, 1], Geometric
p ∈ (0, 1]) is a distribution there too, a point mass, and the quantity has a value:

    f(…, θᵢ = a, …) = lim_{θᵢ → a⁺} f(…, θᵢ, …)   (θᵢ → b⁻ at an upper endpoint b),

e.g. KL(Bin(4, 0)‖Bin(4, q)) = lim_{p→0⁺} 4p log(p/q) + 4(1−p) log((1−p)/(1−q)) = −4 log(1−q).
Where a stable form is undefined at the endpoint (a natural parameter log(p/(1−p)) = −∞) the
compiled function evaluates this limit instead.  It is derived by SymPy once per (family,
quantity, endpoint pattern) and cached with the derivations (:mod:`symgeom.cache`): the limits
are taken one argument at a time in argument order, so for a KL the first point's (θ₁ → a with
θ₂ inside, where the expectation under the point mass is continuous in θ₂) before the second's.
Where SymPy finds no limit (or not within :data:`LIMIT_SECONDS`), none is used and the
endpoint is refused by name, as before.  The limit's logarithms are then rewritten for
precision (:func:`_stable`; that rewrite is checked numerically, not proved).  Nothing here
knows a family: the endpoints, the arguments and the closed form are the family's data and its
derivation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from symgeom.cache import cached
from symgeom.numeric.inputs import Input

if TYPE_CHECKING:
    from symgeom.families.base import Family

#: wall-clock bound on SymPy's limit of one entry at one endpoint (the ones found take < 2 s)
LIMIT_SECONDS = 30.0

#: one entry per argument: 0 inside the domain, −1 on its included lower end, +1 on its upper end
Pattern = tuple[int, ...]


def applies(spec: tuple[Input, ...]) -> bool:
    """Whether the inputs are scalars (one argument each) and some have an included endpoint."""
    return all(i.kind == "scalar" and i.check == "interval" for i in spec) and any(
        (i.lower_included and i.lower is not None) or (i.upper_included and i.upper is not None) for i in spec
    )


def derivation_of(family: Family, quantity: str) -> Any:
    """The default-route derivation of ``quantity`` (kl, entropy, fisher) whose result is limited."""
    from symgeom import derive

    return getattr(derive, quantity)(family)


def _one_sided(expr: sp.Expr, symbol: sp.Symbol, bound: float, side: int,
               signed: bool = False) -> sp.Expr | None:
    """lim expr as ``symbol`` → ``bound`` from inside the domain, or None where SymPy finds none
    (or finds −∞, unless ``signed``: a value here is never −∞, a derivative can be)."""
    from symgeom.verification.timeout import TimeLimitError, run_with_time_limit

    point = sp.nsimplify(bound)
    try:
        value = run_with_time_limit(sp.limit, (expr, symbol, point, "+" if side < 0 else "-"), LIMIT_SECONDS)
    except (TimeLimitError, NotImplementedError, ValueError, TypeError):
        return None
    if value.has(sp.Limit, sp.AccumBounds, sp.nan, sp.zoo, sp.I) or (not signed and value.has(-sp.oo)):
        return None  # not found, oscillating, undefined, or not a real number
    return value


#: this module's source in the cache key: the disk cache's fingerprint covers the derivations'
#: code (families, derive, verification), not the limits and rewrites taken here
_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def limit_entries(family: Family, quantity: str, pattern: Pattern) -> tuple[sp.Expr, ...] | None:
    """The entries of ``quantity``'s derived result with each argument whose ``pattern`` entry is
    ±1 taken to that endpoint (in argument order), or None when some limit is not found."""
    return _limit_entries(family, quantity, pattern, _CODE)


@cached("endpoint_limits")
def _limit_entries(family: Family, quantity: str, pattern: Pattern, code: str) -> tuple[sp.Expr, ...] | None:
    derivation = derivation_of(family, quantity)
    result = derivation.result
    entries = list(result) if isinstance(result, sp.MatrixBase) else [result]
    spec = _spec(family, quantity)
    out = []
    for entry in entries:
        for symbol, inp, side in zip(derivation.arguments, spec, pattern, strict=True):
            if side == 0:
                continue
            entry = _one_sided(entry, symbol, inp.lower if side < 0 else inp.upper, side)
            if entry is None:
                return None
        out.append(_stable(entry, spec, tuple(derivation.arguments)))
    return tuple(out)


def derivative_entries(family: Family, quantity: str, pattern: Pattern, index: int
                       ) -> tuple[sp.Expr, ...] | None:
    """The one-sided derivative, in argument ``index`` (on its endpoint in ``pattern``), of each
    entry of ``quantity`` at ``pattern``; None where the value itself has no limit there.

    With the other arguments on their endpoints taken first (their limits, in argument order),
    g(θᵢ) is the entry along θᵢ, and the derivative is the one-sided difference quotient at the
    endpoint a, whose value is :func:`limit_entries`'s f(a):

    * lim_{θᵢ → a} g′(θᵢ) (SymPy's limit of the derivative; ±∞ where it diverges), or
    * ∓∞ where g is infinite beside the endpoint and f(a) is finite (a jump to ∞: the quotient
      (g(a + h) − f(a))/h diverges, to +∞ from a lower end), nan where both are infinite;
    * nan where SymPy finds no limit (never 0).
    """
    if limit_entries(family, quantity, pattern) is None:
        return None
    return _derivative_entries(family, quantity, pattern, index, _CODE)


@cached("endpoint_derivatives")
def _derivative_entries(family: Family, quantity: str, pattern: Pattern, index: int,
                        code: str) -> tuple[sp.Expr, ...]:
    derivation = derivation_of(family, quantity)
    result = derivation.result
    entries = list(result) if isinstance(result, sp.MatrixBase) else [result]
    values = limit_entries(family, quantity, pattern)
    spec = _spec(family, quantity)
    arguments = tuple(derivation.arguments)
    side = pattern[index]
    if side == 0:
        raise ValueError(f"argument {index} is not on an endpoint in {pattern}")
    symbol, inp = arguments[index], spec[index]
    bound = inp.lower if side < 0 else inp.upper
    out = []
    for entry, value in zip(entries, values, strict=True):
        along = entry
        for j, (other, other_inp, other_side) in enumerate(zip(arguments, spec, pattern, strict=True)):
            if other_side == 0 or j == index or along is None:
                continue
            edge = other_inp.lower if other_side < 0 else other_inp.upper
            along = _one_sided(along, other, edge, other_side, signed=True)
        infinite = None if along is None else _infinity(along, spec, arguments)
        if along is None:
            out.append(sp.nan)
        elif infinite is not None:
            out.append(-side * infinite if sp.sympify(value).is_finite else sp.nan)
        else:
            slope = _one_sided(sp.diff(along, symbol), symbol, bound, side, signed=True)
            out.append(sp.nan if slope is None else _stable(slope, spec, arguments))
    return tuple(out)


def _infinity(expr: sp.Expr, spec: tuple[Input, ...], arguments: tuple[sp.Symbol, ...]) -> sp.Expr | None:
    """±∞ where ``expr`` is that infinity inside the domain (∞·sign(1 − p) at p = 1/3), else None."""
    if not expr.has(sp.oo, -sp.oo):
        return None
    third = sp.Rational(1, 3)
    point = {a: sp.nsimplify(inside_point(i, third)) for a, i in zip(arguments, spec, strict=False)}
    value = sp.sympify(expr).subs(point)
    return value if value in (sp.oo, -sp.oo) else None


def _stable(expr: sp.Expr, spec: tuple[Input, ...], arguments: tuple[sp.Symbol, ...]) -> sp.Expr:
    """log(−1/(q − 1)) as −log1p(−q), so that q = 1e-300 keeps its digits: each logarithm of a
    ratio n/d split into log n − log d with the signs of n and d read at interior points, then
    log(1 + x) and eˣ − 1 rewritten.  The rewrite is kept only where it agrees with ``expr`` at
    those points (to 30 digits); else ``expr`` is evaluated as it is."""
    from sympy.codegen.rewriting import expm1_opt, log1p_opt, optimize

    points = [{a: sp.nsimplify(inside_point(i, t)) for a, i in zip(arguments, spec, strict=False)}
              for t in (sp.Rational(1, 3), sp.Rational(5, 7))]

    def split(arg: sp.Expr) -> sp.Expr:
        n, d = sp.fraction(sp.cancel(sp.together(arg)))
        if any(sp.sign(n.subs(point)) < 0 for point in points):
            n, d = -n, -d
        if any(sp.sign(n.subs(point)) <= 0 or sp.sign(d.subs(point)) <= 0 for point in points):
            return sp.log(arg)
        return sp.log(sp.expand(n)) - sp.log(sp.expand(d))

    rewritten = optimize(expr.replace(sp.log, split), [log1p_opt, expm1_opt])
    for point in points:
        old, new = expr.subs(point).evalf(30), rewritten.subs(point).evalf(30)
        if not (old.is_finite and new.is_finite) or abs(old - new) > 1e-25 * (1 + abs(old)):
            return expr
    return rewritten


def inside_point(inp: Input, t: sp.Rational) -> float:
    """A point inside ``inp``'s interval: lower + t(upper − lower), or t + 1 from its one bound."""
    lower, upper = inp.lower, inp.upper
    if lower is not None and upper is not None:
        return lower + float(t) * (upper - lower)
    if lower is not None:
        return lower + 1 + float(t)
    if upper is not None:
        return upper - 1 - float(t)
    return float(t)


def _spec(family: Family, quantity: str) -> tuple[Input, ...]:
    from symgeom.numeric.inputs import inputs

    one = inputs(family)
    return one + one if quantity == "kl" else one


@cache
def _function(family: Family, quantity: str, pattern: Pattern) -> Callable[..., list[Any]] | None:
    source = limit_source(family, quantity, pattern, "limit")
    if source is None:
        return None
    import scipy.special  # noqa: F401  (the printed source calls scipy.special.*)

    namespace: dict[str, Any] = {"numpy": np, "scipy": __import__("scipy")}
    exec(compile(source, f"<endpoint limit of {quantity}, {family.label}, {pattern}>", "exec"), namespace)
    return namespace["limit"]


def limit_source(family: Family, quantity: str, pattern: Pattern, name: str) -> str | None:
    """``def name(x0, x1, …): return [entries]``: the limit entries printed for NumPy/SciPy with
    fully qualified names (``numpy.log1p``, ``scipy.special.xlogy``), arguments in argument order;
    None when some limit is not found.  ``.numpy()`` runs this very text (compiled once), and an
    exported module (:mod:`symgeom.numeric.export`) carries it, so the two agree bit for bit."""
    entries = limit_entries(family, quantity, pattern)
    if entries is None:
        return None
    return _printed(name, tuple(derivation_of(family, quantity).arguments), entries)


def _printed(name: str, arguments: tuple[sp.Symbol, ...], entries: tuple[sp.Expr, ...]) -> str | None:
    from sympy.printing.numpy import SciPyPrinter

    names = {a: sp.Symbol(f"x{i}") for i, a in enumerate(arguments)}
    printer = SciPyPrinter({"fully_qualified_modules": True, "allow_unknown_functions": False})
    texts = [printer.doprint(sp.sympify(e).xreplace(names)) for e in entries]
    if any("Not supported" in t or "\n" in t for t in texts):
        return None
    args = ", ".join(str(s) for s in names.values())
    return f"def {name}({args}):\n    return [{', '.join(texts)}]\n"


#: Per argument: (lower, lower included, upper, upper included), the data the masks read
Bounds = tuple[tuple[float | None, bool, float | None, bool], ...]


def bounds(spec: tuple[Input, ...]) -> Bounds:
    """The bounds of each input, as plain literals (an exported module carries them)."""
    return tuple((i.lower, bool(i.lower_included and i.lower is not None),
                  i.upper, bool(i.upper_included and i.upper is not None)) for i in spec)


def patterns(spec: tuple[Input, ...], arrays: list[np.ndarray]) -> np.ndarray:
    """Per batch element and argument: −1 on an included lower end, +1 on an included upper end,
    else 0; shape (*batch, len(spec))."""
    return bounded_patterns(bounds(spec), arrays)


def bounded_patterns(ends: Bounds, arrays: list[np.ndarray]) -> np.ndarray:
    """:func:`patterns` from the :data:`Bounds` (NumPy only: exported modules carry it)."""
    arrays = [np.asarray(a) for a in arrays]
    batch = np.broadcast_shapes(*(a.shape for a in arrays))
    out = np.zeros((*batch, len(ends)), dtype=np.int8)
    for index, ((lower, lower_in, upper, upper_in), arr) in enumerate(zip(ends, arrays, strict=True)):
        if lower_in:
            out[..., index] -= np.broadcast_to(arr == lower, batch)
        if upper_in:
            out[..., index] += np.broadcast_to(arr == upper, batch)
    return out


def fill(family: Family, quantity: str, spec: tuple[Input, ...], out: np.ndarray,
         arrays: list[np.ndarray]) -> np.ndarray:
    """``out`` with its nan entries whose inputs sit on an included endpoint replaced by the
    limit there (a copy when anything changes; entries without a limit stay nan)."""
    return fill_with(partial(_function, family, quantity), bounds(spec), out, arrays)


def fill_with(limit: Callable[[Pattern], Callable[..., list[Any]] | None], ends: Bounds,
              out: np.ndarray, arrays: list[np.ndarray]) -> np.ndarray:
    """:func:`fill` with ``limit(pattern)`` the limit function of each pattern (None: no limit)
    and the arguments' :data:`Bounds` (NumPy only: exported modules carry it)."""
    arrays = [np.asarray(a) for a in arrays]
    batch = np.broadcast_shapes(*(a.shape for a in arrays))
    core = out.shape[len(batch):]
    bad = np.isnan(out).reshape(*batch, -1).any(axis=-1) if core else np.isnan(out)
    if not bad.any():
        return out
    sides = bounded_patterns(ends, arrays)
    bad &= sides.any(axis=-1)
    if not bad.any():
        return out
    out = np.array(out, copy=True)
    flat_out = out.reshape(-1, int(np.prod(core, dtype=int))) if batch else out.reshape(1, -1)
    where = np.flatnonzero(bad)
    chosen = sides.reshape(-1, len(ends))[where]
    values = [np.broadcast_to(a, batch).reshape(-1)[where] for a in arrays]
    for pattern in sorted({tuple(int(s) for s in row) for row in chosen}):
        function = limit(pattern)
        if function is None:
            continue
        rows = np.flatnonzero((chosen == pattern).all(axis=-1))
        with np.errstate(all="ignore"):
            entries = function(*(v[rows] for v in values))
        for column, entry in enumerate(entries):
            flat_out[where[rows], column] = np.broadcast_to(np.asarray(entry, dtype=out.dtype), rows.shape)
    return out


def all_patterns(spec: tuple[Input, ...]) -> list[Pattern]:
    """Every pattern with some argument on an included endpoint, in a fixed order."""
    import itertools

    sides = [(0, *(-1,) * lower, *(1,) * upper) for _, lower, _, upper in bounds(spec)]
    return [p for p in itertools.product(*sides) if any(p)]
