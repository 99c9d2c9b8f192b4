"""ln det Σ from Σ's Cholesky factor in derived results: log(c·det Σ) → log c + 2Σᵢ log Lᵢᵢ.

A specialized-size entropy is derived as ½ log(c·det Σ) with det Σ written out as a polynomial in
Σ's entries; evaluated as written, that polynomial cancels where Σ is ill-conditioned (condition
number 10¹²: det Σ ≈ 10⁻¹⁸ against terms of size 1, so the rounded determinant is 6 % off or
negative, and the entropy non-finite).  :func:`logdet_form` finds every log whose argument is a
positive number times the determinant of a positive-definite argument (an exact ``cancel``, never
a guess) and writes it log c + CholeskyLogDet(Σ's upper triangle); :func:`cholesky_logdet`
evaluates that as 2Σᵢ log Lᵢᵢ, Σ = LLᵀ, factored in double-double (:mod:`symgeom.numeric.dd_linalg`),
which keeps a few ulps of ln det Σ at condition number 10¹² (a float64 factor: ≈ cond(Σ)·ε).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from symgeom.families.base import Family
from symgeom.numeric.dd_linalg import dd_logdet
from symgeom.numeric.precision import matrix_blocks


class CholeskyLogDet(sp.Function):
    """ln det Σ of the symmetric matrix whose upper triangle, row by row, is the arguments."""

    is_real = True


def logdet_form(family: Family, expr: sp.Expr) -> sp.Expr | None:
    """``expr`` with each log(c·det Σ) (c > 0 a number, Σ a positive-definite argument) written
    log c + CholeskyLogDet(Σ); None where there is none."""
    symbols = list(family.symbols())
    out, changed = sp.sympify(expr), False
    for offset, d in matrix_blocks(family):
        upper = [(i, j) for i in range(d) for j in range(i, d)]
        names = dict(zip(upper, symbols[offset : offset + len(upper)], strict=True))
        det = sp.Matrix(d, d, [names[(min(i, j), max(i, j))] for i in range(d) for j in range(d)]).det()
        logdet = CholeskyLogDet(*[names[p] for p in upper])

        def swap(e: sp.log, det: sp.Expr = det, logdet: sp.Expr = logdet) -> sp.Expr:
            ratio = sp.cancel(e.args[0] / det)
            return sp.log(ratio) + logdet if ratio.is_number and ratio.is_positive else e

        new = out.replace(lambda e: isinstance(e, sp.log), swap)
        if new != out:
            out, changed = new, True
    return out if changed else None


def cholesky_logdet(*upper: np.ndarray) -> np.ndarray:
    """ln det Σ = 2Σᵢ ln Lᵢᵢ of the symmetric matrix with the given upper triangle (broadcast), by a
    double-double Cholesky of Σ scaled by an exact power of 4 (:func:`dd_linalg.dd_logdet`:
    ≈ cond(Σ)·ε² before the final rounding); float32 input is factored in float64 and rounded once.
    nan where Σ is not positive definite (or not finite)."""
    d = round((np.sqrt(8 * len(upper) + 1) - 1) / 2)
    arrays = np.broadcast_arrays(*[np.asarray(u, dtype=np.result_type(u, np.float32)) for u in upper])
    dtype = np.result_type(*arrays)
    shape = arrays[0].shape
    matrix = np.empty((*shape, d, d), dtype=np.float64)
    index = 0
    for i in range(d):
        for j in range(i, d):
            matrix[..., i, j] = matrix[..., j, i] = arrays[index]
            index += 1
    return dd_logdet(matrix).astype(dtype)
