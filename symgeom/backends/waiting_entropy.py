"""Entropy of a count family whose mass ratio is p(x + 1)/p(x) = (x + s)Q/(x + 1) (shape s > 0, success
probability P = 1 − Q, p(0) = Pˢ: the negative binomial; recognized from the log-density by
:func:`symgeom.numeric.count_entropy.count_mass`, never by name), for torch, JAX and Array API
namespaces, with autodiff, ``jit`` and ``vmap`` (fixed sizes, ``where`` selects), any real
0 < s ≤ MAX_SHAPE:

    P ≥ SPLIT:  H = Σ_{x=0}^{X_s − 1} −p(x)ℓ(x),  ℓ(x) = T(x) + s log P + x log Q,
                T(x) = log Γ(x + s) − log Γ(x + 1) − log Γ(s)       (30-digit table)
    P < SPLIT:  H = K_s − log P + (1 − s)·log Q − s·φ(−P)/P − R      (centred Frullani form)

X_s: the first outcome past the mean with log p(x) < −100 at P = SPLIT (the mass is stochastically
decreasing in P, so the tail left out is below e^{−100}·100/(1 − ρ) for every P ≥ SPLIT; 401 … 5 000
terms for s = 10⁻³ … 1 024).

The centred form is that of :mod:`symgeom.numeric.shape_entropy` (its docstring derives it and bounds
its quadrature): K_s = log Γ(s + 1) − s log s + s, φ(−P)/P = Σ_{k≥2} P^{k−1}/(k(k − 1)),
m = sQ/P, and R = E[log Γ(X + s) − log Γ(X + 1)] − (s − 1)·log m = ∫ G·ψ du over u = log t, with
G = (1 + y)^{−s}, y = (Q/P)(1 − e^{−t}), ψ the smaller-part form of (s − 1)e^{−δ} − B,
B = (e^{−t} − e^{−st})/(1 − e^{−t}), δ = mt − s·log1p(y) ≥ 0.  Nothing of size s·log(1/P) is left to
cancel (the uncentred H = −s log P − (sQ/P) log Q + log Γ(s) − D used for s ≤ 16 before lost
≈ s·log(1/P)·ε/H).  Here the trapezoid rule has a fixed step STEP and a fixed number of nodes
(``_nodes_for(s)``) on a grid that moves with the point: u₀ = −LEFT − log Λ + log min(1, s),
Λ = 2|s − 1|m + s(s + 1)(1/cos 1.3 + 1)/2 (the nodes left out below u₀ add ≤ Λe^{u₀}STEP/(1 − e^{−STEP})),
up to u = log(TOP/κ), κ = min(s, 1) (past it |φ_R| ≤ |s − 1|[e^{−mt} + (1 + t)e^{−κt}] with m ≥ 3s:
below e^{−TOP}; nodes past it are masked).  The rule's discretization error is
≤ 2M/(e^{2π·1.3/STEP} − 1) with M the strip bound of that module (≤ 1e-13·H for s ≤ 1 024 at P < SPLIT).

The smaller of P, Q is the float the chart gives, the log of the larger log1p(−smaller).  At Q = 0
(P = 1, a point mass) H = 0 with a finite gradient (the form moves the input inside).  Measured
(tests/backends/test_backends_waiting_entropy.py, benchmarks/backend_survey.py) against 50-digit
references.  Above MAX_SHAPE the outcome sum's rounding (≈ s·|log P|·ε per term, 2e-13 of H at
s = 1 024) is not analysed: :func:`refusal` names the shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np

from symgeom.backends import printer
from symgeom.backends.outcome_sum import PairForm, point_logs, table_entropy
from symgeom.families.base import Family
from symgeom.numeric.refusal import size_name

Array = Any

#: P at and above this takes the sum over outcomes, below it the quadrature
SPLIT = 0.25
#: the outcome sum stops past the mean where log p(x) < −CUT at P = SPLIT
CUT = 100.0
#: trapezoid step in u = log t (strip half-width 1.3: e^{−2π·1.3/STEP} = 1.9e-18)
STEP = 0.2
#: e^{−LEFT} bounds the part below the first node (times Λ·STEP/(1 − e^{−STEP}), relative to min(1, s))
LEFT = 41.5
#: nodes past log(TOP/κ) are masked (their integrand is below e^{−TOP}·|s − 1|·(1 + TOP/κ))
TOP = 100.0
#: |log P| covered by the grid: P down to 2^−1074
LOG_TINY = 745.0
#: largest shape s offered
MAX_SHAPE = 1024
#: terms of the power series below (t < 1, y < 1 or P < ¼: each term ≤ 1/k!, 3^{−2k} or 4^{−k})
SERIES = 30
_COS = math.cos(1.3)


@cache
def _terms(shape: Fraction) -> int:
    """X_s of the module docstring."""
    s, p = float(shape), SPLIT
    q = 1 - p
    mean, x = s * q / p, 0
    base = s * math.log(p) - math.lgamma(s)
    while True:
        if x > mean and math.lgamma(x + s) - math.lgamma(x + 1) + base + x * math.log(q) < -CUT:
            return max(x + 1, 2)
        x += 1


@cache
def _table(shape: Fraction) -> tuple[float, ...]:
    """T(x) = log Γ(x + s) − log Γ(x + 1) − log Γ(s), x = 0 … X_s − 1, at 30 digits."""
    import mpmath

    with mpmath.workdps(30):
        s = mpmath.mpf(shape.numerator) / shape.denominator
        base = mpmath.loggamma(s)
        return tuple(float(mpmath.loggamma(x + s) - mpmath.loggamma(x + 1) - base)
                     for x in range(_terms(shape)))


@cache
def _constant(shape: Fraction) -> float:
    """K_s = log Γ(s + 1) − s log s + s at 30 digits."""
    import mpmath

    with mpmath.workdps(30):
        s = mpmath.mpf(shape.numerator) / shape.denominator
        return float(mpmath.loggamma(s + 1) - s * mpmath.log(s) + s)


def _lam_const(s: float) -> float:
    return s * (s + 1) * (1 / _COS + 1) / 2


@cache
def _nodes_for(shape: Fraction) -> int:
    """Nodes from u₀ at the smallest P (log(1/P) = LOG_TINY) up to log(TOP/κ)."""
    s = float(shape)
    kappa = min(s, 1.0)
    log_lam = math.log(2) + max(math.log(2 * abs(s - 1) * s) + LOG_TINY if s != 1 else -math.inf,
                                math.log(_lam_const(s)))  # an upper bound of log Λ
    span = math.log(TOP / kappa) + LEFT + log_lam - math.log(kappa)
    return math.ceil(span / STEP) + 2


def _series(xp: Any, x: Array, coefficients: list[float]) -> Array:
    """Σ_k c_k x^k by Horner's rule."""
    out = xp.zeros_like(x) + coefficients[-1]
    for c in reversed(coefficients[:-1]):
        out = out * x + c
    return out


