"""Categorical(k): one draw from k classes, in the ``probs`` and ``logits`` (softmax) charts."""

from __future__ import annotations

from functools import cache

import sympy as sp

from symgeom.errors import InvalidSizeError
from symgeom.families.base import (
    ArrayArgument,
    ExponentialFamilyForm,
    Family,
    FiniteSupport,
    Parameter,
    Parameterization,
)


def check_k(k: object) -> int:
    """k must be an integer ≥ 2 (bools rejected)."""
    if isinstance(k, bool) or not isinstance(k, int | sp.Integer):
        raise InvalidSizeError(f"Categorical k must be an integer >= 2, got {k!r}")
    if int(k) < 2:
        raise InvalidSizeError(f"Categorical k must be an integer >= 2, got k={k}")
    return int(k)


def probability_parameters(k: int) -> tuple[Parameter, ...]:
    return tuple(
        Parameter(
            f"p{i}", f"p_{{{i}}}", f"probability of class {i}", lower=0.0, upper=1.0,
            point_latex=(f"p_{{{i}}}", f"q_{{{i}}}"),
        )
        for i in range(1, k)
    )


def logit_parameters(k: int) -> tuple[Parameter, ...]:
    return tuple(
        Parameter(
            f"z{i}", f"z_{{{i}}}", f"logit of class {i} relative to class {k}",
            point_latex=(f"z_{{{i}}}", f"z'_{{{i}}}"),
        )
        for i in range(1, k)
    )


@cache
def _categorical(k: int, param: str) -> Family:
    xs = tuple(sp.Symbol(f"x{i}", integer=True, nonnegative=True) for i in range(1, k + 1))
    probs = probability_parameters(k)
    logits = logit_parameters(k)
    p = [par.symbol() for par in probs]
    z = [par.symbol() for par in logits]
    p_last = 1 - sp.Add(*p)
    etas = tuple(sp.Symbol(f"eta{i}", real=True) for i in range(1, k))
    softmax_denominator = 1 + sp.Add(*[sp.exp(zi) for zi in z])
    weights = tuple(
        Parameter(f"a{i}", f"a_{{{i}}}", f"unnormalized weight of class {i}", lower=0.0)
        for i in range(1, k + 1)
    )
    w_symbols = [w.symbol() for w in weights]
    return Family(
        name="categorical",
        title=f"Categorical (k = {k})",
        size=(("k", k),),
        variables=xs,
        support=FiniteSupport(
            outcomes=tuple(tuple(int(i == j) for i in range(k)) for j in range(k))
        ),
        log_density_reference=sp.Add(*[x * sp.log(pi) for x, pi in zip(xs, p)])
        + xs[-1] * sp.log(p_last),
        exponential_form=ExponentialFamilyForm(
            statistics=xs[:-1],
            natural_symbols=etas,
            natural=tuple(sp.log(pi / p_last) for pi in p),
            log_partition=sp.log(1 + sp.Add(*[sp.exp(e) for e in etas])),
            log_base_measure=sp.Integer(0),
        ),
        parameterizations=(
            Parameterization(
                "probs",
                f"free probabilities p₁…p₍ₖ₋₁₎, p_{k} = 1 − Σ pᵢ",
                probs,
                tuple(p),
                constraints=((sp.Add(*p) < 1, "the probabilities must sum to less than 1"),),
                cover=(weights, tuple(w / sp.Add(*w_symbols) for w in w_symbols[:-1])),
                arrays=(ArrayArgument("p", k - 1, "simplex"),),
            ),
            Parameterization(
                "logits",
                f"logits z₁…z₍ₖ₋₁₎ relative to class {k} (z_{k} = 0), pᵢ = softmax(z)ᵢ",
                logits,
                tuple(sp.exp(zi) / softmax_denominator for zi in z),
                from_reference=tuple(sp.log(pi / (1 - sp.Add(*p))) for pi in p),
                arrays=(ArrayArgument("z", k - 1, "pinned"),),
            ),
        ),
        param=param,
    )


def Categorical(k: int = 3, param: str = "probs") -> Family:  # noqa: N802 - public constructor
    """p(x|p) = Πᵢ pᵢ^{xᵢ} for one-hot x; exponential family with T = (x₁…x₍ₖ₋₁₎),
    ηᵢ = log(pᵢ/p_k), A(η) = log(1 + Σᵢ e^{ηᵢ})."""
    return _categorical(check_k(k), param)
