"""The printed kl_div(1, (x/y)ᵏ) takes log(x/y) from the quotient's parts (quotient_forms): at σ ratios
below 1e-154 the power underflows (σ₁ = 1.2e-106, σ₂ = 9.1e73: the Gaussian KL was inf on JAX and
CUDA torch, true 413.68). Checked on JAX, eagerly and under jit, against 50-digit mpmath."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)

import symgeom as sg  # noqa: E402


def _gaussian_kl(m1, s1, m2, s2) -> float:
    with mp.workdps(50):
        m1, s1, m2, s2 = (mp.mpf(x) for x in (m1, s1, m2, s2))
        return float(mp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mp.mpf(1) / 2)


PAIRS = [(0.06, 1.2097085419959127e-106, -2.9506026787137163, 9.120172388933655e73),
         (0.0, 1e-150, 0.0, 1e150), (1.0, 3e-200, 0.5, 2e100), (0.3, 2.0, 0.1, 1.5)]


@pytest.mark.parametrize("chart", ["mean_std", "mean_var"])
def test_gaussian_kl_at_sigma_ratios_past_the_square_range(chart):
    a = np.array(PAIRS).T
    args = a if chart == "mean_std" else np.array([a[0], a[1] ** 2, a[2], a[3] ** 2])
    if chart == "mean_var":  # variances must be representable
        keep = np.isfinite(args).all(axis=0) & (args[1] > 0) & (args[3] > 0)
        args, a = args[:, keep], a[:, keep]
    want = np.array([_gaussian_kl(*p) for p in a.T])
    function = sg.kl(sg.Gaussian(chart)).jax()
    for f in (function, jax.jit(function)):
        got = np.asarray(f(*args))
        assert np.all(np.abs(got - want) <= 1e-13 * want), (got, want)


def test_diagonal_gaussian_kl_at_sigma_ratios_past_the_square_range():
    m1, s1, m2, s2 = (np.array(x) for x in zip(*PAIRS[:2], strict=True))
    want = sum(_gaussian_kl(*p) for p in PAIRS[:2])
    family = sg.MultivariateGaussian(2, "diagonal", "mean_std")
    got = float(jax.jit(sg.kl(family).jax())(m1, s1, m2, s2))
    assert abs(got - want) <= 1e-13 * want
