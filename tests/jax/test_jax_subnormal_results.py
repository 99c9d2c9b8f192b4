"""Subnormal results under JAX on the CPU: XLA flushes every arithmetic result below the smallest
normal number to 0 (2.2e-308 in float64, 1.2e-38 in float32), so Fisher entries whose true value
is subnormal came back 0 (NumPy and torch give it): the logit Fisher σ(θ)σ(−θ) at θ ≈ −710 … −744,
the Gaussian 1/(2σ⁴) and 1/σ² at large σ, e^η of a log-rate chart, the Categorical-logit pᵢpⱼ.
Now the dilation's powers of two and the log-magnitude copy of such entries
(``symgeom.backends.tiny_forms``) are assembled from the bits (``symgeom.backends.exact_ldexp``);
likewise a KL of kl_div terms between subnormal probabilities (Bernoulli KL(1e-310‖3e-310)).

Each case is held to the derived Fisher evaluated by mpmath at 200 digits, in float64 (x64) and in
float32 without x64, eager and under ``jax.jit``.  Bar: a subnormal result is a multiple of the
smallest subnormal u (2⁻¹⁰⁷⁴, 2⁻¹⁴⁹), so the correctly rounded value is within u/2; the log-
magnitude copy adds its exponent's relative error |L|·ε ≤ 3e-13 (float64; |L| ≤ 745), so
|got − ref| ≤ 1e-12·|ref| + u (float32: 100 ulps·|ref| + u).  Before the change every entry
below was 0 (or missed the bar by its whole size)."""

from __future__ import annotations

import sys
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("array_api_compat")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "backends"))
from logit_float32_cases import EPS32, reference  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.backends import tiny_forms  # noqa: E402
from symgeom.numeric.inputs import group  # noqa: E402

#: (family, points) whose Fisher has entries between 0 and the smallest normal float64
CASES64 = [
    (sg.Bernoulli("logit"), [(-709.0,), (-720.0,), (-730.0,), (-744.0,), (725.0,)]),
    (sg.Binomial(4, "logit"), [(-715.0,), (735.0,)]),
    (sg.Geometric("logit"), [(712.0,), (740.0,)]),
    (sg.Poisson("log_rate"), [(-709.5,), (-725.0,), (-744.0,)]),
    (sg.Categorical(3, "logits"), [(0.0, -720.0), (-730.0, 0.0), (715.0, -15.0)]),
    (sg.Gaussian("mean_std"), [(0.0, 2e154), (1.0, 1e155)]),
    (sg.Gaussian("mean_var"), [(0.0, 1.2e154), (3.0, 1e155), (0.0, 4e161)]),
    (sg.Gaussian("natural"), [(0.0, -1e155), (1e-300, -3e160)]),
    (sg.MultivariateGaussian(2, "diagonal", "mean_var"), [(0.0, 0.0, 1e155, 1.0)]),
]
#: the same in float32 (subnormal below 1.2e-38), computed in float32 (x64 off)
CASES32 = [
    (sg.Bernoulli("logit"), [(-88.0,), (-92.0,), (-100.0,), (95.0,)]),
    (sg.Poisson("log_rate"), [(-90.0,), (-101.0,)]),
    (sg.Categorical(3, "logits"), [(0.0, -95.0)]),
    (sg.Gaussian("mean_var"), [(0.0, 1e19), (0.0, 1e20), (0.0, 3e21)]),
    (sg.Gaussian("mean_std"), [(0.0, 2e19), (0.0, 1e21)]),
]


