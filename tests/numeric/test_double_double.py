"""Double-double arithmetic (symgeom.numeric.double_double): the error-free transformations are
exact (checked in rationals), and the Cholesky-based ln det Σ and Σ⁻¹ keep ≈ ε relative error at
condition number 10¹², where a float64 factorization keeps ≈ cond·ε."""

from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symgeom.numeric import double_double as dd
from tests.numeric.gaussian_references import ill_conditioned

moderate = st.floats(min_value=-1e150, max_value=1e150).filter(lambda x: x == 0 or abs(x) > 1e-140)


@settings(max_examples=200, deadline=None)
@given(moderate, moderate)
def test_two_sum_and_two_prod_are_exact(a: float, b: float) -> None:
    s, e = dd.two_sum(np.float64(a), np.float64(b))
    assert Fraction(float(s)) + Fraction(float(e)) == Fraction(a) + Fraction(b)
    p, e = dd.two_prod(np.float64(a), np.float64(b))
    assert Fraction(float(p)) + Fraction(float(e)) == Fraction(a) * Fraction(b)


@settings(max_examples=100, deadline=None)
@given(st.floats(1e-100, 1e100), st.floats(1e-100, 1e100), st.floats(1e-100, 1e100))
def test_div_and_sqrt_carry_twice_the_precision(a: float, b: float, c: float) -> None:
    x = dd.add(dd.from_float(np.float64(a)), dd.from_float(np.float64(a) * 2.0**-60))
    y = dd.from_float(np.float64(b))
    with mp.workdps(60):
        exact_x = mp.mpf(a) + mp.mpf(a) * mp.mpf(2) ** -60
        q = dd.div(x, y)
        assert abs((mp.mpf(float(q[0])) + mp.mpf(float(q[1]))) / (exact_x / b) - 1) < 1e-30
        r = dd.sqrt(np, x)
        assert abs((mp.mpf(float(r[0])) + mp.mpf(float(r[1]))) / mp.sqrt(exact_x) - 1) < 1e-30
        m = dd.mul(x, dd.from_float(np.float64(c)))
        assert abs((mp.mpf(float(m[0])) + mp.mpf(float(m[1]))) / (exact_x * c) - 1) < 1e-30


def _rows(matrix: np.ndarray) -> list[list[dd.DD]]:
    return [[dd.from_float(np.float64(v)) for v in row] for row in matrix]


@pytest.mark.parametrize("d", [2, 3, 5, 10])
@pytest.mark.parametrize("seed", range(3))
def test_logdet_and_precision_at_condition_1e12(d: int, seed: int) -> None:
    cov = ill_conditioned(d, seed)
    lower = dd.cholesky(np, _rows(cov))
    logdet = dd.logdet(np, lower)
    inverse = dd.precision(lower)
    with mp.workdps(60):
        exact = mp.matrix(cov.tolist())
        exact_logdet = mp.log(mp.det(exact))
        exact_inverse = exact**-1
        assert abs(mp.mpf(float(logdet[0])) + float(logdet[1]) - exact_logdet) <= 4e-16 * abs(exact_logdet)
        scale = max(abs(v) for v in exact_inverse)
        worst = max(abs(float(inverse[i][j][0]) - exact_inverse[i, j]) for i in range(d) for j in range(d))
        assert worst <= 4e-16 * scale
