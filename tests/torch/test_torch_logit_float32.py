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
    expectation explicit (negative binomial) is refused with the reason, not printed."""
    derivation = sg.entropy(family)
    if derivation.result.has(sp.Sum):
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


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.label)
def test_float32_kl_within_100_ulps_on_cuda(family):
    """The same bar on a CUDA device (the compiled route; Categorical logits take the fused rows
    of symgeom.backends.torch_softmax_kl, whose far rows are lse(z₂) − lse(z₁) − E_p[z₂ − z₁])."""
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
