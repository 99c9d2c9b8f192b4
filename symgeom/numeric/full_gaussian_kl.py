"""KL(N(μ₁,Σ₁)‖N(μ₂,Σ₂)) in double-double, as a sum of non-negative terms (NumPy, float64).

With Σ₂ = L₂L₂ᵀ and W = L₂⁻¹Σ₁L₂⁻ᵀ = CCᵀ (C lower triangular, Cᵢᵢ > 0), eᵢ = Cᵢᵢ² − 1:

    2·KL = ‖L₂⁻¹(μ₁−μ₂)‖² + tr W − d − ln det W
         = ‖L₂⁻¹(μ₁−μ₂)‖² + Σ_{i>j} Cᵢⱼ² + Σᵢ kl_div(1, 1 + eᵢ),     kl_div(1, 1+e) = e − ln(1+e) ≥ 0,

since tr W = Σᵢⱼ Cᵢⱼ² and ln det W = Σᵢ ln Cᵢᵢ².  Every term is ≥ 0, so nothing cancels between
them; C is found one of two ways, both in double-double (:mod:`symgeom.numeric.dd_linalg`):

* near (‖N‖_F < ½ for N = L₂⁻¹(Σ₁ − Σ₂)L₂⁻ᵀ = W − I, Σ₁ − Σ₂ exact by two_sum): C = chol(I + N)
  with eᵢ = Nᵢᵢ − Σ_{j<i} Cᵢⱼ² and ln(1 + eᵢ) = log1p(eᵢ), so a KL of 10⁻²⁸ keeps its digits;
  I + N has eigenvalues in (½, 3/2), so its factorization loses nothing;
* far (otherwise): C = L₂⁻¹L₁ (the Cholesky factor of W, Σ₁ = L₁L₁ᵀ), eᵢ = Cᵢᵢ² − 1 and
  ln(1 + eᵢ) = 2 ln Cᵢᵢ from the double-double Cᵢᵢ, so an eigenvalue 10⁻¹² of W is never 1 + N
  rounded to ≤ 0.

Σ₁, Σ₂ and μ₁ − μ₂ are scaled by exact powers of two first (KL is invariant under x ↦ cx), so
Σ from 10⁻³⁰⁰ to 10³⁰⁰ neither overflows a Dekker split nor underflows a product.  The error is
≈ cond(Σ₂)·ε² relative to the terms (1e-20 at condition number 10¹²) plus the final rounding;
a Σ that is not finite and positive definite gives nan.
"""

from __future__ import annotations

import numpy as np

from symgeom.numeric.dd_linalg import (
    dd_cholesky,
    dd_dot_self,
    dd_log,
    dd_solve_lower,
    dd_sum_last,
    exact_difference,
    in_blocks,
    scaled_factor,
    symmetric_part,
)
from symgeom.numeric.double_double import add, mul, sub
from symgeom.numeric.kernels import kl_div

#: ‖N‖_F below this: the near form (I + N has eigenvalues in (½, 3/2)).
NEAR = 0.5
LN2 = float(np.log(2.0))


