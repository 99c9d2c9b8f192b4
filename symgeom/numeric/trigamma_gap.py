"""ψ′(x) − ψ′(x + h) for x > 0, h ≥ 0 without cancellation: D(x, h) = h·G(x, h).

Beta and Dirichlet Fisher entries are ψ′(αᵢ) − ψ′(α₀) with α₀ = αᵢ + h, h the sum of the other
shapes.  Subtracting the two trigammas loses the digits they share: at αᵢ = 10⁶ beside a shape
10⁻³ (h/αᵢ = 10⁻⁹) nine of them (Dirichlet(3) Fisher 4.6e-8 relative), and where h is below an
ulp of αᵢ (a shape 10⁻³¹⁰ beside one of order 1) α₀ rounds to αᵢ and the difference is 0, though
D ≈ −h·ψ″(αᵢ) is a representable (subnormal) number.  With u = 1/a and v = 1/(a + h),

    1/a² − 1/(a + h)² = (u − v)(u + v) = h·uv(u + v),     uᵐ − vᵐ = h·uv·Pₘ₋₁,  Pₘ = Σᵢ₌₀ᵐ uⁱvᵐ⁻ⁱ,

so the recurrence ψ′(x) = 1/x² + ψ′(x + 1) (N steps to y = x + N ≥ 10) and the asymptotic series
ψ′(y) = u + u²/2 + Σⱼ B₂ⱼ·u^{2j+1} give, with h factored out,

    G(x, h) = Σ_{k<N} u_k v_k (u_k + v_k) + uv·[1 + ½(u + v) + Σ_{j=1..10} B₂ⱼ·P₂ⱼ(u, v)],

u, v of y and y + h: positive terms and a series whose terms fall off fast (y ≥ 10, the
truncation of :mod:`symgeom.numeric.special`, below 2·10⁻¹⁶ relative), so G has a few ulps of
relative error for every h ≥ 0, and D = h·G is rounded once (correct to the last unit when it is
subnormal).  h never meets x in a subtraction: it is read as given (the sum of the other shapes).
:func:`log_trigamma_gap` is log D without an underflowing intermediate, for the log-magnitude
copies of JAX on the CPU (:mod:`symgeom.backends.log_rules`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from symgeom.numeric.special import _BERNOULLI

Array = Any

#: Arguments are shifted up to at least this before the asymptotic series.
GAP_SHIFT = 10
#: Above this x, log G = −log y − log(y + h) + log1p(½(u + v) + (u² + uv + v²)/6) to 1e-32.
LOG_SERIES = 1e8


class TrigammaGap(sp.Function):
    """TrigammaGap(x, h) = ψ′(x) − ψ′(x + h) (x > 0, h ≥ 0), printed ``trigamma_gap(x, h)``."""

    nargs = 2

    def _eval_rewrite_as_polygamma(self, x: sp.Expr, h: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.polygamma(1, x) - sp.polygamma(1, x + h)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        x, h = self.args
        if argindex == 1:
            return sp.polygamma(2, x) - sp.polygamma(2, x + h)
        return -sp.polygamma(2, x + h)

    def _eval_is_positive(self) -> bool | None:
        x, h = self.args
        return True if x.is_positive and h.is_positive else None

    def _latex(self, printer: Any) -> str:
        x, h = (printer._print(a) for a in self.args)
        return rf"\left(\psi'\left({x}\right) - \psi'\left({x} + {h}\right)\right)"

    def _numpycode(self, printer: Any) -> str:
        return f"trigamma_gap({printer._print(self.args[0])}, {printer._print(self.args[1])})"

    _pythoncode = _numpycode


class LogTrigammaGap(sp.Function):
    """log(ψ′(x) − ψ′(x + h)), printed ``log_trigamma_gap(x, h)`` (:func:`log_trigamma_gap_for`)."""

    nargs = 2

    def _numpycode(self, printer: Any) -> str:
        return f"log_trigamma_gap({printer._print(self.args[0])}, {printer._print(self.args[1])})"

    _pythoncode = _numpycode


def _series(u: Array, v: Array) -> Array:
    """S = 1 + ½(u + v) + Σⱼ B₂ⱼ·P₂ⱼ(u, v) (module docstring), P by Pₘ = u·Pₘ₋₁ + vᵐ."""
    power, p = v, u + v  # v¹, P₁
    series = 1 + 0.5 * p
    for b in _BERNOULLI:
        power = power * v
        p = u * p + power  # P₂ⱼ
        series = series + b * p
        power = power * v
        p = u * p + power  # P₂ⱼ₊₁
    return series


def _asymptotic(u: Array, v: Array) -> Array:
    """uv·S (module docstring)."""
    return u * v * _series(u, v)


#: Beyond this x, uv = 1/(x(x + h)) may underflow: h·G is then formed as (h·u)·(v·S).
HUGE = 2.0**500


def _gap(xp: Any, x: Array, h: Array, steps: int) -> Array:
    """D = h·G(x, h) with ``steps`` steps of the recurrence, h multiplied in where nothing
    underflows first: for h ≥ x each term as (h·v)·(u·…) (h·v = h/(y + h) ∈ [½, 1]; uv underflowed
    at x = 2·10⁶⁴, h = 10³⁰⁰, where D = 4.7·10⁻⁶⁵), for x > HUGE as (h·u)·(v·S), else h·G rounded
    once (the last unit right when D is subnormal)."""
    wide = h >= x
    small_total = 0.0 * (x + h)
    wide_total = small_total
    y = x
    for _ in range(steps):
        u, v = 1 / y, 1 / (y + h)
        small_total = small_total + u * v * (u + v)
        wide_total = wide_total + (h * v) * (u * (u + v))
        y = y + 1
    u, v = 1 / y, 1 / (y + h)
    series = _series(u, v)
    small = h * (small_total + u * v * series)
    huge = (h * u) * (v * series)
    return xp.where(wide, wide_total + (h * v) * (u * series), xp.where(x > HUGE, huge, small))


def gap_factor(x: Array, h: Array) -> Array:
    """G(x, h) = (ψ′(x) − ψ′(x + h))/h for array operations (torch, JAX, NumPy; differentiable):
    a fixed GAP_SHIFT steps of the recurrence, as in :func:`symgeom.backends.special.polygamma_series`."""
    total = 0.0
    y = x
    for _ in range(GAP_SHIFT):
        u, v = 1 / y, 1 / (y + h)
        total = total + u * v * (u + v)
        y = y + 1
    return total + _asymptotic(1 / y, 1 / (y + h))


def trigamma_gap_for(xp: Any) -> Any:
    """``trigamma_gap(x, h)`` = h·G(x, h) of an array namespace (the printed backends)."""

    def trigamma_gap(x: Array, h: Array) -> Array:
        return _gap(xp, x, h, GAP_SHIFT)

    return trigamma_gap


def log_trigamma_gap_for(xp: Any) -> Any:
    """log(ψ′(x) − ψ′(x + h)) = log h + log G, log G from its series above :data:`LOG_SERIES` (no
    subnormal intermediate: G ≈ 1/(x(x + h)) is subnormal past x ≈ 10¹⁵⁴), else log of G."""

    def log_trigamma_gap(x: Array, h: Array) -> Array:
        big = x > LOG_SERIES
        near = xp.where(big, xp.ones_like(x), x)
        far = xp.where(big, x, xp.full_like(x, LOG_SERIES))
        u, v = 1 / far, 1 / (far + h)
        series = -xp.log(far) - xp.log(far + h) + xp.log1p(0.5 * (u + v) + (u * u + u * v + v * v) / 6)
        return xp.log(h) + xp.where(big, series, xp.log(gap_factor(near, h)))

    return log_trigamma_gap


def trigamma_gap(x: np.ndarray | float, h: np.ndarray | float) -> np.ndarray:
    """ψ′(x) − ψ′(x + h) for NumPy (float64 inside, rounded once to the inputs' type); the
    recurrence runs only as many steps as the smallest x needs."""
    x, h = np.asarray(x), np.asarray(h)
    dtype = np.result_type(x, h, np.float32)
    y, g = np.broadcast_arrays(x.astype(np.float64), h.astype(np.float64))
    with np.errstate(all="ignore"):
        ok = (y > 0) & (g >= 0)
        y = np.where(ok, y, float(GAP_SHIFT))
        steps = max(0, int(np.ceil(GAP_SHIFT - np.min(y)))) if y.size else 0
        value = np.where(ok, _gap(np, y, g, steps), np.nan)
    return value.astype(dtype, copy=False)[()]


def _split(term: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
    """(c, x) with term = c·ψ′(x) and c free of ψ′, else None."""
    factors = sp.Mul.make_args(term)
    trigammas = [f for f in factors if isinstance(f, sp.polygamma) and f.args[0] == 1]
    if len(trigammas) != 1:
        return None
    rest = sp.Mul(*[f for f in factors if f is not trigammas[0]])
    return None if rest.has(sp.polygamma) else (rest, trigammas[0].args[1])


def trigamma_gaps(expr: sp.Basic, positive: Callable[[sp.Expr], bool] | None = None) -> sp.Basic:
    """c·ψ′(X) − c·ψ′(Y) in every sum, with h = Y − X > 0, as c·TrigammaGap(X, h).  h > 0 by
    SymPy's assumptions (a sum of positive parameters, or of their exponentials), or by
    ``positive(h)`` where given (e.g. h affine in η and positive over the chart's image)."""
    proved = positive if positive is not None else (lambda h: bool(h.is_positive))

    def rewrite(add: sp.Add) -> sp.Expr:
        terms = list(add.args)
        found = [(t, *split) for t in terms if (split := _split(t)) is not None]
        for t1, c1, x in found:
            for t2, c2, y in found:
                if t1 in terms and t2 in terms and t1 is not t2 and sp.expand(c1 + c2) == 0:
                    h = sp.expand(y - x)
                    if h.free_symbols and proved(h):
                        terms.remove(t1)
                        terms.remove(t2)
                        terms.append(c1 * TrigammaGap(x, h))
        return sp.Add(*terms) if len(terms) != len(add.args) else add

    return sp.sympify(expr).replace(lambda e: isinstance(e, sp.Add), rewrite)
