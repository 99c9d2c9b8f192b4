"""Natural gradient F(θ)⁻¹∇J: symbolic (a Derivation from sg.fisher) and numeric (CG, Cholesky)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike, NDArray

from symgeom.derivation import Derivation, Step
from symgeom.errors import InvalidParameterError, UnknownQuantityError
from symgeom.families.base import Family
from symgeom.natural.cg import conjugate_gradient
from symgeom.natural.fvp import fvp_operator
from symgeom.natural.point import check_point, check_vector, dimension, grouped
from symgeom.numeric.coerce import float64_array, real_number

METHODS = ("cg", "solve")


def gradient_symbols(fam: Family) -> tuple[sp.Symbol, ...]:
    """Generic Euclidean gradient components ∂J/∂θᵢ, named ``g_<parameter name>``."""
    return tuple(sp.Symbol(f"g_{par.name}", real=True) for par in fam.parameters)


def invert(matrix: sp.ImmutableMatrix) -> sp.ImmutableMatrix:
    """M⁻¹ as rational functions: hyperbolic functions are written with exp, each s under an exp
    becomes log u (u > 0) so that every entry is rational in u, the matrix is inverted by LU
    with cancellation, and u is put back as eˢ."""
    matrix = matrix.applyfunc(lambda e: e.rewrite(sp.exp))
    under_exp = sorted(
        {s for e in matrix.atoms(sp.exp) for s in e.free_symbols}, key=lambda s: s.name
    )
    u = {s: sp.Dummy(f"u_{s.name}", positive=True) for s in under_exp}
    rational = matrix.xreplace({s: sp.log(v) for s, v in u.items()}).applyfunc(
        lambda e: sp.cancel(sp.expand_power_exp(e))
    )
    inverse = rational.inv(method="LU").applyfunc(sp.factor)
    return sp.ImmutableMatrix(inverse.xreplace({v: sp.exp(s) for s, v in u.items()}))


def natural_gradient(fam: Family, gradient: Sequence[sp.Expr] | None = None) -> Derivation:
    """∇̃J = F(θ)⁻¹∇J, with F from ``sg.fisher(fam)`` and ∇J generic symbols unless given.

    ``result`` is a column ImmutableMatrix in θ and the gradient; ``arguments`` is θ followed by
    the gradient symbols (or the free symbols of a given gradient that are not θ).
    """
    n = dimension(fam)
    if gradient is None:
        grad = gradient_symbols(fam)
    else:
        grad = tuple(sp.sympify(g) for g in gradient)
        if len(grad) != n:
            raise InvalidParameterError(
                f"gradient has {len(grad)} components, expected {n} for {fam.label} "
                f"(coordinates {', '.join(p.name for p in fam.parameters)})"
            )
    return _natural_gradient(fam, grad)


@lru_cache(maxsize=64)
def _natural_gradient(fam: Family, grad: tuple[sp.Expr, ...]) -> Derivation:
    import symgeom

    theta = fam.symbols(None)
    fisher = symgeom.fisher(fam).result
    if not isinstance(fisher, sp.MatrixBase):
        raise UnknownQuantityError(
            f"natural_gradient: the Fisher information of {fam.label} is derived in matrix notation "
            "(a bilinear form, not an entry-by-entry matrix), so F⁻¹∇J has no symbolic form here; "
            "use natural_gradient_at(fam, theta, gradient) for numbers"
        )
    fisher_matrix = sp.ImmutableMatrix(fisher)
    inverse = invert(fisher_matrix)
    g = sp.ImmutableMatrix(grad)
    result = sp.ImmutableMatrix(inverse * g).applyfunc(sp.factor)
    n = len(theta)
    f_sym, g_sym = sp.MatrixSymbol("F", n, n), sp.MatrixSymbol(r"\nabla J", n, 1)
    arguments = list(theta)
    for component in grad:
        for s in sorted(component.free_symbols, key=lambda s: s.name):
            if s not in arguments:
                arguments.append(s)
    steps = (
        Step(sp.MatMul(sp.MatPow(f_sym, -1), g_sym, evaluate=False),
             "steepest ascent of $J$ under the metric $\\frac{1}{2}\\Delta^\\top F \\Delta$"),
        Step(fisher_matrix, "Fisher information of the family", lhs=f_sym),
        Step(g, "Euclidean gradient", lhs=g_sym),
        Step(inverse, "invert the Fisher matrix", lhs=sp.MatPow(f_sym, -1)),
        Step(result, "multiply and simplify"),
    )
    return Derivation(
        quantity="natural_gradient",
        route="fisher_inverse",
        family=fam,
        title=f"Natural gradient, {fam.title} ({fam.param})",
        symbol_latex=r"\tilde{\nabla} J",
        steps=steps,
        result=result,
        arguments=tuple(arguments),
    )


def solve_fisher(
    fisher_matrix: ArrayLike, gradient: ArrayLike, damping: float = 0.0
) -> NDArray[np.float64]:
    """(F + λI)⁻¹g by Cholesky; a matrix that is not symmetric positive definite is an error."""
    f = float64_array(fisher_matrix, "fisher_matrix")
    g = float64_array(gradient, "gradient")
    if f.ndim != 2 or f.shape[0] != f.shape[1]:
        raise InvalidParameterError(f"Fisher matrix must be square, got shape {f.shape}")
    g = check_vector(g, f.shape[0], "gradient")
    damping = real_number(damping, "damping")
    if not (np.isfinite(damping) and damping >= 0):
        raise InvalidParameterError(f"damping must be a finite number >= 0, got {damping!r}")
    if not np.all(np.isfinite(f)):
        raise InvalidParameterError("Fisher matrix must be finite")
    if not np.allclose(f, f.T, rtol=1e-12, atol=0.0):
        raise InvalidParameterError("Fisher matrix must be symmetric")
    try:
        chol = np.linalg.cholesky(f + damping * np.eye(f.shape[0]))
    except np.linalg.LinAlgError:
        raise InvalidParameterError(
            f"Fisher matrix is not positive definite (smallest eigenvalue "
            f"{np.linalg.eigvalsh(f).min():.3g}, damping λ = {damping:g}); increase damping"
        ) from None
    return np.linalg.solve(chol.T, np.linalg.solve(chol, g))


def fisher_at(fam: Family, theta: ArrayLike) -> NDArray[np.float64]:
    """F(θ) as an n×n array, from the compiled ``sg.fisher(fam)``."""
    import symgeom

    point = check_point(fam, theta)
    n = dimension(fam)
    return np.asarray(symgeom.fisher(fam).numpy()(*grouped(fam, point)), dtype=float).reshape(n, n)


def natural_gradient_at(
    fam: Family,
    theta: ArrayLike,
    gradient: ArrayLike,
    *,
    damping: float = 0.0,
    method: str = "cg",
) -> NDArray[np.float64]:
    """(F(θ) + λI)⁻¹∇J at one point: ``"cg"`` with closed-form FVPs, or ``"solve"`` on formed F."""
    if method not in METHODS:
        raise InvalidParameterError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    g = check_vector(gradient, dimension(fam), "gradient")
    if method == "solve":
        return solve_fisher(fisher_at(fam, theta), g, damping)
    result = conjugate_gradient(fvp_operator(fam, theta), g, damping=damping)
    if not result.converged:
        raise InvalidParameterError(
            f"conjugate gradient did not converge for {fam.label} (residual "
            f"{result.residual_norm:.3g} after {result.iterations} iterations); increase damping"
        )
    return result.x
