"""torch and JAX entropy and Fisher of Categorical(k ≥ 7) in the probability chart (issue 12;
symgeom.numeric.simplex_forms): values against 50-digit mpmath references and ``.numpy()`` with
zeros and extreme probabilities, float32 within 100 ulps, gradients (autograd, jax.grad under jit)
finite at zero entries and equal to the derivatives of the per-term definitions, jit/vmap."""

from __future__ import annotations

import functools

import mpmath as mp
import numpy as np
import pytest

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import symgeom as sg  # noqa: E402

BACKENDS = {"torch": torch.tensor, "jax": jnp.asarray}


def _points(k: int) -> np.ndarray:
    rng = np.random.default_rng(k)
    zeros = np.zeros(k - 2)
    return np.stack([np.r_[0.5, 0.5, zeros], np.r_[1 - 1e-16, 1e-16, zeros], np.r_[1.0, 1e-20, zeros],
                     np.r_[zeros, 0.5, 0.5], np.r_[1e-300, zeros, 1.0], rng.dirichlet(np.ones(k)),
                     rng.dirichlet(np.full(k, 0.05))])


def mp_entropy(p: np.ndarray) -> mp.mpf:
    return -mp.fsum(mp.mpf(float(x)) * mp.log(mp.mpf(float(x))) for x in p if x > 0)


def mp_fisher(p: np.ndarray) -> np.ndarray:
    """Σₓ p(x) s(x)s(x)ᵀ: s(i) = eᵢ/pᵢ (i < k), s(k) = −1/p_k; an outcome with p(x) = 0 adds its
    limit ∞ (the derived Fisher's value on the boundary)."""
    k = len(p)
    mpp = [mp.mpf(float(x)) for x in p]
    out = [[mp.mpf(0)] * (k - 1) for _ in range(k - 1)]
    for i in range(k - 1):
        out[i][i] += mpp[i] * (1 / mpp[i]) ** 2 if mpp[i] > 0 else mp.inf
    for i in range(k - 1):
        for j in range(k - 1):
            out[i][j] += mpp[-1] * (-1 / mpp[-1]) ** 2 if mpp[-1] > 0 else mp.inf
    return np.array([[float(v) for v in row] for row in out])


@functools.cache
def _references(k: int) -> tuple[list[float], list[np.ndarray]]:
    """50-digit H and F at each of ``_points(k)``, computed once for both backends (at k = 100 a
    99 × 99 sum per point)."""
    with mp.workdps(50):
        return [float(mp_entropy(p)) for p in _points(k)], [mp_fisher(p) for p in _points(k)]


@pytest.mark.parametrize("backend", ["torch", "jax"])
@pytest.mark.parametrize("k", [7, 10, 100])
def test_values_against_mpmath_and_numpy(k, backend):
    family = sg.Categorical(k)
    x = _points(k)
    h = np.asarray(getattr(sg.entropy(family), backend)()(BACKENDS[backend](x)))
    f = np.asarray(getattr(sg.fisher(family), backend)()(BACKENDS[backend](x)))
    assert f.shape == (len(x), k - 1, k - 1)
    for row, (want, want_f) in enumerate(zip(*_references(k))):
        assert h[row] >= 0 and abs(h[row] - want) <= 1e-12 * want, (k, row, h[row], want)
        np.testing.assert_allclose(f[row], want_f, rtol=1e-12, atol=0, err_msg=f"{k} {row}")
    np.testing.assert_allclose(h, sg.entropy(family).numpy()(x), rtol=1e-15, atol=0)
    np.testing.assert_array_equal(f, sg.fisher(family).numpy()(x))


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_float32_within_100_ulps(backend):
    k = 10
    x = _points(k).astype(np.float32)
    x = x[np.all((x == 0) | (x > 1e-37), axis=-1)]
    h = getattr(sg.entropy(sg.Categorical(k)), backend)()(BACKENDS[backend](x))
    f = getattr(sg.fisher(sg.Categorical(k)), backend)()(BACKENDS[backend](x))
    assert str(h.dtype).endswith("float32") and str(f.dtype).endswith("float32")
    ulp = float(np.finfo(np.float32).eps)
    with mp.workdps(50):
        for row, p in enumerate(x):
            want = float(mp_entropy(p))
            assert abs(float(h[row]) - want) <= 100 * ulp * want
            np.testing.assert_allclose(np.asarray(f[row]), mp_fisher(p), rtol=100 * ulp, atol=0)


def _expected_gradients(p: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """∂H/∂pᵢ = −log pᵢ − 1 (mpmath derivative of −t log t), 0 where pᵢ = 0; ∂Σ w∘F/∂pᵢ =
    −wᵢᵢ/pᵢ² (i < k) and −Σw/p_k² for the last entry, 0 at a zero entry."""
    entr = [float(mp.diff(lambda t: -t * mp.log(t), mp.mpf(float(x)))) if x > 0 else 0.0 for x in p]
    fish = [-w[i, i] / p[i] ** 2 if p[i] > 0 else 0.0 for i in range(len(p) - 1)]
    fish.append(-w.sum() / p[-1] ** 2 if p[-1] > 0 else 0.0)
    return np.array(entr), np.array(fish)


def test_gradients_torch_and_jax_finite_at_zeros():
    k = 10
    x = _points(k)[[0, 3, 5]]
    w = np.random.default_rng(0).uniform(0.5, 1.5, (k - 1, k - 1))
    h_t, f_t = sg.entropy(sg.Categorical(k)).torch(), sg.fisher(sg.Categorical(k)).torch()
    h_j, f_j = sg.entropy(sg.Categorical(k)).jax(), sg.fisher(sg.Categorical(k)).jax()
    for p in x:
        want_h, want_f = _expected_gradients(p, w)
        t = torch.tensor(p, requires_grad=True)
        h_t(t).backward()
        np.testing.assert_allclose(t.grad.numpy(), want_h, rtol=1e-13, atol=0)
        t = torch.tensor(p, requires_grad=True)
        (f_t(t) * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(t.grad.numpy(), want_f, rtol=1e-13, atol=0)
        g = jax.jit(jax.grad(lambda a: h_j(a)))(jnp.asarray(p))
        np.testing.assert_allclose(np.asarray(g), want_h, rtol=1e-13, atol=0)
        g = jax.jit(jax.grad(lambda a: (f_j(a) * w).sum()))(jnp.asarray(p))
        np.testing.assert_allclose(np.asarray(g), want_f, rtol=1e-13, atol=0)


def test_jax_jit_and_vmap():
    k = 100
    x = jnp.asarray(_points(k))
    for derivation in (sg.entropy(sg.Categorical(k)), sg.fisher(sg.Categorical(k))):
        f = derivation.jax()
        eager = np.asarray(f(x))
        # XLA fuses differently under jit (on a GPU the last ulp moves): a few ulps, not bits
        np.testing.assert_allclose(np.asarray(jax.jit(f)(x)), eager, rtol=1e-14, atol=0)
        np.testing.assert_allclose(np.asarray(jax.vmap(f)(x)), eager, rtol=1e-14, atol=0)
