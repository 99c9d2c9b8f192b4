"""Binomial(n, p): successes in n Bernoulli trials, in the ``prob`` and ``logit`` charts."""

from __future__ import annotations

from functools import cache

import sympy as sp

from symgeom.families.base import ExponentialFamilyForm, Family, IntegerSupport
from symgeom.families.discrete_trials import PROB, check_count, probability_charts


def Binomial(n: int, param: str = "prob") -> Family:  # noqa: N802 - a constructor in the public API
    """p(x|p) = C(n, x) pˣ(1−p)ⁿ⁻ˣ on x ∈ {0, …, n}; exponential family with T = x,
    η = log(p/(1−p)), A(η) = n log(1 + eᵑ), log h(x) = log C(n, x)."""
    return _binomial(check_count("n", n, "Binomial"), param)


@cache
def _binomial(n: int, param: str) -> Family:
    x = sp.Symbol("x", integer=True, nonnegative=True)
    p = PROB.symbol()
    eta = sp.Symbol("eta", real=True)
    return Family(
        name="binomial",
        title=f"Binomial (n = {n})",
        size=(("n", n),),
        variables=(x,),
        support=IntegerSupport(upper=n),
        log_density_reference=sp.log(sp.binomial(n, x)) + x * sp.log(p) + (n - x) * sp.log(1 - p),
        exponential_form=ExponentialFamilyForm(
            statistics=(x,),
            natural_symbols=(eta,),
            natural=(sp.log(p / (1 - p)),),
            log_partition=n * sp.log(1 + sp.exp(eta)),
            log_base_measure=sp.log(sp.binomial(n, x)),
        ),
        parameterizations=probability_charts(),
        param=param,
    )
