"""50-digit references for the multivariate Gaussian's entropy and Fisher matrix, and the
ill-conditioned covariances the numeric and backend tests share."""

from __future__ import annotations

import mpmath as mp
import numpy as np


def ill_conditioned(d: int, seed: int, condition: float = 1e12) -> np.ndarray:
    """Q diag(logspace(0, −log₁₀ condition, d)) Qᵀ for a random rotation Q, symmetrized."""
    rng = np.random.default_rng(seed)
    q, _r = np.linalg.qr(rng.normal(size=(d, d)))
    s = (q * np.logspace(0, -np.log10(condition), d)) @ q.T
    return (s + s.T) / 2


def entropy_mvn(cov: np.ndarray) -> mp.mpf:
    """½ ln det(2πeΣ) of the float matrix ``cov``, 50 digits."""
    with mp.workdps(50):
        return 0.5 * mp.log(mp.det(2 * mp.pi * mp.e * mp.matrix(cov.tolist())))


def fisher_mvn(cov: np.ndarray) -> np.ndarray:
    """Fisher of N(μ, Σ) in (μ, upper triangle of Σ row by row): Σ⁻¹ and ½ tr(Σ⁻¹EₐΣ⁻¹E_b), 50 digits."""
    d = len(cov)
    with mp.workdps(50):
        inv = mp.matrix(cov.tolist()) ** -1
        units = []
        for i in range(d):
            for j in range(i, d):
                e = mp.zeros(d, d)
                e[i, j] = e[j, i] = 1
                units.append(e)
        n = d + len(units)
        out = np.zeros((n, n))
        for a in range(d):
            for b in range(d):
                out[a, b] = float(inv[a, b])
        for a, ea in enumerate(units):
            for b, eb in enumerate(units):
                m = inv * ea * inv * eb
                out[d + a, d + b] = float(sum(m[i, i] for i in range(d)) / 2)
    return out
