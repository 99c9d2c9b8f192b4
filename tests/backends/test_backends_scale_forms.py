"""Gaussian entropy and Fisher on torch/JAX at extreme scales and ill-conditioning (issue 12).

The backends evaluate through the family's dilation symmetry, Σ⁻¹ and ln det Σ by Cholesky
(:mod:`symgeom.backends.scale_forms`).  Values are compared with ``.numpy()`` (whose dilation and
precision forms tests/numeric/test_numeric_scale_symmetry.py checks against mpmath) and, where the
two algorithms differ (Cholesky log-determinant; Cholesky vs LU inverse at condition 10¹²), with
50-digit mpmath from textbook formulas (½ log det(2πeΣ), Σ⁻¹, ½ tr(Σ⁻¹EₐΣ⁻¹E_b)), never from a
derivation.  Before this form torch/JAX gave −inf for the 3-d entropy at Σ = 10⁻¹¹⁰·I, nan or 0
Fisher entries at Σ = 10^{∓100}·I, and a Fisher 33 % off at condition number 10¹².
"""

from __future__ import annotations

import sys
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "numeric"))
from gaussian_references import entropy_mvn, fisher_mvn, ill_conditioned  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.errors import InvalidParameterError  # noqa: E402

BACKENDS = ("torch", "jax")


def _call(backend: str, derivation, arrays, dtype=np.float64, validate: bool = True) -> np.ndarray:
    arrays = [np.asarray(a, dtype=dtype) for a in arrays]
    if backend == "torch":
        return derivation.torch(validate=validate)(*map(torch.as_tensor, arrays)).numpy()
    function = derivation.jax(validate=validate)
    return np.asarray(jax.jit(function)(*map(jnp.asarray, arrays)))


def _assert_matches(got: np.ndarray, want: np.ndarray, rtol: float) -> None:
    """Relative error ≤ rtol on finite nonzero entries; zeros and ±inf exactly where ``want`` has them.
    A subnormal reference (below float64's smallest normal) is met within that smallest normal:
    XLA on the CPU flushes subnormal results to zero."""
    got, want = np.broadcast_arrays(np.asarray(got, dtype=float), np.asarray(want, dtype=float))
    assert not np.any(np.isnan(got))
    finite = np.isfinite(want)
    np.testing.assert_array_equal(got[~finite], want[~finite])
    tiny = np.finfo(want.dtype).tiny
    subnormal = finite & (want != 0) & (np.abs(want) < tiny)
    assert np.all(np.abs(got[subnormal] - want[subnormal]) <= tiny)
    nonzero = finite & (np.abs(want) >= tiny)
    assert np.max(np.abs(got[nonzero] / want[nonzero] - 1), initial=0.0) <= rtol
    assert np.all(got[finite & (want == 0)] == 0)


# --- the charts' arguments at a scale σ -----------------------------------------------------------
SIGMA = 10.0 ** np.linspace(-150, 150, 61)
MU = np.linspace(-1e3, 1e3, 61)


