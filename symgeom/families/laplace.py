"""Laplace(μ, b) on ℝ, in the ``loc_scale`` and ``loc_logscale`` charts; not an exponential family."""

from __future__ import annotations

from functools import cache

import sympy as sp

from symgeom.families.base import Family, Parameter, Parameterization, RealSupport

LOC = Parameter("mu", r"\mu", "location μ (the median)")
SCALE = Parameter("b", "b", "scale b", lower=0.0)
LOG_SCALE = Parameter("log_b", r"\log b", "log scale log b")


@cache
def Laplace(param: str = "loc_scale") -> Family:  # noqa: N802 - a constructor in the public API
    """log p(x|μ,b) = −|x − μ|/b − log(2b) on x ∈ ℝ.  No exponential-family form: routes
    through a log-partition do not apply, and log p is not differentiable in μ at x = μ."""
    x = sp.Symbol("x", real=True)
    mu, b, log_b = LOC.symbol(), SCALE.symbol(), LOG_SCALE.symbol()
    return Family(
        name="laplace",
        title="Laplace",
        size=(),
        variables=(x,),
        support=RealSupport(dimension=1),
        log_density_reference=-sp.Abs(x - mu) / b - sp.log(2 * b),
        exponential_form=None,
        parameterizations=(
            Parameterization("loc_scale", "location μ and scale b", (LOC, SCALE), (mu, b)),
            Parameterization("loc_logscale", "location μ and log scale log b", (LOC, LOG_SCALE),
                             (mu, sp.exp(log_b)), from_reference=(mu, sp.log(b))),
        ),
        param=param,
    )
