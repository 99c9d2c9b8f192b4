"""50-digit reference for the KL of full-covariance Gaussians, and pairs of covariances to test it on."""

from __future__ import annotations

import mpmath as mp
import numpy as np


def kl_mvn(m1: np.ndarray, s1: np.ndarray, m2: np.ndarray, s2: np.ndarray, digits: int = 60) -> mp.mpf:
    """½[tr(Σ₂⁻¹Σ₁) + (μ₂−μ₁)ᵀΣ₂⁻¹(μ₂−μ₁) − d + log(|Σ₂|/|Σ₁|)] of the float arrays, in ``digits``
    digits (60: a KL of 10⁻²⁸ from terms of size d at condition number 10¹² keeps > 20 digits)."""
    with mp.workdps(digits):
        a, b = mp.matrix(s1.tolist()), mp.matrix(s2.tolist())
        diff = mp.matrix((m2 - m1).tolist())
        inv = b**-1
        trace = sum((inv * a)[i, i] for i in range(a.rows))
        quad = (diff.T * inv * diff)[0, 0]
        return (trace + quad - a.rows + mp.log(mp.det(b) / mp.det(a))) / 2


def near_pair(cov: np.ndarray, relative: float, seed: int) -> np.ndarray:
    """(I + δE)Σ(I + δE)ᵀ for a random E with entries ~ N(0, 1): positive definite, each
    eigen-direction moved by a relative ≈ δ (Σ + δ·(random) would break positivity at condition
    number 10¹² once δ > 10⁻¹²)."""
    rng = np.random.default_rng(seed)
    t = np.eye(len(cov)) + relative * rng.normal(size=cov.shape)
    out = t @ cov @ t.T
    return (out + out.T) / 2


def graded(d: int, seed: int, condition: float = 1e12) -> np.ndarray:
    """DCD with C a random correlation matrix (eigenvalues ≥ ½) and D = diag(logspace(0, −½ log₁₀
    condition, d)): condition number ≈ ``condition``, and a relative change δ of each entry moves
    the whitened L⁻¹ΔL⁻ᵀ by ≈ δ (on :func:`ill_conditioned`'s rotated matrices it moves by ≈ δ·condition)."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(d, d)) / np.sqrt(4 * d)
    c = np.eye(d) + a @ a.T
    c /= np.sqrt(np.outer(np.diag(c), np.diag(c)))
    c = 0.5 * np.eye(d) + 0.5 * c
    s = np.logspace(0, -np.log10(condition) / 2, d)
    out = c * np.outer(s, s)
    return (out + out.T) / 2


def entrywise(cov: np.ndarray, relative: float, seed: int) -> np.ndarray:
    """Σ∘(1 + δR), R symmetric with entries uniform in (−1, 1)."""
    rng = np.random.default_rng(seed)
    r = rng.uniform(-1, 1, size=cov.shape)
    r = (r + r.T) / 2
    return cov * (1 + relative * r)
