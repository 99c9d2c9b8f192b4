"""Beta(α, β) on (0, 1), in the ``alpha_beta`` and ``mean_precision`` (m = α/(α+β), κ = α+β) charts."""

from __future__ import annotations

from functools import cache

import sympy as sp

from symgeom.families.base import (
    ExponentialFamilyForm,
    Family,
    Parameter,
    Parameterization,
    UnitIntervalSupport,
)

ALPHA = Parameter("a", r"\alpha", "first shape α", lower=0.0)
BETA = Parameter("b", r"\beta", "second shape β", lower=0.0)
MEAN = Parameter("m", "m", "mean m = α/(α+β)", lower=0.0, upper=1.0)
PRECISION = Parameter("kappa", r"\kappa", "precision κ = α + β", lower=0.0)
WEIGHT_1 = Parameter("u", "u", "unnormalized weight of the mean", lower=0.0)
WEIGHT_0 = Parameter("v", "v", "unnormalized weight of 1 − mean", lower=0.0)


@cache
def Beta(param: str = "alpha_beta") -> Family:  # noqa: N802 - a constructor in the public API
    """p(x|α,β) = x^{α−1}(1−x)^{β−1}/B(α,β) on 0 < x < 1; exponential family with
    T = (log x, log(1−x)), η = (α−1, β−1), A(η) = log Γ(η₁+1) + log Γ(η₂+1) − log Γ(η₁+η₂+2)."""
    x = sp.Symbol("x", positive=True)
    a, b, m, kappa = ALPHA.symbol(), BETA.symbol(), MEAN.symbol(), PRECISION.symbol()
    n1, n2 = sp.Symbol("eta1", real=True), sp.Symbol("eta2", real=True)
    u, v = WEIGHT_1.symbol(), WEIGHT_0.symbol()
    return Family(
        name="beta",
        title="Beta",
        size=(),
        variables=(x,),
        support=UnitIntervalSupport(),
        log_density_reference=(a - 1) * sp.log(x) + (b - 1) * sp.log(1 - x)
        - sp.loggamma(a) - sp.loggamma(b) + sp.loggamma(a + b),
        exponential_form=ExponentialFamilyForm(
            statistics=(sp.log(x), sp.log(1 - x)),
            natural_symbols=(n1, n2),
            natural=(a - 1, b - 1),
            log_partition=sp.loggamma(n1 + 1) + sp.loggamma(n2 + 1) - sp.loggamma(n1 + n2 + 2),
            log_base_measure=sp.Integer(0),
        ),
        parameterizations=(
            Parameterization("alpha_beta", "shapes α and β", (ALPHA, BETA), (a, b)),
            Parameterization(
                "mean_precision", "mean m = α/(α+β) and precision κ = α+β", (MEAN, PRECISION),
                (m * kappa, (1 - m) * kappa),
                cover=((WEIGHT_1, WEIGHT_0), (u / (u + v), kappa)),
                from_reference=(a / (a + b), a + b),
            ),
        ),
        param=param,
    )
