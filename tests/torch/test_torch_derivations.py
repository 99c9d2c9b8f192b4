"""Derivation.torch(): values equal the NumPy kernels, dtype/broadcasting kept, gradients exact.

References: the NumPy functions of ``d.numpy()`` (an independent implementation) for values, and
50-digit evaluation of the symbolic derivative of the derived (textbook) KL for gradients.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("array_api_compat")

sys.path.insert(0, str(Path(__file__).parents[1] / "backends"))
from backend_cases import (  # noqa: E402
    CATALOG,
    IDS,
    STABLE,
    STABLE_IDS,
    free_gradient,
    grouped,
    mp_kl_gradient,
    near,
    point,
)

import symgeom as sg  # noqa: E402
from symgeom.errors import SymgeomError  # noqa: E402

QUANTITIES = {"kl": sg.kl, "fisher": sg.fisher, "entropy": sg.entropy}


def _args(family, quantity, delta=1e-2):
    t1, t2 = near(family, delta)
    return (*grouped(family, t1), *grouped(family, t2)) if quantity == "kl" else grouped(family, t1)


@pytest.mark.parametrize("quantity", list(QUANTITIES))
@pytest.mark.parametrize("family", CATALOG, ids=IDS)
def test_values_equal_numpy(family, quantity):
    d = QUANTITIES[quantity](family)
    args = _args(family, quantity)
    ours = d.torch()(*[torch.as_tensor(a) for a in args])
    ref = d.numpy()(*args)
    assert ours.dtype == torch.float64 and tuple(ours.shape) == np.shape(ref)
    # Both sides evaluate the same closed form in float64: a few ulps, times the condition of
    # the textbook full-covariance form (the only one printed without a stable rewrite).
    tol = 1e-11 if family in STABLE else 1e-9
    np.testing.assert_allclose(ours.numpy(), ref, rtol=tol, atol=0)


@pytest.mark.parametrize("family", CATALOG, ids=IDS)
def test_broadcasting_and_float32(family):
    d = sg.kl(family)
    a, b = (grouped(family, t) for t in near(family, 1e-2))
    # θ₁ batched (3, 1), θ₂ batched (4,): the result has batch shape (3, 4).
    core = [np.ndim(x) for x in a]
    left = [torch.as_tensor(np.broadcast_to(x, (3, 1, *np.shape(x))).copy()) for x in a]
    right = [torch.as_tensor(np.broadcast_to(x, (4, *np.shape(x))).copy()) for x in b]
    out = d.torch()(*left, *right)
    assert tuple(out.shape) == (3, 4), core
    rounded = [np.asarray(x, dtype=np.float32) for x in (*a, *b)]
    single = d.torch()(*[torch.as_tensor(x) for x in rounded])
    assert single.dtype == torch.float32
    ref = d.numpy()(*[x.astype(np.float64) for x in rounded])
    # float32 evaluation of the same (rounded) inputs: a few tens of float32 ulps (6e-8 each);
    # natural coordinates form Δμ from two rounded ratios, ≈ ε/δ = 6e-6 at δ = 1e-2.
    # The full-covariance form is textbook (tr − d − log det): absolute error ≈ 64 ulps of O(1).
    tol = 2e-5 if family.param == "natural" else 2e-6
    if family not in STABLE:
        tol = 64 * 6e-8 / ref
    np.testing.assert_allclose(float(single), ref, rtol=tol)


def test_bfloat16_logits_are_computed_in_float32():
    d = sg.kl(sg.Categorical(3, "logits"))
    z1 = torch.tensor([[0.5, -1.0, 2.0]] * 2, dtype=torch.bfloat16)
    z2 = torch.tensor([[0.5, -1.0, 2.0], [0.25, -1.0, 2.0]], dtype=torch.bfloat16)
    out = d.torch()(z1, z2)
    assert out.dtype == torch.bfloat16
    ref = d.numpy()(z1.double().numpy(), z2.double().numpy())
    assert float(out[0]) == 0.0
    # Only the final rounding to bfloat16 (8 significant bits) separates it from the reference.
    assert abs(float(out[1]) - ref[1]) <= 2**-8 * ref[1]


@pytest.mark.parametrize("family", STABLE, ids=STABLE_IDS)
def test_gradients_near_equal_match_mpmath(family):
    t1, t2 = near(family, 1e-6)
    g1, g2 = grouped(family, t1), grouped(family, t2)
    tensors = [torch.tensor(a, requires_grad=True) for a in (*g1, *g2)]
    kl = sg.kl(family).torch()(*tensors)
    grads = [g.numpy() for g in torch.autograd.grad(kl, tensors)]
    n = len(g1)
    ours = np.concatenate([free_gradient(family, grads[:n]), free_gradient(family, grads[n:])])
    ref = mp_kl_gradient(family, t1, t2)
    # 1e-10 relative to the gradient's size (issue bar); Gaussian natural coordinates form
    # Δμ = η₁/η₂ − η₁′/η₂′ from rounded ratios (≈ ε/δ = 1e-10 relative at δ = 1e-6).
    assert np.max(np.abs(ours - ref)) <= 1e-10 * np.max(np.abs(ref))


@pytest.mark.parametrize("family", CATALOG, ids=IDS)
def test_no_nan_gradient_at_equal_points(family):
    g = grouped(family, point(family))
    tensors = [torch.tensor(a, requires_grad=True) for a in (*g, *g)]
    kl = sg.kl(family).torch()(*tensors)
    grads = torch.autograd.grad(kl, tensors)
    assert float(kl.detach()) == pytest.approx(0.0, abs=1e-15)
    for grad in grads:
        assert torch.all(torch.isfinite(grad))
        assert float(grad.abs().max()) <= 1e-14


@pytest.mark.parametrize("family", STABLE, ids=STABLE_IDS)
def test_double_backward_hessian_at_equal_points_is_fisher(family):
    """∇²_θ₂ KL(θ₁‖θ₂) at θ₂ = θ₁ is F(θ₁): second derivatives through the derived partials."""
    from symgeom.numeric.inputs import unpack

    g = grouped(family, point(family))
    fixed = [torch.tensor(a) for a in g]
    free = torch.tensor(np.array([float(x) for x in unpack(family, g)]), requires_grad=True)

    def kl_of(free_coordinates):
        return sg.kl(family).torch()(*fixed, *_regroup(family, free_coordinates, fixed))

    hessian = torch.autograd.functional.hessian(kl_of, free, create_graph=False)
    fisher = sg.fisher(family).torch()(*fixed)
    np.testing.assert_allclose(hessian.numpy(), fisher.numpy(), rtol=1e-10, atol=1e-12)


def _regroup(family, free, like):
    """Free chart coordinates back into grouped tensors (inverse of numeric.inputs.unpack)."""
    from symgeom.numeric.inputs import inputs

    spec = inputs(family)
    if len(spec) == 1 and spec[0].kind == "vector":
        last = 1 - free.sum() if spec[0].check == "simplex" else torch.zeros((), dtype=free.dtype)
        return [torch.cat([free, last.reshape(1)])]
    if len(spec) == 2 and spec[0].kind == "vector":
        d = like[0].shape[-1]
        return [free[:d], free[d:]]
    return list(free)


def test_gradcheck_and_gradgradcheck():
    f = sg.kl(sg.Gaussian("mean_logstd")).torch()
    x = [torch.tensor([0.3, 1.0], dtype=torch.float64, requires_grad=True) for _ in range(2)]
    y = [torch.tensor([0.3 + 1e-7, 2.0], dtype=torch.float64, requires_grad=True) for _ in range(2)]
    assert torch.autograd.gradcheck(f, (x[0], x[1], y[0], y[1]))
    assert torch.autograd.gradgradcheck(f, (x[0], x[1], y[0], y[1]))


def test_invalid_input_raises_naming_the_argument():
    f = sg.kl(sg.Gaussian()).torch()
    one = torch.tensor([1.0, 1.0], dtype=torch.float64)
    with pytest.raises(SymgeomError, match="sigma_2"):
        f(one, one, one, torch.tensor([1.0, -1.0], dtype=torch.float64))
    with pytest.raises(SymgeomError, match="p_1"):
        sg.kl(sg.Categorical(3)).torch()(torch.tensor([0.5, 0.6, 0.1]), torch.tensor([0.2, 0.3, 0.5]))
    loose = sg.kl(sg.Gaussian()).torch(validate=False)(one, one, one, torch.tensor([1.0, -1.0]))
    assert loose.shape == (2,)


@pytest.mark.slow
def test_torch_compile():
    """torch.compile traces the printed form and the autograd.Functions (≈ 90 s on 2 cores)."""
    f = sg.kl(sg.Gaussian("mean_std")).torch(validate=False)
    x = [torch.rand(16, dtype=torch.float64) + 0.5 for _ in range(4)]
    compiled = torch.compile(f)
    np.testing.assert_allclose(compiled(*x).numpy(), f(*x).numpy(), rtol=1e-15)
