"""Categorical(k) probability-chart entropy and Fisher for any k (issue 12; symgeom.numeric.simplex_forms):
the vector-axis forms H = Σᵢ entr(pᵢ), F = diag([pᵢ>0]/pᵢ) + ([p_k>0]/p_k)·11ᵀ with the SUPPLIED last
entry, checked

* symbolically against the per-outcome expressions of symgeom.numeric.finite and the derivation's
  result for k = 3 … 6 (where every pᵢ > 0);
* numerically against the k ≤ 6 per-outcome path (zeros included) and 50-digit mpmath references
  (H from −Σp log p, F as the inverse of Cov(T) = diag(p) − ppᵀ where every p > 0, else Σₓ p s sᵀ
  over the outcomes with p(x) > 0) at k = 7, 10, 100, 1000, on ``.numpy()``.
"""

from __future__ import annotations

import dataclasses

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import symgeom as sg
from symgeom.numeric import finite, simplex_forms


def _structured(k: int, theta: tuple[sp.Symbol, ...], last: sp.Symbol) -> tuple[sp.Expr, sp.Matrix]:
    probs = (*theta, last)
    h = -sp.Add(*[p * sp.log(p) for p in probs])
    f = sp.diag(*[1 / p for p in theta]) + sp.ones(k - 1, k - 1) / last
    return h, f


@pytest.mark.parametrize("k", [3, 4, 6])
def test_structured_forms_equal_the_per_outcome_sums_symbolically(k):
    """Proof (exact SymPy) at small k that the vector form is the per-outcome sum the k ≤ 6 path
    evaluates (Entr(p, ℓ) = −pℓ, the √p-scaled scores squared), every p > 0."""
    family = sg.Categorical(k)
    assert finite.supported(family) and simplex_forms.applies(family)
    theta = family.symbols()
    (last,) = finite.last_symbols(family)
    h, f = _structured(k, theta, last)
    terms = finite._outcome_terms(family)
    unentr = {finite.Entr: lambda p, ell: -p * ell}
    per_h = sp.Add(*[finite.Entr(p, ell) for p, ell, _ in terms]).replace(finite.Entr, unentr[finite.Entr])
    assert sp.simplify(sp.expand_log(per_h - h, force=True)) == 0
    per_f = sp.zeros(k - 1, k - 1)
    for p, _, score in terms:
        s = sp.Matrix(score)
        per_f += p * s * s.T
    assert sp.simplify(per_f - f) == sp.zeros(k - 1, k - 1)


@pytest.mark.parametrize("k", [3, 4])
def test_structured_fisher_equals_the_derivation(k):
    """The derived Fisher (and entropy) of the family, 1 − Σθ for the last entry, is the vector form."""
    family = sg.Categorical(k)
    theta = family.symbols()
    last = sp.Symbol("last", positive=True)
    h, f = _structured(k, theta, last)
    back = {last: 1 - sp.Add(*theta)}
    derived_f = sp.Matrix(sg.fisher(family).result)
    assert sp.simplify(derived_f - f.xreplace(back)) == sp.zeros(k - 1, k - 1)
    derived_h = sg.entropy(family).result
    assert sp.simplify(sp.expand_log(derived_h - h.xreplace(back), force=True)) == 0


def test_recognised_from_data_not_name():
    assert all(simplex_forms.applies(sg.Categorical(k)) for k in (2, 3, 7, 10, 1000))
    others = (sg.Categorical(3, "logits"), sg.Categorical(10, "logits"), sg.Bernoulli(), sg.Poisson())
    assert not any(simplex_forms.applies(f) for f in others)
    renamed = dataclasses.replace(sg.Categorical(10), name="my_die")
    assert simplex_forms.applies(renamed)
    p = np.r_[0.5, 0.5, np.zeros(8)]
    assert sg.entropy(renamed).numpy()(p) == pytest.approx(np.log(2), rel=1e-15)


def _points(k: int) -> list[np.ndarray]:
    rng = np.random.default_rng(k)
    zeros = np.zeros(k - 2)
    out = [np.r_[0.5, 0.5, zeros], np.r_[1 - 1e-16, 1e-16, zeros], np.r_[1.0, 1e-20, zeros],
           np.r_[zeros, 0.5, 0.5], np.r_[1e-300, zeros, 1.0], np.full(k, 1 / k), rng.dirichlet(np.ones(k)),
           rng.dirichlet(np.full(k, 0.05))]
    tiny = np.r_[np.full(k - 1, 1e-17), 0.0]
    tiny[-1] = 1 - (k - 1) * 1e-17
    out.append(tiny)
    return out


def mp_entropy(p: np.ndarray) -> mp.mpf:
    return -mp.fsum(mp.mpf(float(x)) * mp.log(mp.mpf(float(x))) for x in p if x > 0)


