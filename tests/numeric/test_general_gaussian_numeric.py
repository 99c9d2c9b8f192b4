"""MultivariateGaussian(50, 'full'): compiled KL, entropy and Fisher against 50-digit mpmath."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import symgeom as sg

D = 50


def _spd(rng: np.random.Generator) -> np.ndarray:
    """A random SPD matrix with condition number about 10-20 (I + WWᵀ/d, W Gaussian)."""
    w = rng.standard_normal((D, D))
    return np.eye(D) + w @ w.T / D


def _mp(a: np.ndarray) -> mpmath.matrix:
    return mpmath.matrix(a.tolist())


def _references(m1, s1, m2, s2):
    """KL, entropy and Σ₁⁻¹ in 50 digits from the same float64 inputs (exact binary values)."""
    with mpmath.workdps(50):
        big1, big2 = _mp(s1), _mp(s2)
        prec1, prec2 = big1 ** -1, big2 ** -1
        diff = _mp(m2 - m1)
        trace = sum((prec2 * big1)[i, i] for i in range(D))
        quad = (diff.T * prec2 * diff)[0, 0]
        kl = (trace + quad - D + mpmath.log(mpmath.det(big2)) - mpmath.log(mpmath.det(big1))) / 2
        entropy = (D * mpmath.log(2 * mpmath.pi * mpmath.e) + mpmath.log(mpmath.det(big1))) / 2
        return kl, entropy, prec1


@pytest.fixture(scope="module")
def compiled():
    fam = sg.MultivariateGaussian(D, "full")
    return sg.kl(fam).numpy(), sg.entropy(fam).numpy(), sg.fisher(fam).numpy()


SLOW = pytest.mark.slow


@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=SLOW), pytest.param(2, marks=SLOW)])
def test_d50_against_mpmath(compiled, seed):
    kl, entropy, fisher = compiled
    rng = np.random.default_rng(seed)
    s1, s2 = _spd(rng), _spd(rng)
    s1, s2 = (s1 + s1.T) / 2, (s2 + s2.T) / 2
    m1, m2 = rng.standard_normal(D), rng.standard_normal(D)
    kl_ref, entropy_ref, p1 = _references(m1, s1, m2, s2)
    # cond(Σ) ≈ 10-20 and d = 50: the Cholesky-based forms lose a few ulps per step, so
    # 1e-12 relative error is the target (the bar) with margin.
    assert abs(kl(m1, s1, m2, s2) - float(kl_ref)) <= 1e-12 * float(kl_ref)
    assert abs(entropy(m1, s1) - float(entropy_ref)) <= 1e-12 * abs(float(entropy_ref))
    f = fisher(m1, s1)
    n = D + D * (D + 1) // 2
    assert f.shape == (n, n)
    pairs = [(i, j) for i in range(D) for j in range(i, D)]
    picks = rng.integers(0, n, size=(60, 2))
    with mpmath.workdps(50):
        def entry(r, c):
            if r < D and c < D:
                return p1[r, c]
            if r < D or c < D:
                return mpmath.mpf(0)
            (i, j), (k, m) = pairs[r - D], pairs[c - D]
            # ½tr(Σ⁻¹E_ijΣ⁻¹E_km), E_ij = s(e_ie_jᵀ + e_je_iᵀ), s = ½ on the diagonal
            s = (mpmath.mpf(1) / 2 if i == j else 1) * (mpmath.mpf(1) / 2 if k == m else 1) / 2
            return s * (p1[j, k] * p1[m, i] + p1[j, m] * p1[k, i] + p1[i, k] * p1[m, j] + p1[i, m] * p1[k, j])

        scale = max(abs(float(p1[i, i])) for i in range(D)) ** 2
        for r, c in [*picks.tolist(), (0, 0), (D, D), (D, n - 1)]:
            want = entry(r, c)
            # entries of Σ⁻¹ (and products of two) carry cond(Σ)·ε relative to the largest
            # entry: 1e-12 of the scale of F's covariance block, and exact zeros stay zero.
            assert abs(f[r, c] - float(want)) <= 1e-12 * scale, (r, c)
    assert np.array_equal(f[:D, D:], np.zeros((D, n - D)))
    np.testing.assert_array_equal(f, f.T)


def test_d50_validates_input(compiled):
    kl, entropy, _ = compiled
    bad = -np.eye(D)
    with pytest.raises(sg.InvalidParameterError, match="positive definite"):
        entropy(np.zeros(D), bad)
    with pytest.raises(sg.InvalidParameterError, match="shape"):
        kl(np.zeros(3), np.eye(3), np.zeros(3), np.eye(3))
