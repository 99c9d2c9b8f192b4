"""Geometric(p): failures before the first success, in the ``prob`` and ``logit`` charts."""

from __future__ import annotations

from functools import cache

import sympy as sp

from symgeom.families.base import ExponentialFamilyForm, Family, IntegerSupport
from symgeom.families.discrete_trials import PROB_WAITING, probability_charts


@cache
def Geometric(param: str = "prob") -> Family:  # noqa: N802 - a constructor in the public API
    """p(x|p) = (1−p)ˣ p on x ∈ {0, 1, …} (failures before the first success); exponential
    family with T = x, η = log(1−p), A(η) = −log(1 − eᵑ)."""
    x = sp.Symbol("x", integer=True, nonnegative=True)
    p = PROB_WAITING.symbol()
    eta = sp.Symbol("eta", negative=True)
    return Family(
        name="geometric",
        title="Geometric",
        size=(),
        variables=(x,),
        support=IntegerSupport(),
        log_density_reference=x * sp.log(1 - p) + sp.log(p),
        exponential_form=ExponentialFamilyForm(
            statistics=(x,),
            natural_symbols=(eta,),
            natural=(sp.log(1 - p),),
            log_partition=-sp.log(1 - sp.exp(eta)),
            log_base_measure=sp.Integer(0),
        ),
        parameterizations=probability_charts(PROB_WAITING),
        param=param,
    )
