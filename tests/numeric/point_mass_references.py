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
