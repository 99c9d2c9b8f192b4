"""Poisson entropy over rates 1e-10 … 1e10 in float64: ≤ 1e-12 relative to 50-digit references of
the definition H = −Σₓ p(x) log p(x), never negative, and never a silent wrong value.

References: direct mpmath summation of −p log p at 50 digits over λ ± 40 sd (the rest < 1e-300) for
λ ≤ 3e4; above, the asymptotic series H = ½log(2πeλ) − 1/(12λ) − 1/(24λ²) − 19/(360λ³) + O(λ⁻⁴)
(relative remainder < 1e-19 at λ ≥ 1e5), cross-checked against the direct sum at 1e4 and 3e4."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import symgeom as sg
from symgeom.numeric import explicit_sums
from symgeom.numeric.explicit_sums import explicit_sum_function
from symgeom.numeric.log_factorial import _f, log_factorial_moment, poisson_type_entropy

#: the bar of issue #12 (float64, relative)
RTOL = 1e-12
#: three rates per decade
SMALL = [m * 10.0 ** e for e in range(-10, 5) for m in (1.0, 2.2, 4.7)]
LARGE = [m * 10.0 ** e for e in range(5, 8) for m in (1.0, 2.2, 4.7)]
HUGE = [m * 10.0 ** e for e in range(8, 10) for m in (1.0, 2.2, 4.7)] + [1e10]


def _direct(lam: float) -> mp.mpf:
    with mp.workdps(50):
        lam = mp.mpf(lam)
        sd = mp.sqrt(lam)
        lo, hi = max(0, int(lam - 40 * sd)), int(lam + 40 * sd) + 60
        log_lam = mp.log(lam)
        total = mp.mpf(0)
        for k in range(lo, hi):
            minus_log_p = lam - k * log_lam + mp.loggamma(k + 1)
            total += mp.exp(-minus_log_p) * minus_log_p
        return total


def _asymptotic(lam: float) -> mp.mpf:
    with mp.workdps(50):
        lam = mp.mpf(lam)
        return mp.log(2 * mp.pi * mp.e * lam) / 2 - 1 / (12 * lam) - 1 / (24 * lam**2) - 19 / (360 * lam**3)


def _check(rates: list[float], reference) -> None:
    got = sg.entropy(sg.Poisson()).numpy()(np.array(rates))
    want = np.array([float(reference(v)) for v in rates])
    assert np.all(got >= 0)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0)


def test_asymptotic_reference_agrees_with_the_direct_sum():
    for lam in (1e4, 3e4):
        assert abs(_asymptotic(lam) / _direct(lam) - 1) < 1e-16


def test_poisson_entropy_small_to_moderate_rates():
    _check(SMALL, _direct)


def test_poisson_entropy_large_rates():
    _check(LARGE, _asymptotic)


@pytest.mark.slow
def test_poisson_entropy_huge_rates():
    """λ = 1e8 … 1e10: ~2.8e6 terms at 1e10 (≈ 2 s)."""
    _check(HUGE, _asymptotic)


def test_log_rate_chart_uses_the_same_route():
    theta = np.log(np.array([3.0, 1e3, 1e6]))
    got = sg.entropy(sg.Poisson("log_rate")).numpy()(theta)
    want = [float(_direct(3.0)), float(_direct(1e3)), float(_asymptotic(1e6))]
    np.testing.assert_allclose(got, want, rtol=RTOL)


def test_stated_bound_covers_the_error():
    """H_c with its bound: |error| ≤ bound, and the bound ≤ 1e-12 relative."""
    rates = np.array([10.5, 77.0, 1234.5, 1e5, 3.3e6])
    values, bounds = poisson_type_entropy(rates)
    for c, v, b in zip(rates, values, bounds, strict=True):
        want = _direct(c) if c <= 3e4 else _asymptotic(c)
        assert abs(v - want) <= b <= RTOL * v


def test_per_term_rounding_model():
    """The model of the bound: f(x) = −log p(x) within 64 ulps·(1 + f) absolute (measured)."""
    worst = 0.0
    for c in (10.5, 77.0, 1234.5, 3.3e6):
        xs = np.unique(np.clip(np.round(c + np.linspace(-14, 14, 57) * np.sqrt(c)), 1, None))
        got = _f(xs, c)
        with mp.workdps(50):
            for x, g in zip(xs, got, strict=True):
                exact = mp.mpf(c) - int(x) * mp.log(mp.mpf(c)) + mp.loggamma(int(x) + 1)
                worst = max(worst, float(abs(g - exact) / (2.0**-53 * (1 + exact))))
    assert worst <= 64


def test_never_a_silent_wrong_value():
    """Forced onto the plain term-by-term sum at λ = 100 (cancellation λ log λ / H ≈ 120), the
    propagated bound exceeds 1e-12: an ArithmeticError naming the regime, not a value off by 6e-12."""
    try:
        explicit_sums.INTEGRAL_ABOVE = np.inf
        # the derived expression's own function (the compiled entropy sums in saddle-point form,
        # symgeom.numeric.count_entropy)
        derivation = sg.entropy(sg.Poisson())
        function = explicit_sum_function(derivation.result, derivation.arguments)
        assert function(5.0) > 0  # little cancellation: returned
        with pytest.raises(ArithmeticError, match="term-by-term"):
            function(100.0)
    finally:
        explicit_sums.INTEGRAL_ABOVE = 10.0


def test_recognized_from_the_data_not_the_name():
    """A summand written by hand with rate 2a (no family): recognized and summed stably; a
    negative binomial summand is not Poisson-type."""
    a, x = sp.symbols("a", positive=True), sp.Symbol("x", integer=True, nonnegative=True)
    mass = sp.exp(-2 * a) * (2 * a) ** x / sp.factorial(x)
    summand = mass * sp.log(sp.factorial(x))
    moment = log_factorial_moment(summand, x, [a])
    assert moment is not None and sp.simplify(moment.rate_expr - 2 * a) == 0
    expr = -2 * a * sp.log(2 * a) + 2 * a + sp.Sum(summand, (x, 0, sp.oo))
    got = explicit_sum_function(expr, [a])(np.array([0.25, 50.0, 5e5]))
    np.testing.assert_allclose(got, [float(_direct(0.5)), float(_direct(100.0)), float(_asymptotic(1e6))],
                               rtol=RTOL)
    r = 3
    p = sp.Symbol("p", positive=True)
    nb = sp.binomial(x + r - 1, x) * p**r * (1 - p) ** x * sp.log(sp.factorial(x))
    assert log_factorial_moment(nb, x, [p]) is None


def test_nan_rate_gives_nan_not_an_error():
    got = sg.entropy(sg.Poisson()).numpy(validate=False)(np.array([np.nan, 3.0, 300.0]))
    assert np.isnan(got[0]) and np.all(np.isfinite(got[1:]))


@pytest.mark.parametrize("x", [1.0, 3.0, 7.0, 1e6])
@pytest.mark.parametrize("c", [4e-306, 1e-300, 2.5e-310, 5e-320, 1e-3, 0.9, 1e300])
def test_deviance_for_means_far_from_x(x, c):
    """bd0(x, c) = x log(x/c) + c − x at 40 digits, for means down to subnormal sizes: its direct
    form c·((1 + d)log1p(d) − d) overflowed to inf at c = 4e-306, x = 3 (d = 7.5e305), and the
    Binomial(4)-logit entropy at θ = 709.5 came out nan (e^{−f}·f = 0·inf)."""
    from symgeom.numeric.log_factorial import deviance

    got = float(deviance(np.array([x]), np.array([c]))[0])
    with mp.workdps(40):
        ref = float(mp.mpf(x) * mp.log(mp.mpf(x) / mp.mpf(c)) + mp.mpf(c) - mp.mpf(x))
    assert got == pytest.approx(ref, rel=4e-15)