def _univariate(chart: str, mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return {
        "mean_std": (mu, sigma),
        "mean_var": (mu, sigma**2),
        "natural": (mu / sigma**2, -0.5 / sigma**2),
        "mean_logstd": (mu, np.log(sigma)),
    }[chart]


CHARTS = ("mean_std", "mean_var", "natural", "mean_logstd")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("chart", CHARTS)
@pytest.mark.parametrize("quantity", [sg.entropy, sg.fisher], ids=["entropy", "fisher"])
def test_univariate_charts_over_300_decades(backend, chart, quantity):
    """σ from 10⁻¹⁵⁰ to 10¹⁵⁰ (σ² and the natural parameters up to 10^{±300}): ≤ 1e-12 of ``.numpy()``,
    whose values are the mpmath ones there (the dilation maps back by exact powers of two)."""
    derivation = quantity(sg.Gaussian(chart))
    arrays = _univariate(chart, MU, SIGMA)
    _assert_matches(_call(backend, derivation, arrays), derivation.numpy()(*arrays), 1e-12)


def _diagonal(chart: str, mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    first, second = _univariate(chart, mu, sigma)
    return first, second


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("chart", CHARTS)
@pytest.mark.parametrize("quantity", [sg.entropy, sg.fisher], ids=["entropy", "fisher"])
def test_diagonal_charts_at_extreme_scales(backend, d, chart, quantity):
    """Per-coordinate σ over ±100 decades (one dilation per batch entry, coordinates a few decades
    apart): ≤ 1e-12 of ``.numpy()``."""
    rng = np.random.default_rng(d)
    base = 10.0 ** np.repeat(np.linspace(-100, 100, 21), 1)[:, None]
    sigma = base * 10.0 ** rng.uniform(-2, 2, size=(21, d))
    mu = rng.normal(size=(21, d)) * base
    derivation = quantity(sg.MultivariateGaussian(d, "diagonal", chart))
    arrays = _diagonal(chart, mu, sigma)
    _assert_matches(_call(backend, derivation, arrays), derivation.numpy()(*arrays), 1e-12)


# --- full covariance --------------------------------------------------------------------------------
def _spd(d: int) -> np.ndarray:
    """A well-conditioned covariance (condition number below 10)."""
    rng = np.random.default_rng(10 + d)
    q, _r = np.linalg.qr(rng.normal(size=(d, d)))
    s = (q * np.linspace(1.0, 0.2, d)) @ q.T
    return (s + s.T) / 2




SCALES = [1e-300, 1e-110, 1e-100, 1.0, 1e100, 1e300]


#: (quantity, d, backend); JAX's 3-d Fisher batch is slow (~25 s of CPU compiling the double-double
#: Cholesky for a shape of its own): its 2-d batch runs the same code over the same scales by default,
#: and the 3-d Fisher on JAX is checked against mpmath and at condition 10¹² below
FULL_SCALES_CASES = [
    pytest.param(quantity, d, backend, id=f"{name}-{d}-{backend}",
                 marks=[pytest.mark.slow] if (name, d, backend) == ("fisher", 3, "jax") else [])
    for name, quantity in (("entropy", sg.entropy), ("fisher", sg.fisher))
    for d in (2, 3)
    for backend in BACKENDS
]


@pytest.mark.parametrize(("quantity", "d", "backend"), FULL_SCALES_CASES)
def test_full_covariance_at_extreme_scales_matches_numpy(backend, d, quantity):
    """Σ = s·S (S well conditioned) for s from 10⁻³⁰⁰ to 10³⁰⁰, all in one batch (a dilation per
    entry): ≤ 1e-12 of ``.numpy()``; entries past float64's range are ±inf as there."""
    cov = np.stack([s * _spd(d) for s in SCALES])
    mu = np.stack([np.full(d, 1e8), *[np.linspace(-1, 1, d)] * (len(SCALES) - 1)])
    derivation = quantity(sg.MultivariateGaussian(d))
    _assert_matches(_call(backend, derivation, (mu, cov)), derivation.numpy()(mu, cov), 1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("scale", [1e-110, 1e-100, 1.0, 1e100, 1e150])
def test_full_covariance_values_against_mpmath(backend, d, scale):
    """The entropy (≤ 1e-14 relative, the Cholesky log-determinant of a matrix with condition
    number below 10) and the Fisher (≤ 1e-14 relative per nonzero entry: short polynomials in Σ⁻¹)."""
    cov = scale * _spd(d)
    mu = np.zeros(d)
    got = _call(backend, sg.entropy(sg.MultivariateGaussian(d)), (mu, cov))
    want = entropy_mvn(cov)
    assert abs(got - want) <= 1e-14 * abs(want)
    fisher = _call(backend, sg.fisher(sg.MultivariateGaussian(d)), (mu, cov))
    exact = fisher_mvn(cov)
    big = np.max(np.abs(exact))
    nonzero = np.abs(exact) > 1e-12 * big
    assert np.max(np.abs(fisher[nonzero] / exact[nonzero] - 1)) <= 1e-13
    assert np.all(np.abs(fisher[~nonzero]) <= 1e-13 * big)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("d", [2, 3])
def test_full_covariance_at_condition_number_1e12(backend, d):
    """Fisher through Σ⁻¹ = L⁻ᵀL⁻¹ and entropy through 2 Σ log Lᵢᵢ, L the double-double Cholesky
    factor (backward error ≈ d·ε²·|L||Lᵀ|, so both keep ≈ cond·ε² ≈ 1e-20 before the final
    rounding): ≤ 1e-12 of the Fisher's largest entry and of the entropy (the printed cofactor/det
    form was 33 % off; a float64 Cholesky ≈ cond·ε, 8e-5)."""
    entropy = sg.entropy(sg.MultivariateGaussian(d))
    fisher = sg.fisher(sg.MultivariateGaussian(d))
    for seed in range(4):
        cov = ill_conditioned(d, seed)
        mu = np.zeros(d)
        want = fisher_mvn(cov)
        error = np.max(np.abs(_call(backend, fisher, (mu, cov)) - want)) / np.max(np.abs(want))
        assert error <= 1e-12
        h = _call(backend, entropy, (mu, cov))
        assert abs(h - entropy_mvn(cov)) <= 1e-12 * abs(entropy_mvn(cov))


@pytest.mark.parametrize("backend", BACKENDS)
def test_issue_reproducers(backend):
    """The issue's torch/JAX cases: H at Σ = 10⁻¹¹⁰·I (was −inf), the natural-chart Fisher at
    η = (−2.39e-70, −1.17e-140) (its [1,1] entry was inf; true 2.147e280)."""
    h = _call(backend, sg.entropy(sg.MultivariateGaussian(3)), (np.zeros(3), 1e-110 * np.eye(3)))
    want = entropy_mvn(1e-110 * np.eye(3))
    assert abs(h - want) <= 1e-14 * abs(want)
    e1, e2 = -2.3873543900134e-70, -1.169523679790314e-140
    got = _call(backend, sg.fisher(sg.Gaussian("natural")), (e1, e2))
    with mp.workdps(50):
        a, b = mp.mpf(e1), mp.mpf(e2)
        exact = [[-1 / (2 * b), a / (2 * b**2)], [a / (2 * b**2), -(a**2) / (2 * b**3) + 1 / (2 * b**2)]]
    for i in range(2):
        for j in range(2):
            assert abs(got[i, j] - exact[i][j]) <= 1e-14 * abs(exact[i][j])


# --- gradients --------------------------------------------------------------------------------------
def _entropy_gradient_mp(cov: np.ndarray) -> np.ndarray:
    """∂H/∂Σᵢⱼ over the upper triangle: ½(Σ⁻¹)ᵢᵢ on the diagonal, (Σ⁻¹)ᵢⱼ off it."""
    with mp.workdps(50):
        inv = mp.matrix(cov.tolist()) ** -1
    d = len(cov)
    half = mp.mpf(1) / 2
    return np.array([[float(inv[i, j] * (half if i == j else 1)) for j in range(d)] for i in range(d)])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("scale", [1e-100, 1.0, 1e100])
def test_entropy_gradient_in_sigma(backend, scale):
    """torch autograd / jax.grad through the dilation and the Cholesky log-determinant, against the
    50-digit derivative, ≤ 1e-12 relative to its largest entry (the input's upper triangle carries
    the symmetric entry's derivative: the printed arguments are Σ's upper triangle)."""
    d = 3
    cov = scale * _spd(d)
    derivation = sg.entropy(sg.MultivariateGaussian(d))
    if backend == "torch":
        sigma = torch.as_tensor(cov).requires_grad_()
        derivation.torch()(torch.zeros(d, dtype=torch.float64), sigma).backward()
        grad = sigma.grad.numpy()
    else:
        grad = np.asarray(jax.grad(lambda s: derivation.jax()(jnp.zeros(d), s), argnums=0)(jnp.asarray(cov)))
    upper = np.triu(grad)
    want = np.triu(_entropy_gradient_mp(cov))
    assert np.max(np.abs(upper - want)) <= 1e-12 * np.max(np.abs(want))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sigma", [1e-100, 0.7, 1e100])
def test_fisher_gradient_through_the_dilation(backend, sigma):
    """d/dσ of F(μ, σ) = diag(1/σ², 2/σ²) is −2/σ³·(1, 2): the map back by 2^{k(wᵢ+wⱼ)} carries no
    gradient of its own (k is piecewise constant and the identity holds for every k); ≤ 1e-14."""
    derivation = sg.fisher(sg.Gaussian())
    if backend == "torch":
        s = torch.tensor(sigma, dtype=torch.float64, requires_grad=True)
        f = derivation.torch()(torch.tensor(0.3, dtype=torch.float64), s)
        (g0,) = torch.autograd.grad(f[0, 0], s, retain_graph=True)
        (g1,) = torch.autograd.grad(f[1, 1], s)
        got = np.array([g0.item(), g1.item()])
    else:
        fn = derivation.jax()
        got = np.array([float(jax.grad(lambda s, i=i: fn(0.3, s)[i, i])(sigma)) for i in range(2)])
    with mp.workdps(30):
        want = np.array([float(-2 / mp.mpf(sigma) ** 3), float(-4 / mp.mpf(sigma) ** 3)])
    np.testing.assert_allclose(got, want, rtol=1e-14)


@pytest.mark.parametrize("backend", BACKENDS)
def test_natural_fisher_gradient_against_third_derivatives(backend):
    """∂F/∂η of the natural chart (F = ∇²A, A(η) = −η₁²/(4η₂) − ½ log(−2η₂)), at an ordinary point
    and at two far from 1 (k ≠ 0; at the issue's η₂ ≈ −1e-140 they pass 10⁴²⁰): autograd /
    ``jax.jacfwd`` against the third derivatives of A written out in 50-digit arithmetic, ≤ 1e-13
    relative per entry."""
    derivation = sg.fisher(sg.Gaussian("natural"))
    for e1, e2 in ((0.5, -0.25), (3e50, -2e100), (-1e-30, -1e-60)):
        if backend == "torch":
            eta = torch.tensor([e1, e2], dtype=torch.float64, requires_grad=True)
            f = derivation.torch()(eta[0], eta[1])
            got = np.array([[torch.autograd.grad(f[i, j], eta, retain_graph=True)[0].numpy()
                             for j in range(2)] for i in range(2)])
        else:
            fn = derivation.jax()
            got = np.asarray(jax.jacfwd(lambda v, fn=fn: fn(v[0], v[1]))(jnp.asarray([e1, e2])))
        with mp.workdps(50):
            a, b = mp.mpf(e1), mp.mpf(e2)
            d00 = (0, 1 / (2 * b**2))
            d01 = (1 / (2 * b**2), -a / b**3)
            d11 = (-a / b**3, 3 * a**2 / (2 * b**4) - 1 / b**3)
            want = [[d00, d01], [d01, d11]]
        for i in range(2):
            for j in range(2):
                for k in range(2):
                    w = want[i][j][k]
                    assert abs(got[i, j, k] - w) <= 1e-13 * abs(w) if w else got[i, j, k] == 0


# --- float32, validation ------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("quantity", [sg.entropy, sg.fisher], ids=["entropy", "fisher"])
def test_float32_within_100_ulps(backend, quantity):
    """float32 inputs over σ in 10^{±18} (σ² and 1/σ² representable) and a 3-d Σ = 10^{±30}·S: ≤ 100
    float32 ulps of the float64 ``.numpy()`` value of the same (float32-rounded) inputs."""
    sigma = (10.0 ** np.linspace(-18, 18, 37)).astype(np.float32)
    mu = np.linspace(-3, 3, 37).astype(np.float32)
    derivation = quantity(sg.Gaussian())
    got = _call(backend, derivation, (mu, sigma), np.float32)
    assert got.dtype == np.float32
    want = derivation.numpy()(mu.astype(float), sigma.astype(float))
    _assert_matches(got, want, 100 * np.finfo(np.float32).eps)
    cov = np.stack([s * _spd(3) for s in (1e-30, 1.0, 1e30)]).astype(np.float32)
    derivation = quantity(sg.MultivariateGaussian(3))
    want = derivation.numpy()(np.zeros((3, 3)), cov.astype(float))
    got = _call(backend, derivation, (np.zeros((3, 3)), cov), np.float32)
    finite = np.abs(want) < np.finfo(np.float32).max
    big = np.max(np.abs(np.where(finite, want, 0)), axis=tuple(range(1, want.ndim)), keepdims=True)
    tiny = np.abs(want) <= 1e-6 * big  # entries that are 0 up to rounding of the covariance itself
    err = np.abs(got - want) / np.where(tiny, big, np.abs(want))
    assert np.max(err[finite]) <= 100 * np.finfo(np.float32).eps


@pytest.mark.parametrize("backend", BACKENDS)
def test_invalid_covariance_still_named_or_nan(backend):
    """A covariance that is not positive definite raises the argument's error eagerly; under
    ``jax.jit`` (no host read) its entries come back nan, the others keep their values."""
    bad = np.array([[1.0, 2.0], [2.0, 1.0]])
    derivation = sg.fisher(sg.MultivariateGaussian(2))
    if backend == "torch":
        with pytest.raises(InvalidParameterError, match="Sigma"):
            derivation.torch()(torch.zeros(2, dtype=torch.float64), torch.as_tensor(bad))
        return
    cov = np.stack([bad, 1e-100 * np.eye(2)])
    out = np.asarray(jax.jit(derivation.jax())(jnp.zeros((2, 2)), jnp.asarray(cov)))
    assert np.all(np.isnan(out[0]))
    _assert_matches(out[1], derivation.numpy()(np.zeros(2), 1e-100 * np.eye(2)), 1e-12)


@pytest.mark.slow
def test_compiled_torch_route_keeps_the_scale_forms(monkeypatch):
    """The torch.compile route (CUDA's, forced onto CPU tensors) evaluates the same printed source:
    one graph, the same values as the eager primitives at Σ = 10⁻¹¹⁰·I and condition 10¹²."""
    from symgeom.backends import torch_compile
    from symgeom.backends.ops import torch_ops

    monkeypatch.setattr(torch_compile, "FORCE", True)
    monkeypatch.delenv("SYMGEOM_TORCH_COMPILE", raising=False)
    cov = torch.as_tensor(np.stack([1e-110 * np.eye(3), ill_conditioned(3, 0), 1e100 * _spd(3)]))
    mu = torch.zeros(3, 3, dtype=torch.float64)
    for quantity in (sg.entropy, sg.fisher):
        function = quantity(sg.MultivariateGaussian(3)).torch()
        compiled = function(mu, cov)
        eager = function._primitives(torch_ops(), [mu, cov], False)
        torch.testing.assert_close(compiled, eager, rtol=1e-12, atol=0)
    assert torch_compile.failures() == {}
