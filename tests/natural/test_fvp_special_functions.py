"""symgeom.natural's Fisher-vector product and natural gradient for families whose Fisher has
special functions (ψ′): the closed-form Fisher was lambdified with NumPy only, so Gamma, Beta and
Dirichlet raised NameError: name 'polygamma' is not defined (benchmarks/backend_survey.py).
Reference: the textbook Fisher matrices at 40 digits (mpmath ψ′), times v / solved for v."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import symgeom as sg
from symgeom import natural


def _gamma(a: float, b: float) -> mp.matrix:
    """Gamma(shape α, rate β): [[ψ′(α), −1/β], [−1/β, α/β²]]."""
    a, b = mp.mpf(a), mp.mpf(b)
    return mp.matrix([[mp.psi(1, a), -1 / b], [-1 / b, a / b**2]])


def _beta(a: float, b: float) -> mp.matrix:
    """Beta(α, β): [[ψ′(α) − ψ′(α + β), −ψ′(α + β)], [−ψ′(α + β), ψ′(β) − ψ′(α + β)]]."""
    a, b = mp.mpf(a), mp.mpf(b)
    c = mp.psi(1, a + b)
    return mp.matrix([[mp.psi(1, a) - c, -c], [-c, mp.psi(1, b) - c]])


@pytest.mark.parametrize(("family", "theta", "fisher"), [
    (sg.Gamma(), (2.5, 0.3), _gamma), (sg.Beta(), (0.7, 4.0), _beta)], ids=["gamma", "beta"])
def test_fvp_and_natural_gradient_with_trigamma(family, theta, fisher):
    v = np.array([0.4, -1.3])
    with mp.workdps(40):
        f = fisher(*theta)
        want_fvp = np.array([float(x) for x in f * mp.matrix(v.tolist())])
        want_ng = np.array([float(x) for x in mp.lu_solve(f, mp.matrix(v.tolist()))])
    fvp = natural.fisher_vector_product(family, np.array(theta), v)
    np.testing.assert_allclose(fvp, want_fvp, rtol=1e-13)
    np.testing.assert_allclose(natural.natural_gradient_at(family, np.array(theta), v), want_ng, rtol=1e-10)
