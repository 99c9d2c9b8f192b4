"""Closed-form Fisher-vector products F(θ)v for every family and chart, never forming F."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symgeom.errors import InvalidParameterError, UnknownQuantityError
from symgeom.families.base import Family
from symgeom.natural.point import check_point, check_vector, dimension, symmetric_from_vech
from symgeom.numeric.coerce import float64_array

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


def categorical_logits_fvp(z: ArrayLike, v: ArrayLike) -> Vector:
    """F v = p⊙v − p(pᵀv), F = diag(p) − ppᵀ over the k−1 free logits; O(k) time and memory."""
    z = _free_vector(z, "z")
    v = check_vector(v, z.shape[0], "v")
    p, p_last = _softmax(z)
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


def _bernoulli_prob(theta: Vector, v: Vector, fam: Family) -> Vector:
    p = theta[0]
    return v / (p * (1.0 - p))


def _bernoulli_logit(theta: Vector, v: Vector, fam: Family) -> Vector:
    # σ(θ)σ(−θ), not p(1 − p): 1 − p would cancel for large θ.
    return v / ((1.0 + np.exp(-theta[0])) * (1.0 + np.exp(theta[0])))


def _categorical_probs(theta: Vector, v: Vector, fam: Family) -> Vector:
    return categorical_probs_fvp(theta, v)


def _categorical_logits(theta: Vector, v: Vector, fam: Family) -> Vector:
    return categorical_logits_fvp(theta, v)


def _mean_and_scale(means: Vector, scales: Vector, v: Vector, param: str) -> Vector:
    """Diagonal Gaussian blocks: F = diag(1/σ²) on μ, and 2/σ², 1/(2σ⁴), 2 on σ, σ², log σ."""
    d = means.shape[0]
    if param == "mean_std":
        var, scale_info = scales**2, 2.0 / scales**2
    elif param == "mean_var":
        var, scale_info = scales, 0.5 / scales**2
    else:
        var, scale_info = np.exp(2.0 * scales), np.full(d, 2.0)
    return np.concatenate([v[:d] / var, scale_info * v[d:]])


def _gaussian(theta: Vector, v: Vector, fam: Family) -> Vector:
    if fam.param != "natural":
        return _mean_and_scale(theta[:1], theta[1:], v, fam.param)
    # In natural coordinates F = ∇²A(η) = Cov(T), T = (x, x²).
    eta1, eta2 = theta
    var = -0.5 / eta2
    mu = eta1 * var
    cov = np.array([[var, 2 * mu * var], [2 * mu * var, 4 * mu**2 * var + 2 * var**2]])
    return cov @ v


def _mvn_diagonal(theta: Vector, v: Vector, fam: Family) -> Vector:
    d = dict(fam.size)["d"]
    return _mean_and_scale(theta[:d], theta[d:], v, fam.param)


def _mvn_full(theta: Vector, v: Vector, fam: Family) -> Vector:
    # F((dμ,dΣ),(dμ',dΣ')) = dμᵀΣ⁻¹dμ' + ½ tr(Σ⁻¹dΣΣ⁻¹dΣ'); the off-diagonal coordinate Σᵢⱼ moves
    # both (i,j) and (j,i), which doubles its ½ into a whole.  O(d³), F itself has O(d⁴) entries.
    d = dict(fam.size)["d"]
    sigma = symmetric_from_vech(theta[d:], d)
    inv = np.linalg.inv(sigma)
    m = inv @ symmetric_from_vech(v[d:], d) @ inv
    rows, cols = np.triu_indices(d)
    weight = np.where(rows == cols, 0.5, 1.0)
    return np.concatenate([inv @ v[:d], weight * m[rows, cols]])


_KERNELS: dict[tuple[str, str], Kernel] = {
    ("bernoulli", "prob"): _bernoulli_prob,
    ("bernoulli", "logit"): _bernoulli_logit,
    ("categorical", "probs"): _categorical_probs,
    ("categorical", "logits"): _categorical_logits,
    ("gaussian", "mean_std"): _gaussian,
    ("gaussian", "mean_var"): _gaussian,
    ("gaussian", "mean_logstd"): _gaussian,
    ("gaussian", "natural"): _gaussian,
    ("multivariate_gaussian", "mean_var"): _mvn_diagonal,
    ("multivariate_gaussian", "mean_std"): _mvn_diagonal,
    ("multivariate_gaussian", "mean_logstd"): _mvn_diagonal,
    ("multivariate_gaussian", "mean_cov"): _mvn_full,
}


def _kernel(fam: Family) -> Kernel:
    kernel = _KERNELS.get((fam.name, fam.param))
    if kernel is None:
        raise UnknownQuantityError(f"no closed-form Fisher-vector product for {fam.label}")
    return kernel


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
