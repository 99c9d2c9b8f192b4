"""Batched double-double Cholesky, triangular solve, ln det and Σ⁻¹ on NumPy arrays (..., d, d).

The arithmetic of :mod:`symgeom.numeric.double_double` (error-free two_sum/two_prod, ε² ≈ 1.2e-32)
applied to whole columns and trailing blocks at once, so the Python loops run d times (not d³/6
times, as over lists of entries): right-looking Cholesky

    Lⱼⱼ = √Aⱼⱼ,   L_{j+1:, j} = A_{j+1:, j}/Lⱼⱼ,   A_{j+1:, j+1:} −= L_{j+1:, j} L_{j+1:, j}ᵀ,

forward substitution X = L⁻¹B row by row, Σ⁻¹ = L⁻ᵀL⁻¹ and ln det Σ = 2Σᵢ ln Lᵢᵢ.  The factor's
backward error is ≈ d·ε²·|L||Lᵀ|, so ln det Σ and Σ⁻¹ keep ≈ cond(Σ)·ε² relative error (1e-20 at
condition number 10¹²) before the final rounding to float64.

Σ is first scaled by an exact power of four, Σ = 4ᵏΣ′ with max Σ′ᵢᵢ in [½, 2)
(:func:`power_of_four`), so that no Dekker split (× 2²⁷ + 1) overflows and no product of the
factorization underflows for Σ from 10⁻³⁰⁰ to 10³⁰⁰; ln det Σ = ln det Σ′ + d·k·ln 4 and
Σ⁻¹ = 4⁻ᵏΣ′⁻¹.  Everything is float64 (float32 callers convert and round once at the end);
a matrix that is not finite or not positive definite gives nan.  NumPy only: exported modules
(:mod:`symgeom.numeric.bundle`) carry these functions as source.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from symgeom.numeric.double_double import add, div, mul, sqrt, two_sum

#: Entries per block of matrices: each double-double operation makes a fresh temporary, and
#: temporaries past a few hundred kB cost page faults that outweigh the arithmetic (measured:
#: ln det of 10⁴ matrices d = 10, whole batch ≈ 6× slower than blocks of 64k entries).
BLOCK_ENTRIES = 1 << 16

#: ln 4 as a double-double (hi + lo), from 60-digit mpmath.
LN4_HI = 1.3862943611198906
LN4_LO = 4.638093627692599e-17


def in_blocks(function: Callable[..., np.ndarray], arrays: tuple[np.ndarray, ...],
              cores: tuple[int, ...]) -> np.ndarray:
    """``function`` applied to blocks of the broadcast batch of ``arrays`` (``cores[i]`` trailing
    axes of ``arrays[i]`` are its core), about :data:`BLOCK_ENTRIES` core entries per block; the
    results are concatenated along the batch."""
    batch = np.broadcast_shapes(*(a.shape[: a.ndim - c] for a, c in zip(arrays, cores, strict=True)))
    flat = [np.broadcast_to(a, (*batch, *a.shape[a.ndim - c :])).reshape(-1, *a.shape[a.ndim - c :])
            for a, c in zip(arrays, cores, strict=True)]
    count = flat[0].shape[0]
    size = max(1, BLOCK_ENTRIES // max(1, max(int(np.prod(f.shape[1:])) for f in flat)))
    if count <= size:
        out = function(*flat)
    else:
        out = np.concatenate([function(*(f[i : i + size] for f in flat)) for i in range(0, count, size)])
    return out.reshape((*batch, *out.shape[1:]))


def _veltkamp(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hi, lo) = a with hi the upper 26 bits of the float64 significand (Dekker's split)."""
    t = 134217729.0 * a
    hi = t - (t - a)
    return hi, a - hi


