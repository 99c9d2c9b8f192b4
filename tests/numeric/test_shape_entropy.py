"""NegativeBinomial(r) entropy with non-integer r where the saddle-point window is too wide (issue #12):
the Frullani integral of symgeom.numeric.shape_entropy against 50-digit references that sum the
definition −Σ p log p (benchmarks/nb_wide_entropy.py: 200 terms directly, the rest by Euler–Maclaurin
with mpmath quadrature of the summand — not the PGF identity the code integrates)."""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

import symgeom as sg
from symgeom.numeric import count_entropy, shape_entropy
from symgeom.numeric.count_entropy import count_mass

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from count_entropy_accuracy import trial
from nb_wide_entropy import PROBS, reference

#: the bar of issue #12 (float64, relative)
RTOL = 1e-12
#: float32 bar of issue #12, in ulps of the float32 result
ULPS = 100


def _logit(p: float) -> float:
    return float(mp.log(p) - mp.log1p(-p))


def _check(r: float, param: str, probs: list[float], dtype=np.float64) -> None:
    function = sg.entropy(sg.NegativeBinomial(r, param)).numpy()
    points = np.array([p if param == "prob" else _logit(p) for p in probs], dtype=dtype)
    got = function(points)
    assert got.dtype == dtype and np.all(got >= 0)
    for v, g in zip(points.tolist(), got.tolist(), strict=True):
        want = float(reference(r, trial(param, v))[0])
        if dtype == np.float32:
            assert abs(g - want) <= ULPS * float(np.spacing(np.float32(want))), (r, param, v, g, want)
        else:
            assert abs(g - want) <= RTOL * want, (r, param, v, g, want)


@pytest.mark.parametrize("r, param, p", [(2.5, "prob", 1e-12), (1e-3, "logit", 1e-9)])
def test_quick_sample(r, param, p):
    """Non-slow sample (each reference takes seconds; the grid is in the slow tests)."""
    _check(r, param, [p])


@pytest.mark.slow
@pytest.mark.parametrize("r", [1e-3, 0.5, 2.5, 7.3])
@pytest.mark.parametrize("param", ["prob", "logit"])
def test_every_small_probability(r, param):
    """p ∈ {1e-6, 1e-9, 1e-12, 1e-20, 1e-100, 1e-300} (θ = log(p/(1 − p)) down to −690.8)."""
    _check(r, param, PROBS)


@pytest.mark.slow
@pytest.mark.parametrize("r", [1e-3, 7.3])
@pytest.mark.parametrize("param", ["prob", "logit"])
def test_float32(r, param):
    """float32 inputs (p ≥ 1e-20 is representable; θ down to −690.8) within 100 ulps of the float32 result."""
    _check(r, param, PROBS[:4] if param == "prob" else PROBS, np.float32)


@pytest.mark.slow
def test_a_million_as_shape():
    """s = 10⁶ through the kernel's integral directly (and through sg.entropy below)."""
    mass = count_mass(sg.NegativeBinomial(10**6))
    probs = np.array([1e-12, 1e-300])
    values, bounds = count_entropy.wide_shape_entropy(mass, [probs], np.ones(2, dtype=bool))
    for p, v, b in zip(probs, values, bounds, strict=True):
        want = float(reference(10**6, trial("prob", float(p)))[0])
        assert abs(v - want) <= min(b, RTOL * want)


def test_a_million_through_the_derivation():
    """sg.entropy(sg.NegativeBinomial(10⁶)) derived forever (SymPy's summation expanded Γ(x + 10⁶)
    into 10⁶ factors): the expectation now stays an explicit Σ (derive.expectation._long_products),
    the window sums it where it fits and the Frullani integral serves the large shape beyond."""
    got = sg.entropy(sg.NegativeBinomial(10**6)).numpy()(np.array([0.5, 1e-12, 1e-300]))
    assert np.all(np.isfinite(got)) and np.all(got > 0)


@pytest.mark.slow
def test_a_million_through_the_derivation_against_the_reference():
    function = sg.entropy(sg.NegativeBinomial(10**6)).numpy()
    for p in (1e-6, 1e-12, 1e-300):
        want = float(reference(10**6, trial("prob", p))[0])
        assert abs(float(function(np.array(p))) - want) <= RTOL * want, p


@pytest.mark.slow
def test_logit_minus_700():
    got = sg.entropy(sg.NegativeBinomial(7.3, "logit")).numpy()(np.array([-700.0, -650.0]))
    for theta, g in zip((-700.0, -650.0), got, strict=True):
        want = float(reference(7.3, trial("logit", theta))[0])
        assert abs(g - want) <= RTOL * want


