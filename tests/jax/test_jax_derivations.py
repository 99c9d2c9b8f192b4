"""Derivation.jax(): jit, grad, vmap and hessian through the custom_jvp primitives."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("array_api_compat")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "backends"))
from backend_cases import (  # noqa: E402
    CATALOG,
    IDS,
    STABLE,
    STABLE_IDS,
    free_gradient,
    grouped,
    mp_kl_gradient,
    near,
    point,
)

import symgeom as sg  # noqa: E402
from symgeom.errors import SymgeomError  # noqa: E402
from symgeom.numeric.inputs import inputs, unpack  # noqa: E402


@pytest.mark.parametrize("family", CATALOG, ids=IDS)
def test_jit_values_equal_numpy(family):
    t1, t2 = near(family, 1e-2)
    args = (*grouped(family, t1), *grouped(family, t2))
    f = sg.kl(family).jax()
    ours = jax.jit(f)(*[jnp.asarray(a) for a in args])
    tol = 1e-11 if family in STABLE else 1e-9
    np.testing.assert_allclose(np.asarray(ours), sg.kl(family).numpy()(*args), rtol=tol)


@pytest.mark.parametrize("family", STABLE, ids=STABLE_IDS)
def test_grad_near_equal_matches_mpmath(family):
    t1, t2 = near(family, 1e-6)
    g1, g2 = grouped(family, t1), grouped(family, t2)
    n = len(g1)
    grads = jax.grad(lambda *a: sg.kl(family).jax()(*a), argnums=tuple(range(2 * n)))(
        *[jnp.asarray(a) for a in (*g1, *g2)]
    )
    grads = [np.asarray(g) for g in grads]
    ours = np.concatenate([free_gradient(family, grads[:n]), free_gradient(family, grads[n:])])
    ref = mp_kl_gradient(family, t1, t2)
    # Same bar and reason as the torch test (natural chart: Δμ from rounded ratios).
    assert np.max(np.abs(ours - ref)) <= 1e-10 * np.max(np.abs(ref))


def _regroup(family, free, like):
    spec = inputs(family)
    if len(spec) == 1 and spec[0].kind == "vector":
        last = 1 - jnp.sum(free) if spec[0].check == "simplex" else jnp.zeros(())
        return [jnp.concatenate([free, jnp.reshape(last, (1,))])]
    if len(spec) == 2 and spec[0].kind == "vector":
        d = like[0].shape[-1]
        return [free[:d], free[d:]]
    return list(free)


@pytest.mark.parametrize("family", STABLE, ids=STABLE_IDS)
def test_hessian_at_equal_points_is_fisher(family):
    g = grouped(family, point(family))
    fixed = [jnp.asarray(a) for a in g]
    free = jnp.asarray(np.array([float(x) for x in unpack(family, g)]))
    kl = sg.kl(family).jax()
    hessian = jax.jit(jax.hessian(lambda f: kl(*fixed, *_regroup(family, f, fixed))))(free)
    fisher = sg.fisher(family).jax()(*fixed)
    np.testing.assert_allclose(np.asarray(hessian), np.asarray(fisher), rtol=1e-10, atol=1e-12)


def test_vmap_and_no_nan_gradient_at_equal_points():
    kl = sg.kl(sg.Categorical(3, "logits")).jax()
    z = jnp.asarray(np.random.default_rng(1).normal(size=(5, 3)))
    values = jax.vmap(kl)(z, z + jnp.asarray([1e-7, 0.0, 0.0]))
    assert values.shape == (5,)
    np.testing.assert_allclose(np.asarray(values), np.asarray(kl(z, z + jnp.asarray([1e-7, 0.0, 0.0]))))
    grads = jax.vmap(jax.grad(kl, argnums=(0, 1)))(z, z)
    for g in grads:
        assert np.all(np.asarray(g) == 0)


def test_float32_in_float32_out():
    kl = sg.kl(sg.Gaussian()).jax()
    out = kl(*[jnp.asarray([1.0, 2.0], dtype=jnp.float32)] * 4)
    assert out.dtype == jnp.float32


def test_validation_eager_raises_jit_gives_nan():
    kl = sg.kl(sg.Gaussian()).jax()
    one = jnp.asarray([1.0, 1.0])
    bad = jnp.asarray([1.0, -1.0])
    with pytest.raises(SymgeomError, match="sigma_2"):
        kl(one, one, one, bad)
    out = jax.jit(kl)(one, one, one, bad)
    assert float(out[0]) == 0.0 and np.isnan(float(out[1]))


def test_blocks_of_a_large_batch_equal_one_block(monkeypatch):
    """Printed forms run in blocks of JAX_BLOCK entries past that size (the last one overlapping
    the one before it); values, shape, broadcasting, gradients and the nan of invalid entries
    under jit (the validation is evaluated per block) equal the one-block evaluation."""
    import symgeom.backends.compile as compile_module

    rng = np.random.default_rng(8)
    mu1, mu2 = rng.normal(size=(5, 1, 41)), rng.normal(size=(7, 41))
    s1, s2 = rng.uniform(0.5, 2, size=41), rng.uniform(0.5, 2, size=(7, 1))
    args = [jnp.asarray(a) for a in (mu1, s1, mu2, s2)]
    kl = sg.kl(sg.Gaussian()).jax()
    whole = jax.jit(kl)(*args)
    grad_whole = jax.grad(lambda s: jnp.sum(kl(args[0], s, *args[2:])))(args[1])
    bad = [*args[:3], args[3].at[2, 0].set(-1.0)]
    whole_bad = jax.jit(kl)(*bad)
    monkeypatch.setattr(compile_module, "JAX_BLOCK", 64)  # 1 435 entries: 23 blocks, the last overlapping
    # a fresh function for each jit after the patch: jit reuses a trace of the same function
    blocked = jax.jit(lambda *a: kl(*a))(*args)
    assert blocked.shape == (5, 7, 41)
    # The same formula compiled as a loop body: XLA may fuse and contract it differently (the
    # one-block and blocked values differ by ≤ 12 ulps of the KL's largest term here).
    np.testing.assert_allclose(np.asarray(blocked), np.asarray(whole), rtol=1e-14)
    reference = sg.kl(sg.Gaussian()).numpy()(mu1, s1, mu2, s2)
    np.testing.assert_allclose(np.asarray(blocked), reference, rtol=1e-12)
    grad = jax.grad(lambda s: jnp.sum(kl(args[0], s, *args[2:])))(args[1])
    np.testing.assert_allclose(np.asarray(grad), np.asarray(grad_whole), rtol=1e-13)
    blocked_bad = np.asarray(jax.jit(lambda *a: kl(*a))(*bad))
    assert np.array_equal(np.isnan(blocked_bad), np.isnan(np.asarray(whole_bad)))
    assert np.isnan(blocked_bad).sum() == 5 * 41  # θ₂ row 2 (σ₂ < 0), every θ₁
