"""ψ′(x) − ψ′(x + h) without cancellation (symgeom.numeric.trigamma_gap) and the Beta/Dirichlet
Fisher entries built from it, on NumPy, torch and JAX (eager and jit), against mpmath.

Classes of points: h ≪ x (a shape 10⁻³ beside 10⁶: nine digits cancelled), h ≈ x, h ≫ x, h below
an ulp of x (subnormal h beside x ~ 1: the direct difference is 0, D ≈ −h·ψ″(x) subnormal), and
huge x (D ≈ h/x² subnormal at x = 10¹⁶⁰: flushed by XLA on the CPU unless its log-magnitude copy
takes it).  References: mpmath with enough digits that x + h is exact (60 + the decades between
h and x), rounded once.  Bar: |got − ref| ≤ 1e-14·|ref| + 2⁻¹⁰⁷⁴ (one subnormal unit), Fisher
entries through the printed backends 1e-13.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import symgeom as sg
from symgeom.numeric.trigamma_gap import TrigammaGap, trigamma_gap, trigamma_gaps

UNIT = 2.0**-1074


def _reference(x: float, h: float) -> float:
    digits = 60 + max(0, int(math.log10(max(x, 1.0)) - math.log10(h))) if h > 0 else 60
    with mp.workdps(digits):
        return float(mp.psi(1, mp.mpf(x)) - mp.psi(1, mp.mpf(x) + mp.mpf(h)))


def _points() -> list[tuple[float, float]]:
    rng = np.random.default_rng(12)
    out = []
    for low, high in ((-3, 0), (0, 3), (3, 7), (7, 12)):  # x ranges
        for ratio_low, ratio_high in ((-20, -12), (-12, -3), (-3, 0), (0, 5)):  # h/x ranges
            x = 10 ** rng.uniform(low, high, 6)
            out += [(float(a), float(a * 10**r)) for a, r in zip(x, rng.uniform(ratio_low, ratio_high, 6))]
    out += [(1.0, 1e-310), (2.5, 1e-320), (1.0, 5e-324), (0.5, 3e-312), (1e-3, 1e-315)]  # subnormal h
    out += [(1e160, 1.0), (3e154, 1.5), (1e150, 1e-3), (1e6, 1e-3), (1e-3, 1e6)]
    return out


POINTS = _points()
REFERENCE = np.array([_reference(x, h) for x, h in POINTS])


def _check(got: np.ndarray, ref: np.ndarray, relative: float = 1e-14) -> None:
    got = np.asarray(got, dtype=float)
    bad = ~(np.abs(got - ref) <= relative * np.abs(ref) + UNIT)
    assert not bad.any(), [(POINTS[i], got[i], ref[i]) for i in np.flatnonzero(bad)[:5]]


def test_numpy_against_mpmath():
    x, h = (np.array(v) for v in zip(*POINTS, strict=True))
    assert ((REFERENCE < 2.2e-308) & (REFERENCE > 0)).sum() >= 6  # the subnormal class is present
    _check(trigamma_gap(x, h), REFERENCE)
    for i, (a, b) in enumerate(POINTS[:8]):  # scalars take the same path
        _check(np.array([trigamma_gap(a, b)]), REFERENCE[i : i + 1])


def test_direct_difference_fails_where_the_gap_does_not():
    """The check can fail: the subtraction of the two trigammas misses the bar at these points."""
    from symgeom.numeric.special import polygamma

    x, h = (np.array(v) for v in zip(*POINTS, strict=True))
    direct = polygamma(1, x) - polygamma(1, x + h)
    assert not np.all(np.abs(direct - REFERENCE) <= 1e-14 * np.abs(REFERENCE) + UNIT)


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_backend_gap_against_mpmath(backend):
    x, h = (np.array(v) for v in zip(*POINTS, strict=True))
    # subnormal values or inputs: by the Fisher tests below (XLA on the CPU flushes both; the compiled
    # functions take the log-magnitude copy and the subnormal-input route)
    keep = (np.abs(REFERENCE) >= 2.3e-308) & (h >= 2.3e-308)
    from symgeom.numeric.trigamma_gap import trigamma_gap_for

    if backend == "torch":
        torch = pytest.importorskip("torch")
        got = trigamma_gap_for(torch)(torch.tensor(x), torch.tensor(h)).numpy()
    else:
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        got = np.asarray(jax.jit(trigamma_gap_for(jnp))(jnp.asarray(x), jnp.asarray(h)))
    bad = ~(np.abs(got - REFERENCE) <= 1e-14 * np.abs(REFERENCE) + UNIT) & keep
    assert not bad.any(), [(POINTS[i], got[i], REFERENCE[i]) for i in np.flatnonzero(bad)[:5]]


def test_rewrite_pairs_only_positive_gaps_and_keeps_the_value():
    a, b = sp.symbols("a b", positive=True)
    u = sp.Symbol("u", real=True)
    found = trigamma_gaps(sp.polygamma(1, a) - sp.polygamma(1, a + b) + 3 * sp.polygamma(1, b))
    assert found == TrigammaGap(a, b) + 3 * sp.polygamma(1, b)
    unsigned = sp.polygamma(1, a) - sp.polygamma(1, a + u)  # a + u − a of no known sign: kept
    assert trigamma_gaps(unsigned) == unsigned
    scaled = b**2 * sp.polygamma(1, a) - b**2 * sp.polygamma(1, 2 * a)
    assert trigamma_gaps(scaled) == b**2 * TrigammaGap(a, a)
    value = TrigammaGap(a, b).rewrite(sp.polygamma) - (sp.polygamma(1, a) - sp.polygamma(1, a + b))
    assert sp.simplify(value) == 0


# --- Fisher entries ------------------------------------------------------------------------------

def _beta_fisher(a: float, b: float) -> np.ndarray:
    digits = 60 + int(math.log10(max(a, b)) - math.log10(min(a, b)))
    with mp.workdps(digits):
        x, y = mp.mpf(a), mp.mpf(b)
        t = mp.psi(1, x + y)
        return np.array([[float(mp.psi(1, x) - t), float(-t)], [float(-t), float(mp.psi(1, y) - t)]])


#: subnormal ψ′ differences (a shape below an ulp of the other; a huge shape) and a cancelling one
BETA = [(1.5, 1e-320), (1e-320, 1.5), (1.5, 3e-312), (3e-312, 1.5), (3e154, 1.5), (1e160, 1.5),
        (1e6, 1e-3), (1e-3, 1e6), (2.5, 0.7)]


def _engines() -> dict:
    out = {"numpy": lambda f: f.numpy()}
    try:
        import torch

        out["torch"] = lambda f: (lambda *a: f.torch()(*[torch.tensor(x) for x in a]).numpy())
    except ImportError:
        pass
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        out["jax eager"] = lambda f: (lambda *a: np.asarray(f.jax()(*[jnp.asarray(x) for x in a])))
        out["jax jit"] = lambda f: (lambda *a: np.asarray(jax.jit(f.jax())(*[jnp.asarray(x) for x in a])))
    except ImportError:
        pass
    return out


#: JAX compiles the Fisher forms with their log-magnitude copies for 10–25 s per call mode
SLOW = {"jax eager"}


def _marked(names: list[str], slow: set[str]) -> list:
    return [pytest.param(n, marks=pytest.mark.slow) if n in slow else n for n in names]


@pytest.mark.parametrize("engine", _marked(list(_engines()), SLOW))
def test_beta_fisher_trigamma_differences(engine):
    a, b = (np.array(v) for v in zip(*BETA, strict=True))
    ref = np.array([_beta_fisher(x, y) for x, y in BETA])
    got = _engines()[engine](sg.fisher(sg.Beta()))(a, b)
    finite = np.isfinite(ref)  # ψ′(1e-320) = 1e640 overflows: inf on every side
    assert np.all(np.isinf(got[~finite]))
    bad = ~(np.abs(got - ref) <= 1e-13 * np.abs(ref) + UNIT) & finite
    assert not bad.any(), [(BETA[i], got[i], ref[i]) for i in np.flatnonzero(bad.any(axis=(1, 2)))[:4]]


@pytest.mark.parametrize("engine", _marked(list(_engines()), SLOW | {"jax jit"}))
def test_dirichlet_fisher_mixed_shapes(engine):
    alpha = np.array([[1e6, 1e-3, 2.0], [1e-3, 1e6, 1e6], [1.5, 1e-318, 2.0], [1e155, 2.0, 3.0]])
    ref = []
    for row in alpha:
        with mp.workdps(400):
            x = [mp.mpf(float(v)) for v in row]
            t = mp.psi(1, mp.fsum(x))
            ref.append([[float((mp.psi(1, x[i]) if i == j else 0) - t) for j in range(3)] for i in range(3)])
    ref = np.array(ref)
    got = _engines()[engine](sg.fisher(sg.Dirichlet(3)))(*alpha.T)
    finite = np.isfinite(ref)
    bad = ~(np.abs(got - ref) <= 1e-13 * np.abs(ref) + UNIT) & finite
    assert not bad.any(), (np.argwhere(bad)[:4], got[bad][:4], ref[bad][:4])
