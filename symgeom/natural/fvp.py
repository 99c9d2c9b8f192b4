"""Closed-form Fisher-vector products F(θ)v for every family and chart, from the family's data."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symgeom.errors import InvalidParameterError, SymgeomError, UnknownQuantityError
from symgeom.families.base import Family
from symgeom.natural.point import check_point, check_vector, dimension, symmetric_from_vech
from symgeom.numeric.coerce import float64_array
from symgeom.numeric.structure import kl_structure

Vector = NDArray[np.float64]
Kernel = Callable[[Vector, Vector, Family], Vector]


def softmax_free(z: Vector) -> Vector:
    """p₁…p₍ₖ₋₁₎ of softmax(z₁, …, z₍ₖ₋₁₎, 0): the class-k logit is pinned to 0."""
    return _softmax(z)[0]


def _softmax(z: Vector) -> tuple[Vector, float]:
    """The free probabilities and p_k, each from exponentials of non-positive numbers."""
    top = max(float(np.max(z)), 0.0)
    e = np.exp(z - top)
    total = e.sum() + np.exp(-top)
    return e / total, float(np.exp(-top) / total)


#: The two logit charts ``categorical_logits_fvp`` accepts, and what each reads.
LOGIT_CHARTS = {
    "free": "the k − 1 free logits of the family's chart (class k pinned at logit 0)",
    "all": "all K logits of a softmax (a network's output; F is singular along 1)",
}


def categorical_logits_fvp(z: ArrayLike, v: ArrayLike, *, logits: str | None = None) -> Vector:
    """F v = p⊙v − p(pᵀv), F = diag(p) − ppᵀ; O(k) time and memory.

    ``logits`` names the chart and is required: ``"free"`` — z holds the k − 1 free logits of
    ``sg.Categorical(k, "logits")`` (class k pinned at 0, p over k classes, F non-singular);
    ``"all"`` — z holds all K logits of a softmax (p = softmax z over K classes, F singular along
    the all-ones direction).  The same K numbers mean different distributions in the two charts, so
    nothing is guessed from the length.
    """
    if logits not in LOGIT_CHARTS:
        choices = "; ".join(f"{name!r}: {what}" for name, what in LOGIT_CHARTS.items())
        raise InvalidParameterError(f"logits must name the chart of z ({choices}), got {logits!r}")
    z = _free_vector(z, "z")
    v = check_vector(v, z.shape[0], "v")
    if logits == "free":
        p, p_last = _softmax(z)
    else:
        e = np.exp(z - np.max(z))
        p, p_last = e / e.sum(), 0.0
    out = p * (v - p @ v)
    # A dominant class m makes vₘ − pᵀv = vₘ(1 − pₘ) − Σ_{j≠m} pⱼvⱼ cancel; 1 − pₘ is the mass of
    # the other classes, summed directly, so Fₘₘ = pₘ(1 − pₘ) keeps its digits as pₘ → 1.
    m = int(np.argmax(p))
    if p[m] > 0.5:
        others = np.ones(p.shape, dtype=bool)
        others[m] = False
        rest = p[others].sum() + p_last
        out[m] = p[m] * (v[m] * rest - p[others] @ v[others])
    return out


def categorical_probs_fvp(p: ArrayLike, v: ArrayLike) -> Vector:
    """F v = v/p + (Σv)/p_k, F = diag(1/p) + 11ᵀ/p_k over the k−1 free probabilities."""
    p = _free_vector(p, "p")
    if not (np.all(p > 0) and p.sum() < 1):
        raise InvalidParameterError("p must be free probabilities, each > 0 with Σp < 1")
    v = check_vector(v, p.shape[0], "v")
    return v / p + v.sum() / (1.0 - p.sum())


def _free_vector(x: ArrayLike, name: str) -> Vector:
    """A finite vector of the k − 1 ≥ 1 free coordinates."""
    vec = float64_array(x, name)
    if vec.ndim != 1 or vec.shape[0] < 1:
        raise InvalidParameterError(f"{name} must be a vector of k − 1 >= 1 numbers, got shape {vec.shape}")
    return check_vector(vec, vec.shape[0], name)


def _softmax_mean(theta: Vector, v: Vector, fam: Family) -> Vector:
    return categorical_probs_fvp(theta, v)


def _softmax_natural(theta: Vector, v: Vector, fam: Family) -> Vector:
    return categorical_logits_fvp(theta, v, logits="free")


def _gaussian_full(theta: Vector, v: Vector, fam: Family) -> Vector:
    # F((dμ,dΣ),(dμ',dΣ')) = dμᵀΣ⁻¹dμ' + ½ tr(Σ⁻¹dΣΣ⁻¹dΣ'); the off-diagonal coordinate Σᵢⱼ moves
    # both (i,j) and (j,i), which doubles its ½ into a whole.  O(d³), F itself has O(d⁴) entries.
    d = len(fam.variables)
    sigma = symmetric_from_vech(theta[d:], d)
    inv = np.linalg.inv(sigma)
    m = inv @ symmetric_from_vech(v[d:], d) @ inv
    rows, cols = np.triu_indices(d)
    weight = np.where(rows == cols, 0.5, 1.0)
    return np.concatenate([inv @ v[:d], weight * m[rows, cols]])


@functools.cache
def _closed_form(fam: Family) -> tuple[Kernel, bool]:
    """F(θ)v from the derived closed-form Fisher: (kernel, whether F is diagonal).

    A diagonal F (every off-diagonal entry cancels to 0) gives an O(k) product of its lambdified
    diagonal; otherwise the lambdified matrix times v.
    """
    import sympy as sp

    import symgeom

    matrix = symgeom.fisher(fam).result
    symbols = fam.symbols()
    n = matrix.shape[0]
    diagonal = all(sp.cancel(matrix[i, j]) == 0 for i in range(n) for j in range(n) if i != j)
    if diagonal:
        entries = sp.lambdify(symbols, [matrix[i, i] for i in range(n)], modules=["scipy", "numpy"])

        def diagonal_kernel(theta: Vector, v: Vector, fam: Family) -> Vector:
            return np.asarray(entries(*theta), dtype=float) * v

        return diagonal_kernel, True
    formed = sp.lambdify(symbols, matrix.tolist(), modules=["scipy", "numpy"])

    def dense_kernel(theta: Vector, v: Vector, fam: Family) -> Vector:
        return np.asarray(formed(*theta), dtype=float) @ v

    return dense_kernel, False


def _kernel(fam: Family) -> Kernel:
    """The FVP kernel from the family's data.

    The recognized log-partition A (see :mod:`symgeom.numeric.structure`) gives the O(k) forms it
    implies: for A = log(1 + Σe^η), F = ∇²A = diag(p) − ppᵀ in η and F = (∇²A)⁻¹ = diag(1/p) +
    11ᵀ/p_k in p = ∇A; for a full-covariance Gaussian the Σ⁻¹ form.  Every other chart uses its
    derived closed-form Fisher (diagonal: O(k); else the formed matrix).
    """
    shape = kl_structure(fam)
    forms = tuple(a.form for a in fam.chart.array_arguments)
    if shape.kind == "softmax" and len(forms) == 1:
        return _softmax_mean if shape.chart == "mean" else _softmax_natural
    if shape.kind == "normal_full":
        return _gaussian_full
    try:
        return _closed_form(fam)[0]
    except SymgeomError as error:
        raise UnknownQuantityError(f"no closed-form Fisher-vector product for {fam.label}: {error}") from None


def fisher_vector_product(fam: Family, theta: ArrayLike, v: ArrayLike) -> Vector:
    """F(θ)v in the family's active chart, from the closed form (no matrix is formed)."""
    point = check_point(fam, theta)
    return _kernel(fam)(point, check_vector(v, dimension(fam)), fam)


def fvp_operator(fam: Family, theta: ArrayLike) -> Callable[[Vector], Vector]:
    """v ↦ F(θ)v with θ validated once, for :func:`conjugate_gradient`."""
    point = check_point(fam, theta)
    kernel = _kernel(fam)
    n = dimension(fam)

    def apply(v: Vector) -> Vector:
        return kernel(point, check_vector(v, n), fam)

    return apply
