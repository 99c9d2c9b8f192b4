"""E[g(X)] for g(x) = Σⱼ wⱼ·log(x + aⱼ) + const (aⱼ ≥ 1), X on ℕ with a negative-binomial-type
mass, by the Frullani integral: any mean, with a stated error bound.

Where the derivation keeps Σ_{x≥0} p(x) g(x) explicit and the mean m = E[X] is huge (a negative
binomial entropy at p = σ(θ) ≪ 1: E[log C(x + r − 1, x)], m ≈ r·e^{−θ}), summing term by term would
take ~m terms.  Instead, with log(x + a) = ∫₀^∞ (e^{−t} − e^{−(x+a)t}) dt/t and the probability
generating function G(z) = E[zˣ],

    E[log(X + a)] = ∫_{−∞}^{∞} φₐ(u) du,   t = eᵘ,
    φₐ(u) = e^{−t}·(1 − G(e^{−t})) + G(e^{−t})·e^{−t}·(1 − e^{−(a−1)t})   (two terms ≥ 0 for a ≥ 1).

Recognized from the data (the summand), never from a name: the mass ratio p(x+1)/p(x) is
c·(x + s)/(x + 1) with 0 < c < 1, s > 0, so G(z) = ((1 − c)/(1 − cz))ˢ and
log G(e^{−t}) = −s·log1p(e^{ℓ}·(1 − e^{−t})), ℓ = log(c/(1 − c)) simplified symbolically (−θ for a
logit chart: nothing rounds at θ = −700, where 1 − c = σ(θ) = e^{−700}); the mean is m = s·e^{ℓ}.

The integral is the trapezoidal rule in u with step h over [u₋, u₊].  Error bound (each part
rigorous; W = Σ|wⱼ|, A = max aⱼ):

* discretization — φₐ is analytic in the strip |Im u| < d = π/4, where Re t ≥ |t|·cos d > 0, so
  |G(e^{−t})| ≤ G(|e^{−t}|) ≤ 1 (non-negative coefficients), |1 − e^{−βt}| ≤ β|t| (β ≥ 0) and
  |1 − z^{β}G(z)| ≤ (m + β)|t|: |φₐ(u + iy)| ≤ min((m + a − 1)eᵘ, 2)·e^{−eᵘ cos d}, whose integral
  over u is at most M = 2 + 2·log(1 + (m + A − 1)/(2 cos d)) (E₁(x) ≤ log(1 + 1/x)).  The
  trapezoidal rule then errs by at most 2WM/(e^{2πd/h} − 1) (Trefethen & Weideman, SIAM Review 56
  (2014), Thm 5.1);
* left truncation — φₐ(u) ≤ (m + a − 1)eᵘ: the nodes below u₋ add at most
  W(m + A − 1)e^{u₋}·h/(1 − e^{−h});
* right truncation — φₐ(u) ≤ 2e^{−eᵘ}: the nodes above u₊ add at most 2W·h·e^{−T}/(1 − e^{−Th}),
  T = e^{u₊}.

h, u₋ and u₊ are chosen so that each part is ≤ 10⁻²⁰·W·(1 + log(1 + m)); the value is returned
only when the sum of the three bounds is ≤ ``rtol``·|E[g]| (else ArithmeticError).  Each node's φ is
a sum of non-negative terms computed from expm1/log1p, so rounding adds a relative error of a few
ulps, not a cancellation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

#: the half-width d of the strip of analyticity used in the discretization bound
STRIP = math.pi / 4
#: each of the three error parts is made ≤ TARGET·W·(1 + log(1 + m))
TARGET = 1e-20
#: nodes × points evaluated at once (a few MiB of temporaries)
ROWS = 1 << 18


@dataclass(frozen=True)
class LogMoment:
    """E[Σⱼ wⱼ log(X + aⱼ)] + const for a mass with ratio c(x + s)/(x + 1): the lambdified pieces."""

    weights: tuple[tuple[float, Callable[..., np.ndarray]], ...]  # (wⱼ, aⱼ(params))
    constant: Callable[..., np.ndarray]  # the x-free part of g
    shape: Callable[..., np.ndarray]  # s
    log_odds: Callable[..., np.ndarray]  # ℓ = log(c/(1 − c))

    def mean(self, *arrays: np.ndarray) -> np.ndarray:
        """m = E[X] = s·e^ℓ (inf where it overflows)."""
        with np.errstate(over="ignore"):
            return np.asarray(self.shape(*arrays) * np.exp(self.log_odds(*arrays)), dtype=float)

    def __call__(self, *arrays: np.ndarray, rtol: float = 1e-15) -> np.ndarray:
        return expectation(self, [np.asarray(a, dtype=float) for a in arrays], rtol)


def log_moment(summand: sp.Expr, x: sp.Symbol, arguments: Sequence[sp.Symbol]) -> LogMoment | None:
    """The :class:`LogMoment` of Σₓ ``summand`` when the summand is p(x)·g(x) of the shape in the
    module docstring (checked: the mass ratio, and p(0) = (1 − c)ˢ so that the mass sums to 1);
    None otherwise."""
    k = sp.Dummy("k", integer=True, nonnegative=True)
    term = sp.factor_terms(sp.Mul(*sp.Mul.make_args(summand)).xreplace({x: k}))
    factors = sp.Mul.make_args(term)
    logs = [f for f in factors if f.has(sp.log) and k in f.free_symbols]
    if len(logs) != 1:
        return None
    mass = sp.Mul(*[f for f in factors if f is not logs[0]])
    if mass.has(sp.log):
        return None
    weights = _log_terms(logs[0], k)
    shape_odds = _ratio(mass, k)
    if weights is None or shape_odds is None:
        return None
    (terms, constant), (s, c) = weights, shape_odds
    log_odds = sp.expand_log(sp.log(sp.simplify(c / (1 - c))), force=True)
    point = {a: sp.Rational(1, 3) + sp.Rational(i, 7) for i, a in enumerate(arguments)}
    normalized = (mass.xreplace({k: 0}) - (1 - c) ** s).xreplace(point)
    if abs(sp.N(normalized, 30)) > 1e-25:
        return None

    def function(e: sp.Expr) -> Callable[..., np.ndarray]:
        return sp.lambdify(tuple(arguments), e, modules=["scipy", "numpy"])

    return LogMoment(
        tuple((float(w), function(a)) for w, a in terms), function(constant), function(s), function(log_odds)
    )


def _log_terms(g: sp.Expr, k: sp.Symbol) -> tuple[list[tuple[sp.Expr, sp.Expr]], sp.Expr] | None:
    """([(wⱼ, aⱼ)], const) with g = Σ wⱼ log(k + aⱼ) + const, numeric wⱼ and aⱼ ≥ 1 free of k."""
    g = g.replace(lambda e: isinstance(e, sp.binomial | sp.factorial), lambda e: sp.expand_func(e))
    g = sp.expand(sp.expand_log(sp.factor(g), force=True))
    terms, constant = [], sp.S.Zero
    for term in sp.Add.make_args(g):
        if k not in term.free_symbols:
            constant += term
            continue
        w, rest = term.as_coeff_Mul()
        if not isinstance(rest, sp.log):
            return None
        a = sp.expand(rest.args[0] - k)
        if k in a.free_symbols or not a.is_number or a < 1:
            return None
        terms.append((w, a))
    return (terms, constant) if terms else None


def _ratio(mass: sp.Expr, k: sp.Symbol) -> tuple[sp.Expr, sp.Expr] | None:
    """(s, c) with mass(k + 1)/mass(k) = c·(k + s)/(k + 1), else None."""
    rho = sp.factor(sp.combsimp(sp.powsimp(mass.xreplace({k: k + 1}) / mass)))
    try:
        numerator, denominator = (sp.Poly(p, k) for p in sp.fraction(sp.together(rho)))
    except sp.PolynomialError:  # Γ(k + 7/2)/Γ(k + 5/2) left unreduced: not this shape
        return None
    if numerator.degree() != 1 or denominator.degree() != 1:
        return None
    n1, n0 = numerator.all_coeffs()
    d1, d0 = denominator.all_coeffs()
    if sp.simplify(d0 - d1) != 0:
        return None
    return sp.simplify(n0 / n1), sp.simplify(n1 / d1)


def _strip_integral(m: np.ndarray, top: float) -> np.ndarray:
    """M ≥ ∫|φₐ(u + iy)| du for |y| < d (module docstring)."""
    return 2 + 2 * np.log1p((m + top - 1) / (2 * math.cos(STRIP)))


def _bound_parts(m: np.ndarray, top: float, weight: float) -> tuple[float, np.ndarray, np.ndarray]:
    """(h, u₋, u₊) making each part of the module docstring's bound ≤ TARGET·W·(1 + log(1 + m))."""
    scale = TARGET * (1 + np.log1p(m))
    strip_integral = _strip_integral(m, top)
    h = float(np.min(2 * math.pi * STRIP / np.log1p(2 * strip_integral / scale)))
    lower = np.log(scale / 2) - np.log(m + top - 1)  # W(m + A − 1)e^{u₋}·h/(1 − e^{−h}) ≤ W·scale
    upper = np.log(np.log(4 / scale) + 1)  # T = e^{u₊} with 2h·e^{−T}/(1 − e^{−Th}) ≤ scale
    return h, lower, np.full_like(lower, upper)


