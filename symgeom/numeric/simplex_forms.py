"""Entropy and Fisher matrix of a softmax family in its probability (mean) chart, any k, with the
simplex's supplied last entry — the per-outcome sums of :mod:`symgeom.numeric.finite` written over
the vector axis.

Which families: :func:`applies` reads the data — the softmax structure in the mean chart
(:func:`symgeom.numeric.structure.kl_structure`: A(η) = log(1 + Σe^{ηᵢ}), h = 1, T the one-hot
indicators of outcomes 1 … k−1, chart coordinates θᵢ = E[Tᵢ]) and one ``simplex`` array argument
carrying all k − 1 coordinates.  T one-hot gives P(x = i) = E[Tᵢ] = θᵢ for i < k and the outcome
with T = 0 the rest, the array's supplied last entry p_k (never recomputed as 1 − Σθ).  So the
outcome probabilities are the array's entries, and the per-outcome sums are

    H = Σᵢ entr(pᵢ) = −Σ_{pᵢ>0} pᵢ log pᵢ,
    F = Σₓ t(x)t(x)ᵀ, t(i) = √pᵢ·∇log θᵢ = eᵢ/√pᵢ (i < k), t(k) = √p_k·∇log(1 − Σθ) = −1/√p_k,
      = diag(1/pᵢ)_{i<k} + (1/p_k)·11ᵀ,

with 0·log 0 = 0 in H and 1/0 = ∞ in F (the derived Fisher's value on the boundary, as on the
k ≤ 6 per-outcome path: k = 3 at [½, ½, 0]: H = log 2, F = ∞ in every entry).  With every
pᵢ > 0, F is the inverse of Cov(T) = diag(p) − ppᵀ (Sherman–Morrison), the derived Fisher of
the mean chart; tests/numeric/test_simplex_forms.py checks both forms symbolically against the
per-outcome expressions and the derivation for k = 3 … 6.

H is a sum of non-negative terms (never negative; relative error a few ulps of the sum, each
−pᵢ log pᵢ within an ulp or two as pᵢ is exact); each Fisher entry is 1/pᵢ + 1/p_k or 1/p_k
(one or two roundings).  O(k) work for H, O(k²) for the (…, k−1, k−1) F, vectorized over the
leading axes.  Zero entries are masked with ``where`` on both the value and a safe argument, so
autograd (torch, JAX) sees no 0·∞ or 0/0.  Functions are namespace-generic (``xp`` with where,
log, sum, zeros_like); NumPy float32 is computed in float64 and rounded once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symgeom.families.base import Family
from symgeom.numeric import tiny_sums

Array = Any

#: The formulas a compiled function's signature states.
FORMULA = {
    "entropy": "H = Σᵢ entr(pᵢ) over the supplied simplex entries (symgeom.numeric.simplex_forms)",
    "fisher": "F = diag([pᵢ>0]/pᵢ)_{i<k} + ([p_k>0]/p_k)·11ᵀ (symgeom.numeric.simplex_forms)",
}


def applies(family: Family | None) -> bool:
    """Whether ``family``'s outcome probabilities are the entries of its one simplex argument (see
    the module docstring), read from its exponential-family form and chart."""
    if family is None or family.exponential_form is None:
        return False
    arrays = family.chart.array_arguments
    if len(arrays) != 1 or arrays[0].form != "simplex" or arrays[0].count != len(family.symbols()):
        return False
    from symgeom.numeric.structure import KLStructure, kl_structure

    return kl_structure(family) == KLStructure("softmax", "mean")


def _positive(xp: Any, p: Array) -> tuple[Array, Array]:
    """(mask p > 0, p with its zeros replaced by 1): the safe argument of log and 1/p."""
    mask = p > 0
    return mask, xp.where(mask, p, xp.ones_like(p))


def entropy(xp: Any, p: Array) -> Array:
    """H = −Σ_{pᵢ>0} pᵢ log pᵢ over the last axis of the full probability vector p (…, k)."""
    mask, safe = _positive(xp, p)
    return xp.sum(xp.where(mask, -safe * xp.log(safe), xp.zeros_like(p)), axis=-1)


def fisher(xp: Any, p: Array, eye: Array) -> Array:
    """F = diag(1/pᵢ)_{i<k} + (1/p_k)·11ᵀ, shape (…, k−1, k−1), ∞ where an entry is 0 (a constant
    there, so no ∞ reaches a gradient); ``eye`` the boolean (or 0/1) (k−1)×(k−1) identity."""
    mask, safe = _positive(xp, p)
    inverse = xp.where(mask, 1 / safe, xp.full_like(p, float("inf")))
    free = inverse[..., :-1]
    diagonal = xp.where(eye, free[..., :, None], xp.zeros_like(free)[..., :, None])
    return diagonal + inverse[..., -1:, None]


def numpy_entropy(p: np.ndarray) -> np.ndarray:
    """:func:`entropy` of a NumPy array (float32 computed in float64, rounded once); a subnormal
    H is summed scaled and rounded once (:mod:`symgeom.numeric.tiny_sums`)."""
    p = np.asarray(p)
    dtype = np.result_type(p, np.float32)
    wide = p.astype(np.float64, copy=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = entropy(np, wide)

        def exact_at(mask: np.ndarray) -> np.ndarray:
            rows = np.broadcast_to(wide, (*mask.shape, wide.shape[-1]))[mask]
            safe = np.where(rows > 0, rows, 1.0)
            return tiny_sums.entr_sum([rows[..., i] for i in range(rows.shape[-1])],
                                      [np.log(safe[..., i]) for i in range(rows.shape[-1])],
                                      [True] * rows.shape[-1])

        # a subnormal H rounded once, not once per term (symgeom.numeric.tiny_sums)
        value = tiny_sums.refined(value, exact_at)
    return np.asarray(value, dtype=dtype)[()]


def numpy_fisher(p: np.ndarray) -> np.ndarray:
    """:func:`fisher` of a NumPy array (float32 computed in float64, rounded once)."""
    p = np.asarray(p)
    dtype = np.result_type(p, np.float32)
    eye = np.eye(p.shape[-1] - 1, dtype=bool)
    with np.errstate(divide="ignore", over="ignore"):
        return np.asarray(fisher(np, p.astype(np.float64, copy=False), eye), dtype=dtype)


def _widened(ops: Any, p: Array) -> Array:
    """float32 as float64 where the namespace has it (torch; JAX with x64): the form then rounds
    once, on the way back (validation has read the float32 input already, with its own √ε)."""
    from symgeom.backends.bregman import float64_for_float32

    wide = float64_for_float32(ops, p)
    return p if wide is None else ops.xp.astype(p, wide)


def backend_entropy(ops: Any, p: Array) -> Array:
    """:func:`entropy` for the array backends (a vector form of :mod:`symgeom.backends.compile`),
    with the log-magnitude copy where H is subnormal on a flushing backend (JAX on the CPU:
    H(1, 1e-320, …) = 4.4e-317 was 0), taken from ``p`` in its own precision after rounding back
    (:func:`symgeom.backends.tiny_entropy.outcome_rows`)."""
    from symgeom.backends.tiny_entropy import outcome_rows

    return outcome_rows(ops, ops.xp.astype(entropy(ops.xp, _widened(ops, p)), p.dtype), p)


def backend_fisher(ops: Any, p: Array) -> Array:
    """:func:`fisher` for the array backends, the identity on ``p``'s device."""
    from symgeom.backends.general_forms import _eye

    wide = _widened(ops, p)
    eye = _eye(ops, p.shape[-1] - 1, wide) != 0
    return ops.xp.astype(fisher(ops.xp, wide, eye), p.dtype)

#: The vector forms by quantity.
BACKEND = {"entropy": backend_entropy, "fisher": backend_fisher}
