"""NegativeBinomial(r, p): failures before the r-th success, in the ``prob`` and ``logit`` charts."""

from __future__ import annotations

from functools import cache

import sympy as sp

from symgeom.families.base import ExponentialFamilyForm, Family, IntegerSupport
from symgeom.families.discrete_trials import PROB_WAITING, check_shape, probability_charts


def NegativeBinomial(r: float, param: str = "prob") -> Family:  # noqa: N802 - public constructor
    """p(x|p) = C(x+r−1, x) pʳ(1−p)ˣ = Γ(x+r)/(Γ(r) x!)·pʳ(1−p)ˣ on x ∈ {0, 1, …} (scipy's
    nbinom(r, p)), r > 0 real (a float is read as the decimal it prints, 0.001 → 1/1000);
    exponential family with T = x, η = log(1−p), A(η) = −r log(1 − eᵑ), log h(x) = log C(x+r−1, x)."""
    return _negative_binomial(check_shape("r", r, "NegativeBinomial"), param)


@cache
def _negative_binomial(r: int | sp.Rational, param: str) -> Family:
    x = sp.Symbol("x", integer=True, nonnegative=True)
    p = PROB_WAITING.symbol()
    eta = sp.Symbol("eta", negative=True)
    return Family(
        name="negative_binomial",
        title=f"negative binomial (r = {r})",
        size=(("r", r),),
        variables=(x,),
        support=IntegerSupport(),
        log_density_reference=sp.log(sp.binomial(x + r - 1, x)) + r * sp.log(p)
        + x * sp.log(1 - p),
        exponential_form=ExponentialFamilyForm(
            statistics=(x,),
            natural_symbols=(eta,),
            natural=(sp.log(1 - p),),
            log_partition=-r * sp.log(1 - sp.exp(eta)),
            log_base_measure=sp.log(sp.binomial(x + r - 1, x)),
        ),
        parameterizations=probability_charts(PROB_WAITING),
        param=param,
    )
