"""E[log X!] for a Poisson-type mass (ratio p(x+1)/p(x) = c/(x + 1)), without the cancellation of
−c log c + c + E[log X!]: by the entropy H_c = E[−log p(X)], summed in a form with no cancelling terms.

Recognized from the data (the summand p(x)·log x! of an explicit expectation), never from a name:
the mass ratio is c/(x + 1) with c free of x and p(0) = e^{−c}, so p(x) = e^{−c}cˣ/x!.  Then
E[log X!] = H_c − c + c·log c exactly, and the caller substitutes this, so that an entropy
−c log c + c + E[log X!] becomes H_c symbolically: nothing of size c·log c is subtracted in floats.

H_c = Σₓ p(x)·f(x) with f(0) = c and, for x ≥ 1 (x! by Stirling with remainder stirlerr),

    f(x) = −log p(x) = ½·log(2πx) + stirlerr(x) + c·φ((x − c)/c),   φ(d) = (1 + d)·log1p(d) − d ≥ 0,

every part ≥ 0 (bd0 = c·φ is the saddle-point deviance; φ by its series Σ_{k≥2} (−d)ᵏ/(k(k−1)) for
|d| ≤ ¼, where the closed form cancels), stirlerr(x) = log x! − (x + ½)log x + x − ½log 2π from a
table computed by mpmath at 30 digits for x < 20 and by its asymptotic series (5 terms, error below
the first omitted term, < 1e-17 for x ≥ 20) above.

The sum runs over c ± K·√c (K = :data:`WIDTH`); the rest is bounded rigorously: f·e^{−f} ≤
(8/e)·e^{−7f/8} (f·e^{−f/8} ≤ 8/e), and the 7/8 power of the mass ratio is ≤ ρ = (c/(b + 1))^{7/8}
above b and (e/c)^{7/8} below e = a − 1, so each tail is ≤ (8/e)·p(edge)^{7/8}/(1 − ρ).  Rounding (model: each
part of f within 64 ulps·(1 + f) absolute, measured against mpmath in the tests; e^{−f} and the
product add 4 ulps; compensated summation 2 ulps of the total): the bound is
Σₓ p(x)f(x)·ε·(64(1 + f(x)) + 4) + 2ε·H + tails, returned with the value.  All terms are ≥ 0, so
no cancellation can hide in the sum.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

#: the sum runs over c ± WIDTH·√c (the tails are bounded, not assumed)
WIDTH = 14.0
#: float64 unit roundoff
EPS = 2.0 ** -53
#: below this x stirlerr comes from the 30-digit table
TABLE = 20
#: |d| up to which φ(d) is summed by its series
SERIES = 0.25
#: terms of that series: ¼^{60} ≪ 1e-30 relative to d²/2
SERIES_TERMS = 60
#: points × terms evaluated at once
CHUNK = 1 << 21


def _stirlerr_table() -> np.ndarray:
    with mpmath.workdps(30):
        return np.array([0.0] + [float(mpmath.loggamma(n + 1) - (n + mpmath.mpf(1) / 2) * mpmath.log(n) + n
                                       - mpmath.log(2 * mpmath.pi) / 2) for n in range(1, TABLE)])


_TABLE = _stirlerr_table()


def stirlerr(x: np.ndarray) -> np.ndarray:
    """log x! − (x + ½)log x + x − ½log 2π for integers x ≥ 1 (module docstring)."""
    x = np.asarray(x, dtype=float)
    small = x < TABLE
    big = np.where(small, float(TABLE), x)
    inv2 = 1.0 / (big * big)
    series = (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188)))) / big
    return np.where(small, _TABLE[np.clip(x, 0, TABLE - 1).astype(int)], series)


def deviance(x: np.ndarray, c: np.ndarray, difference: np.ndarray | None = None) -> np.ndarray:
    """bd0(x, c) = x log(x/c) + c − x = c·φ((x − c)/c) ≥ 0 (module docstring); ``difference`` is
    x − c where the caller has it more exactly than the rounded c gives it."""
    d = (x - c if difference is None else difference) / c
    near = np.abs(d) <= SERIES
    dn = np.where(near, d, 0.0)
    series = np.zeros_like(dn)
    for k in range(SERIES_TERMS + 1, 1, -1):  # Σ_{k≥2} (−d)ᵏ/(k(k−1)) by Horner in −d
        series = series * -dn + 1.0 / (k * (k - 1))
    series = series * dn * dn
    # c·((1 + d)·log1p(d) − d) = x·log(x/c) − (x − c): the same number without forming c·d·log d,
    # which overflowed to inf for a subnormal-sized c (c = 4e-306, x = 3: f = 700, not inf; then
    # e^{−f}·f was 0·inf = nan).  log(x/c) is log1p(d) for −½ < d ≤ 2⁴⁰, else log of the quotient
    # (a normal number: relative error ε, so an absolute ε in its log), else log x − log c
    # (d or x/c out of range: |log(x/c)| > 27 there, so that absolute error stays relative).
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        diff = x - c if difference is None else difference
        moderate = (d > -0.5) & (d <= 2.0 ** 40)
        quotient = x / c
        normal = (quotient >= np.finfo(float).tiny) & (quotient <= np.finfo(float).max)
        log_ratio = np.where(moderate, np.log1p(np.where(moderate, d, 0.0)),
                             np.where(normal, np.log(np.where(normal, quotient, 1.0)), np.log(x) - np.log(c)))
        direct = x * log_ratio - diff
    return np.where(near, c * series, direct)


@dataclass(frozen=True)
class LogFactorialMoment:
    """Σₓ p(x) log x! for p(x) = e^{−c}cˣ/x!: c as a function of the arguments, and c as an expression."""

    rate: Callable[..., np.ndarray]
    rate_expr: sp.Expr

    def mean(self, *arrays: np.ndarray) -> np.ndarray:
        """E[X] = c."""
        return np.asarray(self.rate(*arrays), dtype=float)

    def closed_part(self) -> sp.Expr:
        """E[log X!] − H_c = c·log c − c."""
        return self.rate_expr * sp.log(self.rate_expr) - self.rate_expr


def log_factorial_moment(summand: sp.Expr, x: sp.Symbol, arguments: Sequence[sp.Symbol]
                         ) -> LogFactorialMoment | None:
    """The :class:`LogFactorialMoment` of Σₓ ``summand`` when the summand is p(x)·log x! with mass
    ratio c/(x + 1) and p(0) = e^{−c} (checked at a point); None otherwise."""
    k = sp.Dummy("k", integer=True, nonnegative=True)
    term = sp.Mul(*sp.Mul.make_args(summand)).xreplace({x: k})
    factors = sp.Mul.make_args(term)
    logs = [f for f in factors if f.has(sp.log) and k in f.free_symbols]
    if len(logs) != 1:
        return None
    g = logs[0]
    if not (isinstance(g, sp.log) and sp.simplify(g.args[0] - sp.factorial(k)) == 0) and \
            sp.simplify(g - sp.loggamma(k + 1)) != 0:
        return None
    mass = sp.Mul(*[f for f in factors if f is not g])
    if mass.has(sp.log):
        return None
    ratio = sp.simplify(sp.combsimp(sp.powsimp(mass.xreplace({k: k + 1}) / mass)) * (k + 1))
    if k in ratio.free_symbols:
        return None
    point = {a: sp.Rational(1, 3) + sp.Rational(i, 7) for i, a in enumerate(arguments)}
    if abs(sp.N((mass.xreplace({k: 0}) - sp.exp(-ratio)).xreplace(point), 30)) > 1e-25:
        return None
    return LogFactorialMoment(sp.lambdify(tuple(arguments), ratio, modules=["scipy", "numpy"]), ratio)


def poisson_type_entropy(c: np.ndarray, rate: str = "c") -> tuple[np.ndarray, np.ndarray]:
    """(H_c, a bound on its error) for each rate c > 0 (module docstring); ArithmeticError naming
    the first rate outside 0 < c < 2⁵² (``rate``: c in the family's parameters, for the message)."""
    c = np.asarray(c, dtype=float)
    flat = c.ravel()
    given = ~np.isnan(flat)  # a nan rate gives nan
    bad = given & ~((flat > 0) & (flat < 2.0 ** 52))
    if np.any(bad):
        shown = "" if rate == "c" else f" (c = {rate})"
        raise ArithmeticError(f"Poisson-type entropy: needs a finite rate 0 < c < 2⁵² = {2.0 ** 52:.6g}"
                              f"{shown}, got c = {flat[np.argmax(bad)]:.6g}")
    values, bounds = np.full(flat.shape, np.nan), np.full(flat.shape, np.nan)
    for i in np.flatnonzero(given):
        values[i], bounds[i] = _one(float(flat[i]))
    return values.reshape(c.shape), bounds.reshape(c.shape)


def _f(x: np.ndarray, c: float) -> np.ndarray:
    """−log p(x) for x ≥ 1 (module docstring)."""
    return 0.5 * np.log(2 * math.pi * x) + stirlerr(x) + deviance(x, c)


def _one(c: float) -> tuple[float, float]:
    spread = WIDTH * math.sqrt(c) + WIDTH ** 2
    low, high = max(1, math.floor(c - spread)), math.ceil(c + spread)
    total, compensation, weighted = 0.0, 0.0, 0.0
    if low == 1:  # x = 0: f = c, p = e^{−c}
        total, weighted = c * math.exp(-c), c * math.exp(-c) * (64 * (1 + c) + 4)
    for start in range(low, high + 1, CHUNK):
        x = np.arange(start, min(start + CHUNK, high + 1), dtype=float)
        f = _f(x, c)
        terms = np.exp(-f) * f
        weighted += float(np.sum(terms * (64 * (1 + f) + 4)))
        # Neumaier: the chunk's sum by numpy's pairwise summation (error ≤ ε·log₂n·Σ, counted below)
        part = float(np.sum(terms))
        t = total + part
        compensation += (total - t) + part if abs(total) >= abs(part) else (part - t) + total
        total = t
    total += compensation
    tails = 0.0
    rho = (c / (high + 1)) ** 0.875
    tails += 8 / math.e * math.exp(-0.875 * float(_f(np.array([high + 1.0]), c)[0])) / (1 - rho)
    if low > 1:
        edge = low - 1.0
        rho = (edge / c) ** 0.875
        tails += 8 / math.e * math.exp(-0.875 * float(_f(np.array([edge]), c)[0])) / (1 - rho)
    rounding = EPS * weighted + EPS * (2 + math.log2(CHUNK)) * total
    return total, rounding + tails
