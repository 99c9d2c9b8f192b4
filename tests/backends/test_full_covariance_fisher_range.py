"""Full-covariance Fisher where Σ's coordinates differ by hundreds of decades (d = 2, 3).

Before: Σ = diag(1e-200, …, 1e200) gave nan entries on torch and JAX (13 of 25 for d = 2, 45 of
81 for d = 3) and a refusal on NumPy ("overflowed float64"): the double-double Cholesky of Σ
scaled by one power of 4 overflowed its Dekker split.  Now Σ = DΣ̃D with exact per-coordinate
powers of two (``numeric.dd_linalg.coordinate_exponents``; ``backends.scale_forms.factored``), so
each entry is the correctly rounded value: +inf where it overflows (½·10⁴⁰⁰), 0 where it
underflows (½·10⁻⁴⁰⁰), exact elsewhere.  Reference: the derived Fisher (``sg.fisher(f).result``)
at 60 digits by mpmath, rounded to float64 (overflow → inf)."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import symgeom as sg


def _reference(family, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    derivation = sg.fisher(family)
    d = len(mu)
    values = list(mu) + [sigma[i, j] for i in range(d) for j in range(i, d)]
    function = sp.lambdify(tuple(derivation.arguments), derivation.result, "mpmath")
    with mp.workdps(60):
        matrix = function(*(mp.mpf(float(v)) for v in values))
        return np.array([[float(matrix[i, j]) for j in range(matrix.cols)] for i in range(matrix.rows)])


@pytest.mark.parametrize("d", [2, 3])
def test_anisotropic_covariance_fisher_is_correctly_rounded(d: int) -> None:
    family = sg.MultivariateGaussian(d, "full")
    mu, sigma = np.zeros(d), np.diag(10.0 ** np.linspace(-200, 200, d))
    want = _reference(family, mu, sigma)
    assert np.isinf(want).any() and (want == 0).any()  # the regime: some entries over/underflow
    functions = {"numpy": (sg.fisher(family).numpy(), np.asarray)}
    try:
        import torch

        functions["torch"] = (sg.fisher(family).torch(), torch.tensor)
    except ImportError:
        pass
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        functions["jax"] = (sg.fisher(family).jax(), jnp.asarray)
    except ImportError:
        pass
    for name, (function, convert) in functions.items():
        got = np.asarray(function(convert(mu), convert(sigma)), dtype=float)
        assert not np.isnan(got).any(), name
        np.testing.assert_array_equal(np.isinf(got), np.isinf(want), err_msg=name)
        finite = np.isfinite(want)
        np.testing.assert_allclose(got[finite], want[finite], rtol=1e-15, atol=0, err_msg=name)
