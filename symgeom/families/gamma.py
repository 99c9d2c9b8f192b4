"""Gamma(α, β) on (0, ∞), in the ``shape_rate``, ``shape_scale`` and ``natural`` charts."""

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

SHAPE = Parameter("alpha", r"\alpha", "shape α", lower=0.0)
RATE = Parameter("beta", r"\beta", "rate β", lower=0.0)
SCALE = Parameter("theta", r"\vartheta", "scale ϑ = 1/β", lower=0.0)
ETA1 = Parameter("eta1", r"\eta_{1}", "natural parameter η₁ = α − 1", lower=-1.0)
ETA2 = Parameter("eta2", r"\eta_{2}", "natural parameter η₂ = −β", upper=0.0)


@cache
def Gamma(param: str = "shape_rate") -> Family:  # noqa: N802 - a constructor in the public API
    """p(x|α,β) = β^α x^{α−1} e^{−βx}/Γ(α) on x > 0; exponential family with T = (log x, x),
    η = (α − 1, −β), A(η) = log Γ(η₁ + 1) − (η₁ + 1) log(−η₂)."""
    x = sp.Symbol("x", positive=True)
    alpha, beta, theta = SHAPE.symbol(), RATE.symbol(), SCALE.symbol()
    eta1, eta2 = ETA1.symbol(), ETA2.symbol()
    n1, n2 = sp.Symbol("eta1", real=True), sp.Symbol("eta2", negative=True)
    return Family(
        name="gamma",
        title="Gamma",
        size=(),
        variables=(x,),
        support=PositiveRealSupport(),
        log_density_reference=(alpha - 1) * sp.log(x) - beta * x + alpha * sp.log(beta)
        - sp.loggamma(alpha),
        exponential_form=ExponentialFamilyForm(
            statistics=(sp.log(x), x),
            natural_symbols=(n1, n2),
            natural=(alpha - 1, -beta),
            log_partition=sp.loggamma(n1 + 1) - (n1 + 1) * sp.log(-n2),
            log_base_measure=sp.Integer(0),
        ),
        parameterizations=(
            Parameterization("shape_rate", "shape α and rate β", (SHAPE, RATE), (alpha, beta)),
            Parameterization("shape_scale", "shape α and scale ϑ = 1/β", (SHAPE, SCALE),
                             (alpha, 1 / theta), from_reference=(alpha, 1 / beta)),
            Parameterization("natural", "natural parameters η₁ = α − 1, η₂ = −β", (ETA1, ETA2),
                             (eta1 + 1, -eta2), from_reference=(alpha - 1, -beta)),
        ),
        param=param,
    )