def _exprel(xp: Any, x: Array) -> Array:
    """(1 − e^{−x})/x for x ≥ 0, its series below 1e-5."""
    small = x < 1e-5
    safe = xp.where(small, xp.ones_like(x), x)
    return xp.where(small, 1 - x / 2 + x * x / 6, -xp.expm1(-safe) / safe)


def _log_e(xp: Any, t: Array, u: Array) -> Array:
    """log E(t) = log(t − 1 + e^{−t}) from u = log t: 2u + log Σ_{k≥2}(−t)^{k−2}/k! for t < 1."""
    small = t < 1
    ts = xp.where(small, t, xp.zeros_like(t))
    coefficients = [(-1.0) ** j / math.factorial(j + 2) for j in range(SERIES)]
    big = xp.where(small, xp.ones_like(t), t)
    return xp.where(small, 2 * u + xp.log(_series(xp, ts, coefficients)), xp.log(big + xp.expm1(-big)))


def _y_minus_log1p(xp: Any, y: Array, log1p_y: Array) -> Array:
    """y − log1p(y) ≥ 0: y²/(2 + y) − 2Σ_{k≥1} w^{2k+1}/(2k + 1), w = y/(2 + y), for y < 1."""
    small = y < 1
    ys = xp.where(small, y, xp.zeros_like(y))
    w = ys / (2 + ys)
    tail = w * w * w * _series(xp, w * w, [1.0 / (2 * k + 1) for k in range(1, SERIES)])
    return xp.where(small, ys * ys / (2 + ys) - 2 * tail, y - log1p_y)


def _c_over(xp: Any, t: Array, s: float) -> Array:
    """C(t) = [e^{−st} − 1 + s(1 − e^{−t})]/(1 − e^{−t}); for t, st < 1 the numerator is
    s(s − 1)t²Σ_{k≥2}(−t)^{k−2}q_k/k!, q₂ = 1, q_{k+1} = s·q_k + 1."""
    small = (t < 1) & (s * t < 1)
    ts = xp.where(small, t, xp.zeros_like(t))
    coefficients, q = [], 1.0
    for k in range(2, SERIES + 2):
        coefficients.append((-1.0) ** (k - 2) * q / math.factorial(k))
        q = s * q + 1
    big = xp.where(small, xp.ones_like(t), t)
    direct = (xp.expm1(-s * big) - s * xp.expm1(-big)) / -xp.expm1(-big)
    return xp.where(small, s * (s - 1) * ts * _series(xp, ts, coefficients) / _exprel(xp, ts), direct)


def _phi_over_p(xp: Any, p: Array) -> Array:
    """φ(−P)/P = [(1 − P)log1p(−P) + P]/P = Σ_{k≥2}P^{k−1}/(k(k − 1)) (P < SPLIT: 4^{−k})."""
    return p * _series(xp, p, [1.0 / ((k + 2) * (k + 1)) for k in range(SERIES)])


