"""Random valid parameter points of a family (bounds and joint constraints), for numeric checks."""

from __future__ import annotations

import random

import sympy as sp

from symgeom.families.base import Family, Parameter

_MAX_TRIES = 10_000


def _draw(parameter: Parameter, rng: random.Random) -> float:
    low, high = parameter.lower, parameter.upper
    if low is not None and high is not None:
        span = high - low
        return rng.uniform(low + 0.05 * span, high - 0.05 * span)
    if low is not None:
        return low + rng.uniform(0.2, 3.0)
    if high is not None:
        return high - rng.uniform(0.2, 3.0)
    return rng.uniform(-2.0, 2.0)


def draw_point(family: Family, rng: random.Random) -> tuple[float, ...]:
    """One point θ of the active chart, uniform in a box, rejected until every constraint holds."""
    constraints = [
        sp.lambdify(family.symbols(), relation, modules="math")
        for relation, _ in family.chart.constraints
    ]
    for _ in range(_MAX_TRIES):
        values = tuple(_draw(p, rng) for p in family.parameters)
        if all(check(*values) for check in constraints):
            return values
    raise RuntimeError(f"could not draw a valid point of {family.label}")


def family_sampler(family: Family):
    """A sampler for check_identity: θ, θ₁, θ₂ valid points; Δ and t small reals."""

    def sample(rng: random.Random) -> dict[sp.Symbol, float]:
        values: dict[sp.Symbol, float] = {}
        for point in (None, 1, 2):
            values.update(zip(family.symbols(point), draw_point(family, rng)))
        for delta in family.delta_symbols():
            values[delta] = rng.uniform(-0.5, 0.5)
        return values

    return sample
