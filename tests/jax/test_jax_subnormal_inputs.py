"""Subnormal inputs under JAX on the CPU: XLA treats them as zero in arithmetic and ``jnp.frexp``
returns (0.5, −1074) for every subnormal, so log ratios formed from mantissas and exponents were
silently wrong (Bernoulli KL(0.5‖5e-324) was 371.87 for 371.53).  ``exact_frexp`` reads the
significand from the bits; these checks hold it to NumPy's frexp and the KL to 50-digit mpmath."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("array_api_compat")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.backends.exact_frexp import frexp_for  # noqa: E402

SUBNORMAL64 = np.array([5e-324, 1e-323, 7.4e-320, 1e-310, 2.225073858507201e-308])
SUBNORMAL32 = np.array([1e-45, 1e-40, 3e-39, 1.1754942e-38], dtype=np.float32)


@pytest.mark.parametrize("values", [SUBNORMAL64, SUBNORMAL32], ids=["float64", "float32"])
def test_frexp_is_exact_for_subnormals_and_unchanged_elsewhere(values):
    x = np.concatenate([values, -values, np.array([0.0, 1.0, -3.5, 1e300 if values.dtype == np.float64
                                                    else 1e30, np.inf], dtype=values.dtype)])
    frexp = frexp_for(jnp)
    for function in (frexp, jax.jit(frexp)):
        mantissa, exponent = function(jnp.asarray(x))
        want_m, want_e = np.frexp(x)
        np.testing.assert_array_equal(np.asarray(mantissa), want_m)
        np.testing.assert_array_equal(np.asarray(exponent), want_e)


def _bernoulli_kl(p: float, q: float) -> float:
    with mp.workdps(50):
        a, b = mp.mpf(p), mp.mpf(q)
        return float(a * mp.log(a / b) + (1 - a) * mp.log((1 - a) / (1 - b)))


@pytest.mark.parametrize("q", [5e-324, 1e-320, 3.3e-310, 2.2e-308])
def test_bernoulli_kl_to_a_subnormal_probability(q):
    """The issue's case (0.5, 5e-324) and others like it: the KL is a normal number (≈ 355 … 372)
    whose only subnormal-sized part is q itself, so it is held to a few ulps."""
    kl = sg.kl(sg.Bernoulli()).jax()
    for function in (kl, jax.jit(kl)):
        got = float(function(jnp.asarray(0.5), jnp.asarray(q)))
        want = _bernoulli_kl(0.5, q)
        assert abs(got - want) <= 4e-16 * want, (q, got, want)
