"""Entropy sums whose value is subnormal, rounded once instead of once per term.

An entropy H = Σᵢ entr(pᵢ) = −Σᵢ pᵢ·log pᵢ below the smallest normal number 2⁻¹⁰²² has every term
below it too (the terms are ≥ 0), so each −pᵢ·log pᵢ is rounded to the subnormal grid (spacing
2⁻¹⁰⁷⁴) before the sum: k − 1 terms lose up to (k − 1)/2 units (H([1, 1e-320 × 6]) came out
4.420913e-317 for 4.420914e-317).  At those entries the sum is taken scaled,

    H = 2⁻ᴹ·Σᵢ (2ᴹ·pᵢ)·(−log pᵢ),    M = 600,

2ᴹ·pᵢ exact for an input pᵢ and for a computed pᵢ ≥ 2⁻¹⁰⁰⁰ (a power-of-two scaling), and
e^{ℓᵢ + M·log 2} from the log-probability ℓᵢ where pᵢ was computed below that (e^ℓ rounded to
the subnormal grid has lost digits; the rounded M·log 2 adds ≈ 2e-14 relative).  Every scaled
term is a normal number (≤ 2^{M − 1022}), the scaled sum has a few ulps of relative error, and
the one ldexp rounds it to the subnormal grid: the result is within one unit 2⁻¹⁰⁷⁴ (plus
≈ 1e-13 relative for computed probabilities).  Entries whose direct sum is 0, normal or not
finite keep it (the terms that make a normal sum are normal or negligible below its rounding).
NumPy only; float64 arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

#: The scaling exponent: subnormal probabilities (≥ 2⁻¹⁰⁷⁴) become ≥ 2⁻⁴⁷⁴, normal numbers, and
#: a scaled term of a subnormal sum stays below 2⁻⁴²².
SCALE = 600
#: Below this a probability is rescaled from its logarithm, not from its (rounded) value.
_EXACT = 2.0**-1000
_SMALLEST_NORMAL = float(np.finfo(np.float64).tiny)


def subnormal(value: np.ndarray) -> np.ndarray:
    """Elementwise 0 < |value| < 2⁻¹⁰²² (float64's smallest normal number)."""
    magnitude = np.abs(np.asarray(value, dtype=np.float64))
    return (magnitude > 0) & (magnitude < _SMALLEST_NORMAL)


def scaled_entr(p: np.ndarray, ell: np.ndarray, exact: bool = False) -> np.ndarray:
    """2ᴹ·entr(p) = −(2ᴹ·p)·ℓ with ℓ = log p, 0 where p = 0 (module docstring); ``exact``: p is
    an input (exact at any size), so 2ᴹ·p is its ldexp everywhere."""
    p, ell = np.asarray(p, dtype=np.float64), np.asarray(ell, dtype=np.float64)
    with np.errstate(all="ignore"):
        scaled = np.ldexp(p, SCALE)
        if not exact:
            scaled = np.where(p >= _EXACT, scaled, np.exp(ell + SCALE * np.log(2.0)))
        return np.where(p == 0, 0.0, -scaled * ell)


def entr_sum(ps: Sequence[np.ndarray], ells: Sequence[np.ndarray],
             exact: Sequence[bool] | None = None) -> np.ndarray:
    """Σᵢ entr(pᵢ) = 2⁻ᴹ·Σᵢ 2ᴹ·entr(pᵢ), rounded once to the subnormal grid (broadcast arrays);
    ``exact[i]``: pᵢ is an input, not computed (:func:`scaled_entr`)."""
    flags = [False] * len(ps) if exact is None else list(exact)
    total = sum((scaled_entr(p, ell, e) for p, ell, e in zip(ps, ells, flags, strict=True)), np.float64(0.0))
    return np.ldexp(total, -SCALE)


def refined(value: np.ndarray, exact_at: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``value`` (float64) with its subnormal entries replaced by ``exact_at(mask)``, the values
    at the entries of the boolean ``mask`` (in order); unchanged (the same object) when none is."""
    value = np.asarray(value)
    mask = subnormal(value)
    if not mask.any():
        return value
    out = np.array(value, dtype=np.float64, copy=True)
    out[mask] = exact_at(mask)
    return out
