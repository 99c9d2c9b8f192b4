"""Entropy of a count family whose mass ratio is p(x + 1)/p(x) = (x + r)Q/(x + 1) (shape r, success
probability P = 1 − Q, p(0) = Pʳ: the negative binomial; recognized from the log-density by
:func:`symgeom.numeric.count_entropy.count_mass`, never by name), for torch, JAX and Array API
namespaces, with autodiff, ``jit`` and ``vmap`` (fixed sizes, ``where`` selects):

    P ≥ SPLIT:  H = Σ_{x=0}^{TERMS−1} −p(x)ℓ(x),  ℓ(x) = T(x) + r log P + x log Q,
                T(x) = log Γ(x + r) − log Γ(x + 1) − log Γ(r)       (30-digit table)
    P < SPLIT:  H = −r log P − (rQ/P) log Q + log Γ(r) − D,
                D = E[log Γ(X + r) − log Γ(X + 1)] = ∫₀^∞ e^{−t}[(r − 1) − G(t)E(t)] dt/t,
                G(t) = E e^{−Xt} = (P/(1 − Qe^{−t}))ʳ,  E(t) = (1 − e^{−(r−1)t})/(1 − e^{−t})

(D: Frullani/Binet, log Γ(z + r) − log Γ(z + 1) = ∫₀^∞ [(r − 1)e^{−t} − (e^{−(z+1)t} − e^{−(z+r)t})
/(1 − e^{−t})] dt/t averaged over X).  D is the trapezoid rule in u = log(t/P)
(1 − Qe^{−t} = P(1 + Qe^u(1 − e^{−t})/t): no subnormal t/P) with step STEP on a grid of NODES
nodes from u₀ = −40 − log(r² + 1) (the cut part is ≤ (r − 1)r(Q/P)t₀ ≤ e^{−40});
t is capped at CAP (e^{−t} = 0 there, so the capped nodes add nothing) and floored at e^{FLOOR} (so
for P below e^{−700}, beyond the stated regimes, the cut part is up to r²e^{−740}/P).  The integrand
is analytic in |Im u| < π/2 (poles of 1/(1 − e^{−t}) at t = 2πik), so the rule's error is
≈ e^{−π²/STEP} ≤ 1e-21.
(r − 1) − GE is written (r − 1)(1 − G) + G((r − 1) − E), 1 − G = −expm1(r log(P/(1 − Qe^{−t}))),
and below t = 1e-6 (r − 1) − E = −a(1 − a)t/2 − a(2a − 1)(a − 1)t²/12 + O(a t³), a = r − 1.

The smaller of P, Q is the float the chart gives, the log of the larger log1p(−smaller).  At Q = 0
(P = 1, a point mass) H = 0.  Measured (tests/backends/test_backends_waiting_entropy.py) against
50-digit references: ≤ 1e-12 relative for 0 < r ≤ MAX_SHAPE over P = 1e-300 … 1 − 1e-16 and logits
±700.  Above MAX_SHAPE the quadrature side's cancellation (≈ r log(1/P) against H) and the sum's
window are not analysed, and the form is not offered (the entropy stays refused).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np

from symgeom.backends import printer
from symgeom.backends.rate_entropy import chart_pair
from symgeom.families.base import Family

Array = Any

#: P at and above this takes the sum over outcomes, below it the quadrature
SPLIT = 0.25
#: outcomes 0 … TERMS − 1 of the sum (at P = SPLIT, r = 16 the mass past x = 400 is below e^{−74})
TERMS = 401
#: trapezoid step in u = log(t/P)
STEP = 0.2
#: nodes of the trapezoid rule: u₀ + (NODES − 1)·STEP ≥ log(CAP) + 745 (P down to 2^−1074)
NODES = 4000
#: largest t evaluated (e^{−CAP} = 0 in float64)
CAP = 800.0
#: log t is at least this (t > 0 in float64; the cut part stays ≤ e^{−40} for P ≥ e^{−700})
FLOOR = -740.0
#: largest shape r offered
MAX_SHAPE = 16


@cache
def _table(shape: Fraction) -> tuple[float, ...]:
    """T(x) = log Γ(x + r) − log Γ(x + 1) − log Γ(r), x = 0 … TERMS − 1, at 30 digits."""
    import mpmath

    with mpmath.workdps(30):
        r = mpmath.mpf(shape.numerator) / shape.denominator
        return tuple(float(mpmath.loggamma(x + r) - mpmath.loggamma(x + 1) - mpmath.loggamma(r))
                     for x in range(TERMS))


@cache
def _log_gamma(shape: Fraction) -> float:
    import mpmath

    with mpmath.workdps(30):
        return float(mpmath.loggamma(mpmath.mpf(shape.numerator) / shape.denominator))


@dataclass(frozen=True)
class WaitingEntropy:
    """The entropy as a ``_Plan`` vector form: ``(ops, *arrays) → H``."""

    family: Family
    shape: Fraction
    source: printer.Source  # (P, Q) of the chart scalars
    #: the point mass P = 1 is valued here (H = 0), not by backends.endpoint_where
    endpoints_inside: bool = True

    def __call__(self, ops: Any, *arrays: Array) -> Array:

        xp = ops.xp
        big_p, big_q = chart_pair(ops, self.family, self.source, arrays)
        r = float(self.shape)
        one, zero = xp.ones_like(big_p), xp.zeros_like(big_p)
        point = big_q == 0  # P = 1: a point mass
        half = one * 0.5
        p_in, q_in = xp.where(point, half, big_p), xp.where(point, half, big_q)
        p_small = p_in <= q_in
        small = xp.where(p_small, p_in, q_in)
        log_small, log_large = xp.log(small), xp.log1p(-small)
        log_p = xp.where(p_small, log_small, log_large)
        log_q = xp.where(p_small, log_large, log_small)
        near = p_in >= SPLIT

        # the outcome sum (its unselected entries at P = Q = ½)
        lp, lq = xp.where(near, log_p, math.log(0.5) * one), xp.where(near, log_q, math.log(0.5) * one)
        x = ops.asarray(np.arange(TERMS, dtype=np.float64), big_p)
        table = ops.asarray(np.asarray(_table(self.shape), dtype=np.float64), big_p)
        ell = table + r * lp[..., None] + x * lq[..., None]
        direct = xp.sum(-xp.exp(ell) * ell, axis=-1)

        # the quadrature (its unselected entries at P = 0.1)
        pf = xp.where(near, 0.1 * one, p_in)
        lpf = xp.where(near, math.log(0.1) * one, log_p)
        lqf = xp.log1p(-pf)
        qf = 1 - pf
        start = -40.0 - math.log(r * r + 1)
        u = ops.asarray(start + STEP * np.arange(NODES, dtype=np.float64), big_p)
        log_t = xp.clip(lpf[..., None] + u, FLOOR, math.log(CAP))
        t = xp.exp(log_t)  # may be subnormal, or 0 where XLA flushes it: t enters only as t/P below
        # (1 − Qe^{−t})/P = 1 + Qτφ, τ = t/P = e^u, φ = (1 − e^{−t})/t; log1p(y) = log y + log1p(1/y) above
        phi = xp.where(t < 1e-6, 1 - t / 2, -xp.expm1(-t) / xp.where(t < 1e-6, xp.ones_like(t), t))
        log_y = xp.log(qf)[..., None] + (log_t - lpf[..., None]) + xp.log(phi)
        y_low, log_y_high = xp.exp(xp.minimum(log_y, 0.0 * log_y)), xp.maximum(log_y, 0.0 * log_y)
        log_ratio = -xp.where(log_y < 0, xp.log1p(y_low), log_y_high + xp.log1p(xp.exp(-log_y_high)))
        g = xp.exp(r * log_ratio)
        a = r - 1  # (r − 1) − E: its series below t = 1e-6 (E of subnormal t is rounded in both parts)
        gap = xp.where(t < 1e-6, -a * (1 - a) * t / 2 - a * (2 * a - 1) * (a - 1) * t * t / 12,
                       a - xp.expm1(-a * t) / xp.expm1(-t))
        w = xp.exp(-t) * (a * -xp.expm1(r * log_ratio) + g * gap)
        d = STEP * xp.sum(w, axis=-1)
        far = -r * lpf - (r * qf / pf) * lqf + _log_gamma(self.shape) - d

        return xp.where(point, zero, xp.where(near, direct, far))


def waiting_entropy(family: Family | None) -> WaitingEntropy | None:
    """The form above for a family whose count mass has the shape form with 0 < r ≤ MAX_SHAPE, else None."""
    from symgeom.numeric.count_entropy import count_mass

    mass = count_mass(family) if family is not None else None
    if mass is None or mass.shape != "shape" or mass.probability_expressions is None \
            or not 0 < mass.size <= MAX_SHAPE:
        return None
    source = printer.print_source(tuple(mass.probability_expressions), family.symbols())
    return WaitingEntropy(family, mass.size, source)
