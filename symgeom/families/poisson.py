"""Poisson(λ) on the non-negative integers, in the ``rate`` (λ) and ``log_rate`` (log λ) charts."""

from __future__ import annotations

from functools import cache

import sympy as sp

from symgeom.families.base import (
    ExponentialFamilyForm,
    Family,
    IntegerSupport,
    Parameter,
    Parameterization,
)

RATE = Parameter("lam", r"\lambda", "rate λ = E[x]", lower=0.0)
LOG_RATE = Parameter("log_lam", r"\log\lambda", "log rate log λ")


@cache
def Poisson(param: str = "rate") -> Family:  # noqa: N802 - a constructor in the public API
    """p(x|λ) = λˣ e^{−λ}/x! on x ∈ {0, 1, …}; exponential family with T = x, η = log λ,
    A(η) = eᵑ, log h(x) = −log x!."""
    x = sp.Symbol("x", integer=True, nonnegative=True)
    lam, log_lam = RATE.symbol(), LOG_RATE.symbol()
    eta = sp.Symbol("eta", real=True)
    return Family(
        name="poisson",
        title="Poisson",
        size=(),
        variables=(x,),
        support=IntegerSupport(),
        log_density_reference=x * sp.log(lam) - lam - sp.log(sp.factorial(x)),
        exponential_form=ExponentialFamilyForm(
            statistics=(x,),
            natural_symbols=(eta,),
            natural=(sp.log(lam),),
            log_partition=sp.exp(eta),
            log_base_measure=-sp.log(sp.factorial(x)),
        ),
        parameterizations=(
            Parameterization("rate", "rate λ", (RATE,), (lam,)),
            Parameterization("log_rate", "log rate log λ, λ = e^{log λ}", (LOG_RATE,),
                             (sp.exp(log_lam),), from_reference=(sp.log(lam),)),
        ),
        param=param,
    )