def full_gaussian_kl(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> np.ndarray:
    """KL of float64 arrays μ (..., d) and Σ (..., d, d), broadcast; nan where a Σ is not finite
    and positive definite (see the module docstring for the form)."""
    return in_blocks(_kl, (mu1, cov1, mu2, cov2), (1, 2, 1, 2))


def _kl(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> np.ndarray:
    batch = np.broadcast_shapes(mu1.shape[:-1], cov1.shape[:-2], mu2.shape[:-1], cov2.shape[:-2])
    d = cov2.shape[-1]
    mu1, mu2 = (np.broadcast_to(m, (*batch, d)) for m in (mu1, mu2))
    # Σ's symmetric part, exactly: a Σ that is symmetric only to rounding is read as a whole
    sym1, sym2 = (symmetric_part(np.broadcast_to(c, (*batch, d, d))) for c in (cov1, cov2))
    l2_hi, l2_lo, k2, ok2 = scaled_factor(*sym2)
    mean = _mean_term(mu1, mu2, l2_hi, l2_lo, k2)
    trace = np.full(batch, np.nan)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        scale = -2 * k2[..., None, None]
        dlt = sub(*((np.ldexp(hi, scale), np.ldexp(lo, scale)) for hi, lo in (sym1, sym2)))
        half = dd_solve_lower(l2_hi, l2_lo, *dlt)
        n_hi, n_lo = dd_solve_lower(l2_hi, l2_lo, np.swapaxes(half[0], -1, -2), np.swapaxes(half[1], -1, -2))
        near = ok2 & (np.sqrt(np.sum(n_hi * n_hi, axis=(-2, -1))) < NEAR)
    if near.any():
        trace[near] = _near_trace(n_hi[near], n_lo[near])
    far = ok2 & ~near
    if far.any():
        trace[far] = _far_trace((sym1[0][far], sym1[1][far]), l2_hi[far], l2_lo[far], k2[far])
    return 0.5 * (mean + trace)


def _mean_term(mu1: np.ndarray, mu2: np.ndarray, l2_hi: np.ndarray, l2_lo: np.ndarray,
               k2: np.ndarray) -> np.ndarray:
    """‖L₂⁻¹(μ₁−μ₂)‖² with Σ₂ = 4^{k₂}L₂L₂ᵀ: μ₁ − μ₂ exact, scaled by 2^{−kμ} to max |·| ≈ 1."""
    hi, lo = exact_difference(mu1, mu2)
    top = np.max(np.abs(hi), axis=-1)
    _, k = np.frexp(np.where(np.isfinite(top) & (top > 0), top, 1.0))
    scale = -k[..., None]
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        rhs = (np.ldexp(hi, scale)[..., None], np.ldexp(lo, scale)[..., None])
        y_hi, y_lo = dd_solve_lower(l2_hi, l2_lo, *rhs)
        total = dd_dot_self(y_hi[..., 0], y_lo[..., 0])
        return np.ldexp(total[0] + total[1], 2 * (k - k2))


def _strict_lower_squares(c_hi: np.ndarray, c_lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Σ_{j<i} Cᵢⱼ² per row i, (..., d)) in double-double."""
    lower = np.tril(np.ones(c_hi.shape[-2:], dtype=bool), -1)
    sq_hi, sq_lo = mul((c_hi, c_lo), (c_hi, c_lo))
    return dd_sum_last(np.where(lower, sq_hi, 0.0), np.where(lower, sq_lo, 0.0))


def _terms(off: np.ndarray, e: np.ndarray, log1p_e: np.ndarray) -> np.ndarray:
    """Σ_{i>j} Cᵢⱼ² (given, ``off``) + Σᵢ kl_div(1, 1 + eᵢ) with ln(1 + eᵢ) given."""
    with np.errstate(invalid="ignore", over="ignore"):
        return off + kl_div(1.0, 1.0 + e, -e, -log1p_e).sum(axis=-1)


def _near_trace(n_hi: np.ndarray, n_lo: np.ndarray) -> np.ndarray:
    """tr N − ln det(I + N) by C = chol(I + N), eᵢ = Nᵢᵢ − Σ_{j<i} Cᵢⱼ² (‖N‖_F < ½)."""
    d = n_hi.shape[-1]
    eye = np.eye(d)
    a_hi, a_lo = add((n_hi, n_lo), (eye, np.zeros_like(eye)))
    c_hi, c_lo = dd_cholesky(a_hi, a_lo)
    rows = _strict_lower_squares(c_hi, c_lo)
    diagonal = (np.diagonal(n_hi, axis1=-2, axis2=-1), np.diagonal(n_lo, axis1=-2, axis2=-1))
    e_hi, e_lo = sub(diagonal, rows)
    e = e_hi + e_lo
    off = dd_sum_last(*rows)
    return _terms(off[0] + off[1], e, np.log1p(e))


def _far_trace(cov1: tuple[np.ndarray, np.ndarray], l2_hi: np.ndarray, l2_lo: np.ndarray,
               k2: np.ndarray) -> np.ndarray:
    """tr W − d − ln det W by C = L₂⁻¹L₁ (Σ₁ = 4^{k₁}L₁L₁ᵀ, so C = 2^{k₁−k₂}·L₂⁻¹L₁), eᵢ = Cᵢᵢ² − 1,
    ln(1 + eᵢ) = 2 ln Cᵢᵢ; nan where Σ₁ is not finite and positive definite."""
    l1_hi, l1_lo, k1, ok1 = scaled_factor(*cov1)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        c_hi, c_lo = dd_solve_lower(l2_hi, l2_lo, l1_hi, l1_lo)
        off = dd_sum_last(*_strict_lower_squares(c_hi, c_lo))
        off = np.ldexp(off[0] + off[1], 2 * (k1 - k2))
        diagonal = (np.diagonal(c_hi, axis1=-2, axis2=-1), np.diagonal(c_lo, axis1=-2, axis2=-1))
        sq_hi, sq_lo = mul(diagonal, diagonal)
        shift = (k1 - k2)[..., None]
        e_hi, e_lo = sub((np.ldexp(sq_hi, 2 * shift), np.ldexp(sq_lo, 2 * shift)),
                         (np.ones_like(sq_hi), np.zeros_like(sq_lo)))
        e = e_hi + e_lo
        # Cᵢᵢ² past the float range: e = ∞ (the low part, scaled alike, would make it nan)
        e = np.where(np.isnan(e) & ~np.isnan(sq_hi), np.ldexp(sq_hi, 2 * shift), e)
        log_square = 2 * (dd_log(*diagonal) + shift * LN2)
        out = _terms(off, e, log_square)
    return np.where(ok1, out, np.nan)
