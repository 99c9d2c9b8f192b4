"""Entropy H = −Σₓ p(x) log p(x) of a count family whose mass ratio is one of three shapes,
recognized from the family's log-density (never from a name), summed in saddle-point form:

    p(x + 1)/p(x) = c/(x + 1)               (rate c;  p(0) = e^{−c})
                  = c·(n − x)/(x + 1)       (n trials, odds c;  p(0) = (1 + c)^{−n})
                  = c·(x + s)/(x + 1)       (shape s > 0, 0 < c < 1;  p(0) = (1 − c)^{s})

With P, Q the two probabilities of a trial (P + Q = 1: P = c/(1 + c), Q = 1/(1 + c) for n trials;
P = 1 − c, Q = c for a shape), μ(z) = log Γ(z + 1) − (z + ½)log z + z − ½log 2π (Stirling's remainder,
Binet's function: positive and decreasing on z > 0) and bd0(x, m) = x log(x/m) + m − x ≥ 0 (the
saddle-point deviance, Loader 2000), the terms f(x) = −log p(x) are, for x ≥ 1 (and x < n):

    rate:   ½log(2πx) + μ(x) + bd0(x, c)
    trials: ½log(2πx(n − x)/n) + [μ(x) − μ(n)] + μ(n − x) + bd0(x, nP) + bd0(n − x, nQ)
    shape:  ½log(2πx) + ½log1p(x/s) + [μ(s) − μ(x + s)] + μ(x) + bd0(s, NP) + bd0(x, NQ),  N = x + s

(the shape form: log Γ(x + s) = log Γ(N + 1) − log N and log Γ(s) = log Γ(s + 1) − log s, Stirling for
the three Γ(· + 1), and N log N = s log N + x log N), and f(0) = c, −n log Q, −s log P; f(n) = −n log P.
Every part is ≥ 0 (x(n − x)/n ≥ ½ for 1 ≤ x ≤ n − 1; μ decreasing), so f is a sum of non-negative
parts and H = Σ p(x)f(x) = Σ e^{−f}f a sum of non-negative terms: nothing cancels.

Exactness of the inputs of the deviances: the smaller of P, Q is taken as the float the chart gives
(p itself in a probability chart, σ(±θ) in a logit chart) and the larger as 1 − smaller in double-double,
the means nP, nQ, NP, NQ as double-double products, so x − m in bd0 is exact up to one rounding: the
sum is that of the mass of exactly these P, Q (no inconsistency of order ε·|x − m| in f).
μ(z) for z < 20 comes from 30-digit mpmath tables (integers, and z = j + s for the family's s),
above from its asymptotic series (5 terms, error < 1e-17 for z ≥ 20); bd0 from the series of
φ(d) = (1 + d)log1p(d) − d near d = 0, as in :mod:`symgeom.numeric.log_factorial`.

The sum runs over mean ± K·sd (K = :data:`WIDTH`, + K² terms), clipped to the support, widened
(×2 at a time) until the tail bound is below :data:`TAILS`·1e-12 of one term (a lower bound of H).  Tails:
f·e^{−f} ≤ (8/e)·e^{−7f/8}, and beyond the window the 7/8 power of the mass ratio is at most
ρ^{7/8} (ratios decrease away from the mode: c/(x + 1), c(n − x)/(x + 1), c(x + s)/(x + 1) for s ≥ 1
decrease in x, and for s < 1 they stay below c), so each tail is ≤ (8/e)·p(edge)^{7/8}/(1 − ρ^{7/8}).
Rounding (model, measured against mpmath in the tests: f within ε·(8f + 16) absolute, 4εf at the
edges x = 0, n; e^{−f}·f adds
4 ulps; summation 2 + log₂(chunk) ulps of the total) gives the returned bound
Σ p f·ε·(8f + 16 + (8f + 16)/f + 4) + tails.  The caller returns the value only where that bound is met.

A window over :data:`MAX_WINDOW` terms is not summed: a shape mass with non-integer s goes to the
Frullani integral of :mod:`symgeom.numeric.shape_entropy` (its own stated bound, same guard), the
others to the derived result (for an integer s, the log-moment integral of the explicit sum).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import mpmath
import numpy as np
import sympy as sp

from symgeom.derive.expectation import EXPAND_TERMS
from symgeom.families.base import Family, IntegerSupport
from symgeom.numeric.log_factorial import deviance

#: window half-width in standard deviations (+ WIDTH² terms): the tails are bounded, not assumed
WIDTH = 14.0
#: float64 unit roundoff
EPS = 2.0 ** -53
#: below this z, μ(z) comes from a 30-digit table
TABLE = 20
#: terms evaluated at once
CHUNK = 1 << 20
#: a window wider than this is not summed (ArithmeticError): ≈ a second per point
MAX_WINDOW = 1 << 25
#: a value whose error bound exceeds this fraction of it raises (the bar of issue #12)
GUARD_RTOL = 1e-12
#: the window is widened until the tails are below this fraction of the guard (times a term ≤ H)
TAILS = 1e-3
#: rounding model of f (module docstring): |f̃ − f| ≤ ε·(SLOPE·f + OFFSET)
SLOPE, OFFSET = 8.0, 16.0


@cache
def _mu_table(shift: Fraction) -> np.ndarray:
    """μ(j + shift) for j = 0 … TABLE − 1 at 30 digits (μ(0) = inf)."""
    with mpmath.workdps(30):
        s = mpmath.mpf(shift.numerator) / shift.denominator
        values = []
        for j in range(TABLE):
            z = j + s
            half = mpmath.mpf(1) / 2
            values.append(math.inf if z == 0 else float(
                mpmath.loggamma(z + 1) - (z + half) * mpmath.log(z) + z - mpmath.log(2 * mpmath.pi) / 2))
        return np.array(values)


def mu(j: np.ndarray, shift: Fraction = Fraction(0)) -> np.ndarray:
    """μ(j + shift) for integers j ≥ 0 (j + shift > 0), module docstring."""
    j = np.asarray(j, dtype=float)
    z = j + float(shift)
    small = z < TABLE
    big = np.where(small, float(TABLE), z)
    inv2 = 1.0 / (big * big)
    series = (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188)))) / big
    table = _mu_table(shift)
    return np.where(small, table[np.clip(j, 0, TABLE - 1).astype(int)], series)


def _two_prod(a: np.ndarray, b: float) -> tuple[np.ndarray, np.ndarray]:
    """a·b = hi + lo exactly (Dekker, Veltkamp splitting; no overflow at these magnitudes)."""
    hi = a * b
    split = 134217729.0  # 2²⁷ + 1
    t = split * a
    a1 = t - (t - a)
    a2 = a - a1
    t = split * b
    b1 = t - (t - b)
    b2 = b - b1
    lo = ((a1 * b1 - hi) + a1 * b2 + a2 * b1) + a2 * b2
    return hi, lo


def _mean(count: np.ndarray, prob: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """count·(hi + lo) in double-double."""
    hi, lo = _two_prod(count, prob[0])
    lo = lo + count * prob[1]
    s = hi + lo
    return s, lo - (s - hi)


def _bd0(x: np.ndarray, mean: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """bd0(x, m) with m in double-double: d = (x − m)/m from the exact difference."""
    hi, lo = mean
    return deviance(x, hi, (x - hi) - lo)


class _NotSummedError(Exception):
    """The window is too wide (or the rate out of range) to sum at this point."""


@dataclass(frozen=True)
class CountMass:
    """The recognized mass: ``shape`` is "rate", "trials" or "shape" (module docstring), ``size`` n or s."""

    shape: str
    size: Fraction
    rate: Callable[..., np.ndarray] | None  # c (rate shape)
    probabilities: Callable[..., tuple[np.ndarray, np.ndarray]] | None  # (P, Q)
    #: c as an expression of the chart symbols (rate shape; printed for torch/JAX by
    #: :mod:`symgeom.backends.rate_entropy`)
    rate_expression: sp.Expr | None = None
    #: (P, Q) as expressions of the chart symbols (trials/shape; printed for torch/JAX by
    #: :mod:`symgeom.backends.waiting_entropy`)
    probability_expressions: tuple[sp.Expr, sp.Expr] | None = None

    def entropy(self, *arrays: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(H, error bound, summed) per point; ``summed`` is False (and H nan) where the window
        exceeds :data:`MAX_WINDOW` or the rate is outside 0 < c < 2⁵², for the caller to route
        elsewhere."""
        arrays = np.broadcast_arrays(*[np.asarray(a, dtype=float) for a in arrays])
        shape = arrays[0].shape
        if self.shape == "rate":
            params = [(float(c), 0.0) for c in np.broadcast_to(self.rate(*arrays), shape).ravel()]
        else:
            big_p, big_q = (np.broadcast_to(v, shape).ravel() for v in self.probabilities(*arrays))
            params = list(zip(big_p.tolist(), big_q.tolist(), strict=True))
        values, bounds = np.full(len(params), np.nan), np.full(len(params), np.nan)
        summed = np.ones(len(params), dtype=bool)
        for i, (a, b) in enumerate(params):
            if math.isnan(a) or math.isnan(b):
                continue
            if self.shape != "rate" and min(a, b) == 0:  # a point mass (p = 0 or 1)
                values[i], bounds[i] = 0.0, 0.0
                continue
            try:
                values[i], bounds[i] = self._one(a, b)
            except _NotSummedError:
                summed[i] = False
        return values.reshape(shape), bounds.reshape(shape), summed.reshape(shape)

    def window(self, a: float, b: float) -> float:
        """Terms the window would take at (c, ·) or (P, Q)."""
        return 2 * WIDTH * self._sd(*self._split(a, b)) + 2 * WIDTH ** 2 + 1

    # --- one point ------------------------------------------------------------------------------
    def _split(self, a: float, b: float) -> tuple:
        """(c,) for a rate; else ((P_hi, P_lo), (Q_hi, Q_lo)) with the smaller as given, the other
        as 1 − smaller exactly (module docstring)."""
        if self.shape == "rate":
            return (a,)
        if a <= b:
            big = Fraction(1) - Fraction(a)
            hi = float(big)
            return (a, 0.0), (hi, float(big - Fraction(hi)))
        big = Fraction(1) - Fraction(b)
        hi = float(big)
        return (hi, float(big - Fraction(hi))), (b, 0.0)

    def _sd(self, *split) -> float:
        size = float(self.size)
        if self.shape == "rate":
            return math.sqrt(split[0])
        (p, _), (q, _) = split
        if self.shape == "trials":
            return math.sqrt(size * p) * math.sqrt(q)
        with np.errstate(over="ignore"):
            return float(np.sqrt(size * q) / np.float64(p))

    def _mean_value(self, *split) -> float:
        size = float(self.size)
        if self.shape == "rate":
            return split[0]
        (p, _), (q, _) = split
        return size * p if self.shape == "trials" else size * q / np.float64(p)

    def _edges(self, x: np.ndarray, split) -> np.ndarray:
        """f at x = 0 (and x = n)."""
        size = float(self.size)
        if self.shape == "rate":
            return np.full(x.shape, split[0])
        (p, _p_lo), (q, _q_lo) = split

        def minus_log(v: float, other: float) -> float:  # −log v, v + other = 1, the smaller exact
            return -math.log(v) if v <= other else -math.log1p(-other)

        if self.shape == "trials":
            return np.where(x == 0, size * minus_log(q, p), size * minus_log(p, q))
        return np.full(x.shape, size * minus_log(p, q))

    def _f(self, x: np.ndarray, split) -> np.ndarray:
        """−log p(x) (module docstring); x integers in the support."""
        size = float(self.size)
        top = size if self.shape == "trials" else math.inf
        edge = (x == 0) | (x == top)
        xi = np.where(edge, 1.0, x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(edge, self._edges(x, split), self._interior(xi, split))

    def _interior(self, xi: np.ndarray, split) -> np.ndarray:
        size = float(self.size)
        if self.shape == "rate":
            c = split[0]
            inner = 0.5 * np.log(2 * math.pi * xi) + mu(xi) + deviance(xi, c, xi - c)
        elif self.shape == "trials":
            p, q = split
            rest = size - xi
            inner = (0.5 * np.log(2 * math.pi * xi * (rest / size)) + (mu(xi) - mu(np.array(size)))
                     + mu(rest) + _bd0(xi, _mean(np.full(xi.shape, size), p))
                     + _bd0(rest, _mean(np.full(xi.shape, size), q)))
        else:
            p, q = split
            total = xi + size
            s = np.full(xi.shape, size)
            inner = (0.5 * np.log(2 * math.pi * xi) + 0.5 * np.log1p(xi / size)
                     + (mu(np.zeros(1), self.size) - mu(xi, self.size)) + mu(xi)
                     + _bd0(s, _mean(total, p)) + _bd0(xi, _mean(total, q)))
        return inner

    def _ratio_up(self, x: float, split) -> float:
        """An upper bound of p(y + 1)/p(y) for all y ≥ x (x past the mode)."""
        size = float(self.size)
        if self.shape == "rate":
            return split[0] / (x + 1)
        (p, _), (q, _) = split
        if self.shape == "trials":
            return p / q * (size - x) / (x + 1)
        return q * max((x + size) / (x + 1), 1.0)

    def _ratio_down(self, x: float, split) -> float:
        """An upper bound of p(y − 1)/p(y) for all 1 ≤ y ≤ x (x below the mode)."""
        size = float(self.size)
        if self.shape == "rate":
            return x / split[0]
        (p, _), (q, _) = split
        if self.shape == "trials":
            return x / (p / q * (size - x + 1))
        return x / (q * (x - 1 + size))

    def _tails(self, low: float, high: float, top: float, split) -> float:
        """The bound on Σ p f outside [low, high] (module docstring)."""
        tails = 0.0
        if high < top:
            rho = self._ratio_up(high + 1.0, split) ** 0.875
            f_edge = float(self._f(np.array([high + 1.0]), split)[0])
            tails += 8 / math.e * math.exp(-0.875 * f_edge) / (1 - rho)
        if low > 0:
            edge = low - 1.0
            rho = self._ratio_down(edge, split) ** 0.875 if edge > 0 else 0.0
            f_edge = float(self._f(np.array([edge]), split)[0])
            tails += 8 / math.e * math.exp(-0.875 * f_edge) / (1 - rho)
        return tails

    def _one(self, a: float, b: float) -> tuple[float, float]:
        split = self._split(a, b)
        if self.shape == "rate" and not 0 < a < 2.0 ** 52:
            raise _NotSummedError
        with np.errstate(over="ignore"):
            mean, sd = float(np.float64(self._mean_value(*split))), self._sd(*split)
        if not (math.isfinite(mean) and math.isfinite(sd)):
            raise _NotSummedError
        top = float(self.size) if self.shape == "trials" else math.inf
        spread = WIDTH * sd + WIDTH ** 2
        first_low = 0 if self.shape == "shape" and self.size < 1 else max(0, math.floor(mean - spread))
        if not min(top, math.ceil(mean + spread)) - first_low <= MAX_WINDOW:
            raise _NotSummedError  # the loop below would raise at its first pass; skip the term at the mode
        centre = float(min(max(round(mean), 0), top))
        floor = float((np.exp(-(f := self._f(np.array([centre]), split))) * f)[0])  # one term ≤ H
        while True:  # heavy (geometric) tails, as of a shape s < 1 at small P, need a wider window
            low = max(0, math.floor(mean - spread))
            if self.shape == "shape" and self.size < 1:
                low = 0  # the ratio bound below the window assumes s ≥ 1 (the mode is 0 here anyway)
            high = min(top, math.ceil(mean + spread))
            if not high - low <= MAX_WINDOW:
                raise _NotSummedError
            tails = self._tails(low, high, top, split)
            if tails <= TAILS * GUARD_RTOL * floor:
                break
            spread *= 2
        total, compensation, weighted = 0.0, 0.0, 0.0
        for start in range(int(low), int(high) + 1, CHUNK):
            x = np.arange(start, min(start + CHUNK, int(high) + 1), dtype=float)
            f = self._f(x, split)
            with np.errstate(under="ignore"):
                terms = np.exp(-f) * f
            # the edges x = 0, n are one log and a product: 4 ulps of f
            error = np.where((x == 0) | (x == top), 4 * f, SLOPE * f + OFFSET)
            with np.errstate(divide="ignore", invalid="ignore"):
                weighted += float(np.sum(np.where(f > 0, terms * (error + error / f + 4), 0.0)))
            part = float(np.sum(terms))
            t = total + part
            compensation += (total - t) + part if abs(total) >= abs(part) else (part - t) + total
            total = t
        total += compensation
        rounding = EPS * weighted + EPS * (2 + math.log2(CHUNK)) * total
        return total, rounding + tails


def count_mass(family: Family) -> CountMass | None:
    """The :class:`CountMass` of a one-variable family on ℕ (or {0, …, n}) whose mass ratio has one of
    the three shapes of the module docstring with p(0) as stated (checked symbolically); else None."""
    from symgeom.backends.sigmoid import sigmoid_form
    from symgeom.numeric import kernels

    support = family.support
    if not isinstance(support, IntegerSupport) or len(family.variables) != 1 or family.general is not None:
        return None
    k = sp.Dummy("k", integer=True, nonnegative=True)
    log_p = family.log_density().xreplace({family.variables[0]: k})
    # a large integer (n = 10⁹ trials) as a symbol: SymPy would otherwise expand Γ(n + 1)
    sizes = {i: sp.Dummy(f"n{i}", integer=True, positive=True)
             for i in log_p.atoms(sp.Integer) if abs(i) > 64}
    log_p = log_p.xreplace(sizes)
    back = {v: i for i, v in sizes.items()}
    log_p = log_p.replace(
        lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.binomial | sp.factorial),
        lambda e: sp.log(e.args[0].rewrite(sp.gamma)))
    step = sp.expand_log(log_p.xreplace({k: k + 1}) - log_p, force=True)
    try:
        rho = sp.factor(sp.simplify(sp.gammasimp(sp.expand_func(sp.exp(step)))))
        numerator, denominator = (sp.Poly(e, k) for e in sp.fraction(sp.together(rho)))
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return None
    if denominator.degree() != 1 or numerator.degree() > 1:
        return None
    d1, d0 = denominator.all_coeffs()
    if sp.simplify(d1 - d0) != 0:
        return None
    log_first = sp.simplify(log_p.xreplace({k: 0}))
    symbols = family.symbols()
    if numerator.degree() == 0:
        c = sp.simplify(numerator.all_coeffs()[0] / d1)
        if sp.simplify(log_first + c) != 0:
            return None
        rate = sp.lambdify(symbols, c, modules=["scipy", "numpy"])
        return CountMass("rate", Fraction(0), rate, None, c)
    n1, n0 = numerator.all_coeffs()
    s = sp.simplify(n0 / n1)
    c = sp.simplify(n1 / d1)
    s = s.xreplace(back)
    if not s.is_number or s.free_symbols:
        return None
    if s.is_negative:  # c·(x + s) with s = −n < 0: n trials, odds −c
        n, odds = -s, sp.simplify(-c)
        if not (n.is_integer and n == support.upper):
            return None
        big_p, big_q = sp.simplify(odds / (1 + odds)), sp.simplify(1 / (1 + odds))
        if sp.simplify(sp.expand_log(log_first - n.xreplace(sizes) * sp.log(big_q), force=True)) != 0:
            return None
        shape, size = "trials", Fraction(int(n))
    elif s.is_positive and support.upper is None:
        big_p, big_q = sp.simplify(1 - c), c
        if sp.simplify(sp.expand_log(log_first - s.xreplace(sizes) * sp.log(big_p), force=True)) != 0:
            return None
        shape, size = "shape", Fraction(int(sp.numer(s)), int(sp.denom(s)))
    else:
        return None
    pair = sp.lambdify(symbols, [sigmoid_form(big_p), sigmoid_form(big_q)],
                       modules=[{"sigmoid": kernels.sigmoid}, "scipy", "numpy"])
    return CountMass(shape, size, None, pair, None, (sigmoid_form(big_p), sigmoid_form(big_q)))


