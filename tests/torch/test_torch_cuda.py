"""On a CUDA device: the device and dtype are kept, values and gradients equal the CPU ones."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("array_api_compat")

import symgeom as sg  # noqa: E402
import symgeom.torch as st  # noqa: E402

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_kl_on_cuda_matches_cpu(dtype):
    kl = sg.kl(sg.Categorical(3, "logits")).torch()
    z1 = torch.randn(1000, 3, dtype=dtype)
    z2 = z1 + 1e-3 * torch.randn(1000, 3, dtype=dtype)
    cpu = kl(z1, z2)
    z1c, z2c = z1.cuda().requires_grad_(True), z2.cuda()
    gpu = kl(z1c, z2c)
    assert gpu.device.type == "cuda" and gpu.dtype == dtype
    # Different exp/log implementations on the two devices: a few ulps of each term.
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=64 * torch.finfo(dtype).eps, atol=0)
    gpu.sum().backward()
    assert torch.all(torch.isfinite(z1c.grad))


def test_network_fvp_on_cuda():
    module = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    module = module.double().cuda()
    policy = st.FlatPolicy(module)
    w = policy.vector()
    states = torch.randn(32, 4, dtype=torch.float64, device="cuda")
    v = torch.randn_like(w)
    a = st.fisher_vector_product(policy, st.CategoricalLogits(3), w, states)(v)
    b = st.double_backward_fvp(policy, st.CategoricalLogits(3), w, states)(v)
    assert a.device.type == "cuda"
    assert float((a - b).abs().max()) <= 1e-6 * float(b.abs().max())


# --- the compiled route (symgeom.backends.torch_compile): Triton kernels on CUDA ------------------
def _near_logits(rows, k, seed=0):
    gen = torch.Generator().manual_seed(seed)
    z1 = torch.randn(rows, k, generator=gen)
    z2 = z1.clone()
    z2[:, 0] += 1e-6 * torch.clamp(z2[:, 0].abs(), min=1)
    return z1, z2


@pytest.mark.parametrize("k", [5, 32_000, 128_000])
def test_categorical_head_float32_bar_on_cuda(k):
    """Issue 13's bar on the device: float32 logits KL near p = q within 1e-6 of the float64
    NumPy kernel, never negative; Triton compiled it (no eager fallback)."""
    from symgeom.backends import torch_compile
    from symgeom.backends.ops import torch_ops
    from symgeom.numeric import categorical_logits

    z1, z2 = _near_logits(16 if k > 1000 else 256, k)
    ref = categorical_logits(z1.double().numpy(), z2.double().numpy())
    out = st.CategoricalLogits(k).kl(torch_ops(), (z1.cuda(),), (z2.cuda(),))
    assert out.device.type == "cuda" and out.dtype == torch.float32
    values = out.cpu().double().numpy()
    assert (values >= 0).all()
    assert float((abs(values - ref) / ref).max()) <= 1e-6
    assert torch_compile.failures() == {}


def test_categorical_head_gradients_on_cuda_match_cpu():
    """float64 forward and backward on CUDA (compiled) equal the CPU route (NumPy forward, derived
    backward) to rounding; double backward works."""
    from symgeom.backends import torch_compile
    from symgeom.backends.ops import torch_ops

    head = st.CategoricalLogits(300)
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(64, 300, dtype=torch.float64, generator=gen)
    b = a + 0.2 * torch.randn(64, 300, dtype=torch.float64, generator=gen)
    results = []
    for device in ("cpu", "cuda"):
        x, y = a.to(device).requires_grad_(), b.to(device).requires_grad_()
        out = head.kl(torch_ops(), (x,), (y,))
        gx, gy = torch.autograd.grad(out.sum(), (x, y), create_graph=True)
        # a tangent off the null direction 1 (Σᵢ ∂²KL/∂z₁ᵢ∂z₂ = 0: shift invariance)
        v = torch.linspace(-1, 1, 300, dtype=torch.float64, device=device) ** 3
        (hv,) = torch.autograd.grad((gx * v).sum(), y)
        results.append([t.detach().cpu() for t in (out, gx, gy, hv)])
    for cpu, gpu in zip(*results, strict=True):
        torch.testing.assert_close(gpu, cpu, rtol=1e-12, atol=1e-12 * float(cpu.abs().max()))
    assert torch_compile.failures() == {}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_printed_kl_on_cuda_compiled_values_gradients_validation(dtype):
    """The printed Gaussian KL on CUDA (one compiled function): values, gradients and a double
    backward equal the CPU ones; an invalid σ raises naming the argument."""
    from symgeom.backends import torch_compile
    from symgeom.errors import InvalidParameterError

    gen = torch.Generator().manual_seed(2)
    n = 10_000
    args = [torch.randn(n, dtype=dtype, generator=gen), 0.5 + torch.rand(n, dtype=dtype, generator=gen),
            torch.randn(n, dtype=dtype, generator=gen), 0.5 + torch.rand(n, dtype=dtype, generator=gen)]
    kl = sg.kl(sg.Gaussian()).torch()
    results = []
    for device in ("cpu", "cuda"):
        tracked = [a.to(device).requires_grad_() for a in args]
        out = kl(*tracked)
        grads = torch.autograd.grad(out.sum(), tracked, create_graph=True)
        (hess,) = torch.autograd.grad(grads[0].sum(), tracked[3])
        results.append([t.detach().cpu() for t in (out, *grads, hess)])
        assert out.device.type == device and out.dtype == dtype
    tol = 64 * torch.finfo(dtype).eps  # different exp/log implementations: a few ulps per term
    for cpu, gpu in zip(*results, strict=True):
        torch.testing.assert_close(gpu, cpu, rtol=tol, atol=tol * float(cpu.abs().max()))
    bad = [a.cuda() for a in args]
    bad[3][17] = -1.0
    with pytest.raises(InvalidParameterError, match="sigma_2"):
        kl(*bad)
    assert torch_compile.failures() == {}


def test_compile_switch_off_gives_the_same_values(monkeypatch):
    gen = torch.Generator().manual_seed(3)
    args = [x.cuda() for x in (torch.randn(1000, generator=gen), 1 + torch.rand(1000, generator=gen),
                               torch.randn(1000, generator=gen), 1 + torch.rand(1000, generator=gen))]
    kl = sg.kl(sg.Gaussian()).torch()
    compiled = kl(*args)
    monkeypatch.setenv("SYMGEOM_TORCH_COMPILE", "0")
    eager = kl(*args)
    torch.testing.assert_close(compiled, eager, rtol=64 * torch.finfo(torch.float32).eps, atol=0)
