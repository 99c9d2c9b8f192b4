"""The Poisson entropy on torch and JAX (``symgeom.backends.rate_entropy``; both raised
UnknownQuantityError before), over rates 1e-10 … 1e10 in the rate and log-rate charts, against an
independent 50-digit reference: Binet's integral log Γ(x + 1) = ∫₀^∞ (x − (1 − e^{−xt})/(1 − e^{−t}))
e^{−t}/t dt averaged over X ~ Poisson(λ) (E e^{−Xt} = e^{−λ(1 − e^{−t})}) gives

    H(λ) = λ − λ log λ + ∫₀^∞ (λ − (1 − e^{−λ(1 − e^{−t})})/(1 − e^{−t})) e^{−t}/t dt.

Bar: 1e-12 relative (issue 12); the module's rounding analysis gives ≤ 5e-14 near the switch at
λ = 64.  Also: the asymptotic coefficients' first terms are the known −1/12, −1/24, −19/360; the
gradient equals the 50-digit derivative; a log-rate of −720 gives the subnormal H on JAX."""

from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest

import symgeom as sg
from symgeom.backends.rate_entropy import LIMIT, asymptotic_coefficients
from tests.backends.entropy_outputs import assert_within, torch_jax_jit

RATES = np.concatenate([10.0 ** np.arange(-10, 11),
                        [0.37, 2.5, 17.0, LIMIT * (1 - 1e-12), LIMIT * (1 + 1e-12), 70.0, 250.0, 3.3e3]])


def _points(x: mp.mpf) -> list:
    scale = 1 / x
    points = [0, scale / 100, scale, 10 * scale, 100 * scale, 1, mp.inf]
    return sorted(set(p for p in points if p <= 1 or p == mp.inf))


def entropy_reference(lam: float) -> mp.mpf:
    with mp.workdps(50):
        x = mp.mpf(lam)

        def integrand(t: mp.mpf) -> mp.mpf:
            w = -mp.expm1(-t)
            return (x + mp.expm1(-x * w) / w) * mp.exp(-t) / t

        return x - x * mp.log(x) + mp.quad(integrand, _points(x))


def derivative_reference(lam: float) -> mp.mpf:
    """dH/dλ = E[log(X + 1)] − log λ (d E[g(X)]/dλ = E[g(X + 1) − g(X)]), with
    log(x + 1) = ∫₀^∞ (e^{−t} − e^{−(x+1)t})/t dt averaged as above."""
    with mp.workdps(50):
        x = mp.mpf(lam)
        mean_log = mp.quad(lambda t: -mp.exp(-t) * mp.expm1(x * mp.expm1(-t)) / t, _points(x))
        return mean_log - mp.log(x)


@pytest.fixture(scope="module")
def references() -> np.ndarray:
    return np.array([float(entropy_reference(lam)) for lam in RATES])


def test_asymptotic_coefficients_start_as_known():
    """H(λ) = ½ log(2πeλ) − 1/(12λ) − 1/(24λ²) − 19/(360λ³) + … (the derived series)."""
    a = asymptotic_coefficients()
    assert a[:4] == (Fraction(1, 2), Fraction(-1, 12), Fraction(-1, 24), Fraction(-19, 360))


@pytest.mark.parametrize("chart", ["rate", "log_rate"])
def test_poisson_entropy_torch_and_jax_against_reference(chart, references):
    x = RATES if chart == "rate" else np.log(RATES)
    d = sg.entropy(sg.Poisson(chart))
    assert_within(torch_jax_jit(d, x), references, RATES)


def test_poisson_entropy_gradient():
    """dH/dλ (torch autograd, JAX grad) against the 50-digit derivative."""
    torch = pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    rates = np.array([1e-6, 0.3, 5.0, 60.0, 80.0, 1e5])
    want = np.array([float(derivative_reference(r)) for r in rates])
    f = sg.entropy(sg.Poisson()).jax()
    got = np.asarray(jax.vmap(jax.grad(lambda r: f(r)))(jnp.asarray(rates)))
    np.testing.assert_allclose(got, want, rtol=1e-10)
    t = torch.from_numpy(rates).requires_grad_()
    (grad,) = torch.autograd.grad(sg.entropy(sg.Poisson()).torch()(t).sum(), t)
    np.testing.assert_allclose(grad.numpy(), want, rtol=1e-10)


def test_subnormal_poisson_entropy_on_jax():
    """Log-rate −720 … −744: H = λ(1 − log λ) + O(λ²) is subnormal; JAX assembles it (the bar of
    tests/jax/test_jax_subnormal_entropy.py: 1e-12 relative plus one subnormal unit)."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    log_rates = np.array([-720.0, -735.0, -744.0])
    with mp.workdps(50):
        ref = np.array([float(mp.exp(v) * (1 - v)) for v in log_rates])  # + O(λ²) = e^{-1440}: none
    f = sg.entropy(sg.Poisson("log_rate")).jax()
    for fn in (f, jax.jit(f)):
        got = np.asarray(fn(jnp.asarray(log_rates)))
        assert (np.abs(got - ref) <= 1e-12 * ref + 2.0**-1074).all(), (got, ref)