def wide_shape_entropy(mass: CountMass, scalars: list[np.ndarray], where: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(H, bound) at the points ``where`` of a "shape" mass by
    :func:`symgeom.numeric.shape_entropy.shape_entropy`, the smaller of P, Q passed as the chart gives
    it (exact, as in :meth:`CountMass._split`)."""
    from symgeom.numeric.shape_entropy import shape_entropy

    big_p, big_q = (np.broadcast_to(v, where.shape)[where] for v in mass.probabilities(*scalars))
    small_is_p = big_p <= big_q
    return shape_entropy(mass.size, np.where(small_is_p, big_p, big_q), small_is_p)


def _worst(bad: np.ndarray, values: np.ndarray, bounds: np.ndarray, scalars: list[np.ndarray]
           ) -> tuple[int, str]:
    """(flat index, parameters as text) of the ``bad`` point whose bound is the largest fraction
    of its value: what the refusal names."""
    worst = int(np.argmax(np.where(bad, bounds / np.maximum(np.abs(values), 1e-300), -1.0)))
    return worst, ", ".join(f"{np.ravel(a)[worst]:.6g}" for a in scalars)


def entropy_kernel(family: Family, fallback: Callable[[], Callable[..., np.ndarray]]
                   ) -> Callable[..., np.ndarray] | None:
    """The compiled entropy of a family with a recognized count mass (None otherwise): the saddle-point
    sum where its window fits; elsewhere, for a non-integer shape s, the Frullani integral of
    :mod:`symgeom.numeric.shape_entropy`, else ``fallback()`` (the derived result's function, built on
    first need); ArithmeticError where the bound exceeds :data:`GUARD_RTOL` of H."""
    from symgeom.numeric.inputs import unpack

    mass = count_mass(family)
    if mass is None:
        return None
    other: list[Callable[..., np.ndarray]] = []

    def kernel(*arrays: np.ndarray) -> np.ndarray:
        scalars = np.broadcast_arrays(*[np.asarray(a, dtype=float) for a in unpack(family, arrays)])
        dtype = np.result_type(*arrays, np.float32)
        values, bounds, summed = mass.entropy(*scalars)
        bad = summed & ~(bounds <= GUARD_RTOL * np.abs(values)) & ~np.isnan(values)
        if bad.any():
            worst, at = _worst(bad, values, bounds, scalars)
            raise ArithmeticError(
                f"count-family entropy: the error bound {np.ravel(bounds)[worst]:.3g} exceeds {GUARD_RTOL:g} "
                f"of the value {np.ravel(values)[worst]:.6g} at parameters ({at}); not returned rather than "
                "returned wrong")
        if not summed.all() and mass.shape == "shape" and (mass.size.denominator != 1
                                                           or mass.size > EXPAND_TERMS):
            # the derived Σ log C(x + s − 1, x) is a finite sum of logarithms (the log-moment integral)
            # only for an integer s, and one of s terms: for a fractional or a large s (10⁶, where
            # the derivation keeps the Σ explicit) the Frullani integral of the log Γ difference
            values[~summed], bounds[~summed] = wide_shape_entropy(mass, scalars, ~summed)
            bad = ~summed & ~(bounds <= GUARD_RTOL * np.abs(values))
            if bad.any():
                worst, at = _worst(bad, values, bounds, scalars)
                raise ArithmeticError(
                    f"count-family entropy: at parameters ({at}) the window mean ± {WIDTH:g} sd exceeds "
                    f"{MAX_WINDOW} terms and the Frullani integral's error bound "
                    f"{np.ravel(bounds)[worst]:.3g} exceeds {GUARD_RTOL:g} of the value "
                    f"{np.ravel(values)[worst]:.6g}; not returned rather than returned wrong")
            summed = np.ones_like(summed)
        if not summed.all():
            if not other:
                other.append(fallback())
            rest = other[0](*[np.asarray(a)[~summed] if np.ndim(a) else a for a in
                              np.broadcast_arrays(*arrays)])
            values[~summed] = np.asarray(rest, dtype=float)
        return np.asarray(values, dtype=dtype)[()]

    return kernel
