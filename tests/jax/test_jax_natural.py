"""symgeom.jax: jvp/vjp Fisher product = forward-over-reverse Hessian of the mean KL; TRPO; PPO."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("array_api_compat")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax.flatten_util import ravel_pytree  # noqa: E402

import symgeom.jax as sj  # noqa: E402
from symgeom.backends.ops import jax_ops  # noqa: E402
from symgeom.errors import SymgeomError  # noqa: E402
from symgeom.natural.ppo import ppo_clip_objective  # noqa: E402

HEADS = [(sj.CategoricalLogits(4), False), (sj.DiagonalGaussian(4), True)]
HEAD_IDS = ["categorical", "gaussian"]


def _policy(gaussian: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    params = {
        "w1": jnp.asarray(rng.normal(size=(5, 16)) / 2), "b1": jnp.asarray(rng.normal(size=16) / 4),
        "w2": jnp.asarray(rng.normal(size=(16, 4)) / 2), "b2": jnp.zeros(4),
        "log_std": jnp.asarray(0.1 * rng.normal(size=4)),
    }

    def apply(p, s):
        out = jnp.tanh(s @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
        return (out, jnp.broadcast_to(p["log_std"], out.shape)) if gaussian else out

    return apply, params, jnp.asarray(rng.normal(size=(48, 5)))


@pytest.mark.parametrize(("head", "gaussian"), HEADS, ids=HEAD_IDS)
def test_fvp_equals_kl_hessian(head, gaussian):
    apply, params, states = _policy(gaussian)
    ours = sj.fisher_vector_product(apply, head, params, states)
    reference = sj.kl_hessian_vector_product(apply, head, params, states)
    w, _ = ravel_pytree(params)
    for seed in range(3):
        v = jnp.asarray(np.random.default_rng(seed).normal(size=w.shape))
        a, b = ours(v), reference(v)
        assert float(jnp.max(jnp.abs(b))) > 1e-3
        assert float(jnp.max(jnp.abs(a - b))) <= 1e-6 * float(jnp.max(jnp.abs(b)))


def test_cg_solves_damped_system():
    apply, params, states = _policy(False)
    fvp = sj.fisher_vector_product(apply, sj.CategoricalLogits(4), params, states, damping=0.1)
    w, _ = ravel_pytree(params)
    g = jnp.asarray(np.random.default_rng(3).normal(size=w.shape))
    x, _ = sj.conjugate_gradient(fvp, g, iterations=400, tol=1e-24)  # eager: stops when converged
    assert float(jnp.linalg.norm(fvp(x) - g)) <= 1e-9 * float(jnp.linalg.norm(g))


@pytest.mark.parametrize(("head", "gaussian"), HEADS, ids=HEAD_IDS)
def test_trpo_step(head, gaussian):
    apply, params, states = _policy(gaussian)
    rng = np.random.default_rng(1)
    actions = jnp.asarray(rng.normal(size=(48, 4)) if gaussian else rng.integers(0, 4, 48))
    result = sj.trpo_step(apply, head, params, states, actions, jnp.asarray(rng.normal(size=48)))
    assert result.accepted and 0 < result.kl <= 0.01 and result.improvement > 0
    def as_tuple(x):
        return x if isinstance(x, tuple) else (x,)

    old, new = as_tuple(apply(params, states)), as_tuple(apply(result.params, states))
    assert float(jnp.mean(head.kl(jax_ops(), old, new))) == pytest.approx(result.kl, rel=1e-12)


def test_ppo_losses_jit_and_grad():
    head = sj.CategoricalLogits(3)
    rng = np.random.default_rng(2)
    z_old = jnp.asarray(rng.normal(size=(32, 3)))
    actions = jnp.asarray(rng.integers(0, 3, 32))
    adv = jnp.asarray(rng.normal(size=32))

    def loss(z):
        logp = head.log_prob(jax_ops(), (z,), actions)
        return sj.ppo_clip_loss(logp, head.log_prob(jax_ops(), (z_old,), actions), adv, 0.2)

    z = z_old + 0.3 * jnp.asarray(rng.normal(size=(32, 3)))
    logp, logp_old = (head.log_prob(jax_ops(), (x,), actions) for x in (z, z_old))
    ratio = np.exp(np.asarray(logp - logp_old))
    expected = -ppo_clip_objective(ratio, np.asarray(adv), 0.2)
    assert float(jax.jit(loss)(z)) == pytest.approx(expected, rel=1e-12)
    assert np.all(np.isfinite(np.asarray(jax.grad(loss)(z))))
    kl_grad = jax.grad(lambda z: sj.policy_kl(head, (z_old,), (z,)))(z_old)
    assert np.all(np.asarray(kl_grad) == 0)
    with pytest.raises(SymgeomError):
        sj.kl_early_stop(0.1, target=0.0)
