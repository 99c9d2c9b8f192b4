"""check_identity: prove lhs = rhs by exact simplification, else check it at high precision."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mpmath
import sympy as sp

from symgeom.derive import ring_tidy
from symgeom.derive.common import tidy_logs
from symgeom.derive.rational import is_rational_zero
from symgeom.errors import SymgeomError
from symgeom.verification.timeout import TimeLimitError, run_with_time_limit

if TYPE_CHECKING:
    from symgeom.families.base import Family

PROVED = "proved"
CHECKED_NUMERICALLY = "checked numerically"
FAILED = "failed"

Sampler = Callable[[random.Random], dict[sp.Symbol, float]]


@dataclass(frozen=True)
class Verdict:
    """The outcome of an identity check, honest about its strength.

    ``proved``: the difference simplified exactly to 0 (``method`` names the simplification).
    ``checked numerically``: no exact proof within the time limit, but the difference vanished to
    ``digits`` significant digits at every sampled point — evidence, not proof.
    ``failed``: a point where the two sides differ (``counterexample``, ``residual``).
    """

    status: str
    method: str
    seconds: float
    counterexample: tuple[tuple[str, str], ...] | None = None
    residual: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != FAILED

    @property
    def proved(self) -> bool:
        return self.status == PROVED

    def __bool__(self) -> bool:
        """True only when proved: ``assert check_identity(...)`` fails on numeric evidence and on
        failures alike (use ``.ok`` for "not failed")."""
        return self.status == PROVED

    def __str__(self) -> str:
        text = f"{self.status} ({self.method}, {self.seconds:.2f} s)"
        if self.counterexample:
            point = ", ".join(f"{k}={v}" for k, v in self.counterexample)
            text += f" at {point}: lhs − rhs = {self.residual}"
        return text


def _without_negative_symbols(expr: sp.Expr) -> sp.Expr:
    """n = −w with w > 0 for every negative symbol (a bijection), so logs see positive factors."""
    swap = {
        s: -sp.Dummy(f"neg_{s.name}", positive=True)
        for s in expr.free_symbols
        if isinstance(s, sp.Symbol) and s.is_negative
    }
    return expr.xreplace(swap) if swap else expr


def _expanded(expr: sp.Expr) -> sp.Expr:
    return sp.expand(expr, power_exp=True, log=False, mul=False)


def _rational(expr: sp.Expr) -> sp.Expr:
    """cancel(together(expr)) after splitting exponentials (for a rational function of symbols
    and eᶿ read in a polynomial ring, symgeom.derive.ring_tidy, which gives SymPy's result)."""
    expanded = _expanded(expr)
    value = ring_tidy.fraction(expanded, opaque="unexpanded")
    if value is not None:
        return ring_tidy.cancelled(value)
    return sp.cancel(sp.together(expanded))


def _rational_zero(expr: sp.Expr) -> sp.Expr:
    """0 when :func:`_rational` is 0, else an expression that is not 0.

    The numerator is tested in a polynomial ring (symgeom.derive.ring_tidy) with every
    function application other than eᶿ an independent generator, after expanding it as SymPy's
    cancel does (log(ab) = log a + log b for positive a, b): a numerator that vanishes so
    vanishes for every value of the generators, a sound proof.  One that does not vanish is
    reported as not 0 without asking SymPy's cancel, which treats the same generators the same
    way (over the whole catalog every identity keeps the strategy it was proved by before).
    Expressions outside that ring go through SymPy's cancel.
    """
    expanded = _expanded(expr)
    atoms = {a: a.expand() for a in expanded.atoms(sp.Function) if not isinstance(a, sp.exp)}
    value = ring_tidy.fraction(expanded.xreplace(atoms) if atoms else expanded, opaque="any")
    if value is None:
        return sp.cancel(sp.together(expanded))
    return sp.Integer(0) if not value.numer else expanded


def _normalized(expr: sp.Expr) -> sp.Expr:
    return _rational(tidy_logs(_without_negative_symbols(expr)))


def _arithmetic(expr: sp.Expr) -> sp.Expr:
    """0 if the numerator of expr over ℚ[symbols, opaque atoms] is the zero polynomial."""
    return sp.Integer(0) if is_rational_zero(expr) else expr


def _logs_then_arithmetic(expr: sp.Expr) -> sp.Expr:
    return _arithmetic(tidy_logs(_without_negative_symbols(expr)))


#: The costliest strategy, tried after every other one (see _prove_zero_maybe_covered).
_LAST_RESORT = "simplify"

# Each strategy maps the difference to an expression that is 0 only if the difference is 0.
_STRATEGIES: tuple[tuple[str, Callable[[sp.Expr], sp.Expr]], ...] = (
    ("rational simplification", _rational_zero),
    ("log expansion + rational simplification",
     lambda e: _rational_zero(tidy_logs(_without_negative_symbols(e)))),
    ("simplify", lambda e: sp.simplify(_normalized(e))),
)

#: For expressions too large for SymPy's cancel: exact polynomial arithmetic with factored
#: denominators (symgeom.derive.rational), with logs and other non-rational parts as opaque
#: generators.  Equally sound; it needs no gcd, so it scales to the 3-d Gaussian.
_ARITHMETIC_STRATEGIES: tuple[tuple[str, Callable[[sp.Expr], sp.Expr]], ...] = (
    ("exact rational arithmetic", _arithmetic),
    ("log expansion + exact rational arithmetic", _logs_then_arithmetic),
)


def _prove_zero(differences: Sequence[sp.Expr], strategies: tuple = _STRATEGIES) -> str | None:
    """The name of the weakest strategy that reduces every difference to 0, or None."""
    used = 0
    for expr in differences:
        if expr == 0:
            continue
        for index in range(used, len(strategies)):
            if strategies[index][1](expr) == 0:
                used = index
                break
        else:
            return None
    return strategies[used][0]


def _cover_in_logs(expr: sp.Expr, substitution: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
    """expr with the cover substituted inside its logarithms only (Σ = LLᵀ in log det Σ).

    Sound: if the result is 0 as a function of the original symbols and the cover's, treated as
    independent, it is 0 in particular where they are tied by the cover, i.e. expr = 0 on the
    cover's image, the whole domain.  The rational part stays small (not rewritten in L).
    """
    return expr.replace(lambda e: isinstance(e, sp.log),
                        lambda e: sp.log(e.args[0].xreplace(dict(substitution))))


def _prove_zero_maybe_covered(
    differences: Sequence[sp.Expr], covered: Sequence[sp.Expr], strategies: tuple = _STRATEGIES,
    in_logs: Sequence[sp.Expr] = (),
) -> str | None:
    """Try the differences as they are, then (large expressions, ``in_logs``) with the cover
    substituted inside the logarithms only, then after the cover substitution (if it changes them).

    SymPy's ``simplify`` comes last of all: the rational strategies are tried on the cover first,
    as a difference that needs the cover (pᵢ = aᵢ/Σa, Σ = LLᵀ) is seldom reduced by ``simplify``
    without it, which then costs the most of any attempt for nothing.
    """
    covers = list(covered) != list(differences)
    cheap = tuple(s for s in strategies if s[0] != _LAST_RESORT)
    method = _prove_zero(differences, cheap if covers else strategies)
    if method is None and in_logs and list(in_logs) != list(differences):
        method = _prove_zero(in_logs, strategies)
        if method is not None:
            return f"{method}, after the cover substitution inside the logarithms"
    if method is None and covers:
        method = _prove_zero(covered, cheap)
        if method is not None:
            return f"{method}, after the cover substitution"
        if len(cheap) < len(strategies):
            method = _prove_zero(differences, strategies)
            if method is None:
                method = _prove_zero(covered, strategies)
                return None if method is None else f"{method}, after the cover substitution"
    return method


def _outside_limits(expr: sp.Expr) -> sp.Expr:
    """``expr`` with each explicit Σ/∫ (whose limits may be ∞, as in E[log x!] under a Poisson)
    replaced by its summand, so only a value that is itself nan or ∞ is refused."""
    return expr.replace(lambda e: isinstance(e, (sp.Sum, sp.Integral)), lambda e: e.function)


def _elements(expr: object, name: str) -> list[sp.Expr]:
    if isinstance(expr, sp.MatrixBase):
        values = [sp.sympify(e) for e in expr]
    else:
        try:
            value = sp.sympify(expr, strict=True)
        except (sp.SympifyError, TypeError, ValueError):
            raise SymgeomError(
                f"{name} must be a SymPy expression or Matrix, got {type(expr).__name__}"
            ) from None
        if not isinstance(value, sp.Expr):
            raise SymgeomError(f"{name} must be a SymPy expression or Matrix, got {value!r}")
        values = [value]
    if any(_outside_limits(v).has(sp.nan, sp.zoo, sp.oo, sp.S.NegativeInfinity) for v in values):
        raise SymgeomError(f"{name} contains nan or ∞; identities are between finite expressions")
    return values


def _draw_by_assumptions(symbol: sp.Symbol, rng: random.Random) -> float:
    """A value inside the symbol's SymPy domain: > 0, < 0, ≥ 0, ≤ 0, or any real."""
    if symbol.is_positive or symbol.is_nonnegative:
        return rng.uniform(0.2, 3.0)
    if symbol.is_negative or symbol.is_nonpositive:
        return -rng.uniform(0.2, 3.0)
    return rng.uniform(-2.0, 2.0)


def _default_sampler(symbols: Sequence[sp.Symbol]) -> Sampler:
    def sample(rng: random.Random) -> dict[sp.Symbol, float]:
        return {s: _draw_by_assumptions(s, rng) for s in symbols}

    return sample


def unify_symbols(exprs: Sequence[sp.Basic]) -> dict[sp.Symbol, sp.Symbol]:
    """Same-named symbols with different assumptions → the one with the strongest assumptions.

    ``sp.Symbol("sigma_1")`` and ``sp.Symbol("sigma_1", positive=True)`` are different SymPy
    objects; a claim that mixes them means one quantity, so both are read as the symbol whose
    assumptions imply all the others' (σ₁ > 0 here), and the verdict holds on that domain.
    Assumptions that contradict each other (positive and negative) raise a SymgeomError.
    """
    by_name: dict[str, set[sp.Symbol]] = {}
    for expr in exprs:
        for s in sp.sympify(expr).free_symbols:
            if type(s) is sp.Symbol:
                by_name.setdefault(s.name, set()).add(s)
    replace: dict[sp.Symbol, sp.Symbol] = {}
    for name, group in by_name.items():
        if len(group) < 2:
            continue
        strongest = max(group, key=lambda s: (len(s.assumptions0), sp.srepr(s)))
        facts = set(strongest.assumptions0.items())
        for s in group:
            if not set(s.assumptions0.items()) <= facts:
                raise SymgeomError(
                    f"symbol {name!r} appears with conflicting assumptions "
                    f"{_explicit(strongest)} and {_explicit(s)}; use one symbol for one quantity"
                )
            if s != strongest:
                replace[s] = strongest
    return replace


def _explicit(symbol: sp.Symbol) -> str:
    shown = getattr(symbol, "_assumptions_orig", {}) or {}
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted(shown.items())) + "}"


#: Draws per requested point before giving up on finding points inside the claim's domain.
_TRIES_PER_POINT = 50


def _is_real(value: object) -> bool:
    try:
        value = mpmath.mpmathify(value)
    except (TypeError, ValueError):
        return False
    if isinstance(value, mpmath.mpc):
        return value.imag == 0 and bool(mpmath.isfinite(value.real))
    return bool(mpmath.isfinite(value))


def _numeric_check(
    differences: list[sp.Expr],
    scales: list[sp.Expr],  # every lhs entry, then every rhs entry
    sampler: Sampler,
    points: int,
    digits: int,
    seed: int,
) -> tuple[tuple[tuple[str, str], ...], str] | None:
    """None if lhs − rhs vanishes at every sampled point, else the first point where it does not.

    Points come from ``sampler`` (symbols it does not draw: by their assumptions); a point where
    some lhs entry is not a finite real number lies outside the claim's domain and is redrawn,
    so a counterexample is always a point where the lhs is defined.
    Vanishing: |lhs − rhs| ≤ 10^(10−digits)·(1 + |lhs| + |rhs|), or, where cancellation between
    huge terms leaves more than that, a residual that shrinks by 10^(digits/2) or more when the
    point is re-evaluated at twice the precision (rounding, not a real difference).
    """
    symbols = sorted(
        set().union(*[e.free_symbols for e in differences + scales]), key=lambda s: s.name
    )
    diff_fn = sp.lambdify(symbols, differences, modules="mpmath")
    scale_fn = sp.lambdify(symbols, scales, modules="mpmath")
    n = len(differences)
    rng = random.Random(seed)
    checked = 0
    for _ in range(_TRIES_PER_POINT * points):
        if checked == points:
            break
        drawn = sampler(rng)
        named = {getattr(k, "name", None): v for k, v in drawn.items()}
        raw = [
            drawn[s] if s in drawn else named[s.name] if s.name in named
            else _draw_by_assumptions(s, rng)
            for s in symbols
        ]
        with mpmath.workdps(digits):
            args = [mpmath.mpf(a) for a in raw]
            tolerance = mpmath.mpf(10) ** (10 - digits)
            try:
                sides = scale_fn(*args)
                residuals = diff_fn(*args)
            except (ZeroDivisionError, ValueError, OverflowError):
                continue
            if not all(_is_real(v) for v in sides[:n]):
                continue  # outside the domain of the claim
            checked += 1
            bad = [i for i, r in enumerate(residuals)
                   if not abs(r) <= tolerance * (1 + abs(sides[i]) + abs(sides[n + i]))]
        if not bad:
            continue
        with mpmath.workdps(2 * digits):
            refined = diff_fn(*[mpmath.mpf(a) for a in raw])
            shrink = mpmath.mpf(10) ** (-digits // 2)
            real = [i for i in bad if not abs(refined[i]) <= shrink * abs(residuals[i])]
        if real:
            point = tuple((s.name, mpmath.nstr(a, 17)) for s, a in zip(symbols, args))
            return point, mpmath.nstr(residuals[real[0]], 6)
    if checked < points:
        raise SymgeomError(
            f"check_identity: only {checked} of {points} sampled points lie where lhs is a finite "
            "real number; pass family= or a sampler= that draws inside the claim's domain"
        )
    return None


def check_identity(
    lhs: sp.Basic,
    rhs: sp.Basic,
    *,
    substitution: Mapping[sp.Symbol, sp.Expr] | None = None,
    sampler: Sampler | None = None,
    time_limit: float = 10.0,
    points: int = 12,
    digits: int = 50,
    seed: int = 0,
    arithmetic_only: bool = False,
    family: Family | None = None,
) -> Verdict:
    """Decide lhs = rhs (scalars or matrices of equal shape) and say how strongly.

    1. Exact: the difference is simplified by increasingly strong, sound strategies
       (rational simplification; logs of positive factors split; ``simplify``) within
       ``time_limit`` seconds (0: skip, check numerically only).  ``substitution`` is an
       optional change of variables onto the whole domain (e.g. pᵢ = aᵢ/Σa with aᵢ > 0,
       Σ = LLᵀ) that makes positivity visible to SymPy.
    2. Otherwise numeric: ``points`` random points (from ``sampler``, or by the symbols'
       assumptions) evaluated with mpmath at ``digits`` digits.
    Symbols' SymPy assumptions (positive, negative, real) define the domain; with ``family``
    its parameter symbols are drawn from the family's domains (0 < p < 1, Σpᵢ < 1, …).  Points
    where the lhs is not a finite real number are outside the claim and are redrawn.
    Same-named symbols with different assumptions are read as one symbol with the strongest
    assumptions (see :func:`unify_symbols`).  ``bool(verdict)`` is True only when proved.
    ``arithmetic_only`` replaces SymPy's simplification by exact factor-base arithmetic (for
    differences too large to cancel, see symgeom.derive.rational).
    """
    start = time.perf_counter()
    lhs_items, rhs_items = _elements(lhs, "lhs"), _elements(rhs, "rhs")
    if len(lhs_items) != len(rhs_items):
        raise SymgeomError(
            f"lhs and rhs must have the same shape: {len(lhs_items)} vs {len(rhs_items)} entries"
        )
    same = unify_symbols(lhs_items + rhs_items + list(substitution or {}))
    if same:
        lhs_items = [e.xreplace(same) for e in lhs_items]
        rhs_items = [e.xreplace(same) for e in rhs_items]
        substitution = {
            k.xreplace(same): sp.sympify(v).xreplace(same) for k, v in substitution.items()
        } if substitution else None
    if sampler is None and family is not None:
        from symgeom.verification.sampling import family_sampler

        sampler = family_sampler(family)
    differences = [sp.sympify(a) - sp.sympify(b) for a, b in zip(lhs_items, rhs_items)]
    substituted = [
        d.xreplace(dict(substitution)) if substitution else d for d in differences
    ]
    method = None
    if time_limit > 0:
        try:
            strategies = _ARITHMETIC_STRATEGIES if arithmetic_only else _STRATEGIES
            in_logs = [_cover_in_logs(d, substitution) for d in differences] if (
                arithmetic_only and substitution) else []
            method = run_with_time_limit(
                _prove_zero_maybe_covered, (differences, substituted, strategies, in_logs),
                time_limit,
            )
        except TimeLimitError:
            method = None
    if method is not None:
        return Verdict(PROVED, method, time.perf_counter() - start)
    scales = list(lhs_items) + list(rhs_items)
    symbols = sorted(set().union(*[d.free_symbols for d in differences]), key=lambda s: s.name)
    bad = _numeric_check(
        differences, scales, sampler or _default_sampler(symbols), points, digits, seed
    )
    elapsed = time.perf_counter() - start
    if bad is None:
        return Verdict(
            CHECKED_NUMERICALLY, f"mpmath, {digits} digits, {points} random points", elapsed
        )
    point, residual = bad
    return Verdict(FAILED, f"mpmath, {digits} digits", elapsed, point, residual)


def assert_proved(lhs: sp.Basic, rhs: sp.Basic, **options: object) -> Verdict:
    """``check_identity(lhs, rhs, **options)``, raising AssertionError unless it is *proved*.

    For tests and CI: ``sg.assert_proved(derived, expected)`` fails (with the verdict, and the
    counterexample if any) on a failed identity and on mere numeric evidence alike.
    """
    verdict = check_identity(lhs, rhs, **options)
    if verdict.status != PROVED:
        raise AssertionError(f"identity not proved: {verdict}")
    return verdict
