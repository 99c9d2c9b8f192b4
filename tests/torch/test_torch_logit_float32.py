"""float32 KL (with and without autograd) and Fisher of the logit charts through torch, at logits
up to ±80: the bars of tests/numeric/test_numeric_logit_float32.py.  Before the dominant class's
log-probability was taken as −log1p of the others (backends.softmax_kl.log_softmax), Categorical(3)
far pairs with a class at logit 80 were 1 900 ulps off; before Bernoulli log-ratios were exact
differences (backends.forms.exact_log_ratios), near pairs at logit 1.5 were 2 000 ulps off;
before the printed Fisher entries were written in softmax probabilities (backends.sigmoid.
softmax_form), the Categorical(3)-logits Fisher e^{z₁}(e^{z₂} + 1)/(e^{z₁} + e^{z₂} + 1)² squared
e^{80} (inf in float32) and came out 0 for 8e-35 at z = (1.5, 80, 0)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

torch = pytest.importorskip("torch")
pytest.importorskip("array_api_compat")

sys.path.insert(0, str(Path(__file__).parents[1] / "backends"))
from logit_float32_cases import bad_entries, entropy_cases, families, kl_cases, pairs, point_cases  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.backends.waiting_entropy import waiting_entropy  # noqa: E402
from symgeom.errors import UnknownQuantityError  # noqa: E402

FAMILIES = families()


@pytest.mark.parametrize("grad", [False, True], ids=["values", "autograd"])
@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.label)
def test_float32_kl_within_100_ulps(family, grad):
    one, two, ref = kl_cases(family)
    inputs = [torch.tensor(a, requires_grad=grad) for a in one + two]
    value = sg.kl(family).torch()(*inputs)
    assert value.dtype == torch.float32
    got = value.detach().numpy()
    bad = bad_entries(got, ref, nonnegative=True)
    cases = pairs(family)
    assert not bad.any(), [(cases[i], got[i], ref[i]) for i in np.flatnonzero(bad)][:5]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.label)
def test_float32_fisher_within_100_ulps(family):
    arrays, ref = point_cases(family, "fisher")
    got = sg.fisher(family).torch()(*[torch.from_numpy(a) for a in arrays])
    assert got.dtype == torch.float32
    assert not bad_entries(got.numpy(), ref, nonnegative=False).any()


@pytest.mark.parametrize("grad", [False, True], ids=["values", "autograd"])
@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.label)
def test_float32_entropy_within_100_ulps(family, grad):
    """Entropy at logits ±80: float32 out, within 100 ulps, positive; an entropy that keeps an
    expectation explicit without a backend form is refused with the reason (the negative binomial
    has one: symgeom.backends.waiting_entropy), not printed."""
    derivation = sg.entropy(family)
    if derivation.result.has(sp.Sum) and waiting_entropy(family) is None:
        with pytest.raises(UnknownQuantityError, match="explicit"):
            derivation.torch()
        return
    arrays, ref = entropy_cases(family)
    inputs = [torch.tensor(a, requires_grad=grad) for a in arrays]
    value = derivation.torch()(*inputs)
    assert value.dtype == torch.float32
    got = value.detach().numpy()
    bad = bad_entries(got, ref, nonnegative=True)
    assert not bad.any(), (arrays, got[bad], ref[bad])
    if grad:
        value.sum().backward()
        assert all(bool(torch.isfinite(x.grad).all()) for x in inputs)


PINNED = [f for f in FAMILIES if [a.form for a in f.chart.array_arguments] == ["pinned"]]


def _softmax_kl_gradients(z1: np.ndarray, z2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """∂KL/∂z₁ = p ⊙ (log p − log q − KL) and ∂KL/∂z₂ = q − p at 50 digits (mpmath)."""
    import mpmath as mp

    with mp.workdps(50):
        one, two = [], []
        for a, b in zip(z1.tolist(), z2.tolist(), strict=True):
            a, b = [mp.mpf(x) for x in a], [mp.mpf(x) for x in b]
            la, lb = (mp.log(mp.fsum(mp.exp(x) for x in row)) for row in (a, b))
            p, q = [mp.exp(x - la) for x in a], [mp.exp(x - lb) for x in b]
            y = [(x - la) - (w - lb) for x, w in zip(a, b, strict=True)]
            kl = mp.fsum(pi * yi for pi, yi in zip(p, y, strict=True))
            one.append([float(pi * (yi - kl)) for pi, yi in zip(p, y, strict=True)])
            two.append([float(qi - pi) for pi, qi in zip(p, q, strict=True)])
    return np.array(one), np.array(two)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("family", PINNED, ids=lambda f: f.label)
def test_kl_of_the_cuda_fused_rows_and_its_gradients(family, dtype, monkeypatch):
    """The fused rows CUDA tensors take (symgeom.backends.torch_softmax_kl), evaluated eagerly on
    the CPU: values within 100 float32 ulps (float64: 1e-12 relative), gradients within 1e-5
    (float64: 1e-11) of each row's largest component, against 50-digit references.
    Defects this caught, seen on an H100 and not by the CPU route: far rows (max|d′| > 60) took
    lse(z₂) − lse(z₁) − E_p[d], subtracting terms of size 68 to leave a KL of 5e-4 (0.7 % off at
    z₁ = (−1.5, 12, 0), z₂ = (1.5, 80, 0); 24 % at (80, −12, 0) ‖ (12, −80, 0)); ∂KL/∂z₂ was
    p·expm1(−y) = 0·∞ = inf where p underflows; the dominant class's ∂KL/∂z₁ = p(y − KL) was 0
    for the true 3.8e-33 at (1.5, 80, 0) ‖ (0, 40, 0)."""
    from symgeom.backends import torch_softmax_kl

    monkeypatch.setenv("SYMGEOM_TORCH_COMPILE", "0")
    one, two, ref = kl_cases(family)
    z1, z2 = (torch.tensor(a[0], dtype=dtype, requires_grad=True) for a in (one, two))
    value = torch_softmax_kl.kl(z1, z2)
    assert value.dtype == dtype
    got = value.detach().numpy()
    cases = pairs(family)
    if dtype == torch.float32:
        bad = bad_entries(got, ref, nonnegative=True)
    else:
        bad = ~(np.abs(got - ref) <= 1e-12 * np.abs(ref)) | (got < 0)
    assert not bad.any(), [(cases[i], got[i], ref[i]) for i in np.flatnonzero(bad)][:5]
    grads = torch.autograd.grad(value.sum(), (z1, z2))
    tolerance = 1e-5 if dtype == torch.float32 else 1e-11
    for got_grad, ref_grad in zip(grads, _softmax_kl_gradients(one[0], two[0]), strict=True):
        scale = np.abs(ref_grad).max(axis=-1, keepdims=True)
        bad = ~(np.abs(got_grad.numpy() - ref_grad) <= tolerance * scale).all(axis=-1)
        assert not bad.any(), [(cases[i], got_grad[i], ref_grad[i]) for i in np.flatnonzero(bad)][:3]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.label)
def test_float32_kl_within_100_ulps_on_cuda(family):
    """The same bar on a CUDA device (the compiled route; Categorical logits take the fused rows
    of symgeom.backends.torch_softmax_kl, whose far rows are Σ p·(ℓ(z₁) − ℓ(z₂)))."""
    one, two, ref = kl_cases(family)
    value = sg.kl(family).torch()(*[torch.tensor(a, device="cuda") for a in one + two])
    assert value.dtype == torch.float32 and value.device.type == "cuda"
    got = value.cpu().numpy()
    bad = bad_entries(got, ref, nonnegative=True)
    cases = pairs(family)
    assert not bad.any(), [(cases[i], got[i], ref[i]) for i in np.flatnonzero(bad)][:5]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.label)
def test_float32_entropy_within_100_ulps_on_cuda(family):
    """The entropy bar on a CUDA device (the per-outcome sum of symgeom.backends.finite_forms for
    Bernoulli and Categorical logits; the negative binomial's explicit sum is refused)."""
    derivation = sg.entropy(family)
    if derivation.result.has(sp.Sum):
        pytest.skip("explicit expectation: refused by torch (see the CPU test)")
    arrays, ref = entropy_cases(family)
    value = derivation.torch()(*[torch.tensor(a, device="cuda") for a in arrays])
    assert value.dtype == torch.float32 and value.device.type == "cuda"
    got = value.cpu().numpy()
    bad = bad_entries(got, ref, nonnegative=True)
    assert not bad.any(), (arrays, got[bad], ref[bad])


def test_log_softmax_keeps_the_device_of_its_input():
    """backends.softmax_kl.log_softmax (the Categorical head's eager route) once built its class
    index with ``arange`` on the host: on CUDA tensors it raised "Expected all tensors to be on the
    same device" (seen on an H100).  A meta tensor shows the same mistake without a GPU; the values
    with tied maxima are checked against torch.log_softmax."""
    from array_api_compat import torch as xp

    from symgeom.backends.softmax_kl import log_softmax

    assert log_softmax(xp, torch.zeros(2, 3, device="meta")).device.type == "meta"
    z = torch.tensor([[0.0, 0.0, -3.0], [2.0, 2.0, 2.0], [-1.0, 5.0, 5.0]], dtype=torch.float64)
    torch.testing.assert_close(log_softmax(xp, z), torch.log_softmax(z, dim=-1), rtol=1e-15, atol=0)
