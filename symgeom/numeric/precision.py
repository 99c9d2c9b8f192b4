"""Matrix-argument entries rewritten in the inverse matrix, for covariance charts.

A chart with a ``positive_definite`` array argument Σ gives Fisher entries that are rational in
Σ's entries: cofactors over powers of det Σ.  Evaluated that way, det Σ cancels catastrophically
when Σ is ill-conditioned (430 % off at condition number 10¹²).  Rewriting Σ = P⁻¹ exactly
(:mod:`symgeom.derive.inverse_argument`: a linear system over ℚ, never the degree-18 substitution
of adj P / det P) turns every such entry into a polynomial in the precision P, e.g. the covariance block
½ tr(Σ⁻¹EₐΣ⁻¹E_b) into products of two entries of P.  :func:`precision_form` returns that form
(with P's entries in the positions of Σ's symbols) when *every* entry becomes a polynomial, and
:func:`to_precision` replaces Σ's entries by those of Σ⁻¹ from a double-double Cholesky factor
(:mod:`symgeom.numeric.dd_linalg`: ≈ cond(Σ)·ε² before rounding, so P's entries come to ≈ ε of
‖P‖ at condition number 10¹², where ``numpy.linalg.inv`` gives ≈ cond(Σ)·ε).
"""

from __future__ import annotations

import functools
from itertools import combinations_with_replacement

import numpy as np
import sympy as sp

from symgeom.families.base import Family
from symgeom.numeric.dd_linalg import dd_precision
from symgeom.numeric.inputs import matrix_order


def matrix_blocks(family: Family) -> list[tuple[int, int]]:
    """(offset into family.symbols(), d) of every positive-definite array argument."""
    blocks, offset = [], 0
    for arg in family.chart.array_arguments:
        if arg.form == "positive_definite":
            blocks.append((offset, matrix_order(arg.count)))
        offset += arg.count
    return blocks


def precision_form(family: Family, result: sp.Matrix) -> sp.Matrix | None:
    """``result`` with each Σ replaced by P⁻¹, as polynomials in P (P's entries named as Σ's), or
    None when the chart has no matrix argument or an entry is not a polynomial in P
    (:func:`symgeom.derive.inverse_argument.in_inverse`: an exact linear-algebra reduction;
    computed once per result and shared by ``.numpy()`` and the array backends)."""
    blocks = matrix_blocks(family)
    if not blocks or not isinstance(result, sp.MatrixBase):
        return None
    return _inverse_matrix(sp.ImmutableMatrix(result), tuple(family.symbols()), tuple(blocks))


@functools.lru_cache(maxsize=32)
def _inverse_matrix(
    result: sp.ImmutableMatrix, symbols: tuple[sp.Symbol, ...], blocks: tuple[tuple[int, int], ...]
) -> sp.ImmutableMatrix | None:
    """The disk-cached reduction, memoized by value (its disk key prints the whole matrix)."""
    from symgeom.derive.inverse_argument import inverse_matrix

    return inverse_matrix(result, symbols, blocks)


def to_precision(family: Family, scalars: list[np.ndarray]) -> list[np.ndarray]:
    """The chart's scalar arguments with every Σ's upper-triangle entries replaced by Σ⁻¹'s;
    a non-finite or singular Σ gives nan entries (never an exception)."""
    return precision_scalars(tuple(matrix_blocks(family)), scalars)


def precision_scalars(blocks: tuple[tuple[int, int], ...], scalars: list[np.ndarray]) -> list[np.ndarray]:
    """:func:`to_precision` from the (offset, d) of each Σ (NumPy only: exported modules carry it).

    Σ⁻¹ comes from a double-double Cholesky of Σ scaled by an exact power of 4
    (:func:`symgeom.numeric.dd_linalg.dd_precision`), rounded once to the inputs' float type."""
    out = list(np.broadcast_arrays(*scalars))
    dtype = np.result_type(*out)
    for offset, d in blocks:
        pairs = list(combinations_with_replacement(range(d), 2))
        shape = out[offset].shape
        matrix = np.empty((*shape, d, d), dtype=np.float64)
        for n, (i, j) in enumerate(pairs):
            matrix[..., i, j] = matrix[..., j, i] = out[offset + n]
        inverse = dd_precision(matrix).astype(dtype)
        for n, (i, j) in enumerate(pairs):
            out[offset + n] = inverse[..., i, j]
    return out
