"""H(softmax z) of the logit charts (symgeom.backends.softmax_entropy) against 60-digit mpmath
references at the rounded inputs: values, derived gradients and Hessians, in NumPy, torch and
JAX, float64 and float32, any k (issue 12).

Tolerances:
* float64 values ≤ 1e-12 relative (a reference below the normal range: within 2.2e-308, as
  XLA on the CPU flushes subnormal results to 0): H is a sum of non-negative terms, and the only
  rounding an input suffers is that of sᵢ = zᵢ − max z (relative ε/2 in sᵢ, ε|sᵢ|/2 ≤ 1.6e-13
  in e^{sᵢ} for |sᵢ| ≤ 1 400, logits ±700); the sums add k·ε at most.
* float32 values ≤ 100 ulps of the float32-rounded reference (a subnormal reference: within the
  smallest normal float32, XLA's flush again): |sᵢ| ≤ 104 for a term that is not below the
  float32 range, so sᵢ's rounding gives ≤ 2⁻²⁴·104/2⁻²³ = 52 ulps in e^{sᵢ}; the rest is a few
  ulps.
* gradient components ∂H/∂zⱼ = −pⱼ(sⱼ + T): relative ≤ 1e-12 (float64) / ≤ 100 ulps (float32)
  where the component is at least 1e-3 of the largest one; every component within 1e-12 (float64)
  / 2e-5 (float32) of the largest one: its rounding is ε·pⱼ(|sⱼ| + T) (−sⱼ − T may cancel, the
  component's own condition) and pⱼ|sⱼ| ≤ T ≤ k·p_top·T = k·|∂H/∂z_top|, so ≤ 2kε of the largest.
* Hessians (autodiff of the derived rule): within 1e-13 of the largest entry.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import symgeom as sg
from symgeom.backends import softmax_entropy

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402


@pytest.fixture(autouse=True)
def _sixty_digits():
    """The references below at 60 digits, in this module's tests only: a module-level
    ``mp.mp.dps = 60`` ran at collection and so held for every test of the run."""
    with mp.workdps(60):
        yield


def _reference(z: np.ndarray) -> tuple[mp.mpf, list[mp.mpf], list[mp.mpf]]:
    """(H, p, ∂H/∂z) at the float values of z, by mpmath: log pᵢ = zᵢ − m − log1p(r) with r the sum
    of e^{zⱼ−m} without the first top class (1 + r at 60 digits would drop an r of 1e-300), and
    ∂H/∂zⱼ = −pⱼ(ℓⱼ + H) (differentiating −Σpᵢℓᵢ with ∂ℓᵢ/∂zⱼ = δᵢⱼ − pⱼ)."""
    z = [mp.mpf(float(x)) for x in z]
    m = max(z)
    top = z.index(m)
    e = [mp.exp(x - m) for x in z]
    r = mp.fsum(x for i, x in enumerate(e) if i != top)
    log_total = mp.log1p(r)
    p = [x / (1 + r) for x in e]
    ell = [x - m - log_total for x in z]
    h = -mp.fsum(a * b for a, b in zip(p, ell))
    # ℓⱼ + H = Σᵢ pᵢ(ℓⱼ − ℓᵢ) = Σᵢ pᵢ(zⱼ − zᵢ) (Σp = 1): ℓⱼ + H itself would cancel to 60 digits
    # when H = log 2 + 1e-306
    return h, p, [-pj * mp.fsum(pi * (zj - zi) for pi, zi in zip(p, z)) for pj, zj in zip(p, z)]


def _hessian_reference(z: np.ndarray) -> np.ndarray:
    """∂²H/∂zᵢ∂zⱼ = −(δᵢⱼ − pᵢ)·pⱼ(ℓⱼ + H) − pⱼ(δᵢⱼ − pᵢ + gᵢ), g = ∇H (differentiating −pⱼ(ℓⱼ + H))."""
    _, p, g = _reference(z)
    k = len(p)
    lh = [-gj / pj for gj, pj in zip(g, p)]  # ℓⱼ + H
    return np.array([[float(-((i == j) - p[i]) * p[j] * lh[j] - p[j] * ((i == j) - p[i] + g[i]))
                      for j in range(k)] for i in range(k)])


def _family(k: int):
    return sg.entropy(sg.Categorical(k, "logits"))


def _values(k: int, z: np.ndarray) -> dict[str, np.ndarray]:
    """H from .numpy(), .torch() (on the NumPy kernel, and recording autograd: the torch
    operations) and .jax() of the derivation (input dtype kept)."""
    d = _family(k)
    return {
        "numpy": np.asarray(d.numpy()(z)),
        "torch": d.torch()(torch.from_numpy(z)).numpy(),  # no autograd: the NumPy kernel
        "torch autograd": d.torch()(torch.from_numpy(z).requires_grad_(True)).detach().numpy(),
        "jax": np.asarray(jax.jit(d.jax())(jnp.asarray(z))),
    }


def _gradients(k: int, z: np.ndarray) -> dict[str, np.ndarray]:
    d = _family(k)
    t = torch.from_numpy(z).requires_grad_(True)
    d.torch()(t).sum().backward()
    f = d.jax()
    return {
        "torch": t.grad.numpy(),
        "jax": np.asarray(jax.jit(jax.grad(lambda x: f(x).sum()))(jnp.asarray(z))),
        "numpy": softmax_entropy.numpy_gradient(z),
    }


def _close64(value: float, ref: mp.mpf) -> bool:
    """Within 1e-12 relative; a reference below float64's normal range (2.2e-308) within that
    bound absolutely: XLA on the CPU flushes subnormal results to 0."""
    return abs(value - ref) <= 1e-12 * ref or (ref < TINY64 and abs(value - ref) <= TINY64)


TINY64, TINY32 = float(np.finfo(np.float64).tiny), float(np.finfo(np.float32).tiny)


def _ulps32(got: float, ref: mp.mpf) -> float:
    """|got − ref| in float32 ulps of the rounded reference; 0 for a subnormal reference when
    |got − ref| is below the smallest normal float32 (XLA flushes subnormal results to 0)."""
    rounded = np.float32(float(ref))
    if abs(rounded) < TINY32 and abs(float(got) - float(ref)) <= TINY32:
        return 0.0
    return abs(float(got) - float(ref)) / float(np.spacing(np.abs(rounded)))


def _rows(regime: str, k: int, dtype: type, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if regime == "normal30":
        z = rng.normal(0, 30, (n, k))
    elif regime == "wide":
        z = rng.uniform(-700, 700, (n, k))
    elif regime == "dominant":  # one class ahead by Δ = 40 … 700: H down to about 1e-300
        z = rng.normal(0, 1, (n, k))
        z[:, 0] += np.geomspace(40, 700, n)
    else:
        raise ValueError(regime)
    if dtype == np.float32:
        z = np.clip(z, -80, 80)  # float32 regimes: logits ±80
    return z.astype(dtype)


CASES64 = [("normal30", 3), ("normal30", 10), ("normal30", 100), ("wide", 3), ("wide", 10), ("dominant", 3),
           ("dominant", 10)]


@pytest.mark.parametrize(("regime", "k"), CASES64)
def test_float64_values_against_mpmath(regime, k):
    z = _rows(regime, k, np.float64, 12, seed=k)
    refs = [_reference(row)[0] for row in z]
    for name, got in _values(k, z).items():
        assert got.dtype == np.float64
        for row, value, ref in zip(z, got, refs):
            assert value >= 0, (name, row)
            assert _close64(value, ref), (name, row, value, ref)


@pytest.mark.parametrize(("regime", "k"), [("normal30", 3), ("normal30", 10), ("normal30", 100), ("wide", 3),
                                           ("dominant", 3), ("dominant", 10)])
def test_float32_values_within_100_ulps(regime, k):
    z = _rows(regime, k, np.float32, 16, seed=10 + k)
    refs = [_reference(row)[0] for row in z]
    for name, got in _values(k, z).items():
        assert got.dtype == np.float32, name
        assert np.all(np.isfinite(got)) and np.all(got >= 0), name
        worst = max(_ulps32(v, ref) for v, ref in zip(got, refs))
        assert worst <= 100, (name, worst)


def _check_gradient(got: np.ndarray, ref: list[mp.mpf], dtype: type, where: str) -> None:
    ref = np.array([float(x) for x in ref])
    largest = np.max(np.abs(ref))
    eps_bound = 1e-12 if dtype == np.float64 else 2e-5
    assert np.all(np.abs(got - ref) <= eps_bound * largest), (where, got, ref)
    for g, r in zip(got, ref):
        if abs(r) < 1e-3 * largest:
            continue
        if dtype == np.float64:
            assert abs(g - r) <= 1e-12 * abs(r), (where, g, r)
        else:
            assert _ulps32(g, mp.mpf(r)) <= 100, (where, g, r)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("regime", "k"),
                         [("normal30", 3), ("normal30", 10), ("normal30", 100), ("dominant", 3)])
def test_gradients_against_mpmath(regime, k, dtype):
    z = _rows(regime, k, dtype, 6, seed=20 + k)
    refs = [_reference(row)[2] for row in z]
    for name, grads in _gradients(k, z).items():
        assert grads.dtype == dtype, name
        for row, got, ref in zip(z, grads, refs):
            _check_gradient(got, ref, dtype, f"{name} at {row}")


def test_hessians_by_double_backward_and_jax_hessian():
    d = _family(3)
    # one compiled Hessian for the four points (eagerly, every point re-traced and compiled ~26 XLA ops)
    hessian = jax.jit(jax.hessian(d.jax()))
    points = ([-1.0, 0.3, 2.0], [-12.0, 0.0, 3.0], [5.0, -40.0, 0.0], [0.0, 0.0, -3.0])
    for z in map(np.array, points):
        ref = _hessian_reference(z)
        t = torch.tensor(z, requires_grad=True)
        (g,) = torch.autograd.grad(d.torch()(t), t, create_graph=True)
        by_torch = np.stack([torch.autograd.grad(g[i], t, retain_graph=True)[0].numpy() for i in range(3)])
        by_jax = np.asarray(hessian(jnp.asarray(z)))
        for got in (by_torch, by_jax):
            np.testing.assert_allclose(got, ref, rtol=0, atol=1e-13 * np.max(np.abs(ref)))


# Regressions: the exact cases of issue 12.

def test_categorical10_logits_entropy_tiny_values_are_relatively_accurate():
    """k = 10 past the explicit size: the compiled derived form returned 1.1e-16 for 1.2e-22; float32
    NumPy raised "overflowed", torch float32 gave nan."""
    z = np.array([[0.0, -50, -55, -60, -61, -70, -80, -90, -100, -120],
                  [0, -3, -2, -50, -51, -60, 1, 2, 3, 55]])
    refs = [_reference(row)[0] for row in z]
    assert 1e-22 < refs[0] < 1e-19
    for name, got in _values(10, z).items():
        for value, ref in zip(got, refs):
            assert _close64(value, ref), (name, value, ref)
    rows = _rows("normal30", 10, np.float32, 200, seed=7)
    for name, got in _values(10, rows).items():
        assert np.all(np.isfinite(got)) and np.all(got >= 0), name


def test_categorical3_gradient_where_order_one_terms_cancel():
    """Autograd through the derived form: 6.7e3 float32 ulps at (−12, 0, 0), 1.4e-12 relative in
    float64; ∂H/∂z₂ = 0 for the true −4.2e-17 at (−40, 0, 0)."""
    for dtype in (np.float64, np.float32):
        z = np.array([[-12.0, 0, 0], [-40.0, 0, 0]], dtype=dtype)
        refs = [_reference(row)[2] for row in z]
        assert abs(float(refs[1][1]) + 4.2e-17) < 1e-18
        for name, grads in _gradients(3, z).items():
            for row, got, ref in zip(z, grads, refs):
                for g, r in zip(got, ref):  # every component, relatively
                    if dtype == np.float64:
                        assert abs(g - float(r)) <= 1e-12 * abs(float(r)), (name, row, g, r)
                    else:
                        assert _ulps32(g, r) <= 100, (name, row, g, r)


def test_underflowing_classes():
    """[0, 0, −710]: nan before (true log 2); a class whose probability underflows adds 0."""
    z = np.array([[0.0, 0.0, -710.0], [700.0, -700.0, 0.0], [0.0, -800.0, 5.0], [-700.0, 700.0, 700.0]])
    refs = [_reference(row)[0] for row in z]
    for name, got in _values(3, z).items():
        for value, ref in zip(got, refs):
            assert _close64(value, ref), (name, value, ref)


def test_recognized_from_family_data():
    assert all(softmax_entropy.applies(sg.Categorical(k, "logits")) for k in (2, 3, 10, 100))
    assert not softmax_entropy.applies(sg.Categorical(3, "probs"))
    assert not softmax_entropy.applies(sg.Bernoulli("logit"))  # a scalar chart: LogitEntropy serves it
    assert not softmax_entropy.applies(sg.Gaussian())


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_float32_entropy_and_gradient():
    d = _family(10)
    z = _rows("normal30", 10, np.float32, 64, seed=3)
    t = torch.from_numpy(z).cuda().requires_grad_(True)
    out = d.torch()(t)
    out.sum().backward()
    assert out.device.type == "cuda" and out.dtype == torch.float32
    for row, value, grad in zip(z, out.detach().cpu().numpy(), t.grad.cpu().numpy()):
        h, _, g = _reference(row)
        assert _ulps32(value, h) <= 100
        _check_gradient(grad, g, np.float32, f"cuda at {row}")


def test_subnormal_intermediates_are_not_flushed():
    """XLA flushes subnormals to zero: H = 1.73e-38 (float32) made of e^{sᵢ} ≈ 1e-40 times |sᵢ| ≈ 92
    came back 0 from JAX, and every gradient component of [0, 0, −710] (≈ 1e-306, from a subnormal
    p₃) was 0; rows with the largest non-top sᵢ below −C are evaluated scaled by e^{C}."""
    z32 = np.array([[-24.922558, 70.374245, -21.124187]], dtype=np.float32)
    ref = _reference(z32[0])[0]
    assert 1e-38 < ref < 2e-38
    for name, got in _values(3, z32).items():
        assert _ulps32(got[0], ref) <= 100, (name, got[0], ref)
    z64 = np.array([[0.0, 0.0, -710.0]])
    ref_grad = _reference(z64[0])[2]
    for name, grads in _gradients(3, z64).items():
        _check_gradient(grads[0], ref_grad, np.float64, name)


def test_invalid_logits_raise_or_give_nan():
    """The domain (finite logits) is checked before the kernel: eager calls raise naming z; a
    jitted JAX call and validate=False return nan for the bad row only."""
    from symgeom.errors import InvalidParameterError

    d = _family(3)
    z = np.array([[0.0, 1.0, 2.0], [0.0, np.inf, 1.0]])
    calls = (lambda: d.numpy()(z), lambda: d.torch()(torch.from_numpy(z)),
             lambda: d.torch()(torch.from_numpy(z).requires_grad_(True)), lambda: d.jax()(jnp.asarray(z)))
    for call in calls:
        with pytest.raises(InvalidParameterError, match="z"):
            call()
    for got in (d.numpy(validate=False)(z), np.asarray(jax.jit(d.jax())(jnp.asarray(z)))):
        assert np.isfinite(got[0]) and np.isnan(got[1])


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_torch_func_transforms_and_forward_mode_use_the_derived_rule():
    """torch.func.vmap(grad), forward-mode jvp and torch.func.hessian of the torch entropy give
    the derived gradient −p(s + T) and the mpmath Hessian."""
    from symgeom.backends import torch_softmax_entropy

    z = np.array([[-12.0, 0.0, 0.0], [-1.0, 0.3, 2.0]])
    refs = [np.array([float(x) for x in _reference(row)[2]]) for row in z]
    grads = torch.func.vmap(torch.func.grad(torch_softmax_entropy.entropy))(torch.from_numpy(z)).numpy()
    for got, ref in zip(grads, refs):
        np.testing.assert_allclose(got, ref, rtol=1e-12)
    tangent = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    _, jvp = torch.func.jvp(torch_softmax_entropy.entropy, (torch.from_numpy(z[1]),), (tangent,))
    assert float(jvp) == pytest.approx(float(refs[1] @ tangent.numpy()), rel=1e-12)
    hessian = torch.func.hessian(torch_softmax_entropy.entropy)(torch.from_numpy(z[1])).numpy()
    ref_h = _hessian_reference(z[1])
    np.testing.assert_allclose(hessian, ref_h, rtol=0, atol=1e-13 * np.max(np.abs(ref_h)))
