"""JAX on a GPU: values equal the NumPy kernels, the float32 logits bar holds, nothing is blocked."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("array_api_compat")
import jax.numpy as jnp  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.backends import placement  # noqa: E402
from symgeom.backends.softmax_kl import jax_kl  # noqa: E402
from symgeom.numeric import categorical_logits  # noqa: E402


def _has_gpu() -> bool:
    try:
        return any(d.platform in ("gpu", "cuda", "rocm") for d in jax.devices())
    except RuntimeError:
        return False


pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not _has_gpu(), reason="needs a JAX GPU backend")]


def test_nothing_blocked_on_the_gpu():
    z = jnp.zeros((64, 10_000))
    assert not placement.jax_blocks(z)
    text = str(jax.make_jaxpr(jax_kl())(z, z))
    assert "scan[" not in text and "while[" not in text


def test_gaussian_kl_on_gpu_equals_numpy():
    rng = np.random.default_rng(0)
    n = 1 << 20
    host = [rng.normal(size=n), rng.uniform(0.5, 2, n), rng.normal(size=n), rng.uniform(0.5, 2, n)]
    ref = sg.kl(sg.Gaussian()).numpy()(*host)
    out = jax.jit(sg.kl(sg.Gaussian()).jax())(*[jnp.asarray(x, dtype=jnp.float32) for x in host])
    assert out.dtype == jnp.float32
    # float32 inputs: the rounding of the inputs (≈ 2 ulps of each term) plus a few ulps of the form
    np.testing.assert_allclose(np.asarray(out, dtype=np.float64), ref, rtol=3e-6, atol=1e-7)


@pytest.mark.parametrize("k", [32_000, 128_000])
def test_softmax_kl_float32_bar_on_gpu(k):
    rng = np.random.default_rng(1)
    z1 = rng.normal(size=(16, k)).astype(np.float32)
    z2 = z1.copy()
    z2[:, 0] += np.float32(1e-6) * np.maximum(1, np.abs(z2[:, 0]))
    ref = categorical_logits(z1.astype(np.float64), z2.astype(np.float64))
    out = np.asarray(jax.jit(jax_kl())(jnp.asarray(z1), jnp.asarray(z2))).astype(np.float64)
    assert np.all(out >= 0)
    assert np.max(np.abs(out - ref) / ref) <= 1e-6
