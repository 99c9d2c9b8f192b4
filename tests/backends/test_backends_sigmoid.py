"""Logit-chart Fisher entries printed in σ(x), σ(−x): exact rewrites, no overflow, mpmath-accurate."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import symgeom as sg
from symgeom.backends.sigmoid import Sigmoid, sigmoid_form

EPS = 2.2e-16
THETAS = [-800.0, -100.0, -3.0, -1e-3, 0.0, 1e-8, 2.5, 40.0, 709.5, 800.0]
LOGIT = [sg.Bernoulli("logit"), sg.Binomial(4, "logit"), sg.Geometric("logit"),
         sg.NegativeBinomial(3, "logit")]


@pytest.mark.parametrize("family", LOGIT, ids=lambda f: f.label)
def test_rewrite_is_exact(family):
    """The printed entry, with σ(x) = 1/(1 + e^{−x}) put back, simplifies to the derived entry."""
    (entry,) = tuple(sg.fisher(family).result)
    new = sigmoid_form(entry)
    assert new.has(Sigmoid)
    assert sp.simplify(new.rewrite(sp.exp) - entry) == 0


def test_rewrite_leaves_other_forms():
    x = sp.Symbol("x", real=True)
    for expr in (sp.exp(-2 * x), sp.log(sp.exp(x) + 1), x * sp.exp(x) / (sp.exp(x) + 1),
                 1 / (sp.exp(x) + 2)):
        assert sigmoid_form(expr) == expr


def _reference(family, theta: float) -> float:
    """The derived entry at θ in 60-digit mpmath."""
    (entry,) = tuple(sg.fisher(family).result)
    (symbol,) = entry.free_symbols
    with mpmath.workdps(60):
        return float(sp.lambdify(symbol, entry, "mpmath")(mpmath.mpf(theta)))


def _backends():
    out = {"array_api": lambda f, x: np.asarray(f.array_api()(x))}
    try:
        import torch

        out["torch"] = lambda f, x: f.torch()(torch.as_tensor(x)).numpy()
    except ImportError:
        pass
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        out["jax"] = lambda f, x: np.asarray(f.jax()(jax.numpy.asarray(x)))
    except ImportError:
        pass
    return out


@pytest.mark.parametrize("backend", sorted(_backends()))
@pytest.mark.parametrize("family", LOGIT, ids=lambda f: f.label)
def test_fisher_against_mpmath_for_every_theta(family, backend):
    """Within 6 ε of 60-digit mpmath for |θ| up to 800 (was nan for θ > 709): each σ is within a
    couple of ulps and the entry is at most a product of two σ and a constant.  Below the smallest
    normal number (θ = 709.5: σ(−θ) = 7e-309) only an absolute error of that size is possible (XLA
    flushes subnormals to 0), times the constant factor of the entry (n = 4 for the binomial)."""
    x = np.array(THETAS)
    got = _backends()[backend](sg.fisher(family), x).reshape(-1)
    ref = np.array([_reference(family, t) for t in THETAS])
    assert np.all(np.isfinite(got))
    ok = np.abs(got - ref) <= 6 * EPS * ref + 4 * np.finfo(np.float64).tiny
    assert ok.all(), list(zip(THETAS, got, ref, strict=True))
