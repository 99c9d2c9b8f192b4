"""Entropies that keep E[log x!] explicit, compiled by exact summation with a tail bound,
against 30-digit mpmath summation of the density."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import symgeom as sg
from symgeom.numeric.explicit_sums import explicit_sum_function

#: the sums stop at a tail bound of 1e-15 relative; the float64 closed-form part (λ log λ − λ,
#: up to ~150 at λ = 40) cancels a few digits, so 1e-12 relative is the honest expectation.
RTOL = 1e-12


def _entropy_by_mpmath(family: sg.Family, theta: float) -> float:
    (x,) = family.variables
    log_p = sp.lambdify((x, *family.symbols()), family.log_density(), "mpmath")
    with mpmath.workdps(30):
        t = mpmath.mpf(theta)
        return float(mpmath.nsum(lambda k: -mpmath.exp(log_p(int(k), t)) * log_p(int(k), t),
                                 [0, mpmath.inf]))


@pytest.mark.parametrize(("family", "values"), [
    (sg.Poisson(), [1e-3, 0.5, 2.5, 40.0]),
    (sg.Poisson("log_rate"), [-3.0, 0.0, 2.0]),
    (sg.NegativeBinomial(3), [0.2, 0.5, 0.9]),
    (sg.NegativeBinomial(3, "logit"), [-1.0, 0.0, 2.0]),
], ids=lambda v: getattr(v, "label", ""))
def test_explicit_entropy_by_summation(family, values):
    derivation = sg.entropy(family)
    function = explicit_sum_function(derivation.result, derivation.arguments)
    got = function(np.array(values))
    expected = [_entropy_by_mpmath(family, v) for v in values]
    np.testing.assert_allclose(got, expected, rtol=RTOL)
