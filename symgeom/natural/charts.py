"""Maps between two charts of one family, θ_B(θ_A), and their Jacobians ∂θ_B/∂θ_A."""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from symgeom.errors import InvalidParameterizationError
from symgeom.families.base import Family


@lru_cache(maxsize=64)
def chart_map(source: Family, target: Family) -> tuple[sp.Expr, ...]:
    """θ_target as expressions in θ_source: solve ref_target(θ_target) = ref_source(θ_source)."""
    if source.with_param(target.param) != target:
        raise InvalidParameterizationError(
            f"{source.label} and {target.label} are not two charts of one family"
        )
    unknowns = target.symbols(None)
    equations = [
        sp.Eq(t, s)
        for t, s in zip(target.chart.to_reference, source.chart.to_reference, strict=True)
    ]
    solutions = sp.solve(equations, unknowns, dict=True)
    if len(solutions) != 1:
        raise InvalidParameterizationError(
            f"cannot invert the chart map {source.param} -> {target.param} of {source.label} "
            f"({len(solutions)} solutions)"
        )
    # A coordinate shared by both charts (μ in mean_std and mean_logstd) solves a trivial
    # equation, which sp.solve leaves out of its answer.
    shared = set(source.symbols(None))
    missing = [u for u in unknowns if u not in solutions[0] and u not in shared]
    if missing:
        raise InvalidParameterizationError(
            f"cannot express {', '.join(map(str, missing))} of {target.label} in {source.param}"
        )
    return tuple(sp.simplify(solutions[0].get(u, u)) for u in unknowns)


def chart_jacobian(source: Family, target: Family) -> sp.ImmutableMatrix:
    """J = ∂θ_target/∂θ_source in θ_source; tangent vectors push forward as v_B = J v_A."""
    return sp.ImmutableMatrix(
        sp.Matrix(chart_map(source, target)).jacobian(sp.Matrix(source.symbols(None)))
    ).applyfunc(sp.simplify)
