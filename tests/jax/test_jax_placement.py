"""JAX evaluations are split into lax.map blocks on the CPU only (symgeom.backends.placement)."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("array_api_compat")
import jax.numpy as jnp  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.backends import placement  # noqa: E402
from symgeom.backends.softmax_kl import jax_kl  # noqa: E402


def _loops(function, *args) -> int:
    """How many sequential loops (lax.map's scan, while) the traced function contains."""
    text = str(jax.make_jaxpr(function)(*args))
    return text.count("scan[") + text.count("while[")


@pytest.mark.parametrize("backend, blocked", [("cpu", True), ("gpu", False), ("cuda", False)])
def test_blocks_only_on_the_cpu(monkeypatch, backend, blocked):
    """Under jit (tracers have no device) the default backend decides: the printed Gaussian KL
    of ≈ 2¹⁹ entries and the softmax KL of ≈ 64 × 10 000 logits are blocked on the CPU and are one
    fused evaluation elsewhere, with the same values."""
    monkeypatch.setattr(jax, "default_backend", lambda: backend)
    # a shape of its own per backend: JAX caches traces by function object and shape, and .jax()
    # returns the same function each time
    n = (1 << 19) + {"cpu": 1, "gpu": 2, "cuda": 3}[backend]
    mu = jnp.zeros(n)
    sigma = jnp.ones(n)
    kl = sg.kl(sg.Gaussian()).jax(validate=False)
    # the printed KL's log-magnitude copy is a while_loop of its own (tiny_forms.tiny_rescue_for):
    # the count of 3 entries, never blocked, is the baseline
    few = jnp.zeros(3 + {"cpu": 0, "gpu": 1, "cuda": 2}[backend])
    unblocked = _loops(kl, few, few + 1, few, few + 1)
    assert (_loops(kl, mu, sigma, mu, sigma) > unblocked) == blocked
    rows = {"cpu": 64, "gpu": 65, "cuda": 66}[backend]  # a shape of its own: JAX caches traces
    z = jnp.zeros((rows, 10_000))
    assert (_loops(jax_kl(), z, z) > 0) == blocked
    rng = np.random.default_rng(0)
    args = [jnp.asarray(x) for x in (rng.normal(size=n), rng.uniform(0.5, 2, n), rng.normal(size=n),
                                     rng.uniform(0.5, 2, n))]
    ref = sg.kl(sg.Gaussian()).numpy()(*[np.asarray(a) for a in args])
    # float32 unless another test module enabled x64: then the stable form's float64 error
    rtol = 2e-5 if args[0].dtype == jnp.float32 else 1e-12
    np.testing.assert_allclose(np.asarray(jax.jit(kl)(*args)), ref, rtol=rtol)


def test_concrete_arrays_answer_with_their_own_devices():
    """An array placed on the CPU is blocked; one on an accelerator, where there is one, is not."""
    assert placement.jax_blocks(jax.device_put(jnp.ones(3), jax.devices("cpu")[0]))
    accelerators = [d for d in jax.devices() if d.platform != "cpu"]
    if accelerators:
        assert not placement.jax_blocks(jax.device_put(jnp.ones(3), accelerators[0]))
