"""KL(θ₁‖θ₂) of any catalog family from mpmath references (symgeom.numeric.reference)."""

from __future__ import annotations

import mpmath as mp
import numpy as np

from symgeom.families.base import Family
from symgeom.numeric import reference as ref
from symgeom.testing import arrays


def reference_kl(
    family: Family, theta1: tuple[float, ...], theta2: tuple[float, ...], exact: bool = False
) -> mp.mpf:
    """The mpmath reference KL at two points given in ``family.parameters`` order.

    By default the points are grouped as the compiled functions get them, so the class-k
    probability 1 − Σpᵢ is rounded to float64 like theirs; ``exact=True`` keeps it exact, as the
    symbolic result has it.
    """
    a, b = arrays(family, theta1), arrays(family, theta2)
    sizes = dict(family.size)
    if exact and family.name == "categorical" and family.param == "probs":
        return ref.kl_probabilities(_exact_simplex(theta1), _exact_simplex(theta2))
    if family.name == "bernoulli":
        if family.param == "prob":
            return ref.kl_bernoulli(float(a[0]), float(b[0]))
        return ref.kl_bernoulli_logit(float(a[0]), float(b[0]))
    if family.name == "categorical":
        if family.param == "probs":
            return ref.kl_probabilities(a[0], b[0])
        return ref.kl_logits(a[0], b[0])
    if family.name == "gaussian":
        return ref.kl_gaussian(family.param, *(float(x) for x in (*a, *b)))
    if sizes["covariance"] == "full":
        return ref.kl_full_gaussian(a[0], a[1], b[0], b[1])
    with mp.workdps(ref.DPS):
        return mp.fsum(
            ref.kl_gaussian(family.param, a[0][i], a[1][i], b[0][i], b[1][i]) for i in range(sizes["d"])
        )


def _exact_simplex(theta: tuple[float, ...]) -> list[mp.mpf]:
    """(p₁, …, p_{k−1}, 1 − Σpᵢ) with the last entry exact (mpmath's exact addition)."""
    free = [mp.mpf(float(t)) for t in theta]
    total = mp.mpf(0)
    for value in free:
        total = mp.fadd(total, value, exact=True)
    return [*free, mp.fsub(1, total, exact=True)]


def as_float(value: object) -> float:
    return float(np.asarray(value))
