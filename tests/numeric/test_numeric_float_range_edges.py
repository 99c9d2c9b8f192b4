"""Gaussian KL when σ₁/σ₂ leaves the float range (found by tests/fuzz): the exact value when it
is representable, +inf when it is not — never nan."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import symgeom as sg
from symgeom.numeric import kl_function


def _exact(s1: float, s2: float) -> float:
    with mpmath.workdps(50):
        r = mpmath.mpf(s1) / mpmath.mpf(s2)
        return float((r**2 - 1 - 2 * mpmath.log(r)) / 2)


@pytest.mark.parametrize(("s1", "s2"), [(1e-320, 1e10), (1e-320, 1.0), (5e-324, 1e300),
                                        (1.0, 1e-310), (1e300, 1e-300), (1e-300, 1e300)])
def test_extreme_scale_ratios(s1, s2):
    got = float(kl_function(sg.Gaussian())(0.0, s1, 0.0, s2))
    want = _exact(s1, s2)
    if np.isinf(want):
        assert got == np.inf
    else:
        assert got == pytest.approx(want, rel=1e-13, abs=0)


def test_entropy_at_boundary_probabilities_is_the_limit():
    # 0·log 0 = 0: H(Ber(0)) = H(Ber(1)) = 0 and a one-hot categorical has entropy 0 (was nan).
    bernoulli = sg.entropy(sg.Bernoulli()).numpy()
    np.testing.assert_array_equal(np.abs(bernoulli(np.array([0.0, 1.0]))), [0.0, 0.0])
    categorical = sg.entropy(sg.Categorical(3)).numpy()
    assert abs(float(categorical([0.0, 0.0, 1.0]))) == 0.0
    assert float(categorical([0.5, 0.0, 0.5])) == pytest.approx(np.log(2), rel=1e-15, abs=0)


@pytest.mark.parametrize("param", ["mean_std", "mean_var", "natural", "mean_logstd"])
def test_empty_batches_give_empty_results(param):
    fam = sg.Gaussian(param)
    point = {"mean_std": (0.0, 1.0), "mean_var": (0.0, 1.0), "natural": (0.0, -0.5),
             "mean_logstd": (0.0, 0.0)}[param]
    out = kl_function(fam)(np.empty(0), point[1], *point)
    assert out.shape == (0,)
