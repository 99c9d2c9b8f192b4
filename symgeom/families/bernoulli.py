"""Bernoulli(p): one coin flip, in the ``prob`` (p) and ``logit`` (θ = log p/(1−p)) charts."""

from __future__ import annotations

from functools import cache

import sympy as sp

from symgeom.families.base import (
    ExponentialFamilyForm,
    Family,
    FiniteSupport,
    Parameter,
    Parameterization,
)

PROB = Parameter("p", "p", "probability of x = 1", lower=0.0, upper=1.0, lower_included=True,
                 upper_included=True)
LOGIT = Parameter("theta", r"\theta", "log-odds log(p/(1−p))")
WEIGHT_1 = Parameter("a", "a", "unnormalized weight of x = 1", lower=0.0)
WEIGHT_0 = Parameter("b", "b", "unnormalized weight of x = 0", lower=0.0)


@cache
def Bernoulli(param: str = "prob") -> Family:  # noqa: N802 - a constructor in the public API
    """p(x|p) = pˣ (1−p)¹⁻ˣ on x ∈ {0, 1}; exponential family with T = x, η = log(p/(1−p)),
    A(η) = log(1 + eᵑ)."""
    x = sp.Symbol("x", integer=True, nonnegative=True)
    p, theta = PROB.symbol(), LOGIT.symbol()
    eta = sp.Symbol("eta", real=True)
    return Family(
        name="bernoulli",
        title="Bernoulli",
        size=(),
        variables=(x,),
        support=FiniteSupport(outcomes=((0,), (1,))),
        log_density_reference=x * sp.log(p) + (1 - x) * sp.log(1 - p),
        exponential_form=ExponentialFamilyForm(
            statistics=(x,),
            natural_symbols=(eta,),
            natural=(sp.log(p / (1 - p)),),
            log_partition=sp.log(1 + sp.exp(eta)),
            log_base_measure=sp.Integer(0),
        ),
        parameterizations=(
            Parameterization(
                "prob", "probability p of x = 1", (PROB,), (p,),
                cover=((WEIGHT_1, WEIGHT_0), (WEIGHT_1.symbol() / (WEIGHT_1.symbol() + WEIGHT_0.symbol()),)),
            ),
            Parameterization(
                "logit", "log-odds θ, p = eᶿ/(1+eᶿ)", (LOGIT,), (sp.exp(theta) / (1 + sp.exp(theta)),),
                from_reference=(sp.log(p / (1 - p)),),
            ),
        ),
        param=param,
    )
