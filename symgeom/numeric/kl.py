"""Stable, vectorized KL(p‖q) kernels for every family and chart of the catalog (pure NumPy).

Each kernel is the NumPy transcription of a stable SymPy form in :mod:`symgeom.numeric.symbolic`
that the test suite proves equal to ``sg.kl(fam).result``.  All are sums of kl_div terms
(a·log(a/b) − a + b ≥ 0), so they are never negative, and every difference that decides the
small-KL regime (p − q, σ₁ − σ₂, θ₁ − θ₂) is formed from the inputs directly, where it is exact.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from symgeom.numeric.full_gaussian_kl import full_gaussian_kl
from symgeom.numeric.kernels import (
    Observer,
    Scratch,
    blocked_elements,
    blocked_rows,
    kl_div,
    log_sigmoid,
    log_softmax,
    scratch_array,
    sigmoid,
)

_TINY = {
    np.dtype(np.float32): np.finfo(np.float32).tiny,
    np.dtype(np.float64): np.finfo(np.float64).tiny,
}


def _float(*arrays: object) -> list[np.ndarray]:
    """Inputs as floating arrays (ints become float64, float32 stays), broadcast together."""
    arrs = [np.asarray(a) for a in arrays]
    dtype = np.result_type(*arrs, np.float32)
    if not np.issubdtype(dtype, np.floating):
        dtype = np.dtype(np.float64)
    return list(np.broadcast_arrays(*(a.astype(dtype, copy=False) for a in arrs)))


# --- Bernoulli ------------------------------------------------------------------------------------
def bernoulli_prob(p1: np.ndarray, p2: np.ndarray, observe: Observer | None = None) -> np.ndarray:
    """KL(Ber(p₁)‖Ber(p₂)) = kl_div(p₁, p₂) + kl_div(1 − p₁, 1 − p₂).

    The complement pair gets its difference p₂ − p₁ directly, not (1 − p₁) − (1 − p₂).
    """
    p1, p2 = _float(p1, p2)

    def kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        d = a - b
        return kl_div(a, b, d) + kl_div(1 - a, 1 - b, -d)

    return blocked_elements(kernel, p1, p2, observe=observe)


def bernoulli_logit(theta1: np.ndarray, theta2: np.ndarray, observe: Observer | None = None) -> np.ndarray:
    """KL = Σ_c q_c·χ(ℓ_c(θ₁) − ℓ_c(θ₂)), ℓ₁ = log σ(θ), ℓ₀ = log σ(−θ), χ(y) = y·eʸ − eʸ + 1.

    The log-ratio differences are formed without cancellation: with Δ = θ₁ − θ₂,
    ℓ₁(θ₁) − ℓ₁(θ₂) = −log1p(σ(−θ₂)·expm1(−Δ)) and ℓ₀(θ₁) − ℓ₀(θ₂) = −log1p(σ(θ₂)·expm1(Δ)).
    """
    theta1, theta2 = _float(theta1, theta2)
    return blocked_elements(_bernoulli_logit_kernel, theta1, theta2, observe=observe)


def _bernoulli_logit_kernel(t1: np.ndarray, t2: np.ndarray) -> np.ndarray:
    delta = t1 - t2
    lq1, lq0 = log_sigmoid(t2), log_sigmoid(-t2)
    q1, q0 = sigmoid(t2), sigmoid(-t2)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        y1 = -np.log1p(q0 * np.expm1(-delta))
        y0 = -np.log1p(q1 * np.expm1(delta))
    far = ~(np.abs(delta) <= 1)
    if far.any():
        y1 = np.where(far, -np.logaddexp(lq1, lq0 - delta), y1)
        y0 = np.where(far, -np.logaddexp(lq1 + delta, lq0), y0)
    return _chi_term(q1, y1, sigmoid(t1)) + _chi_term(q0, y0, sigmoid(-t1))


def _chi_term(q: np.ndarray, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """q·χ(y) = kl_div(p, q) with p = q·eʸ, d = q·expm1(y), log(p/q) = y.

    For |y| ≥ ½, p and q differ by a factor e^{±½} or more, so p − q is exact enough and, unlike
    q·expm1(y), cannot overflow.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        d = q * np.expm1(y)
    far = ~(np.abs(y) < 0.5)
    if far.any():
        d = np.where(far, p - q, d)
    return kl_div(p, q, d, y)


