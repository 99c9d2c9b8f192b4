"""Compiled functions of results in matrix notation (trace polynomials), Cholesky-based.

A specialized-size result such as ½ ln det(2πeΣ) or the Fisher bilinear form
F[(a,A),(b,B)] = aᵀΣ⁻¹b + ½tr(Σ⁻¹AΣ⁻¹B) is read into the trace normal form
(:mod:`symgeom.derive.matrix_calculus`) and evaluated from its terms, never expanded entry by
entry: a matrix symbol is the array argument of the same name (``Sigma`` ↔ the chart's
positive-definite argument ``Sigma``), factored once as Σ = LLᵀ in double-double; ln det Σ =
2Σᵢ log Lᵢᵢ; Σ⁻¹M = (L⁻ᵀL⁻¹)M with L⁻ᵀL⁻¹ formed in double-double and rounded once
(ε-accurate at condition number 10¹²).  A Fisher form is evaluated on the chart's coordinate
directions: eᵢ for a mean entry, Eᵢⱼ = eᵢeⱼᵀ + eⱼeᵢᵀ (i < j) or eᵢeᵢᵀ for a covariance entry.
Terms of any other shape are refused with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations_with_replacement

import numpy as np
import sympy as sp

from symgeom.derive import matrix_calculus as mc
from symgeom.errors import UnknownQuantityError
from symgeom.numeric.dd_linalg import dd_logdet, dd_precision

_NOTATION = (mc.Tr, mc.Form, mc.LogDet, mc.Det)


def in_matrix_notation(expr: sp.Basic) -> bool:
    """Whether ``expr`` is written with traces, forms or log-determinants of matrix symbols."""
    return isinstance(expr, sp.Basic) and expr.has(*_NOTATION)


class _Factored:
    """The matrices of one point: each symmetric positive definite argument with its ln det and
    inverse from a double-double Cholesky factor (:mod:`symgeom.numeric.dd_linalg`: ≈ cond·ε² before
    rounding, so ε-accurate at condition number 10¹², where a float64 factor gives ≈ cond·ε)."""

    def __init__(self, matrices: dict[str, np.ndarray], vectors: dict[str, np.ndarray]) -> None:
        self.matrices = matrices
        self.vectors = vectors
        self.inverses: dict[str, np.ndarray] = {}

    def logdet(self, name: str) -> np.ndarray:
        return dd_logdet(np.asarray(self.matrices[name], dtype=np.float64))

    def apply(self, letter: mc.Letter, right: np.ndarray) -> np.ndarray:
        """X·right or X⁻¹·right (X⁻¹ = L⁻ᵀL⁻¹ in double-double, rounded once)."""
        name, power = letter
        if power == 1:
            return self.matrices[name] @ right
        if name not in self.inverses:
            self.inverses[name] = dd_precision(np.asarray(self.matrices[name], dtype=np.float64))
        return self.inverses[name] @ right

    def word(self, word: mc.Word, d: int) -> np.ndarray:
        out = np.eye(d)
        for letter in reversed(word):
            out = self.apply(letter, out)
        if word == word[::-1]:
            # a palindrome of symmetric letters is symmetric: keep it so against rounding
            out = (out + np.swapaxes(out, -1, -2)) / 2
        return out

    def factor(self, factor: mc.Factor, d: int) -> np.ndarray:
        if factor[0] == "logdet":
            return self.logdet(factor[1])
        if factor[0] == "tr":
            return np.trace(self.word(factor[1], d), axis1=-2, axis2=-1)
        _, u, word, v = factor
        right = self.word(word, d) @ self.vectors[v][..., None]
        return np.sum(self.vectors[u] * right[..., 0], axis=-1)


def _coefficient(value: sp.Expr, d: int) -> float:
    return float(sp.sympify(value).xreplace({mc.D: d}))


def _arrays(family, arrays: tuple[np.ndarray, ...]) -> tuple[dict, dict, int]:
    """Array arguments of one point by name: matrices (positive definite) and vectors."""
    matrices, vectors = {}, {}
    for arg, value in zip(family.chart.array_arguments, arrays, strict=True):
        if arg.form == "positive_definite":
            matrices[arg.name] = value
        elif arg.form == "vector":
            vectors[arg.name] = value
        else:
            raise UnknownQuantityError(f"matrix-notation results take vector and matrix arguments, "
                                       f"not {arg.form!r} ({arg.name})")
    d = next(iter(matrices.values())).shape[-1]
    return matrices, vectors, d


def scalar_kernel(poly: mc.Poly, family) -> Callable[..., np.ndarray]:
    """A direction-free trace polynomial (an entropy) of one point's arrays."""

    def kernel(*arrays: np.ndarray) -> np.ndarray:
        matrices, vectors, d = _arrays(family, arrays)
        point = _Factored(matrices, vectors)
        batch = np.broadcast_shapes(*[a.shape[:-2] for a in matrices.values()],
                                    *[a.shape[:-1] for a in vectors.values()])
        total = np.zeros(batch)
        for mono, c in poly.terms:
            term = np.full(batch, _coefficient(c, d))
            for factor in mono:
                term = term * point.factor(factor, d)
            total = total + term
        return total[()] if total.ndim == 0 else total

    return kernel


