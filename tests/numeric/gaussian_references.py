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


def kl_mvn(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray, dps: int = 100) -> mp.mpf:
    """KL(N(μ₁,Σ₁)‖N(μ₂,Σ₂)) = ½[tr(Σ₂⁻¹Σ₁) + (μ₁−μ₂)ᵀΣ₂⁻¹(μ₁−μ₂) − d + ln det Σ₂ − ln det Σ₁] of the
    float inputs, at ``dps`` digits: 100 keep ≥ 50 after the ≈ 30 digits a KL of 10⁻²⁸ cancels
    from terms of size d and the 12 a condition number of 10¹² costs the inversion."""
    with mp.workdps(dps):
        c1, c2 = mp.matrix(np.asarray(cov1).tolist()), mp.matrix(np.asarray(cov2).tolist())
        dm = mp.matrix(np.asarray(mu1).tolist()) - mp.matrix(np.asarray(mu2).tolist())
        inv2 = c2**-1
        d = len(cov1)
        trace = mp.fsum((inv2 * c1)[i, i] for i in range(d))
        quad = (dm.T * inv2 * dm)[0, 0]
        return (trace + quad - d + mp.log(mp.det(c2)) - mp.log(mp.det(c1))) / 2


def near_pair(cov: np.ndarray, relative: float, seed: int) -> np.ndarray:
    """Σ ∘ (1 + relative·R), R symmetric with entries uniform in [−1, 1] (a nearby covariance;
    the caller checks it is positive definite)."""
    rng = np.random.default_rng(seed)
    r = rng.uniform(-1, 1, size=cov.shape)
    return cov * (1 + relative * (r + r.T) / 2)