def _integrand(xp: Any, u: Array, s: float, ell: Array) -> Array:
    """φ_R = G·ψ at the nodes u (:mod:`symgeom.numeric.shape_entropy`), ell = log(Q/P)."""
    log_s = math.log(s)
    t = xp.exp(u)
    lw = u + xp.log(_exprel(xp, t))  # log(1 − e^{−t})
    z = ell + lw
    log1p_y = xp.maximum(z, xp.zeros_like(z)) + xp.log1p(xp.exp(-xp.abs(z)))
    y = xp.exp(xp.minimum(z, xp.zeros_like(z) + 700.0))  # only y < 1 is used as y; above, log1p_y
    g = xp.exp(-s * log1p_y)
    delta = xp.exp(log_s + ell + _log_e(xp, t, u)) + s * _y_minus_log1p(xp, y, log1p_y)
    kappa = min(s, 1.0)
    big_b = (s - 1) * xp.exp(-kappa * t) * _exprel(xp, abs(s - 1) * t) / _exprel(xp, t)
    big_c = _c_over(xp, t, s)
    e_minus = xp.exp(-delta)
    one_minus = -xp.expm1(-delta)
    first = xp.abs(big_c) + abs(s - 1) * one_minus
    second = abs(s - 1) * e_minus + xp.abs(big_b)
    psi = xp.where(first <= second, big_c - (s - 1) * one_minus, (s - 1) * e_minus - big_b)
    return g * psi


@dataclass(frozen=True)
class WaitingEntropy(PairForm):
    """The entropy for s = ``shape``; its point mass P = 1 is valued here (H = 0)."""

    shape: Fraction = Fraction(1)

    def __call__(self, ops: Any, *arrays: Array) -> Array:
        xp = ops.xp
        big_p, big_q = self.pair(ops, arrays)
        s = float(self.shape)
        one, zero = xp.ones_like(big_p), xp.zeros_like(big_p)
        point = big_q == 0  # P = 1: a point mass
        p_in, log_p, log_q = point_logs(ops, big_p, big_q, point)
        near = p_in >= SPLIT

        # the outcome sum (its unselected entries at P = Q = ½)
        lp, lq = xp.where(near, log_p, math.log(0.5) * one), xp.where(near, log_q, math.log(0.5) * one)
        direct = table_entropy(ops, _table(self.shape), lambda x: (s, x), lp, lq)

        # the centred quadrature (its unselected entries at P = 0.1)
        pf = xp.where(near, 0.1 * one, p_in)
        lpf = xp.where(near, math.log(0.1) * one, log_p)
        lqf = xp.log1p(-pf)
        ratio = lqf - lpf  # log(Q/P)
        log_m = math.log(s) + ratio
        lam_const = math.log(_lam_const(s))
        log_lam = zero + lam_const if s == 1 else \
            xp.logaddexp(math.log(2 * abs(s - 1)) + log_m, lam_const + zero)
        start = -LEFT - log_lam + min(0.0, math.log(s))
        j = ops.asarray(np.arange(_nodes_for(self.shape), dtype=np.float64), big_p)
        u = start[..., None] + STEP * j
        top = math.log(TOP / min(s, 1.0))
        inside = u <= top
        values = _integrand(xp, xp.where(inside, u, xp.zeros_like(u)), s, ratio[..., None])
        r = STEP * xp.sum(xp.where(inside, values, xp.zeros_like(values)), axis=-1)
        far = (_constant(self.shape) - lpf + (1 - s) * lqf) - s * _phi_over_p(xp, pf) - r

        return xp.where(point, zero, xp.where(near, direct, far))


@cache
def count_mass_of(family: Family | None) -> Any:
    """:func:`symgeom.numeric.count_entropy.count_mass` of the family (None for none), once per family."""
    from symgeom.numeric.count_entropy import count_mass

    return count_mass(family) if family is not None else None


def waiting_entropy(family: Family | None) -> WaitingEntropy | None:
    """The form above for a family whose count mass has the shape form with 0 < s ≤ MAX_SHAPE, else None."""
    mass = count_mass_of(family)
    if mass is None or mass.shape != "shape" or mass.probability_expressions is None \
            or not 0 < mass.size <= MAX_SHAPE:
        return None
    source = printer.print_source(tuple(mass.probability_expressions), family.symbols())
    return WaitingEntropy(family, source, shape=mass.size)


def refusal(family: Family | None) -> str | None:
    """Why a shape count mass past MAX_SHAPE has no torch/JAX entropy (None where it has one, or
    where the family has no shape count mass)."""
    mass = count_mass_of(family)
    if mass is None or mass.shape != "shape" or mass.size <= MAX_SHAPE:
        return None
    r = size_name(family, mass.size, "r")
    return (f"the entropy of {family.label} on torch/JAX is offered for shapes 0 < {r} ≤ {MAX_SHAPE}; "
            f"{r} = {mass.size} is larger: the outcome sum's rounding (≈ {r}·|log p|·ε per term) and its "
            f"window (≈ 3{r} + 50√{r} terms) are not analysed there; .numpy() evaluates it (saddle-point sum "
            "or Frullani integral with an error bound)")
