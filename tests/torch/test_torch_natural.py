"""symgeom.torch: the jvp/vjp Fisher product equals the double-backward Hessian of the mean KL,
CG solves with it, a TRPO step respects its KL bound, PPO losses are differentiable tensors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("array_api_compat")

import symgeom.torch as st  # noqa: E402
from symgeom.errors import SymgeomError  # noqa: E402
from symgeom.natural.ppo import ppo_clip_objective  # noqa: E402


class Policy(torch.nn.Module):
    """A small tanh MLP; for the Gaussian head a state-independent log σ parameter."""

    def __init__(self, inputs: int, outputs: int, gaussian: bool) -> None:
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Linear(inputs, 16), torch.nn.Tanh(), torch.nn.Linear(16, outputs)
        )
        self.gaussian = gaussian
        self.log_std = torch.nn.Parameter(0.1 * torch.randn(outputs))

    def forward(self, x):
        out = self.body(x)
        return (out, self.log_std.expand_as(out)) if self.gaussian else out


HEADS = [(st.CategoricalLogits(4), False), (st.DiagonalGaussian(4), True)]
HEAD_IDS = ["categorical", "gaussian"]


def _setup(gaussian: bool, n: int = 48):
    torch.manual_seed(0)
    module = Policy(5, 4, gaussian).double()
    policy = st.FlatPolicy(module)
    return module, policy, policy.vector(), torch.randn(n, 5, dtype=torch.float64)


@pytest.mark.parametrize(("head", "gaussian"), HEADS, ids=HEAD_IDS)
def test_fvp_equals_double_backward(head, gaussian):
    _, policy, w, states = _setup(gaussian)
    ours = st.fisher_vector_product(policy, head, w, states)
    reference = st.double_backward_fvp(policy, head, w, states)
    for seed in range(3):
        v = torch.randn(w.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
        a, b = ours(v), reference(v)
        assert float(b.abs().max()) > 1e-3
        # Issue bar 1e-6; both are float64 sums of the same products in different orders.
        assert float((a - b).abs().max()) <= 1e-6 * float(b.abs().max())


def test_categorical_head_refuses_free_logits():
    head = st.CategoricalLogits(4)
    _, policy, w, states = _setup(False)
    with pytest.raises(SymgeomError, match=r"shape \(\.\.\., 5\)"):
        st.fisher_vector_product(policy, st.CategoricalLogits(5), w, states)
    with pytest.raises(SymgeomError, match="logits"):
        head.kl(None, (torch.zeros(3, 3),), (torch.zeros(3, 3),))


def test_categorical_fisher_null_direction_and_cg():
    """F·1 = 0 in logit space; with damping CG solves (JᵀFJ + λI)x = g to its tolerance."""
    head = st.CategoricalLogits(4)
    z = torch.randn(7, 4, dtype=torch.float64)
    from symgeom.backends.ops import torch_ops

    (f1,) = head.fisher_product(torch_ops(), (z,), (torch.ones_like(z),))
    # F·1 = p(1 − Σp) and the rounded Σp is 1 within a few ulps.
    assert float(f1.abs().max()) <= 4 * 2.2e-16
    _, policy, w, states = _setup(False)
    fvp = st.fisher_vector_product(policy, head, w, states, damping=0.1)
    g = torch.randn(w.shape, dtype=torch.float64)
    result = st.conjugate_gradient(fvp, g, iterations=200, tol=1e-24)
    assert float((fvp(result.x) - g).norm()) <= 1e-9 * float(g.norm())


@pytest.mark.parametrize(("head", "gaussian"), HEADS, ids=HEAD_IDS)
def test_trpo_step_respects_kl_and_improves(head, gaussian):
    module, policy, w, states = _setup(gaussian, n=64)
    torch.manual_seed(1)
    with torch.no_grad():
        old = policy(w, states)
    actions = old[0] + torch.randn_like(old[0]) if gaussian else torch.randint(0, 4, (64,))
    advantages = torch.randn(64, dtype=torch.float64)
    result = st.trpo_step(module, head, states, actions, advantages, max_kl=0.01)
    assert result.accepted and 0 < result.kl <= 0.01 and result.improvement > 0
    new = module(states)
    # Independent check of the KL actually taken, with torch.distributions.
    if gaussian:
        p = torch.distributions.Normal(old[0], old[1].exp())
        q = torch.distributions.Normal(new[0], new[1].exp())
        kl = torch.distributions.kl_divergence(p, q).sum(-1).mean()
    else:
        kl = torch.distributions.kl_divergence(
            torch.distributions.Categorical(logits=old[0]), torch.distributions.Categorical(logits=new)
        ).mean()
    assert float(kl) == pytest.approx(result.kl, rel=1e-9)


def test_ppo_losses_are_differentiable_tensors():
    torch.manual_seed(2)
    z_old = torch.randn(32, 3, dtype=torch.float64)
    z = (z_old + 0.3 * torch.randn_like(z_old)).requires_grad_(True)
    head = st.CategoricalLogits(3)
    actions = torch.randint(0, 3, (32,))
    advantages = torch.randn(32, dtype=torch.float64)
    from symgeom.backends.ops import torch_ops

    logp = head.log_prob(torch_ops(), (z,), actions)
    logp_old = head.log_prob(torch_ops(), (z_old,), actions)
    loss = st.ppo_clip_loss(logp, logp_old, advantages, 0.2)
    assert loss.ndim == 0 and loss.requires_grad
    ratio = torch.exp(logp - logp_old).detach().numpy()
    assert float(loss) == pytest.approx(-ppo_clip_objective(ratio, advantages.numpy(), 0.2), rel=1e-12)
    (grad,) = torch.autograd.grad(loss, z)
    assert torch.all(torch.isfinite(grad)) and float(grad.abs().max()) > 0
    penalty = st.kl_penalty_loss(logp, logp_old, advantages, head, (z_old,), (z,), beta=1.0)
    kl = st.policy_kl(head, (z_old,), (z,))
    assert float(penalty) == pytest.approx(float(-(torch.exp(logp - logp_old) * advantages).mean() + kl))
    assert st.kl_early_stop(kl, target=float(kl) / 2) and not st.kl_early_stop(kl, target=float(kl))
    with pytest.raises(SymgeomError, match="epsilon"):
        st.ppo_clip_loss(logp, logp_old, advantages, 1.5)


def test_fvp_float32_stays_float32():
    torch.manual_seed(0)
    module = Policy(5, 4, False)
    policy = st.FlatPolicy(module)
    w = policy.vector()
    out = st.fisher_vector_product(policy, st.CategoricalLogits(4), w, torch.randn(8, 5))(torch.ones_like(w))
    assert out.dtype == torch.float32 and np.all(np.isfinite(out.numpy()))


def test_head_kl_bfloat16_is_computed_in_float32():
    from symgeom.backends.ops import torch_ops
    from symgeom.numeric import categorical_logits

    gen = torch.Generator().manual_seed(5)
    z1 = torch.randn(64, 1000, generator=gen).to(torch.bfloat16)
    z2 = z1.clone()
    z2[:, 0] = (z1[:, 0].float() * (1 + 2**-7)).to(torch.bfloat16)  # one bfloat16 ulp or more
    out = st.CategoricalLogits(1000).kl(torch_ops(), (z1,), (z2,))
    assert out.dtype == torch.bfloat16
    ref = categorical_logits(z1.double().numpy(), z2.double().numpy())
    keep = ref > 0
    # Only the final rounding to bfloat16 (relative 2⁻⁸) separates it from the exact value.
    assert np.all(np.abs(out.double().numpy()[keep] - ref[keep]) <= 2**-8 * ref[keep])
    assert np.all(out.double().numpy() >= 0)
