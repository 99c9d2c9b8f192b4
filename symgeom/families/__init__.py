"""The catalog of families and a by-name constructor with clear errors."""

from __future__ import annotations

from symgeom.errors import UnknownFamilyError
from symgeom.families import bernoulli, categorical, gaussian, multivariate_gaussian
from symgeom.families.base import Family, Parameter, Parameterization
from symgeom.families.front import front_door

Bernoulli = front_door(bernoulli.Bernoulli)
Categorical = front_door(categorical.Categorical)
Gaussian = front_door(gaussian.Gaussian)
MultivariateGaussian = front_door(multivariate_gaussian.MultivariateGaussian)

FAMILY_NAMES = ("bernoulli", "categorical", "gaussian", "multivariate_gaussian")
_ALIASES = {"normal": "gaussian", "mvn": "multivariate_gaussian", "mvgaussian": "multivariate_gaussian"}


def family(
    name: str,
    param: str | None = None,
    *,
    k: int | None = None,
    d: int | None = None,
    covariance: str | None = None,
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
    given = {"k": k, "d": d, "covariance": covariance}
    takes = {
        "bernoulli": set(),
        "categorical": {"k"},
        "gaussian": set(),
        "multivariate_gaussian": {"d", "covariance"},
    }[key]
    extra = [f"{n}={v!r}" for n, v in given.items() if v is not None and n not in takes]
    if extra:
        raise UnknownFamilyError(f"family {key!r} takes no {', '.join(extra)}")
    kwargs = {n: v for n, v in given.items() if v is not None}
    if param is not None:
        kwargs["param"] = param
    constructor = {
        "bernoulli": Bernoulli,
        "categorical": Categorical,
        "gaussian": Gaussian,
        "multivariate_gaussian": MultivariateGaussian,
    }[key]
    return constructor(**kwargs)


__all__ = [
    "FAMILY_NAMES",
    "Bernoulli",
    "Categorical",
    "Family",
    "Gaussian",
    "MultivariateGaussian",
    "Parameter",
    "Parameterization",
    "family",
]
