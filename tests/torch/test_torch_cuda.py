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