def mp_fisher(p: np.ndarray) -> np.ndarray:
    """Inverse of Cov(T) = diag(θ) − θθᵀ where every p > 0 (k ≤ 12), else diag(1/pᵢ) + 1/p_k·11ᵀ
    with 1/0 = ∞ (the limit of the derived Fisher at a boundary point)."""
    k = len(p)
    mpp = [mp.mpf(float(x)) for x in p]
    if all(x > 0 for x in p) and k <= 12:
        cov = mp.matrix(k - 1, k - 1)
        for i in range(k - 1):
            for j in range(k - 1):
                cov[i, j] = (mpp[i] if i == j else 0) - mpp[i] * mpp[j]
        inv = cov**-1
        return np.array([[float(inv[i, j]) for j in range(k - 1)] for i in range(k - 1)])
    diag = [1 / x if x > 0 else mp.inf for x in mpp[:-1]]
    off = 1 / mpp[-1] if mpp[-1] > 0 else mp.inf
    return np.array([[float((diag[i] if i == j else 0) + off) for j in range(k - 1)] for i in range(k - 1)])


@pytest.mark.parametrize("k", [7, 10, 100, 1000])
def test_numpy_against_mpmath(k):
    entropy, fisher = sg.entropy(sg.Categorical(k)).numpy(), sg.fisher(sg.Categorical(k)).numpy()
    points = _points(k)
    x = np.stack(points)
    h, f = entropy(x), fisher(x)
    assert h.shape == (len(points),) and f.shape == (len(points), k - 1, k - 1)
    with mp.workdps(50):
        for row, p in enumerate(points):
            want = float(mp_entropy(p))
            assert h[row] >= 0 and abs(h[row] - want) <= 1e-12 * want, (k, row, h[row], want)
            if k <= 100:
                np.testing.assert_allclose(f[row], mp_fisher(p), rtol=1e-12, atol=0, err_msg=f"{k} {row}")
            np.testing.assert_array_equal(f[row], f[row].T)


@pytest.mark.parametrize("k", [7, 10, 100])
def test_issue_reproducers(k):
    """The points of the issue: Categorical(k ≥ 7) raised 'overflowed float64' on NumPy."""
    zeros = np.zeros(k - 2)
    entropy, fisher = sg.entropy(sg.Categorical(k)).numpy(), sg.fisher(sg.Categorical(k)).numpy()
    assert entropy(np.r_[0.5, 0.5, zeros]) == pytest.approx(np.log(2), rel=1e-15)
    f = fisher(np.r_[0.5, 0.5, zeros])  # 1/p_k = ∞ in every entry: the derived Fisher's boundary value
    assert np.all(f == np.inf)
    f = fisher(np.r_[zeros, 0.5, 0.5])
    assert f[-1, -1] == 4.0 and f[0, -1] == 2.0 and np.all(np.diagonal(f)[:-1] == np.inf)
    assert entropy(np.r_[1.0, 1e-20, zeros]) == pytest.approx(1e-20 * np.log(1e20), rel=1e-14)
    assert fisher(np.r_[1.0, zeros, 1e-20])[0, 0] == 1e20
    h = entropy(np.r_[1 - 1e-16, 1e-16, zeros])
    p1 = 1 - 1e-16  # the double 1 − 2⁻⁵³, as the kernel reads it
    want = -p1 * np.log(p1) + 1e-16 * np.log(1e16)
    assert h == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize("k", [3, 4, 6])
def test_vector_form_matches_per_outcome_path(k):
    """The vector form against the k ≤ 6 per-outcome kernels, zeros and extremes included."""
    rng = np.random.default_rng(k)
    points = [np.r_[0.5, 0.5, np.zeros(k - 2)], np.r_[np.zeros(k - 2), 1e-300, 1.0], np.r_[1.0, 1e-20,
              np.zeros(k - 2)], rng.dirichlet(np.full(k, 0.1)), rng.dirichlet(np.ones(k))]
    x = np.stack(points)
    per_h = sg.entropy(sg.Categorical(k)).numpy()(x)
    per_f = sg.fisher(sg.Categorical(k)).numpy()(x)
    np.testing.assert_allclose(simplex_forms.numpy_entropy(x), per_h, rtol=1e-13, atol=0)
    np.testing.assert_allclose(simplex_forms.numpy_fisher(x), per_f, rtol=1e-13, atol=0)


@pytest.mark.parametrize("k", [7, 100])
def test_float32_within_100_ulps(k):
    x = np.stack(_points(k)).astype(np.float32)
    x = x[np.all((x == 0) | (x > 1e-37), axis=-1)]  # float32 normal range
    h = sg.entropy(sg.Categorical(k)).numpy()(x)
    f = sg.fisher(sg.Categorical(k)).numpy()(x)
    assert h.dtype == np.float32 and f.dtype == np.float32
    ulp = float(np.finfo(np.float32).eps)
    with mp.workdps(50):
        for row, p in enumerate(x):
            want = float(mp_entropy(p))
            assert abs(float(h[row]) - want) <= 100 * ulp * want
            np.testing.assert_allclose(f[row], mp_fisher(p), rtol=100 * ulp, atol=0)