def call_arguments(family, points, dtype=np.float32) -> list[np.ndarray]:
    """The compiled function's arrays for a batch of points (chart coordinates)."""
    grouped = [group(family, np.asarray(p, dtype=float)) for p in points]
    return [np.stack([g[i] for g in grouped]).astype(dtype) for i in range(len(grouped[0]))]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exact_ldexp_is_numpy_ldexp(dtype):
    """x·2ⁿ bit for bit as numpy.ldexp (correctly rounded) over normal and subnormal x and results,
    and at exact halfway points of the subnormal grid (round half to even); 2⁻ⁿ·x·2ⁿ products on
    XLA would be 0 there."""
    from symgeom.backends.exact_ldexp import ldexp_for

    rng = np.random.default_rng(1)
    low = -1100 if dtype == np.float64 else -170
    x = (np.ldexp(rng.uniform(0.5, 1, 20000), rng.integers(-30, 30, 20000))
         * rng.choice([-1, 1], 20000)).astype(dtype)
    x[:50] = np.finfo(dtype).smallest_subnormal * np.arange(1, 51)
    n = rng.integers(low, 60, 20000)
    k = rng.integers(0, 1 << 20, 1000)
    emin = -1074 if dtype == np.float64 else -149
    x = np.concatenate([x, np.ldexp((2 * k + 1).astype(dtype), 5).astype(dtype)])
    n = np.concatenate([n, np.full(1000, emin - 6)])
    want = np.ldexp(x, n)
    ldexp = ldexp_for(jnp)
    for f in (ldexp, jax.jit(ldexp)):
        np.testing.assert_array_equal(np.asarray(f(jnp.asarray(x), jnp.asarray(n))), want)


def test_exact_exp_reaches_the_subnormal_range():
    """eˣ for x ∈ [−760, −700] within 2 subnormal units of NumPy's (jnp.exp is 0 below −708.4)."""
    from symgeom.backends.exact_ldexp import exact_exp

    x = np.linspace(-760, -700, 20001)
    want = np.exp(x)
    got = np.asarray(jax.jit(exact_exp)(jnp.asarray(x)))
    assert (np.abs(got - want) <= 2 * np.spacing(want)).all()
    if jax.default_backend() == "cpu":  # XLA on a GPU keeps float64 subnormals (seen on an H200)
        assert float(jnp.exp(jnp.asarray(-720.0))) == 0.0  # what the assembly is for


def _ids(case: tuple) -> str:
    return case[0].label


def _check(got: np.ndarray, ref: np.ndarray, relative: float, unit: float) -> None:
    ref = ref.reshape(got.shape)
    assert (np.abs(ref) < 2.3e-308).any() if unit < 1e-300 else (np.abs(ref) < 1.2e-38).any()
    bad = ~(np.abs(got - ref) <= relative * np.abs(ref) + unit)
    assert not bad.any(), (got[bad], ref[bad])


@pytest.mark.parametrize("case", CASES64, ids=_ids)
def test_fisher_subnormal_entries_float64(case):
    family, points = case
    ref = reference(family, "fisher", points)
    arrays = [jnp.asarray(a) for a in call_arguments(family, points, dtype=np.float64)]
    function = sg.fisher(family).jax()
    for f in (function, jax.jit(function)):
        got = np.asarray(f(*arrays))
        assert got.dtype == np.float64
        _check(got, ref, 1e-12, 2.0**-1074)


@pytest.mark.parametrize("case", CASES64, ids=_ids)
def test_fisher_subnormal_entries_numpy_and_torch(case):
    """The same cases on NumPy and CPU torch, which do not flush.  They multiply a subnormal σ(θ)
    (rounded to u/2) by up to 4 (Binomial(4)): ≤ 2.5u, so 3u here.  torch was 0 below θ ≈ −709
    (torch.sigmoid is 0 there; the printed σ now takes eˣ below −700)."""
    torch = pytest.importorskip("torch")
    family, points = case
    ref = reference(family, "fisher", points)
    arrays = call_arguments(family, points, dtype=np.float64)
    _check(np.asarray(sg.fisher(family).numpy()(*arrays)), ref, 1e-12, 3 * 2.0**-1074)
    got = sg.fisher(family).torch()(*[torch.from_numpy(a) for a in arrays])
    _check(got.numpy(), ref, 1e-12, 3 * 2.0**-1074)