def error_bound(m: np.ndarray, top: float, weight: float, h: float, lower: np.ndarray,
                upper: np.ndarray) -> np.ndarray:
    """The three parts of the module docstring's bound, summed."""
    strip_integral = _strip_integral(m, top)
    discretization = 2 * weight * strip_integral / np.expm1(2 * math.pi * STRIP / h)
    left = weight * (m + top - 1) * np.exp(lower) * h / -math.expm1(-h)
    big_t = np.exp(upper)
    right = 2 * weight * h * np.exp(-big_t) / -np.expm1(-big_t * h)
    return discretization + left + right


def expectation(moment: LogMoment, arrays: list[np.ndarray], rtol: float) -> np.ndarray:
    """E[g(X)] by the trapezoidal rule of the module docstring; ArithmeticError where the bound
    exceeds ``rtol``·|E[g]|."""
    shape = np.broadcast_shapes(*[a.shape for a in arrays]) if arrays else ()
    arrays = [np.broadcast_to(a, shape).ravel() for a in arrays]
    n = int(np.prod(shape))
    s = np.broadcast_to(moment.shape(*arrays), (n,)).astype(float)
    ell = np.broadcast_to(moment.log_odds(*arrays), (n,)).astype(float)
    shifts = [np.broadcast_to(a(*arrays), (n,)).astype(float) for _, a in moment.weights]
    if np.any(s <= 0) or any(np.any(a < 1) for a in shifts):
        low = min([float(np.min(a)) for a in shifts], default=1.0)
        raise ArithmeticError(f"log-moment integral: needs a shape s > 0 and shifts a ≥ 1, got s = "
                              f"{float(np.min(s)):.6g}, smallest a = {low:.6g}")
    weight = float(sum(abs(w) for w, _ in moment.weights))
    top = float(max(np.max(a) for a in shifts)) if n else 1.0
    with np.errstate(over="ignore"):
        m = s * np.exp(ell)
    if not np.all(np.isfinite(m)):
        bad = int(np.argmax(~np.isfinite(m)))
        raise ArithmeticError(f"log-moment integral: the mean E[X] = s·e^ℓ (s = {s[bad]:.6g}, ℓ = "
                              f"{ell[bad]:.6g}) exceeds float64's largest finite {np.finfo(float).max:.4g}")
    h, lower, upper = _bound_parts(m, top, weight)
    steps = np.ceil((upper - lower) / h).astype(int)
    total = np.zeros(n)
    nodes = np.arange(int(np.max(steps)) + 1 if n else 0)
    rows = max(1, ROWS // max(len(nodes), 1))
    for start in range(0, n, rows):
        part = slice(start, start + rows)
        u = lower[part, None] + h * nodes
        phi = _phi(u, s[part, None], ell[part, None], moment.weights, [a[part, None] for a in shifts])
        total[part] = np.sum(np.where(nodes <= steps[part, None], phi, 0.0), axis=-1)
    value = h * total + np.broadcast_to(moment.constant(*arrays), (n,))
    bound = error_bound(m, top, weight, h, lower, lower + steps * h)
    if not np.all(bound <= rtol * np.abs(value)):
        raise ArithmeticError(
            f"log-moment integral: error bound {np.max(bound):.3g} exceeds rtol = {rtol:g} of the value "
            f"{value[int(np.argmax(~(bound <= rtol * np.abs(value))))]:.6g}"
        )
    return value.reshape(shape)


def _phi(u: np.ndarray, s: np.ndarray, ell: np.ndarray, weights: Sequence[tuple[float, object]],
         shifts: list[np.ndarray]) -> np.ndarray:
    """Σⱼ wⱼ φ_{aⱼ}(u) (module docstring), every factor from expm1/log1p."""
    with np.errstate(under="ignore", over="ignore"):
        t = np.exp(u)
        # log(1 − e^{−t}) = u + log((1 − e^{−t})/t), the second part by its series where t is small
        small = t < 1e-5
        safe = np.where(small, 1.0, t)
        log_w = u + np.where(small, -t / 2 + t * t / 24, np.log(-np.expm1(-safe) / safe))
        log_g = -s * np.log1p(np.exp(ell + log_w))
        one_minus_g = -np.expm1(log_g)
        g = np.exp(log_g)
        decay = np.exp(-t)
        out = np.zeros_like(u)
        for (w, _), a in zip(weights, shifts, strict=True):
            out += w * decay * (one_minus_g - g * np.expm1(-(a - 1) * t))
    return out
