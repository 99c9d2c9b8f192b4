"""The catalog of families and a by-name constructor with clear errors."""

from __future__ import annotations

from symgeom.errors import UnknownFamilyError
from symgeom.families import (
    bernoulli,
    beta,
    binomial,
    categorical,
    dirichlet,
    exponential,
    gamma,
    gaussian,
    geometric,
    laplace,
    multivariate_gaussian,
    negative_binomial,
    poisson,
)
from symgeom.families.base import Family, Parameter, Parameterization
from symgeom.families.custom import InconsistentFamilyError, custom_family
from symgeom.families.front import front_door

Bernoulli = front_door(bernoulli.Bernoulli)
Categorical = front_door(categorical.Categorical)
Gaussian = front_door(gaussian.Gaussian)
MultivariateGaussian = front_door(multivariate_gaussian.MultivariateGaussian)
Poisson = front_door(poisson.Poisson)
Exponential = front_door(exponential.Exponential)
Gamma = front_door(gamma.Gamma)
Beta = front_door(beta.Beta)
Binomial = front_door(binomial.Binomial)
Geometric = front_door(geometric.Geometric)
NegativeBinomial = front_door(negative_binomial.NegativeBinomial)
Laplace = front_door(laplace.Laplace)
Dirichlet = front_door(dirichlet.Dirichlet)

FAMILY_NAMES = (
    "bernoulli", "categorical", "gaussian", "multivariate_gaussian",
    "poisson", "exponential", "gamma", "beta", "binomial", "geometric", "negative_binomial",
    "laplace", "dirichlet",
)
_ALIASES = {"normal": "gaussian", "mvn": "multivariate_gaussian", "mvgaussian": "multivariate_gaussian",
            "negbin": "negative_binomial", "nbinom": "negative_binomial"}


def family(
    name: str,
    param: str | None = None,
    *,
    k: int | None = None,
    d: int | None = None,
    covariance: str | None = None,
    n: int | None = None,
    r: int | None = None,
) -> Family:
    """Build a family by name: ``family("categorical", "logits", k=3)``.

    Sizes that a family does not take (``k`` for a Gaussian, say) are an error, not ignored.
    """
    if not isinstance(name, str):
        raise UnknownFamilyError(
            f"family name must be a string, got {type(name).__name__}; accepted: {', '.join(FAMILY_NAMES)}"
        )
    key = _ALIASES.get(name.lower().replace("-", "_"), name.lower().replace("-", "_"))
    if key not in FAMILY_NAMES:
        raise UnknownFamilyError(
            f"unknown family {name!r}; accepted: {', '.join(FAMILY_NAMES)}"
        )
    given = {"k": k, "d": d, "covariance": covariance, "n": n, "r": r}
    takes = {
        "bernoulli": set(),
        "categorical": {"k"},
        "dirichlet": {"k"},
        "gaussian": set(),
        "multivariate_gaussian": {"d", "covariance"},
        "binomial": {"n"},
        "negative_binomial": {"r"},
    }.get(key, set())
    extra = [f"{n}={v!r}" for n, v in given.items() if v is not None and n not in takes]
    if extra:
        raise UnknownFamilyError(f"family {key!r} takes no {', '.join(extra)}")
    kwargs = {n: v for n, v in given.items() if v is not None}
    # a missing count is the constructor's clear InvalidSizeError, not a TypeError
    required = {"binomial": ("n",), "negative_binomial": ("r",), "dirichlet": ("k",)}.get(key, ())
    kwargs.update({size: given[size] for size in required})
    if param is not None:
        kwargs["param"] = param
    constructor = {
        "bernoulli": Bernoulli,
        "categorical": Categorical,
        "gaussian": Gaussian,
        "multivariate_gaussian": MultivariateGaussian,
        "poisson": Poisson,
        "exponential": Exponential,
        "gamma": Gamma,
        "beta": Beta,
        "binomial": Binomial,
        "geometric": Geometric,
        "negative_binomial": NegativeBinomial,
        "laplace": Laplace,
        "dirichlet": Dirichlet,
    }[key]
    return constructor(**kwargs)


__all__ = [
    "FAMILY_NAMES",
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Dirichlet",
    "Exponential",
    "Family",
    "Gamma",
    "Gaussian",
    "Geometric",
    "InconsistentFamilyError",
    "Laplace",
    "MultivariateGaussian",
    "NegativeBinomial",
    "Parameter",
    "Parameterization",
    "Poisson",
    "custom_family",
    "family",
]
