"""Subnormal results on JAX (XLA on the CPU flushes results below the smallest normal number to 0)
that the one log-magnitude rule table (``symgeom.backends.log_rules``) now covers, one test per
class found by ``benchmarks/jax_subnormal_sweep.py``:

* Categorical(k ≥ 7) probability entropies (the vector form of ``numeric.simplex_forms``):
  H([1, 1e-320 × 6]) = 4.42e-317 was 0;
* a diagonal-Gaussian Fisher whose σᵢ span more than ~300 decades: the dilation cannot bring both
  to order 1, 1/σ₂² = 1e-320 at σ = (1e-150, 1e160) was 0 (eager).  Its large entry 1/σ₁² = 1e300
  is inf there on every backend (NumPy and torch too: the dilated 1/σ₁'² overflows), not a flush,
  and not checked here;
* Fisher entries with a subnormal special-function factor: ψ′(α) of the Gamma chart at α = 4.6e307
  (2.2e-308) was 0, and JAX's ψ′ is 0 from α ≈ 1e300 (true 1e-300);

and the table's log/log1p rule, which proves the sign of −c·log q in KL limits at an endpoint.

References: exact sums (entropy) and ψ′, 1/σ² by mpmath at 60 digits at the exact binary inputs.
Bar (tests/jax/test_jax_subnormal_results.py): |got − ref| ≤ 1e-12·|ref| + 2⁻¹⁰⁷⁴, float32 without
x64: 100 ulps·|ref| + 2⁻¹⁴⁹; eager and under ``jax.jit``."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

jax = pytest.importorskip("jax")
pytest.importorskip("array_api_compat")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import symgeom as sg  # noqa: E402

EPS32 = float(np.finfo(np.float32).eps)


def _check(got: np.ndarray, ref: np.ndarray, bits: int) -> None:
    got = np.asarray(got, dtype=float)
    relative, unit, tiny = (1e-12, 2.0**-1074, 2.2250738585072014e-308) if bits == 64 else (
        100 * EPS32, 2.0**-149, 1.1754943508222875e-38)
    assert ((np.abs(ref) < tiny) & (ref != 0)).any()  # the cases are in the subnormal range
    bad = ~(np.abs(got - ref) <= relative * np.abs(ref) + unit)
    assert not bad.any(), (got[bad], ref[bad])


def _both(function, *arrays, bits: int = 64) -> list[np.ndarray]:
    """The function's value eager and jitted (float32 cases with x64 off)."""
    with jax.enable_x64(bits == 64):
        inputs = [jnp.asarray(a) for a in arrays]
        return [np.asarray(f(*inputs)) for f in (function, jax.jit(function))]


def _entropy_sum(p: np.ndarray) -> float:
    with mp.workdps(60):
        return float(-sum(mp.mpf(float(x)) * mp.log(mp.mpf(float(x))) for x in p if x > 0))