def test_was_an_error_now_a_value():
    """The reproducer of the issue's open item: r = 5/2 at p = 1e-12 raised ArithmeticError (no
    integral for a non-integer shape); now a value (its accuracy: test_quick_sample)."""
    got = sg.entropy(sg.NegativeBinomial(2.5)).numpy()(np.array([1e-12, 1e-300]))
    assert np.all(np.isfinite(got)) and np.all(got > 0)


def test_reported_bound_covers_the_error():
    """The bound returned with each value (quadrature, proved; rounding, modelled) is ≥ the measured
    error and ≤ 1e-12 of the value."""
    mass = count_mass(sg.NegativeBinomial(1e-3))
    probs = np.array([1e-9, 1e-100])
    values, bounds = shape_entropy.shape_entropy(mass.size, probs, np.ones(2, dtype=bool))
    for p, v, b in zip(probs, values, bounds, strict=True):
        want = float(reference(1e-3, trial("prob", float(p)))[0])
        assert abs(v - want) <= b <= RTOL * want


@pytest.mark.parametrize("r", [1e-3, 2.5])
def test_quadrature_bound_holds_on_a_coarse_rule(r, monkeypatch):
    """With the targets raised to 1e-4·H₀ the rule is coarse enough that its error is visible; the
    proved bound (strip + truncations) must still cover it (rounding is far below that level)."""
    mass = count_mass(sg.NegativeBinomial(r))
    p = np.array([1e-9])
    want = float(reference(r, trial("prob", 1e-9))[0])
    monkeypatch.setattr(shape_entropy, "TARGET", 1e-4)
    value, bound = shape_entropy.shape_entropy(mass.size, p, np.ones(1, dtype=bool))
    error = abs(value[0] - want)
    assert error <= bound[0]
    assert error > 1e-13 * want  # the coarse rule does err: the comparison is not vacuous


def test_raises_with_the_reason_where_the_bound_is_not_met(monkeypatch):
    monkeypatch.setattr(count_entropy, "GUARD_RTOL", 1e-16)
    with pytest.raises(ArithmeticError, match="Frullani integral's error bound"):
        count_entropy.entropy_kernel(sg.NegativeBinomial(1e-3), lambda: None)(np.array([1e-12]))


def test_constant_and_series_pieces():
    """K_s and φ(−P)/P against mpmath; the series of E(t), y − log1p y and C(t) against mpmath."""
    with mp.workdps(40):
        s = Fraction(73, 10)
        k = mp.loggamma(mp.mpf(73) / 10 + 1) - mp.mpf(73) / 10 * mp.log(mp.mpf(73) / 10) + mp.mpf(73) / 10
        assert abs(shape_entropy._constant(s) - float(k)) <= 2e-16 * abs(float(k))
        for p in (1e-300, 1e-6, 0.3, 0.7):
            with mp.workdps(700):  # the numerator cancels 2·log₁₀(1/p) digits
                want = ((1 - mp.mpf(p)) * mp.log1p(-mp.mpf(p)) + p) / p
            assert abs(shape_entropy._phi_over_p(np.array([p]))[0] - float(want)) <= 4e-16 * float(want)
    with mp.workdps(900):  # t − 1 + e^{−t} and C's numerator cancel 2·log₁₀(1/t) digits
        for t in (1e-200, 1e-6, 0.3, 0.999, 1.5, 40.0):
            tt = mp.mpf(t)
            got = shape_entropy._log_e(np.array([t]), np.log(np.array([t])))[0]
            assert abs(got - float(mp.log(tt - 1 + mp.exp(-tt)))) <= 4e-16 * abs(got) + 1e-300
            y = np.array([t])
            got = shape_entropy._y_minus_log1p(y, np.log1p(y))[0]
            assert abs(got - float(tt - mp.log1p(tt))) <= 8e-16 * float(tt - mp.log1p(tt))
            for s in (1e-3, 0.5, 2.5, 1e6):
                ss = mp.mpf(s)
                want = (mp.exp(-ss * tt) - 1 + ss * (1 - mp.exp(-tt))) / (1 - mp.exp(-tt))
                got = shape_entropy._c_over(np.array([t]), s)[0]
                assert abs(got - float(want)) <= 1e-14 * abs(float(want)) + 1e-300, (t, s)
