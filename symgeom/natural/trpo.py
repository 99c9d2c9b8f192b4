"""TRPO: the KL-constrained step Δ = √(2δ / gᵀF⁻¹g)·F⁻¹g and a line search on the exact KL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symgeom.errors import InvalidParameterError
from symgeom.families.base import Family
from symgeom.natural.cg import Operator, conjugate_gradient
from symgeom.natural.fvp import fvp_operator
from symgeom.natural.natural_gradient import solve_fisher
from symgeom.natural.point import check_point, check_vector, dimension, grouped
from symgeom.numeric.coerce import float64_array, real_number, whole_number

Vector = NDArray[np.float64]


@dataclass(frozen=True)
class TrustRegionStep:
    """The full trust-region step of the quadratic model and the pieces it is built from."""

    step: Vector
    natural_gradient: Vector
    quadratic_kl: float
    cg_iterations: int


@dataclass(frozen=True)
class TRPOResult:
    """One TRPO update θ → θ + αΔ after the backtracking line search.

    ``kl`` is the exact KL(θ‖θ+αΔ) of the accepted step (0 when nothing was accepted);
    ``fraction`` is α; ``accepted`` is False when every trial broke the constraint.
    """

    theta: Vector
    step: Vector
    full_step: TrustRegionStep
    max_kl: float
    kl: float
    fraction: float
    backtracks: int
    accepted: bool


def check_max_kl(max_kl: float) -> float:
    """δ must be a finite number > 0."""
    max_kl = real_number(max_kl, "max_kl")
    if not (np.isfinite(max_kl) and max_kl > 0):
        raise InvalidParameterError(f"max_kl δ must be a finite number > 0, got {max_kl!r}")
    return float(max_kl)


def trpo_direction(
    fisher: ArrayLike | Operator,
    gradient: ArrayLike,
    max_kl: float,
    *,
    damping: float = 0.0,
) -> TrustRegionStep:
    """argmax gᵀΔ s.t. ½ΔᵀFΔ ≤ δ:  Δ = √(2δ / gᵀF⁻¹g)·F⁻¹g.

    ``fisher`` is F as a matrix (Cholesky solve) or a Fisher-vector product v ↦ Fv (conjugate
    gradient, F never formed).  A zero gradient gives the zero step.
    """
    delta = check_max_kl(max_kl)
    g = float64_array(gradient, "gradient")
    if g.ndim != 1:
        raise InvalidParameterError(f"gradient must be a vector, got shape {g.shape}")
    g = check_vector(g, g.shape[0], "gradient")
    if callable(fisher):
        solved = conjugate_gradient(fisher, g, damping=damping)
        if not solved.converged:
            raise InvalidParameterError(
                f"conjugate gradient did not converge (residual {solved.residual_norm:.3g} after "
                f"{solved.iterations} iterations); increase damping"
            )
        natural, iterations = solved.x, solved.iterations
    else:
        natural, iterations = solve_fisher(fisher, g, damping), 0
    # gᵀF⁻¹g = ΔᵀFΔ per unit scale; a zero gradient has no ascent direction.
    curvature = float(g @ natural)
    if curvature == 0.0:
        return TrustRegionStep(np.zeros_like(g), natural, 0.0, iterations)
    scale = np.sqrt(2.0 * delta / curvature)
    return TrustRegionStep(scale * natural, natural, 0.5 * scale**2 * curvature, iterations)


@cache
def exact_kl(fam: Family) -> Callable[[Vector, Vector], float]:
    """(θ₁, θ₂) ↦ KL(p_θ₁‖p_θ₂) from the compiled ``sg.kl(fam)``."""
    import symgeom

    compiled = symgeom.kl(fam).numpy()

    def evaluate(theta1: Vector, theta2: Vector) -> float:
        return float(compiled(*grouped(fam, theta1), *grouped(fam, theta2)))

    return evaluate


def _inside(fam: Family, theta: Vector) -> bool:
    try:
        check_point(fam, theta)
    except InvalidParameterError:
        return False
    return True


def trpo_step(
    fam: Family,
    theta: ArrayLike,
    gradient: ArrayLike,
    max_kl: float,
    *,
    surrogate: Callable[[Vector], float] | None = None,
    line_search: bool = True,
    shrink: float = 0.8,
    max_backtracks: int = 10,
    damping: float = 0.0,
) -> TRPOResult:
    """θ + αΔ with Δ = √(2δ / gᵀF⁻¹g)·F⁻¹g (CG on closed-form FVPs) and α = shrinkʲ, j ≥ 0 the
    first with θ + αΔ in the domain, exact KL(θ‖θ+αΔ) ≤ δ and, if given, surrogate improved.

    ``gradient`` is ∇J at θ in the family's chart (ascent).  Without ``line_search`` the full
    step is taken as is (its KL is δ + O(δ^{3/2}), possibly above δ).
    """
    point = check_point(fam, theta)
    delta = check_max_kl(max_kl)
    g = check_vector(gradient, dimension(fam), "gradient")
    shrink = real_number(shrink, "shrink")
    max_backtracks = whole_number(max_backtracks, "max_backtracks")
    if not 0 < shrink < 1:
        raise InvalidParameterError(f"shrink must be in (0, 1), got {shrink!r}")
    if max_backtracks < 0:
        raise InvalidParameterError(f"max_backtracks must be >= 0, got {max_backtracks!r}")
    full = trpo_direction(fvp_operator(fam, point), g, delta, damping=damping)
    kl = exact_kl(fam)
    if not line_search:
        moved = point + full.step
        value = kl(point, moved) if _inside(fam, moved) else float("inf")
        return TRPOResult(moved, full.step, full, delta, value, 1.0, 0, True)
    baseline = surrogate(point) if surrogate is not None else None
    for j in range(max_backtracks + 1):
        fraction = shrink**j
        moved = point + fraction * full.step
        if not _inside(fam, moved):
            continue
        value = kl(point, moved)
        improved = baseline is None or surrogate(moved) > baseline
        if value <= delta and improved:
            return TRPOResult(moved, fraction * full.step, full, delta, value, fraction, j, True)
    return TRPOResult(point, np.zeros_like(point), full, delta, 0.0, 0.0, max_backtracks, False)