#: (p₁, p₂) Bernoulli pairs with a subnormal KL: both probabilities subnormal, or one 0
KL_PAIRS = [(1e-310, 3e-310), (3e-310, 1e-310), (2e-320, 7e-319), (0.0, 1e-310), (1e-309, 5e-324),
            (2.2e-308, 1.1e-308)]


def test_bernoulli_kl_between_subnormal_probabilities():
    """The issue's sg.kl(sg.Bernoulli()).jax()(1e-310, 3e-310) (true 9.0e-311; was 0) and others,
    against 50-digit mpmath, on JAX (eager, jit), NumPy and torch; p₁ = 0 is valid (KL = −log(1 − p₂))."""
    torch = pytest.importorskip("torch")
    family = sg.Bernoulli()
    ref = np.array([float(_bernoulli_kl(p, q)) for p, q in KL_PAIRS])
    p, q = (np.array(c) for c in zip(*KL_PAIRS, strict=True))
    d = sg.kl(family)
    outputs = [np.asarray(f(jnp.asarray(p), jnp.asarray(q))) for f in (d.jax(), jax.jit(d.jax()))]
    outputs += [np.asarray(d.numpy()(p, q)), d.torch()(torch.from_numpy(p), torch.from_numpy(q)).numpy()]
    for got in outputs:
        _check(got, ref, 1e-12, 2.0**-1074)


@pytest.mark.parametrize("family", [sg.Exponential(), sg.Poisson(), sg.Binomial(4)], ids=lambda f: f.label)
def test_kl_div_sums_with_numbers_in_normal_range(family):
    """A kl_div term with a printed number (kl_div(1, λ₂/λ₁)) evaluates its copy too (jit traces
    it), and in the normal range the KL is NumPy's to a few ulps."""
    theta = np.array([0.3, 2.0, 0.7]) if family.parameters[0].upper is None else np.array([0.3, 0.5, 0.7])
    other = theta[::-1].copy()
    want = sg.kl(family).numpy()(theta, other)
    for f in (sg.kl(family).jax(), jax.jit(sg.kl(family).jax())):
        np.testing.assert_allclose(np.asarray(f(jnp.asarray(theta), jnp.asarray(other))), want, rtol=1e-15)


def _bernoulli_kl(p: float, q: float) -> object:
    with mp.workdps(50):
        a, b = mp.mpf(p), mp.mpf(q)
        first = a * mp.log(a / b) if a else mp.mpf(0)
        return first + (1 - a) * (mp.log1p(-a) - mp.log1p(-b))


@pytest.mark.parametrize("case", CASES32, ids=_ids)
def test_fisher_subnormal_entries_float32_without_x64(case):
    family, points = case
    points = [tuple(float(np.float32(x)) for x in p) for p in points]
    ref = reference(family, "fisher", points)
    function = sg.fisher(family).jax()
    with jax.enable_x64(False):
        arrays = [jnp.asarray(a) for a in call_arguments(family, points)]
        for f in (function, jax.jit(function)):
            got = np.asarray(f(*arrays))
            assert got.dtype == np.float32
            _check(got.astype(float), ref, 100 * EPS32, 2.0**-149)


def test_fisher_normal_range_unchanged(monkeypatch):
    """Away from the subnormal range the entries are the direct printed values (the copy is taken
    only below 2⁻¹⁰⁰⁰): bit for bit what the same form gives with the copy switched off."""
    family = sg.Categorical(3, "logits")
    z = np.random.default_rng(3).normal(0, 30, size=(200, 3))
    z[:, -1] = 0.0
    function = sg.fisher(family).jax()
    got = np.asarray(jax.jit(lambda x: function(x))(jnp.asarray(z)))
    monkeypatch.setitem(tiny_forms.THRESHOLD, 64, 0.0)
    direct = np.asarray(jax.jit(lambda x: function(x))(jnp.asarray(z)))
    assert (np.abs(direct) >= 2.0**-1000).all()
    np.testing.assert_array_equal(got, direct)
