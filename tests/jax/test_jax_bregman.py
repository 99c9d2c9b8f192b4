"""JAX KL of the generic exponential families (Bregman remainder, kl_div sums) and of families
without an exponential-family form, against 120-digit mpmath evaluations of the derived KL: the
bars and their reasons are those of tests/torch/test_torch_bregman.py, here under ``jax.jit``,
``jax.grad``, ``jax.vmap`` and ``jax.hessian``.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("array_api_compat")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "backends"))
from bregman_cases import (  # noqa: E402
    DELTAS_FLOAT32,
    FAMILIES,
    IDS,
    LOGIT_DPS,
    columns,
    logit_cases,
    logit_charts,
    pairs,
    random_point,
    reference,
)

import symgeom as sg  # noqa: E402

#: by default the forms without special functions (XLA compiles log Γ and ψ⁽ⁿ⁾ slowly: 20–80 s
#: per test on the shared 2-core machine); the rest, Gamma, Beta and Dirichlet included, are slow.
#: The geometric logit chart (~35 s of CPU compiling these four tests) runs by default below, under
#: jit and grad over the whole float64 range and at subnormal natural steps; the user-declared
#: Binomial(5) keeps a log(1 + eᵑ) Bregman remainder in these four
FAST = {"laplace[loc_logscale]", "custom_binomial5[prob]"}
CASES = [f if f.label in FAST else pytest.param(f, marks=pytest.mark.slow) for f in FAMILIES]
EXPONENTIAL = [c for c, f in zip(CASES, FAMILIES, strict=True) if f.exponential_form is not None]
EXPONENTIAL_IDS = [f.label for f in FAMILIES if f.exponential_form is not None]
FLOAT32_ULPS = 100 * float(np.finfo(np.float32).eps)
#: 74 quadrature terms flushed to zero by XLA, each below the smallest normal float64
FLUSHED = 74 * float(np.finfo(np.float64).tiny)
#: the two logit tests split the same 128 pairs (normal and subnormal natural steps); their arrays
#: are padded to that many rows (copies of the first), so that ``jax.jit`` compiles each family's KL
#: and its gradient once for both tests instead of once per batch shape
LOGIT_ROWS = 128


@cache
def _jitted(family, count: int):
    """``jax.jit`` of the KL and of the gradient of its sum over the batch (every argument)."""
    kl = sg.kl(family).jax()
    return jax.jit(kl), jax.jit(jax.grad(lambda *x: jnp.sum(kl(*x)), argnums=tuple(range(count))))


def _padded(arrays: list, rows: int = LOGIT_ROWS) -> list:
    """Each array with copies of its first row appended up to ``rows`` rows (a row's KL and
    gradient depend on that row alone: the callers read back the first ``len(arrays[0])``)."""
    return [jnp.concatenate([a, jnp.repeat(a[:1], max(rows - a.shape[0], 0), axis=0)]) for a in arrays]


@pytest.mark.parametrize("family", CASES, ids=IDS)
def test_jit_values_and_grad_match_mpmath(family):
    cases = pairs(family)
    ref, ref_grad = reference(family, cases)
    arrays = [jnp.asarray(a) for a in columns([a for a, _ in cases]) + columns([b for _, b in cases])]
    kl = sg.kl(family).jax()
    value = np.asarray(jax.jit(kl)(*arrays))
    assert np.all(value >= 0)
    np.testing.assert_array_less(np.abs(value - ref), 1e-12 * ref + 1e-300)
    grads = jax.jit(jax.grad(lambda *x: jnp.sum(kl(*x)), argnums=tuple(range(len(arrays)))))(*arrays)
    ours = np.stack([np.asarray(g) for g in grads], axis=-1)
    error = np.max(np.abs(ours - ref_grad), axis=-1)
    assert np.all(error <= 1e-10 * np.max(np.abs(ref_grad), axis=-1)), error


@pytest.mark.parametrize("family", CASES, ids=IDS)
def test_vmap_of_grad_at_equal_points_is_zero_not_nan(family):
    rng = np.random.default_rng(1)
    points = np.array([random_point(family, rng) for _ in range(4)])
    kl = sg.kl(family).jax()
    n = points.shape[1]

    def one(theta):
        return jax.grad(lambda t2: kl(*theta, *[t2[i] for i in range(n)]))(theta)

    grads = jax.jit(jax.vmap(one))(jnp.asarray(points))
    assert np.all(np.asarray(grads) == 0)
    values = jax.vmap(lambda t: kl(*t, *t))(jnp.asarray(points))
    assert np.all(np.asarray(values) == 0)


@pytest.mark.parametrize("family", CASES, ids=IDS)
def test_float32_near_pairs_within_twice_the_numpy_error(family):
    cases = pairs(family, count=16, seed=3, deltas=DELTAS_FLOAT32)
    rounded = [tuple(tuple(float(np.float32(v)) for v in p) for p in pair) for pair in cases]
    distinct = np.array([a != b for a, b in rounded])
    ref, _ = reference(family, rounded)
    arrays = columns([a for a, _ in rounded], np.float32) + columns([b for _, b in rounded], np.float32)
    ours = jax.jit(sg.kl(family).jax())(*[jnp.asarray(a) for a in arrays])
    assert ours.dtype == jnp.float32
    ours = np.asarray(ours).astype(float)
    numpy_error = np.abs(sg.kl(family).numpy()(*arrays).astype(float) - ref)[distinct] / ref[distinct]
    error = np.abs(ours - ref)[distinct] / ref[distinct]
    assert np.all(ours >= 0) and np.all(ours[~distinct] == 0)
    near = np.arange(len(cases))[distinct] >= 16
    assert np.max(error[near]) <= FLOAT32_ULPS
    if np.max(numpy_error[near]) <= FLOAT32_ULPS:
        assert np.max(error[near]) <= 2 * np.max(numpy_error[near])
    assert np.max(error[~near]) <= 100 * FLOAT32_ULPS


@pytest.mark.parametrize("family", EXPONENTIAL, ids=EXPONENTIAL_IDS)
def test_hessian_at_equal_points_is_the_fisher_matrix(family):
    theta = random_point(family, np.random.default_rng(2))
    kl = sg.kl(family).jax()
    hessian = jax.jit(jax.hessian(lambda x: kl(*theta, *[x[i] for i in range(len(theta))])))(
        jnp.asarray(theta)
    )
    fisher = sg.fisher(family).numpy()(*theta)
    np.testing.assert_allclose(np.asarray(hessian), fisher, rtol=1e-10, atol=1e-12 * np.max(np.abs(fisher)))


@pytest.mark.parametrize("family", logit_charts(), ids=lambda f: f.label)
def test_logit_charts_over_the_whole_float64_range(family):
    """Issue 12: logits ±700 under ``jax.jit`` and ``jax.grad`` (bars of the torch test).  XLA on
    CPU flushes subnormal results to zero, and the remainder sums up to 74 node terms, each of
    which may be flushed: values and gradients are held to an absolute 74 × the smallest normal
    float64 besides their relative bar (measured: 4.4e-308 off at (700, 700.5), KL ≈ 1e-305)."""
    cases = logit_cases(family)
    ref, ref_grad = reference(family, cases, dps=LOGIT_DPS)
    arrays = [jnp.asarray(a) for a in columns([a for a, _ in cases]) + columns([b for _, b in cases])]
    jitted, gradient = _jitted(family, len(arrays))
    n = len(cases)
    value = np.asarray(jitted(*_padded(arrays)))[:n]
    assert np.all(value >= 0)
    np.testing.assert_array_less(np.abs(value - ref), 1e-12 * ref + FLUSHED)
    grads = gradient(*_padded(arrays))
    ours = np.stack([np.asarray(g)[:n] for g in grads], axis=-1)
    error = np.max(np.abs(ours - ref_grad), axis=-1)
    assert np.all(error <= 1e-10 * np.max(np.abs(ref_grad), axis=-1) + FLUSHED), error


@pytest.mark.parametrize(
    "family", [f for f in logit_charts() if logit_cases(f, subnormal=True)], ids=lambda f: f.label
)
def test_logit_pairs_whose_natural_step_is_subnormal(family):
    """Logits −708 … −690 against steps whose natural step Δη ≈ σ(θ₁)·Δθ is subnormal (the NumPy
    and torch tests of the same name), under ``jax.jit`` and eagerly: XLA on the CPU flushes
    subnormal operands and results to zero, so the remainder's node η₁ + tΔη, formed as written,
    stayed η₁ at every t (relative error ≈ Δθ: 4.7e-6 at (−700, −700.000007)).  Values ≤ 1e-12
    relative (the KL ≈ ½Δθ²·σ(θ₁)/… is a normal number: no flushing allowance), never negative;
    gradients ≤ 1e-10 of the largest partial, as for every other pair."""
    cases = logit_cases(family, subnormal=True)
    ref, ref_grad = reference(family, cases, dps=LOGIT_DPS)
    arrays = [jnp.asarray(a) for a in columns([a for a, _ in cases]) + columns([b for _, b in cases])]
    kl = sg.kl(family).jax()
    jitted, gradient = _jitted(family, len(arrays))
    n = len(cases)
    for value in (np.asarray(jitted(*_padded(arrays)))[:n], kl(*arrays)):
        got = np.asarray(value)
        assert np.all(got >= 0)
        error = np.abs(got - ref) / ref
        assert np.all(error <= 1e-12), [(cases[i], error[i]) for i in np.flatnonzero(error > 1e-12)]
    grads = gradient(*_padded(arrays))
    ours = np.stack([np.asarray(g)[:n] for g in grads], axis=-1)
    error = np.max(np.abs(ours - ref_grad), axis=-1)
    assert np.all(error <= 1e-10 * np.max(np.abs(ref_grad), axis=-1)), error
