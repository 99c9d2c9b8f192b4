"""The full-covariance Gaussian entropy at condition number 10¹²: ln det Σ by Cholesky
(symgeom.numeric.logdet), not the expanded determinant, which cancels to a negative number there
(d = 3: the entropy was non-finite and .numpy() raised).  The factor is computed in double-double
(symgeom.numeric.dd_linalg), so the entropy of the given float entries keeps issue #12's 1e-12
relative (a float64 Cholesky: ≈ cond(Σ)·ε absolute)."""

from __future__ import annotations

import numpy as np
import pytest
from gaussian_references import entropy_mvn, ill_conditioned

import symgeom as sg
from symgeom.numeric.logdet import cholesky_logdet

EPS = np.finfo(float).eps




@pytest.mark.parametrize("d", [2, 3])
def test_entropy_at_condition_1e12_is_finite_and_within_1e12(d):
    entropy = sg.entropy(sg.MultivariateGaussian(d, "full")).numpy()
    for seed in range(12):
        s = ill_conditioned(d, seed)
        got = float(entropy(np.zeros(d), s))
        want = entropy_mvn(s)
        assert abs(got - want) <= 1e-12 * abs(want), (seed, got, want)


def test_cholesky_logdet_batch_and_non_positive_definite_entries():
    upper = (np.array([2.0, 1.0, 1e-200]), np.array([0.3, 2.0, 0.0]), np.array([1.0, 1.0, 1e-200]))
    got = cholesky_logdet(*upper)
    assert abs(got[0] - np.log(2.0 - 0.09)) <= 4 * EPS
    assert np.isnan(got[1])  # [[1, 2], [2, 1]] is not positive definite
    assert abs(got[2] - 2 * np.log(1e-200)) <= 4 * EPS * 921
