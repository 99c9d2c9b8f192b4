"""Exponential(λ) on (0, ∞), in the ``rate`` (λ), ``scale`` (1/λ) and ``log_rate`` (log λ) charts."""

from __future__ import annotations

from functools import cache

import sympy as sp

from symgeom.families.base import (
    ExponentialFamilyForm,
    Family,
    Parameter,
    Parameterization,
    PositiveRealSupport,
)

RATE = Parameter("lam", r"\lambda", "rate λ = 1/E[x]", lower=0.0)
SCALE = Parameter("s", "s", "scale s = 1/λ = E[x]", lower=0.0)
LOG_RATE = Parameter("log_lam", r"\log\lambda", "log rate log λ")


@cache
def Exponential(param: str = "rate") -> Family:  # noqa: N802 - a constructor in the public API
    """p(x|λ) = λe^{−λx} on x > 0; exponential family with T = x, η = −λ, A(η) = −log(−η)."""
    x = sp.Symbol("x", positive=True)
    lam, s, log_lam = RATE.symbol(), SCALE.symbol(), LOG_RATE.symbol()
    eta = sp.Symbol("eta", negative=True)
    return Family(
        name="exponential",
        title="Exponential",
        size=(),
        variables=(x,),
        support=PositiveRealSupport(),
        log_density_reference=sp.log(lam) - lam * x,
        exponential_form=ExponentialFamilyForm(
            statistics=(x,),
            natural_symbols=(eta,),
            natural=(-lam,),
            log_partition=-sp.log(-eta),
            log_base_measure=sp.Integer(0),
        ),
        parameterizations=(
            Parameterization("rate", "rate λ", (RATE,), (lam,)),
            Parameterization("scale", "scale s = 1/λ", (SCALE,), (1 / s,), from_reference=(1 / lam,)),
            Parameterization("log_rate", "log rate log λ, λ = e^{log λ}", (LOG_RATE,),
                             (sp.exp(log_lam),), from_reference=(sp.log(lam),)),
        ),
        param=param,
    )
