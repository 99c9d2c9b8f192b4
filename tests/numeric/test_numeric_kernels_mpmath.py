"""The elementwise kernels against 50-digit mpmath over their whole float64 range (|x| ≥ 37 too,
where 1 + e^{−|x|} rounds to 1 and a log(1 + ·) instead of log1p(·) loses every digit)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from symgeom.numeric.kernels import chi, entr, log_sigmoid, logsumexp, sigmoid

EPS = np.finfo(np.float64).eps
#: exp, log1p, one division or product: each ≤ 1 ulp, so a few ulps in all; 8 ulps leaves room.
ULPS = 8 * EPS

_magnitudes = np.concatenate([np.logspace(-300, 2.8, 150), [1.0, 36.0, 37.0, 38.0, 40.0, 100.0, 700.0]])
X = np.concatenate([-_magnitudes, [0.0], _magnitudes])


def _reference(function, values) -> np.ndarray:
    with mpmath.workdps(50):
        return np.array([float(function(mpmath.mpf(float(v)))) for v in values])


def _check(got: np.ndarray, want: np.ndarray, ulps: float = ULPS) -> None:
    err = np.abs(got - want)
    assert np.all(err <= ulps * np.abs(want)), (got[np.argmax(err)], want[np.argmax(err)])


def test_log_sigmoid_is_accurate_everywhere():
    want = _reference(lambda x: -mpmath.log1p(mpmath.exp(-x)), X)
    _check(log_sigmoid(X), want)


def test_sigmoid_is_accurate_everywhere():
    want = _reference(lambda x: 1 / (1 + mpmath.exp(-x)), X)
    _check(sigmoid(X), want)


def test_log_sigmoid_and_sigmoid_stay_finite_at_the_extremes():
    x = np.array([-1e300, -1e10, 1e10, 1e300])
    assert np.all(np.isfinite(log_sigmoid(x))) and log_sigmoid(x)[0] == -1e300
    np.testing.assert_array_equal(sigmoid(x), [0.0, 0.0, 1.0, 1.0])


def test_entr_is_accurate_on_0_1():
    p = np.concatenate([np.logspace(-300, -1e-16, 200), [0.5, 1 - 2**-20, 1.0]])
    want = _reference(lambda q: -q * mpmath.log(q), p)
    _check(entr(p), want)
    assert entr(np.array([0.0]))[0] == 0.0


@pytest.mark.parametrize("shift", [-1000.0, -40.0, 0.0, 37.0, 700.0, 1e5])
def test_logsumexp_is_accurate_for_any_shift(shift):
    rng = np.random.default_rng(7)
    z = shift + rng.uniform(-50, 50, size=(20, 6))
    with mpmath.workdps(50):
        want = np.array([float(mpmath.log(sum(mpmath.exp(mpmath.mpf(float(v))) for v in row)))
                         for row in z])
    got = logsumexp(z)
    # log Σ = m + log Σexp(z − m): each part ≤ 1 ulp of |m| + log k, so error ≤ a few ulps of that.
    scale = np.abs(z).max(axis=-1) + np.log(z.shape[-1])
    assert np.all(np.abs(got - want) <= ULPS * scale)


def test_chi_is_accurate_for_tiny_and_large_log_ratios():
    # χ(y) = y·eʸ − eʸ + 1 ≈ y²/2 near 0: it needs expm1(y), not exp(y) − 1, for its digits.
    y = np.concatenate([-np.logspace(-12, 2.5, 60), np.logspace(-12, 2.5, 60)])
    want = _reference(lambda t: t * mpmath.exp(t) - mpmath.exp(t) + 1, y)
    # exp and expm1 (1 ulp each) feed kl_div's y·eʸ − (eʸ − 1) or its series: about 10 ulps
    # measured at y ≈ ±0.1, where the two forms meet; exp(y) − 1 instead of expm1 loses 10⁻⁶.
    _check(chi(y), want, ulps=16 * EPS)
