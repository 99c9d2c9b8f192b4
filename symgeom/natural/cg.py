"""Conjugate gradient for (A + λI)x = b with A symmetric positive definite, matrix-free."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symgeom.errors import InvalidParameterError
from symgeom.numeric.coerce import float64_array, real_number, whole_number

Operator = Callable[[NDArray[np.float64]], NDArray[np.float64]]


@dataclass(frozen=True)
class CGResult:
    """The solution of a CG solve and how it got there.

    ``residual_norm`` is ‖b − (A + λI)x‖ from the CG recurrence; ``converged`` says whether it
    reached ``tol·‖b‖`` within ``max_iter`` iterations.
    """

    x: NDArray[np.float64]
    iterations: int
    residual_norm: float
    converged: bool


def as_operator(a: ArrayLike | Operator, n: int) -> Operator:
    """v ↦ A v for a square matrix or a callable, checking the shape of what it returns."""
    if callable(a):
        apply = a
    else:
        matrix = float64_array(a, "matrix")
        if matrix.shape != (n, n):
            raise InvalidParameterError(
                f"matrix has shape {matrix.shape}, expected ({n}, {n}) to match b"
            )

        def apply(v: NDArray[np.float64]) -> NDArray[np.float64]:
            return matrix @ v

    def checked(v: NDArray[np.float64]) -> NDArray[np.float64]:
        out = float64_array(apply(v), "the operator's output")
        if out.shape != (n,):
            raise InvalidParameterError(
                f"operator returned shape {out.shape} for a vector of shape ({n},)"
            )
        return out

    return checked


def conjugate_gradient(
    a: ArrayLike | Operator,
    b: ArrayLike,
    *,
    damping: float = 0.0,
    tol: float = 1e-14,
    max_iter: int | None = None,
    preconditioner: Operator | None = None,
) -> CGResult:
    """Solve (A + λI)x = b by conjugate gradient; A is a matrix or a callable v ↦ Av (e.g. an FVP).

    xₖ₊₁ = xₖ + αₖpₖ, αₖ = rₖᵀzₖ / pₖᵀ(A+λI)pₖ, pₖ₊₁ = zₖ₊₁ + (rₖ₊₁ᵀzₖ₊₁ / rₖᵀzₖ) pₖ, z = M⁻¹r
    (M = I unless a ``preconditioner`` v ↦ M⁻¹v is given, e.g. 1/diag(F)).
    Each iteration costs one product with A, so a closed-form Fisher-vector product never forms F.
    Stops when ‖r‖ ≤ tol·‖b‖.  A direction with pᵀ(A+λI)p ≤ 0 proves the operator is not
    positive definite and raises :class:`InvalidParameterError`; ``damping`` λ ≥ 0 regularizes
    a singular or ill-conditioned Fisher matrix.
    """
    rhs = float64_array(b, "b")
    if rhs.ndim != 1:
        raise InvalidParameterError(f"b must be a vector, got shape {rhs.shape}")
    if not np.all(np.isfinite(rhs)):
        raise InvalidParameterError("b must be finite")
    damping = real_number(damping, "damping")
    tol = real_number(tol, "tol")
    if not (np.isfinite(damping) and damping >= 0):
        raise InvalidParameterError(f"damping must be a finite number >= 0, got {damping!r}")
    if not tol > 0:
        raise InvalidParameterError(f"tol must be > 0, got {tol!r}")
    n = rhs.shape[0]
    # Exact arithmetic needs ≤ n iterations; rounding can need a few more on ill-conditioned A.
    limit = 10 * n + 10 if max_iter is None else whole_number(max_iter, "max_iter")
    if limit < 0:
        raise InvalidParameterError(f"max_iter must be >= 0, got {max_iter!r}")
    apply = as_operator(a, n)
    precondition = as_operator(preconditioner, n) if preconditioner is not None else None

    x = np.zeros(n)
    r = rhs.copy()
    z = precondition(r) if precondition else r
    p = z.copy()
    rz = float(r @ z)
    residual = float(np.linalg.norm(r))
    target = tol * residual
    iterations = 0
    while residual > target and iterations < limit:
        ap = apply(p) + damping * p
        curvature = float(p @ ap)
        if not curvature > 0:
            raise InvalidParameterError(
                f"the operator is not positive definite: pᵀ(A + λI)p = {curvature:.3g} <= 0 "
                f"at CG iteration {iterations} (damping λ = {damping:g}); "
                "increase damping or check the Fisher matrix"
            )
        alpha = rz / curvature
        x += alpha * p
        r -= alpha * ap
        z = precondition(r) if precondition else r
        rz_next = float(r @ z)
        if not rz_next >= 0:
            raise InvalidParameterError("the preconditioner is not positive definite")
        p = z + (rz_next / rz) * p
        rz = rz_next
        residual = float(np.linalg.norm(r))
        iterations += 1
    return CGResult(x=x, iterations=iterations, residual_norm=residual,
                    converged=residual <= target)
