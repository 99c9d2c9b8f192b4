"""How the log-magnitude copy is invoked on JAX (``tiny_forms.tiny_rescue_for``): a ``while_loop``
run at most once, taken where min |v| < 2⁻¹⁰⁰⁰ or min |v| is nan, its result carrying v's tangent.

Each function here is a fresh ``BackendFunction`` (``compile_backend`` keeps one per derivation,
and ``jax.jit`` of the same object reuses its trace: a switch set after the first trace would not
be seen).  References: ½·Δμ² for the Gaussian mean_std KL at σ₁ = σ₂ = 1 by mpmath at 50 digits.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("array_api_compat")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.backends import compile as backend_compile  # noqa: E402
from symgeom.backends import tiny_kl  # noqa: E402

TINY = 2.0**-1074


def _fresh(family, monkeypatch=None, copy=True):
    """A new jax BackendFunction for the KL of ``family`` (without the copy: ``copy=False``)."""
    backend_compile.plan.cache_clear()
    if not copy:
        monkeypatch.setattr(tiny_kl, "rescued_kl", lambda e: e)
    try:
        return backend_compile.BackendFunction(sg.kl(family), "jax", validate=False)
    finally:
        if not copy:
            monkeypatch.undo()
        backend_compile.plan.cache_clear()


def _half_square(delta: float) -> float:
    with mp.workdps(50):
        return float(mp.mpf(delta) ** 2 / 2)


def test_nan_in_the_batch_still_takes_the_copy():
    """A nan entry makes min |v| nan; the copy is still taken (not (min ≥ T)), so a subnormal KL
    beside it is exact and the nan stays nan, eager and jit."""
    f = _fresh(sg.Gaussian())
    mu2 = jnp.asarray([1e-155, np.nan, 0.5, 3e-160])
    args = (jnp.zeros(4), jnp.ones(4), mu2, jnp.ones(4))
    for g in (f, jax.jit(f)):
        got = np.asarray(g(*args))
        assert np.isnan(got[1])
        for i in (0, 2, 3):
            ref = _half_square(float(mu2[i]))
            assert abs(got[i] - ref) <= 1e-12 * ref + TINY, (i, got[i], ref)
        assert got[0] > 0 and got[3] > 0  # 5e-311 and 4.5e-320: 0 without the copy


def test_gradient_and_hessian_are_the_direct_forms(monkeypatch):
    """jax.grad and jax.hessian through the copy's loop (reverse mode of a while_loop alone would
    raise) equal those of the form printed without the copy, at a subnormal and a normal KL."""
    with_copy = jax.jit(_fresh(sg.Gaussian()))
    without = jax.jit(_fresh(sg.Gaussian(), monkeypatch, copy=False))
    for delta in (1e-155, 0.3):
        x = jnp.asarray([0.0, 1.0, delta, 1.3])

        def kl(v, f):
            return f(v[0], v[1], v[2], v[3])

        g1, g2 = jax.grad(kl)(x, with_copy), jax.grad(kl)(x, without)
        np.testing.assert_array_equal(np.asarray(g1), np.asarray(g2))
        h1, h2 = jax.hessian(kl)(x, with_copy), jax.hessian(kl)(x, without)
        np.testing.assert_array_equal(np.asarray(h1), np.asarray(h2))
        assert np.isfinite(np.asarray(h1)).all()


def test_vmap_rows_are_the_unbatched_values():
    """Under vmap the loop's predicate is per row: each row is its own unbatched value."""
    f = _fresh(sg.Gaussian())
    mu2 = jnp.asarray([[1e-155, 0.5], [0.25, 2e-156]])
    args = (jnp.zeros((2, 2)), jnp.ones((2, 2)), mu2, jnp.ones((2, 2)))
    got = np.asarray(jax.jit(jax.vmap(f))(*args))
    for i in range(2):
        for j in range(2):
            ref = _half_square(float(mu2[i, j]))
            assert abs(got[i, j] - ref) <= 1e-12 * ref + TINY


def test_normal_range_is_the_form_without_the_copy_bit_for_bit(monkeypatch):
    """Where no entry is below 2⁻¹⁰⁰⁰ the result is the form printed without the copy, bit for bit."""
    rng = np.random.default_rng(5)
    mu, sigma = rng.normal(size=(2, 500)), rng.uniform(0.1, 3, size=(2, 500))
    args = (mu[0], sigma[0], mu[1], sigma[1])
    got = np.asarray(jax.jit(_fresh(sg.Gaussian()))(*args))
    direct = np.asarray(jax.jit(_fresh(sg.Gaussian(), monkeypatch, copy=False))(*args))
    np.testing.assert_array_equal(got, direct)
