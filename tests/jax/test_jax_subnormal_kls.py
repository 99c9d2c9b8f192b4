"""KLs whose value is subnormal, on JAX (XLA on the CPU flushes such results to 0), and float32
KLs without x64 near the smallest normal float32 (issue 12; ``symgeom.backends.tiny_kl``).

Before the log-magnitude copy of every printed KL form, JAX returned 0 for each float64 case
below (Gaussian means 10⁻¹⁵⁵ apart, the Poisson log-rate, logit classes at −720, a Binomial
p = 10⁻³⁰⁰, Laplace, the Bregman remainders of logit charts …); only kl_div sums were kept.

References: the derived KL (``sg.kl(f).result``) by mpmath at 400 digits at the rounded inputs (a
subnormal KL of terms of size 1 cancels 310 digits).  Bar: a subnormal result is a multiple of
the smallest subnormal u (2⁻¹⁰⁷⁴; float32 2⁻¹⁴⁹), so the correctly rounded value is within u/2;
the copy adds the relative error of its exponent, |L|·ε ≤ 745·1.1e-16 ≈ 8e-14 (float64), so
|got − ref| ≤ 1e-12·|ref| + u in float64 and 100 float32 ulps·|ref| + u in float32 (the issue's
bars, with the one unit of the subnormal grid).
"""

from __future__ import annotations

import random
from functools import cache

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

jax = pytest.importorskip("jax")
pytest.importorskip("array_api_compat")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.backends import tiny_forms  # noqa: E402
from symgeom.numeric.inputs import group  # noqa: E402
from symgeom.verification.sampling import draw_point  # noqa: E402

E = 1e-5
#: (family, [(θ₁, θ₂), …]) in chart coordinates (a pinned logit vector's last entry is 0)
CASES64 = [
    (sg.Bernoulli(), [((1e-300,), (1e-300 * (1 + E),))]),
    (sg.Bernoulli("logit"), [((-700.0,), (-700 + E,)), ((720.0,), (720 + E,)), ((0.0,), (1e-155,))]),
    (sg.Categorical(3, "logits"), [((720.0, 0.0), (720.0, -1.0)), ((0.0, -700.0), (0.0, -700 + E))]),
    (sg.Categorical(3, "probs"), [((1e-300, 0.25), (1e-300 * (1 + E), 0.25))]),
    (sg.Gaussian("mean_std"), [((0.0, 1.0), (1e-155, 1.0))]),
    (sg.Gaussian("mean_var"), [((0.0, 1.0), (1e-155, 1.0)), ((0.0, 1e300), (1e-5, 1e300))]),
    (sg.Gaussian("natural"), [((0.0, -1.0), (1e-155, -1.0))]),
    (sg.Gaussian("mean_logstd"), [((0.0, 0.0), (1e-155, 0.0)), ((0.0, 357.0), (1.0, 357.0))]),
    (sg.MultivariateGaussian(2, "diagonal", "mean_var"), [((0.0, 0.0, 1.0, 1.0), (1e-155, 0.0, 1.0, 1.0))]),
    (sg.MultivariateGaussian(2, "full"), [((0.0, 0.0, 1.0, 0.0, 1.0), (1e-155, 0.0, 1.0, 0.0, 1.0)),
                                          ((0.0, 0.0, 1e300, 0.0, 1e300), (1e-5, 0.0, 1e300, 0.0, 1e300)),
                                          ((0.0, 0.0, 1.0, 1e-155, 1.0), (0.0, 0.0, 1.0, 0.0, 1.0))]),
    (sg.Poisson("log_rate"), [((-690.0,), (-690 + E,))]),
    (sg.Binomial(4), [((1e-300,), (1e-300 * (1 + E),))]),
    (sg.Binomial(4, "logit"), [((-700.0,), (-700 + E,))]),
    (sg.Geometric("logit"), [((700.0,), (700 + E,))]),
    (sg.NegativeBinomial(3, "logit"), [((700.0,), (700 + E,))]),
    (sg.Laplace(), [((0.0, 1.0), (1e-155, 1.0))]),
    (sg.Laplace("loc_logscale"), [((0.0, 0.0), (1e-155, 0.0))]),
]
#: float32 without x64: values from 1.3e-39 (subnormal) to 7e-36 (≤ 1000× the smallest normal)
CASES32 = [
    (sg.Bernoulli(), [((1e-30,), (1e-30 * (1 + 1e-4),)), ((1e-25,), (1e-25 * (1 + 1e-6),))]),
    (sg.Bernoulli("logit"), [((-80.0,), (-80 + 1e-3,))]),
    (sg.Categorical(3, "logits"), [((80.0, 0.0), (80.0, -1.0))]),
    (sg.Categorical(3, "probs"), [((1e-30, 0.25), (1e-30 * (1 + 1e-3), 0.25))]),
    (sg.Gaussian("mean_std"), [((0.0, 1.0), (1e-19, 1.0)), ((0.0, 1.0), (3e-18, 1.0)),
                               ((0.0, 1e19), (1.0, 1e19))]),
    (sg.Gaussian("mean_var"), [((0.0, 1.0), (3e-18, 1.0))]),
    (sg.Gaussian("natural"), [((0.0, -1.0), (3e-18, -1.0))]),
    (sg.Gaussian("mean_logstd"), [((0.0, 0.0), (3e-18, 0.0))]),
    (sg.Poisson(), [((1e-30,), (1e-30 * (1 + 1e-4),))]),
    (sg.Poisson("log_rate"), [((-69.0,), (-69 + 1e-3,))]),
    (sg.Binomial(4), [((1e-30,), (1e-30 * (1 + 1e-3),))]),
    (sg.Binomial(4, "logit"), [((-75.0,), (-75 + 1e-3,))]),
    (sg.Geometric("logit"), [((75.0,), (75 + 1e-3,))]),
    (sg.Laplace(), [((0.0, 1.0), (3e-18, 1.0))]),
]