@pytest.mark.parametrize("k", [7, 8])
def test_categorical_probability_entropy_subnormal(k):
    """sg.entropy(sg.Categorical(7)).jax()(np.array([1.0] + [1e-320] * 6)) was 0.0 (NumPy 4.420913e-317)."""
    rows = np.array([[1.0] + [1e-320] * (k - 1), [1.0] + [3e-312] + [0.0] * (k - 2),
                     [1.0] + [5e-324, 2e-315] * ((k - 1) // 2) + [0.0] * ((k - 1) % 2)])
    ref = np.array([_entropy_sum(r) for r in rows])
    for got in _both(sg.entropy(sg.Categorical(k)).jax(), rows):
        assert got.dtype == np.float64
        _check(got, ref, 64)


def test_categorical_probability_entropy_subnormal_float32():
    rows = np.array([[1.0] + [1e-44] * 6, [1.0] + [1e-40] + [0.0] * 5], dtype=np.float32)
    ref = np.array([_entropy_sum(r) for r in rows])
    for got in _both(sg.entropy(sg.Categorical(7)).jax(), rows, bits=32):
        assert got.dtype == np.float32
        _check(got, ref, 32)


def test_categorical_probability_entropy_normal_range_unchanged():
    """Above the copy's threshold the entropy is the direct sum, bit for bit."""
    p = np.random.default_rng(5).dirichlet(np.ones(7), size=64)
    for got in _both(sg.entropy(sg.Categorical(7)).jax(), p):
        np.testing.assert_allclose(got, sg.entropy(sg.Categorical(7)).numpy()(p), rtol=4e-16)


def _gaussian_fisher_diagonal(sigma: np.ndarray) -> np.ndarray:
    """diag(1/σᵢ²) then diag(2/σᵢ²): the mean_std Fisher's diagonal, 60 digits, rounded once."""
    with mp.workdps(60):
        inverse = [1 / mp.mpf(float(s)) ** 2 for s in sigma]
        return np.array([float(v) for v in inverse] + [float(2 * v) for v in inverse])


@pytest.mark.parametrize(("sigma", "bits"), [
    ((1e-150, 1e160), 64), ((1e160, 1e-150), 64), ((3e-140, 7e158), 64), ((1e-18, 1e20), 32)])
def test_diagonal_gaussian_fisher_with_sigmas_far_apart(sigma, bits):
    family = sg.MultivariateGaussian(2, "diagonal", "mean_std")
    dtype = np.float64 if bits == 64 else np.float32
    mu, s = np.array([[0.4, -2.0]], dtype=dtype), np.array([sigma], dtype=dtype)
    ref = _gaussian_fisher_diagonal(s[0])
    tiny = ref < (2.3e-308 if bits == 64 else 1.2e-38)  # the large entries: see the docstring
    for got in _both(sg.fisher(family).jax(), mu, s, bits=bits):
        assert got.dtype == dtype
        _check(np.diagonal(got[0])[tiny], ref[tiny], bits)


def _trigamma(x: float) -> float:
    with mp.workdps(60):
        return float(mp.psi(1, mp.mpf(float(x))))


@pytest.mark.parametrize("bits", [64, 32])
def test_gamma_fisher_trigamma_entry_subnormal(bits):
    """F₀₀ = ψ′(α): subnormal past α ≈ 4.5e307 (float32 8.5e37); JAX's ψ′ was 0 from ≈ 1e300."""
    dtype = np.float64 if bits == 64 else np.float32
    alpha = np.array([4.6e307, 1e308, 1e300, 2.5] if bits == 64 else [1e38, 3e38, 2.5], dtype=dtype)
    beta = np.full_like(alpha, 1.5)
    ref = np.array([_trigamma(a) for a in alpha])
    for got in _both(sg.fisher(sg.Gamma("shape_rate")).jax(), alpha, beta, bits=bits):
        _check(got[:, 0, 0], ref, bits)


def test_beta_fisher_trigamma_entry_subnormal():
    """F₀₁ = −ψ′(α + β) of the Beta: −2.2e-308 at α + β = 4.5e307."""
    a, b = np.array([4.5e307, 1e308, 1.5]), np.array([1.5, 2.5, 1e305])
    ref = np.array([-_trigamma(x + y) for x, y in zip(a, b, strict=True)])
    for got in _both(sg.fisher(sg.Beta()).jax(), a, b):
        _check(got[:, 0, 1], ref, 64)


def test_log_rule_proves_the_sign_of_a_log_probability_term():
    """The table's log/log1p rule: −c·log1p(−q) ≥ 0 from q ≥ 0 alone; −c·log q ≥ 0 needs q ≤ 1,
    from the parameters' bounds (a KL limit at an endpoint); without them no copy is made."""
    from sympy.codegen.cfunctions import log1p

    from symgeom.backends.log_heads import ExactLog, LogNegLog1p, LogPositive
    from symgeom.backends.tiny_forms import TinyRescue
    from symgeom.backends.tiny_kl import rescued_kl

    q = sp.Symbol("q", positive=True)
    copy = rescued_kl(-4 * log1p(-q))
    assert isinstance(copy, TinyRescue) and copy.args[2] == sp.log(4) + LogNegLog1p(q)
    assert not isinstance(rescued_kl(-4 * sp.log(q)), TinyRescue)
    copy = rescued_kl(-4 * sp.log(q), {q: (0.0, 1.0)})
    assert isinstance(copy, TinyRescue) and copy.args[2] == sp.log(4) + LogPositive(-ExactLog(q))
    assert not isinstance(rescued_kl(-4 * sp.log(q), {q: (0.0, None)}), TinyRescue)
