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
from functools import partial
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


#: A plan is plain data (tuples of names, ints and floats), so an exported module carries it as a
#: literal beside the NumPy source of :func:`scalar_form` / :func:`bilinear_form`
#: (:mod:`symgeom.numeric.export_quantity`): the arguments ((name, form), …) and the terms.
Plan = tuple


def _matrix_logdet(matrices: dict, name: str) -> np.ndarray:
    return dd_logdet(np.asarray(matrices[name], dtype=np.float64))


def _apply(matrices: dict, inverses: dict, letter: tuple, right: np.ndarray) -> np.ndarray:
    """X·right or X⁻¹·right (X⁻¹ = L⁻ᵀL⁻¹ in double-double, rounded once; kept in ``inverses``).

    The matrices of one point: each symmetric positive definite argument with its ln det and
    inverse from a double-double Cholesky factor (:mod:`symgeom.numeric.dd_linalg`: ≈ cond·ε²
    before rounding, so ε-accurate at condition number 10¹², where a float64 factor gives ≈ cond·ε)."""
    name, power = letter
    if power == 1:
        return matrices[name] @ right
    if name not in inverses:
        inverses[name] = dd_precision(np.asarray(matrices[name], dtype=np.float64))
    return inverses[name] @ right


def _word(matrices: dict, inverses: dict, word: tuple, d: int) -> np.ndarray:
    out = np.eye(d)
    for letter in reversed(word):
        out = _apply(matrices, inverses, letter, out)
    if word == word[::-1]:
        # a palindrome of symmetric letters is symmetric: keep it so against rounding
        out = (out + np.swapaxes(out, -1, -2)) / 2
    return out


def _factor(matrices: dict, inverses: dict, vectors: dict, factor: tuple, d: int) -> np.ndarray:
    if factor[0] == "logdet":
        return _matrix_logdet(matrices, factor[1])
    if factor[0] == "tr":
        return np.trace(_word(matrices, inverses, factor[1], d), axis1=-2, axis2=-1)
    _, u, word, v = factor
    right = _word(matrices, inverses, word, d) @ vectors[v][..., None]
    return np.sum(vectors[u] * right[..., 0], axis=-1)


def _coefficient(value: sp.Expr, d: int) -> float:
    return float(sp.sympify(value).xreplace({mc.D: d}))


def _forms(family) -> tuple[tuple[str, str], ...]:
    """((name, form), …) of the chart's array arguments: vectors and positive definite matrices."""
    out = []
    for arg in family.chart.array_arguments:
        if arg.form not in ("positive_definite", "vector"):
            raise UnknownQuantityError(f"matrix-notation results take vector and matrix arguments, "
                                       f"not {arg.form!r} ({arg.name})")
        out.append((arg.name, arg.form))
    return tuple(out)


def _arrays(forms: tuple, arrays: tuple[np.ndarray, ...]) -> tuple[dict, dict, int, tuple[int, ...]]:
    """Array arguments of one point by name: matrices (positive definite) and vectors; d; batch."""
    matrices, vectors = {}, {}
    for (name, form), value in zip(forms, arrays, strict=True):
        if form == "positive_definite":
            matrices[name] = value
        else:
            vectors[name] = value
    d = next(iter(matrices.values())).shape[-1]
    batch = np.broadcast_shapes(*[a.shape[:-2] for a in matrices.values()],
                                *[a.shape[:-1] for a in vectors.values()])
    return matrices, vectors, d, batch


def _letters(word: mc.Word) -> tuple:
    return tuple((str(name), int(power)) for name, power in word)


def _plain(factor: mc.Factor) -> tuple:
    if factor[0] == "logdet":
        return ("logdet", str(factor[1]))
    if factor[0] == "tr":
        return ("tr", _letters(factor[1]))
    _, u, word, v = factor
    return ("bil", str(u), _letters(word), str(v))


def _size(family) -> int:
    """d: the number of the family's variables (the coefficients are read at it)."""
    return len(family.variables)


def scalar_plan(poly: mc.Poly, family) -> Plan:
    """(forms, terms) of a direction-free trace polynomial; terms ((factors, coefficient), …)
    with the coefficient at this d."""
    d = _size(family)
    terms = tuple((tuple(_plain(f) for f in mono), _coefficient(c, d)) for mono, c in poly.terms)
    return _forms(family), terms


