"""check_identity: prove lhs = rhs by exact simplification, else check it at high precision."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import mpmath
import sympy as sp

from symgeom.derive.common import tidy_logs
from symgeom.derive.rational import is_rational_zero
from symgeom.verification.timeout import TimeLimitError, run_with_time_limit

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


def _rational(expr: sp.Expr) -> sp.Expr:
    return sp.cancel(sp.together(sp.expand(expr, power_exp=True, log=False, mul=False)))


def _normalized(expr: sp.Expr) -> sp.Expr:
    return _rational(tidy_logs(_without_negative_symbols(expr)))


def _arithmetic(expr: sp.Expr) -> sp.Expr:
    """0 if the numerator of expr over ℚ[symbols, opaque atoms] is the zero polynomial."""
    return sp.Integer(0) if is_rational_zero(expr) else expr


def _logs_then_arithmetic(expr: sp.Expr) -> sp.Expr:
    return _arithmetic(tidy_logs(_without_negative_symbols(expr)))


# Each strategy maps the difference to an expression that is 0 only if the difference is 0.
_STRATEGIES: tuple[tuple[str, Callable[[sp.Expr], sp.Expr]], ...] = (
    ("rational simplification", _rational),
    ("log expansion + rational simplification", _normalized),
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


def _prove_zero_maybe_covered(
    differences: Sequence[sp.Expr], covered: Sequence[sp.Expr], strategies: tuple = _STRATEGIES
) -> str | None:
    """Try the differences as they are, then after the cover substitution (if it changes them)."""
    method = _prove_zero(differences, strategies)
    if method is None and list(covered) != list(differences):
        method = _prove_zero(covered, strategies)
        return None if method is None else f"{method}, after the cover substitution"
    return method


def _elements(expr: sp.Basic) -> list[sp.Expr]:
    if isinstance(expr, sp.MatrixBase):
        return list(expr)
    return [sp.sympify(expr)]


def _default_sampler(symbols: Sequence[sp.Symbol]) -> Sampler:
    def sample(rng: random.Random) -> dict[sp.Symbol, float]:
        values = {}
        for s in symbols:
            if s.is_positive:
                values[s] = rng.uniform(0.2, 3.0)
            elif s.is_negative:
                values[s] = -rng.uniform(0.2, 3.0)
            else:
                values[s] = rng.uniform(-2.0, 2.0)
        return values

    return sample


def _numeric_check(
    differences: list[sp.Expr],
    scales: list[sp.Expr],  # every lhs entry, then every rhs entry
    sampler: Sampler,
    points: int,
    digits: int,
    seed: int,
) -> tuple[tuple[tuple[str, str], ...], str] | None:
    """None if lhs − rhs vanishes at every sampled point, else the first point where it does not.

    Vanishing: |lhs − rhs| ≤ 10^(10−digits)·(1 + |lhs| + |rhs|), or, where cancellation between
    huge terms leaves more than that, a residual that shrinks by 10^(digits/2) or more when the
    point is re-evaluated at twice the precision (rounding, not a real difference).
    """
    symbols = sorted(
        set().union(*[e.free_symbols for e in differences + scales]), key=lambda s: s.name
    )
    diff_fn = sp.lambdify(symbols, differences, modules="mpmath")
    scale_fn = sp.lambdify(symbols, scales, modules="mpmath")
    rng = random.Random(seed)
    for _ in range(points):
        drawn = sampler(rng)
        raw = [drawn[s] if s in drawn else rng.uniform(-1, 1) for s in symbols]
        with mpmath.workdps(digits):
            args = [mpmath.mpf(a) for a in raw]
            tolerance = mpmath.mpf(10) ** (10 - digits)
            residuals = diff_fn(*args)
            sides = scale_fn(*args)
            n = len(residuals)
            bad = [i for i, r in enumerate(residuals)
                   if abs(r) > tolerance * (1 + abs(sides[i]) + abs(sides[n + i]))]
        if not bad:
            continue
        with mpmath.workdps(2 * digits):
            refined = diff_fn(*[mpmath.mpf(a) for a in raw])
            shrink = mpmath.mpf(10) ** (-digits // 2)
            real = [i for i in bad if abs(refined[i]) > shrink * abs(residuals[i])]
        if real:
            point = tuple((s.name, mpmath.nstr(a, 17)) for s, a in zip(symbols, args))
            return point, mpmath.nstr(residuals[real[0]], 6)
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
) -> Verdict:
    """Decide lhs = rhs (scalars or matrices of equal shape) and say how strongly.

    1. Exact: the difference is simplified by increasingly strong, sound strategies
       (rational simplification; logs of positive factors split; ``simplify``) within
       ``time_limit`` seconds (0: skip, check numerically only).  ``substitution`` is an
       optional change of variables onto the whole domain (e.g. pᵢ = aᵢ/Σa with aᵢ > 0,
       Σ = LLᵀ) that makes positivity visible to SymPy.
    2. Otherwise numeric: ``points`` random points (from ``sampler``, or by the symbols'
       assumptions) evaluated with mpmath at ``digits`` digits.
    Symbols' SymPy assumptions (positive, negative, real) define the domain.
    ``arithmetic_only`` replaces SymPy's simplification by exact factor-base arithmetic (for
    differences too large to cancel, see symgeom.derive.rational).
    """
    start = time.perf_counter()
    lhs_items, rhs_items = _elements(lhs), _elements(rhs)
    if len(lhs_items) != len(rhs_items):
        raise ValueError(f"shapes differ: {len(lhs_items)} vs {len(rhs_items)} entries")
    differences = [sp.sympify(a) - sp.sympify(b) for a, b in zip(lhs_items, rhs_items)]
    substituted = [
        d.xreplace(dict(substitution)) if substitution else d for d in differences
    ]
    method = None
    if time_limit > 0:
        try:
            strategies = _ARITHMETIC_STRATEGIES if arithmetic_only else _STRATEGIES
            method = run_with_time_limit(
                _prove_zero_maybe_covered, (differences, substituted, strategies), time_limit
            )
        except TimeLimitError:
            method = None
    if method is not None:
        return Verdict(PROVED, method, time.perf_counter() - start)
    scales = [sp.sympify(a) for a in lhs_items] + [sp.sympify(b) for b in rhs_items]
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