def _sub_outer(acc_hi: np.ndarray, acc_lo: np.ndarray, x_hi: np.ndarray, x_lo: np.ndarray,
               y_hi: np.ndarray, y_lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """acc − x·y in double-double for x (..., m, 1) and y (..., 1, n) broadcast to acc's shape:
    Dekker's two_prod with each factor split once (not once per product), its (p, e) subtracted
    by a sloppy double-double add (Hida–Li–Bailey), |e| ≤ ulp(p) needing no renormalization."""
    xh, xl = _veltkamp(x_hi)
    yh, yl = _veltkamp(y_hi)
    p = x_hi * y_hi
    e = ((xh * yh - p) + xh * yl + xl * yh) + xl * yl + (x_hi * y_lo + x_lo * y_hi)
    s = acc_hi - p
    bb = s - acc_hi
    err = (acc_hi - (s - bb)) - (p + bb) + (acc_lo - e)
    hi = s + err
    return hi, err - (hi - s)


def power_of_four(diagonal: np.ndarray) -> np.ndarray:
    """k (int) with 4⁻ᵏ·maxᵢ Σᵢᵢ in [½, 2), from ``diagonal`` (..., d); 0 where the maximum is
    not finite and positive (such a Σ is not positive definite: its result is nan anyway)."""
    top = np.max(diagonal, axis=-1)
    ok = np.isfinite(top) & (top > 0)
    _, exponent = np.frexp(np.where(ok, top, 1.0))
    return np.where(ok, exponent // 2, 0)


def dd_cholesky(a_hi: np.ndarray, a_lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(L_hi, L_lo), lower triangular (zeros above), with A = LLᵀ in double-double; only A's
    lower triangle is read.  A non-positive pivot gives nan from that column on."""
    d = a_hi.shape[-1]
    work_hi, work_lo = a_hi.copy(), a_lo.copy()
    l_hi, l_lo = np.zeros_like(a_hi), np.zeros_like(a_hi)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for j in range(d):
            root_hi, root_lo = sqrt(np, (work_hi[..., j, j], work_lo[..., j, j]))
            l_hi[..., j, j], l_lo[..., j, j] = root_hi, root_lo
            if j + 1 == d:
                break
            col_hi, col_lo = div((work_hi[..., j + 1 :, j], work_lo[..., j + 1 :, j]),
                                 (root_hi[..., None], root_lo[..., None]))
            l_hi[..., j + 1 :, j], l_lo[..., j + 1 :, j] = col_hi, col_lo
            work_hi[..., j + 1 :, j + 1 :], work_lo[..., j + 1 :, j + 1 :] = _sub_outer(
                work_hi[..., j + 1 :, j + 1 :], work_lo[..., j + 1 :, j + 1 :],
                col_hi[..., :, None], col_lo[..., :, None], col_hi[..., None, :], col_lo[..., None, :])
    return l_hi, l_lo


def dd_solve_lower(l_hi: np.ndarray, l_lo: np.ndarray, b_hi: np.ndarray,
                   b_lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """X = L⁻¹B (B of shape (..., d, m)) by forward substitution in double-double."""
    d = l_hi.shape[-1]
    shape = (*np.broadcast_shapes(l_hi.shape[:-2], b_hi.shape[:-2]), d, b_hi.shape[-1])
    x_hi, x_lo = np.broadcast_to(b_hi, shape).copy(), np.broadcast_to(b_lo, shape).copy()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for i in range(d):
            pivot = (l_hi[..., i, i, None], l_lo[..., i, i, None])
            row_hi, row_lo = div((x_hi[..., i, :], x_lo[..., i, :]), pivot)
            x_hi[..., i, :], x_lo[..., i, :] = row_hi, row_lo
            if i + 1 == d:
                break
            x_hi[..., i + 1 :, :], x_lo[..., i + 1 :, :] = _sub_outer(
                x_hi[..., i + 1 :, :], x_lo[..., i + 1 :, :],
                l_hi[..., i + 1 :, i, None], l_lo[..., i + 1 :, i, None],
                row_hi[..., None, :], row_lo[..., None, :])
    return x_hi, x_lo


def dd_log(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """ln(hi + lo) = ln hi + log1p(lo/hi), rounded once to float (hi > 0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log(hi) + np.log1p(lo / hi)


def dd_sum_last(hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Σ over the last axis in double-double."""
    total = (hi[..., 0], lo[..., 0])
    for i in range(1, hi.shape[-1]):
        total = add(total, (hi[..., i], lo[..., i]))
    return total


def scaled_factor(matrix: np.ndarray, low: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(L_hi, L_lo, k, ok) with ``matrix`` (+ ``low``, a double-double) = 4ᵏLLᵀ (float64
    (..., d, d), lower triangle read) and ok where it is finite and positive definite (L is nan
    elsewhere)."""
    diagonal = np.diagonal(matrix, axis1=-2, axis2=-1)
    k = power_of_four(diagonal)
    scale = -2 * k[..., None, None]
    low = np.zeros_like(matrix) if low is None else np.ldexp(low, scale)
    l_hi, l_lo = dd_cholesky(np.ldexp(matrix, scale), low)
    pivots = np.diagonal(l_hi, axis1=-2, axis2=-1)
    finite = np.all(np.isfinite(np.tril(matrix)), axis=(-2, -1))
    ok = finite & np.all(pivots > 0, axis=-1) & np.all(np.isfinite(l_hi), axis=(-2, -1))
    return l_hi, l_lo, k, ok


def symmetric_part(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Σ + Σᵀ)/2 as a double-double, exactly (Σ itself, with a zero low part, when symmetric)."""
    hi, lo = two_sum(matrix, np.swapaxes(matrix, -1, -2))
    return 0.5 * hi, 0.5 * lo


def dd_logdet(matrix: np.ndarray) -> np.ndarray:
    """ln det Σ (float64) of symmetric ``matrix`` (..., d, d) by a scaled double-double Cholesky;
    nan where it is not finite and positive definite."""
    return in_blocks(_logdet, (matrix,), (2,))


def _logdet(matrix: np.ndarray) -> np.ndarray:
    d = matrix.shape[-1]
    l_hi, l_lo, k, ok = scaled_factor(matrix)
    logs = 2 * dd_log(np.diagonal(l_hi, axis1=-2, axis2=-1), np.diagonal(l_lo, axis1=-2, axis2=-1))
    hi, lo = dd_sum_last(logs, np.zeros_like(logs))
    shift = (d * k).astype(np.float64)
    ln4 = (np.full_like(shift, LN4_HI), np.full_like(shift, LN4_LO))
    hi, lo = add((hi, lo), mul((shift, np.zeros_like(shift)), ln4))
    return np.where(ok, hi + lo, np.nan)


def dd_inverse_lower(l_hi: np.ndarray, l_lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """L⁻¹ in double-double (lower triangular)."""
    eye = np.eye(l_hi.shape[-1])
    return dd_solve_lower(l_hi, l_lo, eye, np.zeros_like(eye))


def dd_precision(matrix: np.ndarray) -> np.ndarray:
    """Σ⁻¹ = L⁻ᵀL⁻¹ (float64, symmetric by construction) of ``matrix`` (..., d, d) from its scaled
    double-double Cholesky factor, rounded once; nan where Σ is not finite and positive definite."""
    return in_blocks(_precision, (matrix,), (2,))


def coordinate_exponents(diagonal: np.ndarray) -> np.ndarray:
    """eᵢ = ⌊e(Σᵢᵢ)/2⌋ (e the binary exponent) so that Σ = DΣ̃D with D = diag(2^{eᵢ}) has Σ̃ᵢᵢ in
    [¼, 2) and |Σ̃ᵢⱼ| < 2 (positive definite); 0 where Σᵢᵢ is not finite and > 0."""
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(diagonal) & (diagonal > 0)
    return np.where(usable, np.frexp(np.where(usable, diagonal, 1.0))[1] // 2, 0)


def _precision(matrix: np.ndarray) -> np.ndarray:
    # Σ = DΣ̃D, P = D⁻¹P̃D⁻¹ with exact powers of two per coordinate: a single scale cannot hold
    # Σ = diag(1e-200, 1e200), whose factor's Dekker split overflowed (nan, where P is diag(1e200,
    # 1e-200)); Pᵢⱼ = P̃ᵢⱼ·2^{−(eᵢ+eⱼ)} then rounds once, to ±inf only where Pᵢⱼ itself overflows.
    d = matrix.shape[-1]
    e = coordinate_exponents(np.diagonal(matrix, axis1=-2, axis2=-1))
    pair = e[..., :, None] + e[..., None, :]
    matrix = np.ldexp(matrix, -pair)
    l_hi, l_lo, k, ok = scaled_factor(matrix)
    inv_hi, inv_lo = dd_inverse_lower(l_hi, l_lo)
    out = (np.zeros_like(inv_hi), np.zeros_like(inv_hi))
    with np.errstate(invalid="ignore", over="ignore"):
        for row in range(d):
            # row `row` of L⁻¹ is zero past column `row`: it adds to the leading (row+1)² block only
            # out + v·vᵀ = out − (−v)·vᵀ
            out[0][..., : row + 1, : row + 1], out[1][..., : row + 1, : row + 1] = _sub_outer(
                out[0][..., : row + 1, : row + 1], out[1][..., : row + 1, : row + 1],
                -inv_hi[..., row, : row + 1, None], -inv_lo[..., row, : row + 1, None],
                inv_hi[..., row, None, : row + 1], inv_lo[..., row, None, : row + 1])
        value = np.ldexp(out[0] + out[1], -2 * k[..., None, None] - pair)
    return np.where(ok[..., None, None], value, np.nan)


def dd_dot_self(hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Σ xᵢ² over the last axis in double-double."""
    squares = mul((hi, lo), (hi, lo))
    return dd_sum_last(*squares)


def exact_difference(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """a − b as a double-double, exactly (two_sum; no overflow)."""
    return two_sum(a, -b)