# --- Categorical --------------------------------------------------------------------------------
def categorical_probs(p: np.ndarray, q: np.ndarray, observe: Observer | None = None) -> np.ndarray:
    """KL(p‖q) = Σᵢ kl_div(pᵢ, qᵢ) for probability vectors p, q of shape (..., k).

    Vectors are read as proportional to the distributions: this returns KL(p/Σp ‖ q/Σq)
    = [Σᵢ kl_div(pᵢ, qᵢ) − kl_div(Σp, Σq)]/Σp, with Σp − Σq summed from the exact differences
    pᵢ − qᵢ, so inputs that sum to 1 only up to rounding keep full relative accuracy even when
    KL ≈ 10⁻²⁵ (where Σpᵢ log(pᵢ/qᵢ) alone would be off by the rounding of Σp − Σq).
    """
    p, q = _float(p, q)
    k = p.shape[-1]
    batch = p.shape[:-1]
    scratch = Scratch()

    def rows(p_rows: np.ndarray, q_rows: np.ndarray) -> np.ndarray:
        out, total_p, total_q = _categorical_probs_rows(p_rows, q_rows, scratch)
        if observe is not None:
            # The observer checks the sums of simplex rows; it gets the ones computed here.
            observe([p_rows, q_rows], row_sums=[total_p, total_q])
        return out

    out = blocked_rows(rows, p.reshape(-1, k), q.reshape(-1, k), k=k)
    return out.reshape(batch)