@cache
def _derived(family):
    d = sg.kl(family)
    return sp.lambdify(tuple(d.arguments), d.result, "mpmath")


def reference(family, pairs) -> np.ndarray:
    with mp.workdps(400):
        return np.array([float(_derived(family)(*(mp.mpf(x) for x in (*a, *b)))) for a, b in pairs])


def arguments(family, points, dtype) -> list[np.ndarray]:
    grouped = [group(family, np.asarray(p, dtype=float)) for p in points]
    return [np.stack([g[i] for g in grouped]).astype(dtype) for i in range(len(grouped[0]))]


def _rounded(pairs, dtype):
    return [tuple(tuple(float(dtype(x)) for x in p) for p in pair) for pair in pairs]


def _check(got, ref, relative, unit, normal) -> None:
    got = np.asarray(got, dtype=float).reshape(ref.shape)
    assert (np.abs(ref) < 1000 * normal).all() and (ref > 0).all()  # the regime under test
    bad = ~(np.abs(got - ref) <= relative * np.abs(ref) + unit)
    assert not bad.any(), (got[bad], ref[bad])


def _ids(case) -> str:
    return case[0].label


@pytest.mark.parametrize("case", CASES64, ids=_ids)
def test_subnormal_kl_float64(case):
    family, pairs = case
    ref = reference(family, pairs)
    one = [jnp.asarray(a) for a in arguments(family, [a for a, _ in pairs], np.float64)]
    two = [jnp.asarray(a) for a in arguments(family, [b for _, b in pairs], np.float64)]
    function = sg.kl(family).jax()
    for f in (function, jax.jit(function)):
        got = np.asarray(f(*one, *two))
        assert got.dtype == np.float64
        _check(got, ref, 1e-12, 2.0**-1074, 2.2250738585072014e-308)


@pytest.mark.parametrize("case", CASES64, ids=_ids)
def test_subnormal_kl_numpy_and_torch(case):
    """NumPy and CPU torch keep subnormal numbers: the same cases, the same bar."""
    torch = pytest.importorskip("torch")
    family, pairs = case
    ref = reference(family, pairs)
    one = arguments(family, [a for a, _ in pairs], np.float64)
    two = arguments(family, [b for _, b in pairs], np.float64)
    d = sg.kl(family)
    _check(d.numpy()(*one, *two), ref, 1e-12, 2.0**-1074, 2.2250738585072014e-308)
    got = d.torch()(*[torch.from_numpy(a) for a in (*one, *two)])
    _check(got.numpy(), ref, 1e-12, 2.0**-1074, 2.2250738585072014e-308)


def test_issue_logits_example():
    """The issue note's example, logit vectors as given (not pinned): NumPy 7.47615932e-314."""
    f = sg.kl(sg.Categorical(3, "logits")).jax()
    z1, z2 = jnp.asarray([0.0, -720.0, -720.0]), jnp.asarray([0.0, -721.0, -720.0])
    with mp.workdps(400):  # Σ pᵢ (log pᵢ − log qᵢ) with the log-softmaxes written out
        exact = mp.mpf(0)
        lz1, lz2 = mp.log(1 + 2 * mp.exp(-720)), mp.log(1 + mp.exp(-721) + mp.exp(-720))
        for a, b in zip((0, -720, -720), (0, -721, -720), strict=True):
            exact += mp.exp(a - lz1) * ((a - lz1) - (b - lz2))
        ref = float(exact)
    for g in (f, jax.jit(f)):
        _check(np.asarray(g(z1, z2))[None], np.array([ref]), 1e-12, 2.0**-1074, 2.2250738585072014e-308)


