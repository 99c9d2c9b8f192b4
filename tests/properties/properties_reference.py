"""KL(θ₁‖θ₂) of any catalog family from mpmath references (symgeom.numeric.reference)."""

from __future__ import annotations

import mpmath as mp
import numpy as np

from symgeom.families.base import Family
from symgeom.numeric import reference as ref
from symgeom.testing import arrays


def reference_kl(family: Family, theta1: tuple[float, ...], theta2: tuple[float, ...]) -> mp.mpf:
    """The mpmath reference KL at two points given in ``family.parameters`` order."""
    a, b = arrays(family, theta1), arrays(family, theta2)
    sizes = dict(family.size)
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


def as_float(value: object) -> float:
    return float(np.asarray(value))
