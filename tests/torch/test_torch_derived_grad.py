"""The derived-gradient backward of eager CPU torch (symgeom.backends.derived_grad).

Reference: the gradient of the recomputed value through the torch primitives (the route taken
with ``create_graph=True``), itself checked against 50-digit mpmath in test_torch_derivations.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

sys.path.insert(0, str(Path(__file__).parents[1] / "backends"))
from backend_cases import STABLE, grouped, near  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.backends import derived_grad  # noqa: E402
from symgeom.backends.compile import BackendFunction, plan  # noqa: E402


def _gradient(family):
    d = sg.kl(family)
    p = plan(d)
    if p.stable_form is None:
        return None
    return derived_grad.gradient_for(p.family, p.points, p.stable_form, tuple(d.arguments))


WITH_GRADIENT = [f for f in STABLE if _gradient(f) is not None]


def test_the_gaussian_charts_and_bernoulli_probabilities_have_a_derived_gradient():
    labels = {f.label for f in WITH_GRADIENT}
    for name in ("gaussian[mean_std]", "gaussian[natural]", "gaussian[mean_logstd]", "bernoulli[prob]"):
        assert name in labels
    # a log-sum-exp form gets none: its derivative would overflow where softmax does not
    assert _gradient(sg.Bernoulli("logit")) is None


def _batch(family, shape_1, shape_2, dtype):
    """Grouped arrays of 8 pairs δ = 1e-2 apart (tiled), θ₁ batched as shape_1 and θ₂ as shape_2."""
    pairs = [near(family, 1e-2, seed=seed) for seed in range(8)]
    out = []
    for side, shape in ((0, shape_1), (1, shape_2)):
        groups = zip(*[grouped(family, pair[side]) for pair in pairs], strict=True)
        for values in groups:
            stacked = np.stack(values)
            tiled = np.resize(stacked, (int(np.prod(shape)), *stacked.shape[1:]))
            array = tiled.reshape(shape + stacked.shape[1:])
            out.append(torch.tensor(array, dtype=dtype, requires_grad=True))
    return out


LARGE = (derived_grad.BLOCK + 37,)  # more than one block, the last one partial


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize(("shape_1", "shape_2"), [((3, 1), (4,)), (LARGE, LARGE)])
@pytest.mark.parametrize("family", WITH_GRADIENT, ids=[f.label for f in WITH_GRADIENT])
def test_derived_backward_equals_the_recomputed_gradient(family, shape_1, shape_2, dtype, monkeypatch):
    tensors = _batch(family, shape_1, shape_2, dtype)
    f = sg.kl(family).torch()
    value = f(*tensors)
    # a non-uniform upstream gradient, so the chain with it is checked entry by entry
    weights = torch.linspace(0.5, 2.0, value.numel(), dtype=dtype).reshape(value.shape)
    reference = torch.autograd.grad(f(*tensors), tensors, weights, create_graph=True)

    def no_recompute(*args, **kwargs):
        raise AssertionError("the backward recomputed the value instead of the derived gradient")

    monkeypatch.setattr(BackendFunction, "_primitives", no_recompute)
    ours = torch.autograd.grad(value, tensors, weights)
    # Same partials in the same precision, evaluated in another order: a few ulps, times the
    # cancellation of Δμ = η₁/η₂ − η₁′/η₂′ in natural coordinates (≈ 1/δ = 100 at δ = 1e-2).
    eps = torch.finfo(dtype).eps
    tol = 16 * eps * (100 if family.param == "natural" else 1)
    for g, r in zip(ours, reference, strict=True):
        assert g.dtype == dtype and g.shape == r.shape
        scale = float(r.detach().abs().max())
        np.testing.assert_allclose(g.numpy(), r.detach().numpy(), rtol=tol, atol=tol * scale)


def test_double_backward_keeps_the_recomputation():
    f = sg.kl(sg.Gaussian()).torch()
    x = [torch.tensor([0.3, 1.0], dtype=torch.float64, requires_grad=True) for _ in range(2)]
    y = [torch.tensor([0.3 + 1e-7, 2.0], dtype=torch.float64, requires_grad=True) for _ in range(2)]
    assert torch.autograd.gradcheck(f, (x[0], x[1], y[0], y[1]))
    assert torch.autograd.gradgradcheck(f, (x[0], x[1], y[0], y[1]))