def scalar_form(plan: Plan, *arrays: np.ndarray) -> np.ndarray:
    """A direction-free trace polynomial (an entropy) of one point's arrays: Σ c·Π factors."""
    forms, terms = plan
    matrices, vectors, d, batch = _arrays(forms, arrays)
    inverses: dict = {}
    total = np.zeros(batch)
    for mono, c in terms:
        term = np.full(batch, c)
        for factor in mono:
            term = term * _factor(matrices, inverses, vectors, factor, d)
        total = total + term
    return total[()] if total.ndim == 0 else total


def scalar_kernel(poly: mc.Poly, family) -> Callable[..., np.ndarray]:
    """A direction-free trace polynomial (an entropy) of one point's arrays."""
    return partial(scalar_form, scalar_plan(poly, family))


def _rotate(word: mc.Word, first: set[str]) -> mc.Word:
    for i, (name, _) in enumerate(word):
        if name in first:
            return word[i:] + word[:i]
    raise UnknownQuantityError(f"trace term {word} has no direction letter")


def bilinear_plan(poly: mc.Poly, family, left: dict[str, str], right: dict[str, str]) -> Plan:
    """(forms, terms) of a form bilinear in the directions ``left`` and ``right`` (argument name →
    direction letter): each term ("bil", row argument, column argument, word, c) or
    ("tr", row argument, column argument, X word, Y word, c) for tr(E_p X E_q Y)."""
    left_dir = {v: k for k, v in left.items()}
    right_dir = {v: k for k, v in right.items()}
    forms = _forms(family)
    d = _size(family)
    terms = []
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
            terms.append(("bil", left_dir[u], right_dir[v], _letters(word), coefficient))
            continue
        word = _rotate(factor[1], set(left_dir))
        split = next(n for n, (name, _) in enumerate(word) if name in right_dir)
        terms.append(("tr", left_dir[word[0][0]], right_dir[word[split][0]], _letters(word[1:split]),
                      _letters(word[split + 1:]), coefficient))
    return forms, tuple(terms)


def bilinear_form(plan: Plan, *arrays: np.ndarray) -> np.ndarray:
    """F[e_p, e_q] of a bilinear form on the chart's coordinate directions: eᵢ for a mean entry,
    Eᵢⱼ = eᵢeⱼᵀ + eⱼeᵢᵀ (i < j) or eᵢeᵢᵀ for a covariance entry; output (..., n, n)."""
    forms, terms = plan
    matrices, _, d, batch = _arrays(forms, arrays)
    inverses: dict = {}
    offsets, pairs = {}, np.array(list(combinations_with_replacement(range(d), 2)))
    start = 0
    for name, form in forms:
        offsets[name] = start
        start += d if form == "vector" else len(pairs)
    out = np.zeros((*batch, start, start))
    i, j = pairs[:, 0], pairs[:, 1]
    scale = np.where(i == j, 0.5, 1.0)
    for term in terms:
        if term[0] == "bil":
            _, row, col, word, coefficient = term
            rows, cols = offsets[row], offsets[col]
            block = coefficient * _word(matrices, inverses, word, d)
            out[..., rows:rows + d, cols:cols + d] += block
            continue
        _, row, col, x_word, y_word, coefficient = term
        x = _word(matrices, inverses, x_word, d)
        y = _word(matrices, inverses, y_word, d)
        k, m = i[None, :], j[None, :]
        p, q = i[:, None], j[:, None]
        # tr(E_pq X E_km Y) for E_pq = s(e_p e_qᵀ + e_q e_pᵀ): four products X·Y.
        block = (x[..., q, k] * y[..., m, p] + x[..., q, m] * y[..., k, p]
                 + x[..., p, k] * y[..., m, q] + x[..., p, m] * y[..., k, q])
        block = block * (scale[:, None] * scale[None, :]) * coefficient
        rows, cols = offsets[row], offsets[col]
        out[..., rows:rows + len(pairs), cols:cols + len(pairs)] += block
    return out


def bilinear_kernel(poly: mc.Poly, family, left: dict[str, str], right: dict[str, str]) -> Callable:
    """F[e_p, e_q] of a form bilinear in the directions ``left`` and ``right`` (argument name →
    direction letter), on the chart's coordinate directions; output (..., n, n)."""
    return partial(bilinear_form, bilinear_plan(poly, family, left, right))


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
