"""Matrix-argument entries rewritten in the inverse matrix, for covariance charts.

A chart with a ``positive_definite`` array argument Σ gives Fisher entries that are rational in
Σ's entries: cofactors over powers of det Σ.  Evaluated that way, det Σ cancels catastrophically
when Σ is ill-conditioned (430 % off at condition number 10¹²).  Substituting Σ = P⁻¹ (entries
adj(P)/det P) and reducing exactly by factor-base arithmetic (:mod:`symgeom.derive.rational`)
turns every such entry into a polynomial in the precision P, e.g. the covariance block
½ tr(Σ⁻¹EₐΣ⁻¹E_b) into products of two entries of P.  :func:`precision_form` returns that form
(with P's entries in the positions of Σ's symbols) when *every* entry becomes a polynomial, and
:func:`to_precision` replaces Σ's entries by those of Σ⁻¹ from a double-double Cholesky factor
(:mod:`symgeom.numeric.dd_linalg`: ≈ cond(Σ)·ε² before rounding, so P's entries come to ≈ ε of
‖P‖ at condition number 10¹², where ``numpy.linalg.inv`` gives ≈ cond(Σ)·ε).
"""

from __future__ import annotations

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
    None when the chart has no matrix argument or an entry is not a polynomial in P."""
    from symgeom.derive.rational import RationalContext

    blocks = matrix_blocks(family)
    if not blocks or not isinstance(result, sp.MatrixBase):
        return None
    symbols = family.symbols()
    values, renamed = {}, {}
    precision: list[sp.Symbol] = []
    for offset, d in blocks:
        pairs = list(combinations_with_replacement(range(d), 2))
        entries = {p: sp.Dummy(f"P{p[0]}{p[1]}", real=True) for p in pairs}
        precision += list(entries.values())
        matrix = sp.Matrix(d, d, [entries[(min(i, j), max(i, j))] for i in range(d) for j in range(d)])
        for (i, j), s in zip(pairs, symbols[offset : offset + len(pairs)], strict=True):
            values[s] = (i, j, matrix)
            renamed[entries[(i, j)]] = s
    others = tuple(s for s in symbols if s not in values)
    try:
        context = RationalContext.for_expressions(list(result), tuple(precision) + others)
        fractions = {}
        for s, (i, j, matrix) in values.items():
            fractions[s] = context.convert(matrix.adjugate()[i, j]) / context.convert(matrix.det())
        out = [context.convert(e, fractions).as_expr() for e in result]
    except (ValueError, ZeroDivisionError):
        return None
    if any(not sp.fraction(e)[1].is_number or e.free_symbols & values.keys() for e in out):
        return None
    return sp.Matrix(result.rows, result.cols, [e.xreplace(renamed) for e in out])


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
