"""Shared data of the Bernoulli-trial counts (Binomial, Geometric, negative binomial): the
success probability p in the ``prob`` and ``logit`` charts, and the size checks."""

from __future__ import annotations

import sympy as sp

from symgeom.errors import InvalidSizeError
from symgeom.families.base import Parameter, Parameterization

#: p ∈ [0, 1]: a Binomial at p = 0 or 1 is a point mass.
PROB = Parameter("p", "p", "success probability p", lower=0.0, upper=1.0, lower_included=True,
                 upper_included=True)
#: p ∈ (0, 1]: waiting for a success (Geometric, negative binomial) — p = 0 puts no mass anywhere.
PROB_WAITING = Parameter("p", "p", "success probability p", lower=0.0, upper=1.0, upper_included=True)
LOGIT = Parameter("theta", r"\theta", "log-odds of success log(p/(1−p))")
WEIGHT_1 = Parameter("a", "a", "unnormalized weight of success", lower=0.0)
WEIGHT_0 = Parameter("b", "b", "unnormalized weight of failure", lower=0.0)


def probability_charts(prob: Parameter = PROB) -> tuple[Parameterization, Parameterization]:
    """``prob`` (p, reference; ``prob`` says which endpoints are distributions) and ``logit``
    (θ, p = eᶿ/(1+eᶿ))."""
    p, theta = prob.symbol(), LOGIT.symbol()
    a, b = WEIGHT_1.symbol(), WEIGHT_0.symbol()
    return (
        Parameterization("prob", "success probability p", (prob,), (p,),
                         cover=((WEIGHT_1, WEIGHT_0), (a / (a + b),))),
        Parameterization("logit", "log-odds θ, p = eᶿ/(1+eᶿ)", (LOGIT,),
                         (sp.exp(theta) / (1 + sp.exp(theta)),),
                         from_reference=(sp.log(p / (1 - p)),)),
    )


def check_count(name: str, value: object, what: str) -> int:
    """A count parameter (n of a Binomial, r of a negative binomial): an integer ≥ 1."""
    if isinstance(value, bool) or not isinstance(value, int | sp.Integer) or int(value) < 1:
        raise InvalidSizeError(f"{what} {name} must be an integer >= 1, got {name}={value!r}")
    return int(value)


def check_shape(name: str, value: object, what: str) -> int | sp.Rational:
    """A positive real shape (r of a negative binomial): an int stays an int; a float or a SymPy
    rational becomes the exact rational it names (0.001 → 1/1000, the shortest decimal of the float),
    an int again where it is integral."""
    if isinstance(value, bool) or not isinstance(value, int | float | sp.Rational):
        raise InvalidSizeError(f"{what} {name} must be a positive finite number, got {name}={value!r}")
    if isinstance(value, float):
        if not (value > 0 and value != float("inf")):
            raise InvalidSizeError(f"{what} {name} must be a positive finite number, got {name}={value!r}")
        value = sp.Rational(repr(value))
    value = sp.Rational(value)
    if not value > 0:
        raise InvalidSizeError(f"{what} {name} must be a positive finite number, got {name}={value!r}")
    return int(value) if value.is_integer else value
