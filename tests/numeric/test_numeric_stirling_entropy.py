"""Entropies made of lnΓ and ψ at large shapes (symgeom.numeric.stirling_forms), against 50-digit
mpmath: the derived Gamma entropy α − log β + lnΓ(α) + (1 − α)ψ(α) cancels O(α log α) terms down
to O(log α) (2.4e-10 relative at α = 10⁶ before).  Bar (issue 12): ≤ 1e-12 relative in float64
for shapes 1e-3 … 1e6 and rates 1e-10 … 1e10; the split form's terms are O(log α) and each carries
a few ulps, so 1e-12 is a wide margin.  Points where the Beta entropy is 0 (a = b = 1) are left
out: no relative bar there.
"""

from __future__ import annotations

import itertools

import mpmath as mp
import numpy as np
import pytest

import symgeom as sg
from symgeom.numeric import stirling

SHAPES = [1e-3, 0.1, 0.5, 2.0, 7.9, 8.1, 1e3, 1e6]
RATES = [1e-10, 1e-3, 1.0, 1e10]


def gamma_entropy(a: float, b: float) -> float:
    with mp.workdps(50):
        a, b = mp.mpf(a), mp.mpf(b)
        return float(a - mp.log(b) + mp.loggamma(a) + (1 - a) * mp.digamma(a))


def beta_entropy(a: float, b: float) -> float:
    with mp.workdps(50):
        a, b = mp.mpf(a), mp.mpf(b)
        return float(mp.log(mp.beta(a, b)) - (a - 1) * mp.digamma(a) - (b - 1) * mp.digamma(b)
                     + (a + b - 2) * mp.digamma(a + b))


def dirichlet_entropy(alphas: tuple[float, ...]) -> float:
    with mp.workdps(50):
        a = [mp.mpf(x) for x in alphas]
        total = sum(a)
        log_b = sum(mp.loggamma(x) for x in a) - mp.loggamma(total)
        return float(log_b + (total - len(a)) * mp.digamma(total) - sum((x - 1) * mp.digamma(x) for x in a))


def test_gamma_entropy_shapes_and_rates() -> None:
    a, b = (np.array(v) for v in zip(*itertools.product(SHAPES, RATES), strict=True))
    got = sg.entropy(sg.Gamma()).numpy()(a, b)
    expected = [gamma_entropy(x, y) for x, y in zip(a, b, strict=True)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("a", SHAPES)
def test_gamma_entropy_scalar_calls(a: float) -> None:
    """0-d inputs take the same path as arrays (φ(10⁶) of a scalar was the direct form)."""
    assert sg.entropy(sg.Gamma()).numpy()(a, 1.0) == pytest.approx(gamma_entropy(a, 1.0), rel=1e-12, abs=0)


def test_beta_entropy_shapes() -> None:
    pairs = [(a, b) for a, b in itertools.product(SHAPES, SHAPES) if (a, b) != (1.0, 1.0)]
    a, b = (np.array(v) for v in zip(*pairs, strict=True))
    got = sg.entropy(sg.Beta()).numpy()(a, b)
    np.testing.assert_allclose(got, [beta_entropy(x, y) for x, y in pairs], rtol=1e-12, atol=0)


def test_dirichlet_entropy_shapes() -> None:
    points = [(1e6, 1e6, 1e6), (1e6, 2.0, 1e-3), (1e3, 1e3, 7.9), (0.5, 0.1, 1e-3), (3.0, 1e6, 8.1)]
    got = sg.entropy(sg.Dirichlet(3)).numpy()(*np.array(points).T)
    np.testing.assert_allclose(got, [dirichlet_entropy(p) for p in points], rtol=1e-12, atol=0)


def test_phi_scalar_matches_array() -> None:
    y = np.array([0.5, 8.0, 1e3, 1e6, 1e12])
    for function in (stirling.phi, stirling.phi_prime):
        assert [float(function(v)) for v in y] == list(function(y))