def _categorical_probs_rows(
    p: np.ndarray, q: np.ndarray, scratch: Scratch | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(KL of each row, Σp, Σq) for rows of p and q."""
    d = np.subtract(p, q, out=None if scratch is None else scratch.array("d", p.shape, p.dtype))
    # Row sums as products with a vector of ones: BLAS sums a row about 2.5× faster than
    # np.sum(axis=-1) and as accurately for these lengths (error ≤ kε of the sum of |terms|).
    ones = np.ones(p.shape[-1], dtype=p.dtype)
    # Σp − Σq from the exact differences, not from the rounded sums: when KL ≈ 10⁻²¹ even a
    # 10⁻¹⁷ gap between the sums matters, and equal rounded sums hide it.
    gap = d @ ones
    total = kl_div(p, q, d, scratch=scratch) @ ones
    total_p = p @ ones
    # Σ kl_div(pᵢ, qᵢ) = Σp·KL(p̂‖q̂) + kl_div(Σp, Σq) (kl_div is 1-homogeneous).  Σq = Σp − gap
    # to the rounding of one sum, which the offset (second order in the gap) absorbs.
    total_q = total_p - gap
    # χ² bound kl_div(Σp, Σq) ≤ gap²/Σq: where it is below 10⁻¹⁷ of the total, the offset cannot
    # change the result (the usual case: gaps are rounding-sized, ≈ 10⁻¹⁶).
    with np.errstate(divide="ignore", invalid="ignore"):
        negligible = gap * gap <= 1e-17 * total * total_q
    if negligible.all():
        return total / total_p, total_p, total_q
    offset = kl_div(total_p, total_q, gap)
    out = (total - offset) / total_p
    # Subtracting the offset costs at most a factor 1.001 of accuracy where it is below 10⁻³ of
    # the total; otherwise shift p onto the simplex of q first.
    close = ~(offset <= 1e-3 * total)
    if close.any():
        out[close] = _shifted(p[close], q[close], d[close], gap[close, None], total_p[close, None])
    return out, total_p, total_q


def _shifted(p: np.ndarray, q: np.ndarray, d: np.ndarray, gap: np.ndarray, total_p: np.ndarray) -> np.ndarray:
    """KL(p̂‖q̂) = Σᵢ kl_div(pᵢ(1 + γ), qᵢ)/Σq, γ = −(Σp − Σq)/Σp: exact when the gap dominates."""
    shift = p * (-gap / total_p)
    return kl_div(p + shift, q, d + shift).sum(axis=-1) / q.sum(axis=-1)


def categorical_logits(z1: np.ndarray, z2: np.ndarray, observe: Observer | None = None) -> np.ndarray:
    """KL(softmax z₁‖softmax z₂) = Σᵢ qᵢ·χ(yᵢ), yᵢ = ℓᵢ(z₁) − ℓᵢ(z₂), χ(y) = y·eʸ − eʸ + 1.

    z₁, z₂ have shape (..., k) (any shift; class k need not be 0).  With x = Δz − Σqⱼ Δzⱼ the
    log-ratios are yᵢ = xᵢ − log1p(Σⱼ qⱼ expm1(xⱼ)), where the correction is second order in x, so
    y keeps its relative accuracy when z₁ ≈ z₂.
    """
    z1, z2 = _float(z1, z2)
    k = z1.shape[-1]
    batch = z1.shape[:-1]
    out = blocked_rows(_categorical_logits_rows, z1.reshape(-1, k), z2.reshape(-1, k), k=k, observe=observe)
    return out.reshape(batch)


def _categorical_logits_rows(z1: np.ndarray, z2: np.ndarray) -> np.ndarray:
    l2 = log_softmax(z2)
    q = np.exp(l2)
    dz = z1 - z2
    x = dz - np.sum(q * dz, axis=-1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):
        c = np.log1p(np.sum(q * np.expm1(x), axis=-1, keepdims=True))
    y = x - c
    bad = ~np.isfinite(c[..., 0])
    if bad.any():
        y[bad] = log_softmax(z1[bad]) - l2[bad]
    return _chi_term(q, y, np.exp(l2 + y)).sum(axis=-1)


# --- univariate Gaussian ------------------------------------------------------------------------
# The kernels below run on cache-sized blocks and write their temporaries into a Scratch (see
# kernels.Scratch: fresh arrays per block cost more than the arithmetic).  Each ends in
# _gaussian, which owns (and overwrites) the buffers it is given.
def _gaussian(
    z: np.ndarray, w: np.ndarray, one_minus_w: np.ndarray, log_w: np.ndarray, scratch: Scratch | None = None
) -> np.ndarray:
    """KL = ½[z² + kl_div(1, w)], z = (μ₁ − μ₂)/σ₂, w = σ₁²/σ₂² (kl_div(1, w) = w − 1 − log w)."""
    with np.errstate(over="ignore"):
        np.negative(log_w, out=log_w)
        out = kl_div(1.0, w, one_minus_w, log_w, scratch=scratch)
        z *= z
        out += z
        out *= 0.5
    if w.size and np.isinf(np.max(w)):  # σ₁/σ₂ beyond the float range: kl_div(1, ∞) = ∞ (not ∞ − ∞)
        out[np.isinf(w)] = np.inf
    return out


def _buffer(scratch: Scratch | None, slot: str, like: np.ndarray) -> np.ndarray:
    """An array shaped like ``like``: from ``scratch`` when there is one, else fresh."""
    return scratch_array(scratch, slot, like.shape, like.dtype)


def _log_ratio(num: np.ndarray, den: np.ndarray, ratio: np.ndarray, out: np.ndarray) -> np.ndarray:
    """log(num/den) = log(ratio) into ``out``, or log num − log den where the ratio over/underflowed."""
    with np.errstate(divide="ignore", invalid="ignore"):
        np.log(ratio, out=out)
    tiny = _TINY.get(ratio.dtype, np.finfo(np.float64).tiny)
    bad = ~((ratio >= tiny) & np.isfinite(ratio))
    if bad.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            np.copyto(out, np.log(num) - np.log(den), where=bad)
    return out


def gaussian_mean_std(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray, observe: Observer | None = None
) -> np.ndarray:
    """KL(N(μ₁,σ₁²)‖N(μ₂,σ₂²)) = ½[((μ₁−μ₂)/σ₂)² + ψ], ψ = r² − 1 − 2 log r, r = σ₁/σ₂.

    1 − r² = −v(2 + v) with v = (σ₁ − σ₂)/σ₂ exact, so ψ keeps its digits when σ₁ ≈ σ₂; σ² is never
    formed, so σ from 10⁻¹⁵⁰ to 10¹⁵⁰ neither overflows nor underflows.
    """
    return _blocked_gaussian(_gaussian_mean_std, mu1, sigma1, mu2, sigma2, observe)


def _blocked_gaussian(kernel, a1, b1, a2, b2, observe: Observer | None) -> np.ndarray:
    scratch = Scratch()
    return blocked_elements(partial(kernel, scratch=scratch), *_float(a1, b1, a2, b2), observe=observe)


def _gaussian_mean_std(mu1, sigma1, mu2, sigma2, scratch=None):
    r = np.divide(sigma1, sigma2, out=_buffer(scratch, "r", sigma1))
    one_minus_w = np.subtract(sigma1, sigma2, out=_buffer(scratch, "1-w", sigma1))
    one_minus_w /= sigma2  # v
    with np.errstate(over="ignore", under="ignore"):
        w = np.multiply(r, r, out=_buffer(scratch, "w", sigma1))
    log_w = _log_ratio(sigma1, sigma2, r, _buffer(scratch, "log r", sigma1))
    log_w *= 2
    two_plus_v = np.add(one_minus_w, 2, out=_buffer(scratch, "z", sigma1))
    one_minus_w *= two_plus_v
    np.negative(one_minus_w, out=one_minus_w)  # −v(2 + v)
    z = np.subtract(mu1, mu2, out=two_plus_v)
    z /= sigma2
    return _gaussian(z, w, one_minus_w, log_w, scratch)


def gaussian_mean_var(
    mu1: np.ndarray, var1: np.ndarray, mu2: np.ndarray, var2: np.ndarray, observe: Observer | None = None
) -> np.ndarray:
    """KL = ½[(μ₁−μ₂)²/σ₂² + w − 1 − log w], w = σ₁²/σ₂², 1 − w = (σ₂² − σ₁²)/σ₂²."""
    return _blocked_gaussian(_gaussian_mean_var, mu1, var1, mu2, var2, observe)


def _gaussian_mean_var(mu1, var1, mu2, var2, scratch=None):
    with np.errstate(over="ignore", under="ignore"):
        w = np.divide(var1, var2, out=_buffer(scratch, "w", var1))
    one_minus_w = np.subtract(var2, var1, out=_buffer(scratch, "1-w", var1))
    one_minus_w /= var2
    log_w = _log_ratio(var1, var2, w, _buffer(scratch, "r", var1))
    z = np.sqrt(var2, out=_buffer(scratch, "z", var1))
    np.divide(np.subtract(mu1, mu2, out=_buffer(scratch, "s", var1)), z, out=z)
    return _gaussian(z, w, one_minus_w, log_w, scratch)


def gaussian_natural(
    eta1_1: np.ndarray,
    eta2_1: np.ndarray,
    eta1_2: np.ndarray,
    eta2_2: np.ndarray,
    observe: Observer | None = None,
) -> np.ndarray:
    """KL in natural parameters (η₁ = μ/σ², η₂ = −1/(2σ²)): w = η₂′/η₂, 1 − w = (η₂ − η₂′)/η₂,
    (μ₁ − μ₂)/σ₂ = −[η₁′(1 − w) + (η₁′ − η₁)w]/√(−2η₂′)."""
    return _blocked_gaussian(_gaussian_natural, eta1_1, eta2_1, eta1_2, eta2_2, observe)


def _gaussian_natural(e11, e21, e12, e22, scratch=None):
    with np.errstate(over="ignore", under="ignore"):
        w = np.divide(e22, e21, out=_buffer(scratch, "w", e11))
    one_minus_w = (e21 - e22) / e21
    # Both equal η₁′ − η₁w; the first avoids cancellation when w ≈ 1, the second when it is not.
    scaled = np.where(np.abs(one_minus_w) < 0.5, e12 * one_minus_w + (e12 - e11) * w, e12 - e11 * w)
    z = -scaled / np.sqrt(-2 * e22)
    return _gaussian(z, w, one_minus_w, _log_ratio(-e22, -e21, w, _buffer(scratch, "r", e11)), scratch)


def gaussian_mean_logstd(
    mu1: np.ndarray,
    log_sigma1: np.ndarray,
    mu2: np.ndarray,
    log_sigma2: np.ndarray,
    observe: Observer | None = None,
) -> np.ndarray:
    """KL = ½[((μ₁−μ₂)e^{−log σ₂})² + e^{2Δ} − 1 − 2Δ], Δ = log σ₁ − log σ₂ (1 − w = −expm1(2Δ))."""
    return _blocked_gaussian(_gaussian_mean_logstd, mu1, log_sigma1, mu2, log_sigma2, observe)


def _gaussian_mean_logstd(mu1, ls1, mu2, ls2, scratch=None):
    two_delta = np.subtract(ls1, ls2, out=_buffer(scratch, "r", ls1))
    two_delta *= 2
    with np.errstate(over="ignore", under="ignore"):
        z = np.negative(ls2, out=_buffer(scratch, "z", ls1))
        np.exp(z, out=z)
        z *= np.subtract(mu1, mu2, out=_buffer(scratch, "s", ls1))
        w = np.exp(two_delta, out=_buffer(scratch, "w", ls1))
        one_minus_w = np.expm1(two_delta, out=_buffer(scratch, "1-w", ls1))
        np.negative(one_minus_w, out=one_minus_w)
        return _gaussian(z, w, one_minus_w, two_delta, scratch)


# --- multivariate Gaussian ----------------------------------------------------------------------
_DIAGONAL = {
    "mean_var": _gaussian_mean_var,
    "mean_std": _gaussian_mean_std,
    "mean_logstd": _gaussian_mean_logstd,
    "natural": _gaussian_natural,
}


def diagonal_gaussian(
    param: str,
    mu1: np.ndarray,
    s1: np.ndarray,
    mu2: np.ndarray,
    s2: np.ndarray,
    observe: Observer | None = None,
) -> np.ndarray:
    """KL of diagonal Gaussians = Σᵢ KL(N(μ₁ᵢ, σ₁ᵢ²)‖N(μ₂ᵢ, σ₂ᵢ²)) over the last axis (d)."""
    kernel = partial(_DIAGONAL[param], scratch=Scratch())
    return blocked_elements(kernel, *_float(mu1, s1, mu2, s2), observe=observe).sum(axis=-1)


def full_gaussian(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> np.ndarray:
    """KL(N(μ₁,Σ₁)‖N(μ₂,Σ₂)) = ½[‖L₂⁻¹(μ₁−μ₂)‖² + Σ_{i>j} Cᵢⱼ² + Σᵢ kl_div(1, Cᵢᵢ²)], CCᵀ = L₂⁻¹Σ₁L₂⁻ᵀ.

    Σ₂ = L₂L₂ᵀ; C is chol(I + L₂⁻¹(Σ₁−Σ₂)L₂⁻ᵀ) near equality (Σ₁ − Σ₂ exact) and L₂⁻¹L₁ otherwise,
    all in double-double (:mod:`symgeom.numeric.full_gaussian_kl`), so every term is ≥ 0 and keeps
    its digits at condition number 10¹²; float32 inputs are computed in float64 and rounded once.
    """
    mu1, mu2 = _float(mu1, mu2)
    cov1, cov2 = _float(cov1, cov2)
    dtype = np.result_type(mu1, cov1)
    wide = (x.astype(np.float64, copy=False) for x in (mu1, cov1, mu2, cov2))
    return full_gaussian_kl(*wide).astype(dtype)[()]
