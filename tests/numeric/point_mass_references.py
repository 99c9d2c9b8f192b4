"""Independent 400-digit references at accepted endpoints, from the probability mass functions
written out here (not from symgeom): KL(P‖Q) = Σ_{P(x)>0} P(x) log(P(x)/Q(x)) (∞ when some Q(x) = 0
with P(x) > 0) and H(P) = −Σ_{P(x)>0} P(x) log P(x), with 0⁰ = 1, so that p = 0 or 1 is the
point mass the family's formula gives there.  400 digits: 1 − 10⁻³⁰⁰ must differ from 1."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import mpmath as mp
import numpy as np

DIGITS = 400

Pmf = Callable[[mp.mpf, int], mp.mpf]

#: family label → (pmf(p, x), outcomes summed: every one for a finite support; for a count
#: support enough that a point mass or an x with Q(x) = 0 < P(x) is reached, see _kl)
PMFS: dict[str, tuple[Pmf, range]] = {
    "bernoulli[prob]": (lambda p, x: p if x == 1 else 1 - p, range(2)),
    "binomial(n=4)[prob]": (lambda p, x: mp.binomial(4, x) * p**x * (1 - p) ** (4 - x), range(5)),
    "geometric[prob]": (lambda p, x: (1 - p) ** x * p, range(3)),
    "negative_binomial(r=3)[prob]": (lambda p, x: mp.binomial(x + 2, x) * p**3 * (1 - p) ** x, range(3)),
}

#: values inside (0, 1) for the arguments not on an endpoint: ordinary, tiny, next to 1
INSIDE = (0.3, 0.5, 1e-8, 1e-300, 1 - 2.0**-53)


def kl(pmf: Pmf, outcomes: range, a: float, b: float) -> float:
    """KL(P_a‖Q_b) where P_a or Q_b is a point mass (every other pair is not an endpoint case)."""
    with mp.workdps(DIGITS):
        return _kl(pmf, outcomes, a, b)


def _kl(pmf: Pmf, outcomes: range, a: float, b: float) -> float:
    p, q = mp.mpf(a), mp.mpf(b)
    total = mp.mpf(0)
    mass = mp.mpf(0)
    for x in outcomes:
        px = pmf(p, x)
        if px == 0:
            continue
        qx = pmf(q, x)
        if qx == 0:
            return np.inf
        total += px * mp.log(px / qx)
        mass += px
    assert mass == 1, "a count support is summed only where P is a point mass or Q(x) = 0 < P(x)"
    return float(total)


def entropy(pmf: Pmf, outcomes: range, a: float) -> float:
    with mp.workdps(DIGITS):
        return _entropy(pmf, outcomes, a)


def _entropy(pmf: Pmf, outcomes: range, a: float) -> float:
    p = mp.mpf(a)
    terms = [pmf(p, x) for x in outcomes]
    assert sum(terms) == 1, "the entropy is referenced only at point masses of a count support"
    return float(-sum(t * mp.log(t) for t in terms if t != 0))


def ends(lower: float | None, upper: float | None) -> list[float]:
    return [v for v in (lower, upper) if v is not None]


def kl_cases(lower: float | None, upper: float | None) -> list[tuple[float, float]]:
    """(a, b) pairs with at least one argument on an included endpoint."""
    values = ends(lower, upper) + list(INSIDE)
    on = set(ends(lower, upper))
    return [(a, b) for a, b in itertools.product(values, repeat=2) if a in on or b in on]


def close(got: float, want: float, rel: float) -> bool:
    """Equal infinities, or relative error ≤ ``rel`` (absolute at a zero reference)."""
    if np.isinf(want) or want == 0:
        return got == want
    return abs(got - want) <= rel * abs(want)


# --- one-sided derivatives at an endpoint ---------------------------------------------------------
#: labels whose support is finite (PMFS' range is every outcome); the others are summed as series
FINITE = {"bernoulli[prob]", "binomial(n=4)[prob]"}


def _series(pmf: Pmf, p: mp.mpf, finite: range | None) -> list[tuple[int, mp.mpf]]:
    """(x, P(x)) for every x with P(x) > 0, or, for a count support, until P(x) < 10^{−DIGITS−20}
    past the mode (P decays geometrically there: the dropped tail is below the working precision)."""
    if finite is not None:
        return [(x, pmf(p, x)) for x in finite]
    out, x, floor = [], 0, mp.mpf(10) ** (-DIGITS - 20)
    while True:
        px = pmf(p, x)
        out.append((x, px))
        if x > 3 and (px < floor or px == 0) and px <= out[-2][1]:
            return out
        x += 1
        assert x < 40_000, "the series is summed only where P decays fast"


def kl_exact(pmf: Pmf, finite: range | None, p: mp.mpf, q: mp.mpf) -> mp.mpf:
    """KL(P_p‖Q_q) at the working precision (mp.inf where Q(x) = 0 < P(x))."""
    total = mp.mpf(0)
    for x, px in _series(pmf, p, finite):
        if px == 0:
            continue
        qx = pmf(q, x)
        if qx == 0:
            return mp.inf
        total += px * mp.log(px / qx)
    return total


def entropy_exact(pmf: Pmf, finite: range | None, p: mp.mpf) -> mp.mpf:
    return -mp.fsum(px * mp.log(px) for _, px in _series(pmf, p, finite) if px != 0)


#: steps of the one-sided difference quotients (400 digits keep 1 − 10⁻¹⁶⁰ apart from 1)
STEPS = (mp.mpf(10) ** -40, mp.mpf(10) ** -80, mp.mpf(10) ** -160)


def one_sided_slope(f: Callable[[mp.mpf], mp.mpf], a: float, side: int) -> float:
    """The one-sided derivative of ``f`` at the endpoint ``a`` (side −1: a lower end, approached
    from above; +1: an upper end, from below) from the difference quotients
    Q(h) = (f(a ∓ h) − f(a))/(∓h) at h = 10⁻⁴⁰, 10⁻⁸⁰, 10⁻¹⁶⁰ with 400 digits: their value where
    they agree to 10⁻³⁰ (the quotient's error is O(h)), ±∞ where they grow in magnitude with one
    sign (a log- or power-divergence) or are infinite, nan where f is infinite on both sides."""
    with mp.workdps(DIGITS):
        point = mp.mpf(a)
        step = -side
        fa = f(point)
        quotients = []
        for h in STEPS:
            fh = f(point + step * h)
            if mp.isinf(fa) and mp.isinf(fh):
                return float("nan")
            quotients.append((fh - fa) / (step * h))
            if mp.isinf(fa):  # a finite value beside an infinite one: the quotient is ±∞ at every h
                return float(quotients[-1])
        if any(mp.isinf(q) for q in quotients):
            (q,) = {mp.sign(q) for q in quotients}
            return float(q * mp.inf)
        q1, q2, q3 = quotients
        if abs(q2 - q3) <= mp.mpf(10) ** -30 * (1 + abs(q3)):
            return float(q3)
        assert mp.sign(q1) == mp.sign(q2) == mp.sign(q3) and abs(q1) < abs(q2) < abs(q3), quotients
        return float(mp.sign(q3) * mp.inf)
