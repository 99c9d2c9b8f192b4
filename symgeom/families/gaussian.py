"""Univariate Gaussian N(μ, σ²) in the ``mean_std``, ``mean_var``, ``natural`` and ``mean_logstd`` charts."""

from __future__ import annotations

from functools import cache

import sympy as sp

from symgeom.families.base import (
    ExponentialFamilyForm,
    Family,
    Parameter,
    Parameterization,
    RealSupport,
)

MEAN = Parameter("mu", r"\mu", "mean μ")
STD = Parameter("sigma", r"\sigma", "standard deviation σ", lower=0.0)
VAR = Parameter(
    "sigma2", r"\sigma^{2}", "variance σ²", lower=0.0,
)
LOGSTD = Parameter(
    "log_sigma", r"\log\sigma", "log standard deviation log σ",
)
ETA1 = Parameter("eta1", r"\eta_{1}", "natural parameter η₁ = μ/σ²")
ETA2 = Parameter("eta2", r"\eta_{2}", "natural parameter η₂ = −1/(2σ²)", upper=0.0)


@cache
def Gaussian(param: str = "mean_std") -> Family:  # noqa: N802 - a constructor in the public API
    """log p(x|μ,σ) = −(x−μ)²/(2σ²) − log σ − ½ log 2π; exponential family with T = (x, x²),
    η = (μ/σ², −1/(2σ²)), A(η) = −η₁²/(4η₂) − ½ log(−2η₂)."""
    x = sp.Symbol("x", real=True)
    mu, sigma = MEAN.symbol(), STD.symbol()
    sigma2, log_sigma = VAR.symbol(), LOGSTD.symbol()
    eta1, eta2 = ETA1.symbol(), ETA2.symbol()
    n1, n2 = sp.Symbol("eta1", real=True), sp.Symbol("eta2", negative=True)
    return Family(
        name="gaussian",
        title="Gaussian",
        size=(),
        variables=(x,),
        support=RealSupport(dimension=1),
        log_density_reference=-((x - mu) ** 2) / (2 * sigma**2)
        - sp.log(sigma)
        - sp.log(2 * sp.pi) / 2,
        exponential_form=ExponentialFamilyForm(
            statistics=(x, x**2),
            natural_symbols=(n1, n2),
            natural=(mu / sigma**2, -1 / (2 * sigma**2)),
            log_partition=-(n1**2) / (4 * n2) - sp.log(-2 * n2) / 2,
            log_base_measure=-sp.log(2 * sp.pi) / 2,
        ),
        parameterizations=(
            Parameterization("mean_std", "mean μ and standard deviation σ", (MEAN, STD), (mu, sigma)),
            Parameterization(
                "mean_var", "mean μ and variance σ²", (MEAN, VAR), (mu, sp.sqrt(sigma2)),
                from_reference=(mu, sigma**2),
            ),
            Parameterization(
                "natural",
                "natural parameters η₁ = μ/σ², η₂ = −1/(2σ²)",
                (ETA1, ETA2),
                (-eta1 / (2 * eta2), sp.sqrt(-1 / (2 * eta2))),
                from_reference=(mu / sigma**2, -1 / (2 * sigma**2)),
            ),
            Parameterization(
                "mean_logstd",
                "mean μ and log standard deviation log σ",
                (MEAN, LOGSTD),
                (mu, sp.exp(log_sigma)),
                from_reference=(mu, sp.log(sigma)),
            ),
        ),
        param=param,
        moments=((mu,), ((sigma**2,),)),
    )
