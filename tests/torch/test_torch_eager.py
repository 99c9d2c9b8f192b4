"""The eager-torch kl_div and log(a/b) (index / where / all-near paths) against the NumPy kernels."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from symgeom.backends import eager_torch, primitives  # noqa: E402
from symgeom.numeric.kernels import kl_div as numpy_kl_div  # noqa: E402

EPS = 2.2e-16


def _pairs(near_fraction: float, n: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n pairs (a, b), a share near_fraction with |s| < 0.05, plus zeros and extreme ratios."""
    rng = np.random.default_rng(seed)
    b = rng.uniform(0.1, 3.0, n)
    near = rng.random(n) < near_fraction
    a = np.where(near, b * (1 + rng.uniform(-0.05, 0.05, n)), b * rng.uniform(0.05, 20.0, n))
    if 0 < near_fraction < 1:
        a[:3], b[:3] = [0.0, 1e-300, 1e300], [0.5, 0.5, 1e-10]
    return a, b


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.5, 1.0])
def test_eager_kl_div_matches_generic_form(fraction):
    """Against the generic where-form (the torch.compile / torch.func path), ≤ 25 ε relative.

Both take the same branch at every entry; the series truncates below 1e-19 and the direct form
cancels at most 20×.  The generic form, not the NumPy kernel, is the reference because the kernel
forms a/b, which overflows at the (1e300, 1e-10) pair."""
    a, b = _pairs(fraction)
    ta, tb = torch.as_tensor(a), torch.as_tensor(b)
    d = ta - tb
    out = eager_torch.kl_div(ta, tb, d, eager_torch.log_ratio(ta, tb, d)).numpy()
    xp = __import__("array_api_compat").array_namespace(a)
    with np.errstate(all="ignore"):  # the generic form evaluates both branches everywhere
        ref = primitives.kl_div_value(xp, a, b, a - b, primitives.log_ratio(xp, a, b, a - b))
    np.testing.assert_allclose(out, ref, rtol=25 * EPS, atol=0)
    assert np.all(out >= 0)


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.5, 1.0])
def test_eager_log_ratio_matches_generic(fraction):
    """Same value as the generic where-form (log1p(d/b) near 1, log a − log b else) within 4 ε."""
    a, b = _pairs(fraction, seed=1)
    ta, tb = torch.as_tensor(a), torch.as_tensor(b)
    out = eager_torch.log_ratio(ta, tb, ta - tb).numpy()
    xp = __import__("array_api_compat").array_namespace(a)
    with np.errstate(all="ignore"):
        ref = primitives.log_ratio(xp, a, b, a - b)
    finite = np.isfinite(ref)
    np.testing.assert_array_equal(out[~finite], ref[~finite])
    np.testing.assert_allclose(out[finite], ref[finite], rtol=4 * EPS, atol=0)


def test_eager_float32_uses_float32_series():
    a, b = _pairs(0.5, seed=2)
    ta, tb = torch.as_tensor(a, dtype=torch.float32), torch.as_tensor(b, dtype=torch.float32)
    d = ta - tb
    out = eager_torch.kl_div(ta, tb, d, eager_torch.log_ratio(ta, tb, d))
    assert out.dtype == torch.float32
    ref = numpy_kl_div(ta.numpy(), tb.numpy())
    np.testing.assert_allclose(out.numpy(), ref, rtol=25 * 1.2e-7, atol=0)


def test_torch_func_transforms_take_the_generic_form_and_agree():
    """vmap and torch.func.grad (generic where-form) agree with eager calls (eager form).

Inputs that require grad get the NumPy kernel's value and the torch primitives' derivatives
(symgeom.backends.fast_grad); the two stable forms agree within their error bounds: the NumPy
kernel's kl_div(1, w) and the printed form each err by a few ε times the KL's condition number."""
    import symgeom as sg

    f = sg.kl(sg.Gaussian()).torch(validate=False)
    gen = torch.Generator().manual_seed(3)
    x = [torch.rand(64, dtype=torch.float64, generator=gen) + 0.5 for _ in range(4)]
    x[2] = x[0] + 1e-7 * x[2]  # some pairs near p = q, some far
    x[3][:32] = x[1][:32] * (1 + 1e-7)
    tracked = [t.clone().requires_grad_() for t in x]
    value = f(*tracked)
    np.testing.assert_array_equal(value.detach().numpy(), sg.kl(sg.Gaussian()).numpy()(*x))
    # each form's error is a few ε times the KL's condition number, the size of the cancelling
    # terms over the value: ½(|w − 1| + |log w| + y²)/KL with w = σ₁²/σ₂², y = (μ₁ − μ₂)/σ₂
    # (≈ 21 at some far pairs here, where the NumPy kernel is 33 ε off a 40-digit reference)
    m1, s1, m2, s2 = (t.numpy() for t in x)
    w, y = (s1 / s2) ** 2, (m1 - m2) / s2
    kl = value.detach().numpy()
    condition = 0.5 * (np.abs(w - 1) + np.abs(np.log(w)) + y**2) / kl
    gap = np.abs(torch.func.vmap(f)(*x).numpy() - kl)
    assert (gap <= 4 * EPS * np.maximum(condition, 10) * kl).all(), (gap / kl, condition)
    grad = torch.func.grad(lambda s: f(x[0], s, x[2], x[3]).sum())(x[1])
    s = x[1].clone().requires_grad_()
    (eager,) = torch.autograd.grad(f(x[0], s, x[2], x[3]).sum(), s)
    np.testing.assert_allclose(grad.numpy(), eager.numpy(), rtol=8 * EPS, atol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_no_grad_cpu_calls_run_the_numpy_kernel(dtype):
    """Without autograd a CPU call is the NumPy kernel on the same memory: equal bit for bit, dtype
kept (the logits head: the fused row form of symgeom.backends.softmax_kl); with a tensor that
requires grad the value is the same and it is differentiable."""
    import symgeom as sg
    from symgeom.backends.heads import CategoricalLogits
    from symgeom.backends.ops import torch_ops
    from symgeom.backends.softmax_kl import numpy_kl

    d = sg.kl(sg.Gaussian())
    gen = torch.Generator().manual_seed(4)
    x = [(torch.rand(300, dtype=torch.float64, generator=gen) + 0.5).to(dtype) for _ in range(4)]
    out = d.torch()(*x)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.numpy(), d.numpy()(*[t.numpy() for t in x]))
    tracked = d.torch()(x[0].clone().requires_grad_(), *x[1:])
    assert tracked.requires_grad
    z = [torch.randn(5, 7, dtype=dtype, generator=gen) for _ in range(2)]
    head = CategoricalLogits(7).kl(torch_ops(), (z[0],), (z[1],))
    assert head.dtype == dtype
    np.testing.assert_array_equal(head.numpy(), numpy_kl(z[0].numpy(), z[1].numpy()))