def _rotate(word: mc.Word, first: set[str]) -> mc.Word:
    for i, (name, _) in enumerate(word):
        if name in first:
            return word[i:] + word[:i]
    raise UnknownQuantityError(f"trace term {word} has no direction letter")


def bilinear_kernel(poly: mc.Poly, family, left: dict[str, str], right: dict[str, str]) -> Callable:
    """F[e_p, e_q] of a form bilinear in the directions ``left`` and ``right`` (argument name →
    direction letter), on the chart's coordinate directions; output (..., n, n)."""
    left_dir = {v: k for k, v in left.items()}
    right_dir = {v: k for k, v in right.items()}

    def kernel(*arrays: np.ndarray) -> np.ndarray:
        matrices, vectors, d = _arrays(family, arrays)
        point = _Factored(matrices, vectors)
        offsets, pairs = {}, np.array(list(combinations_with_replacement(range(d), 2)))
        start = 0
        for arg in family.chart.array_arguments:
            offsets[arg.name] = start
            start += d if arg.form == "vector" else len(pairs)
        batch = np.broadcast_shapes(*[a.shape[:-2] for a in matrices.values()],
                                    *[a.shape[:-1] for a in vectors.values()])
        out = np.zeros((*batch, start, start))
        i, j = pairs[:, 0], pairs[:, 1]
        scale = np.where(i == j, 0.5, 1.0)
        for mono, c in poly.terms:
            coefficient = _coefficient(c, d)
            (factor,) = [f for f in mono if _moves(f, left_dir, right_dir)] or [None]
            if factor is None or len(mono) != 1:
                raise UnknownQuantityError(f"cannot compile the term {mc.to_sympy(mc.Poly(((mono, c),)))}"
                                           " of a bilinear form: one direction-bearing factor expected")
            if factor[0] == "bil":
                _, u, word, v = factor
                if u in right_dir:
                    u, v, word = v, u, word[::-1]
                rows, cols = offsets[left_dir[u]], offsets[right_dir[v]]
                block = coefficient * point.word(word, d)
                out[..., rows:rows + d, cols:cols + d] += block
                continue
            word = _rotate(factor[1], set(left_dir))
            split = next(n for n, (name, _) in enumerate(word) if name in right_dir)
            x = point.word(word[1:split], d)
            y = point.word(word[split + 1:], d)
            k, m = i[None, :], j[None, :]
            p, q = i[:, None], j[:, None]
            # tr(E_pq X E_km Y) for E_pq = s(e_p e_qᵀ + e_q e_pᵀ): four products X·Y.
            block = (x[..., q, k] * y[..., m, p] + x[..., q, m] * y[..., k, p]
                     + x[..., p, k] * y[..., m, q] + x[..., p, m] * y[..., k, q])
            block = block * (scale[:, None] * scale[None, :]) * coefficient
            rows = offsets[left_dir[word[0][0]]]
            cols = offsets[right_dir[word[split][0]]]
            out[..., rows:rows + len(pairs), cols:cols + len(pairs)] += block
        return out

    return kernel


def _moves(factor: mc.Factor, left: dict, right: dict) -> bool:
    names = set()
    if factor[0] == "tr":
        names = {name for name, _ in factor[1]}
    elif factor[0] == "bil":
        names = {factor[1], factor[3]} | {name for name, _ in factor[2]}
    return bool(names & (set(left) | set(right)))


def built_matrix_form(derivation):
    """The compiled pieces (kernel, signature, points) of an entropy or Fisher bilinear form."""
    from symgeom.derive.general_gaussian import DIRECTION_A, DIRECTION_B
    from symgeom.numeric.compile import Signature, _Built, _formula
    from symgeom.numeric.inputs import inputs

    family = derivation.family
    poly = mc.from_sympy(derivation.result)
    one = inputs(family)
    if derivation.quantity == "entropy":
        sig = Signature("entropy", family.label, one, "(...)", _formula(derivation))
        return _Built(scalar_kernel(poly, family), sig, 1)
    if derivation.quantity == "fisher":
        n = len(family.parameters)
        sig = Signature("fisher", family.label, one, f"(..., {n}, {n})",
                        "F[e_p, e_q] of " + _formula(derivation))
        return _Built(bilinear_kernel(poly, family, DIRECTION_A, DIRECTION_B), sig, 1)
    raise UnknownQuantityError(
        f"{derivation.quantity} of {family.label} is derived in matrix notation but has no compiled "
        "function (only KL, entropy and the Fisher matrix do)"
    )