@pytest.mark.parametrize("case", CASES32, ids=_ids)
def test_small_kl_float32_without_x64(case):
    family, pairs = case
    pairs = _rounded(pairs, np.float32)
    ref = reference(family, pairs)
    function = sg.kl(family).jax()
    with jax.enable_x64(False):
        one = [jnp.asarray(a) for a in arguments(family, [a for a, _ in pairs], np.float32)]
        two = [jnp.asarray(a) for a in arguments(family, [b for _, b in pairs], np.float32)]
        for f in (function, jax.jit(function)):
            got = np.asarray(f(*one, *two))
            assert got.dtype == np.float32
            _check(got, ref, 100 * 2.0**-23, 2.0**-149, 1.1754943508222875e-38)


def test_gradient_at_subnormal_kl_is_the_direct_forms():
    """The copy carries no derivative: the gradient is the direct form's (finite, not nan)."""
    f = sg.kl(sg.Gaussian("mean_var")).jax()
    grad = jax.grad(lambda m: f(jnp.asarray(0.0), jnp.asarray(1.0), m, jnp.asarray(1.0)))(jnp.asarray(1e-155))
    assert np.isfinite(float(grad)) and float(grad) == pytest.approx(1e-155, rel=1e-12)


#: one chart per printed KL structure whose form takes the copy
COPY_FAMILIES = [sg.Bernoulli("logit"), sg.Categorical(3, "logits"), sg.Categorical(3, "probs"),
                 sg.MultivariateGaussian(2, "full"),
                 sg.Gaussian("mean_std"), sg.Gaussian("natural"), sg.Gaussian("mean_logstd"),
                 sg.Poisson("log_rate"), sg.Binomial(4), sg.Binomial(4, "logit"), sg.Geometric("logit"),
                 sg.Laplace(), sg.Laplace("loc_logscale"), sg.Gamma(), sg.Beta(), sg.Dirichlet(3)]


@pytest.mark.parametrize("family", COPY_FAMILIES, ids=lambda f: f.label)
def test_copy_is_the_same_function(family, monkeypatch):
    """The log-magnitude copy, taken for every entry (threshold ∞), equals the direct form at
    random valid pairs to 1e-12 relative: its exponent is a correct logarithm of the printed KL,
    term by term (a wrong rule, a dropped factor or term, shows here at normal values)."""
    rng = random.Random(12)
    pairs = [(draw_point(family, rng), draw_point(family, rng)) for _ in range(16)]
    one = [jnp.asarray(a) for a in arguments(family, [a for a, _ in pairs], np.float64)]
    two = [jnp.asarray(a) for a in arguments(family, [b for _, b in pairs], np.float64)]
    function = sg.kl(family).jax()
    direct = np.asarray(function(*one, *two))
    monkeypatch.setitem(tiny_forms.THRESHOLD, 64, float("inf"))
    copy = np.asarray(jax.jit(function)(*one, *two))
    assert (direct > 1e-6).all()
    np.testing.assert_allclose(copy, direct, rtol=1e-12)


def test_normal_range_unchanged(monkeypatch):
    """Away from the subnormal range the KL is the direct printed value, bit for bit."""
    family = sg.Gaussian("mean_std")
    rng = np.random.default_rng(5)
    mu, sigma = rng.normal(size=(2, 500)), rng.uniform(0.1, 3, size=(2, 500))
    f = jax.jit(sg.kl(family).jax())
    got = np.asarray(f(mu[0], sigma[0], mu[1], sigma[1]))
    # a fresh function traced with the copy switched off (compile_backend keeps one function per
    # derivation: asking it again would compare the function with itself)
    from symgeom.backends import compile as backend_compile

    monkeypatch.setitem(tiny_forms.THRESHOLD, 64, 0.0)
    backend_compile.plan.cache_clear()
    try:
        direct_form = jax.jit(backend_compile.BackendFunction(sg.kl(family), "jax"))
        direct = np.asarray(direct_form(mu[0], sigma[0], mu[1], sigma[1]))
    finally:
        backend_compile.plan.cache_clear()
    np.testing.assert_array_equal(got, direct)
