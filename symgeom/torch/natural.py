"""Natural gradient for a whole torch network: F v = E_s[J(s)ᵀ F(θ(s)) J(s) v] by two reverse passes.

θ(s) are the head parameters the network outputs for state s, J(s) = ∂θ(s)/∂w its Jacobian in the
network weights w, F(θ) the head's closed-form Fisher (:mod:`symgeom.backends.heads`).  The
product needs no second derivative: Jᵀ(·) by replaying the reverse pass of the forward recorded
once per batch, J v as the reverse derivative of the linear map u ↦ Jᵀu, F per state in closed
form.  It equals the Hessian of the mean KL(π_old‖π_w) at w = w_old, the double-backward product
TRPO codes use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch.func import functional_call

from symgeom.backends.cg import cg_recurrence
from symgeom.backends.ops import torch_ops
from symgeom.errors import InvalidParameterError

Params = tuple[torch.Tensor, ...]


def _as_tuple(out: Any) -> Params:
    return tuple(out) if isinstance(out, tuple | list) else (out,)


class FlatPolicy:
    """A module seen as a function of one flat weight vector w: ``policy(w, states)`` → head params."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.module = module
        self.names = [n for n, p in module.named_parameters() if p.requires_grad]
        params = dict(module.named_parameters())
        self.shapes = [params[n].shape for n in self.names]
        self.sizes = [params[n].numel() for n in self.names]

    def vector(self) -> torch.Tensor:
        """The current weights, detached, as one vector."""
        params = dict(self.module.named_parameters())
        return torch.cat([params[n].detach().reshape(-1) for n in self.names])

    def assign(self, w: torch.Tensor) -> None:
        """Write the flat vector w into the module's parameters."""
        params = dict(self.module.named_parameters())
        with torch.no_grad():
            for name, chunk, shape in zip(self.names, torch.split(w, self.sizes), self.shapes, strict=True):
                params[name].copy_(chunk.reshape(shape))

    def __call__(self, w: torch.Tensor, states: torch.Tensor) -> Params:
        chunks = torch.split(w, self.sizes)
        weights = {n: c.reshape(s) for n, c, s in zip(self.names, chunks, self.shapes, strict=True)}
        return _as_tuple(functional_call(self.module, weights, (states,)))


def fisher_vector_product(
    policy: FlatPolicy, head: Any, w: torch.Tensor, states: torch.Tensor, damping: float = 0.0
) -> Callable[[torch.Tensor], torch.Tensor]:
    """v ↦ (1/N) Σₛ J(s)ᵀ F(θ(s)) J(s) v + λ v at weights w, batched over the N states.

    Set-up records the forward pass θ(w) and, from its reverse pass, the map u ↦ Jᵀu (linear in
    u, recorded at u = 0).  Each product then costs J v as the reverse derivative of that linear
    map (Jᵀ transposed: a pass over the recorded backward graph with no forward recomputation and
    no derivative of the activations beyond the saved ones), the closed-form F per state, and one
    replay of the recorded reverse pass for Jᵀ(F J v).  No second derivative of the KL is formed.
    """
    if damping < 0:
        raise InvalidParameterError(f"damping must be >= 0, got {damping!r}")
    ops = torch_ops()
    leaf = w.detach().requires_grad_(True)
    outputs = policy(leaf, states)
    theta = tuple(t.detach() for t in outputs)
    head.check(theta)
    n = states.shape[0]
    dummies = tuple(torch.zeros_like(t, requires_grad=True) for t in theta)
    (transpose,) = torch.autograd.grad(outputs, leaf, dummies, create_graph=True, allow_unused=True,
                                       materialize_grads=True)

    def apply(v: torch.Tensor) -> torch.Tensor:
        if transpose.requires_grad:
            jv = torch.autograd.grad(transpose, dummies, v, retain_graph=True, allow_unused=True,
                                     materialize_grads=True)
        else:  # the outputs do not depend on w
            jv = tuple(torch.zeros_like(t) for t in theta)
        product = head.fisher_product(ops, theta, jv)
        product = tuple(p.expand_as(t) / n for p, t in zip(product, theta, strict=True))
        (out,) = torch.autograd.grad(outputs, leaf, product, retain_graph=True, allow_unused=True,
                                     materialize_grads=True)
        return out + damping * v if damping else out

    return apply


def double_backward_fvp(
    policy: FlatPolicy, head: Any, w: torch.Tensor, states: torch.Tensor
) -> Callable[[torch.Tensor], torch.Tensor]:
    """The reference product ∇²_w mean KL(π_old‖π_w) v, by double backward (what TRPO codes do)."""
    ops = torch_ops()
    old = tuple(t.detach() for t in policy(w, states))
    w = w.detach().requires_grad_(True)
    kl = head.kl(ops, old, policy(w, states)).mean()
    (grad,) = torch.autograd.grad(kl, w, create_graph=True)

    def apply(v: torch.Tensor) -> torch.Tensor:
        (out,) = torch.autograd.grad(grad @ v, w, retain_graph=True)
        return out

    return apply


@dataclass(frozen=True)
class CGResult:
    """x ≈ A⁻¹b, the iterations taken and the final residual norm."""

    x: torch.Tensor
    iterations: int
    residual: float


def conjugate_gradient(
    apply: Callable[[torch.Tensor], torch.Tensor], b: torch.Tensor, iterations: int = 10, tol: float = 1e-10
) -> CGResult:
    """Solve A x = b for symmetric positive (semi)definite A given as v ↦ Av, on b's device.

    Stops after ``iterations`` or once ‖r‖² ≤ tol·‖b‖²; for a semidefinite A (a softmax head's
    Fisher without damping) b must lie in A's range, which a policy gradient does.
    """
    x, rr, done = cg_recurrence(apply, b, torch.zeros_like(b), iterations, tol,
                                lambda new, stop: bool(new <= stop))
    return CGResult(x, done, float(torch.sqrt(rr)))


@dataclass(frozen=True)
class TRPOStep:
    """Outcome of :func:`trpo_step`: whether a step was taken, its mean KL and surrogate gain."""

    accepted: bool
    kl: float
    improvement: float
    fraction: float
    cg: CGResult


def trpo_step(
    module: torch.nn.Module,
    head: Any,
    states: torch.Tensor,
    actions: torch.Tensor,
    advantages: torch.Tensor,
    max_kl: float = 0.01,
    damping: float = 0.1,
    cg_iterations: int = 10,
    backtrack: float = 0.8,
    max_backtracks: int = 10,
) -> TRPOStep:
    """One TRPO update of ``module`` in place: Δ = √(2δ/xᵀFx)·x, x = CG(F, g), then backtracking.

    L(w) = mean_s[π_w(a|s)/π_old(a|s)·A]; a step fraction βʲ is accepted when the exact stable mean
    KL(π_old‖π_new) ≤ δ and L improved; otherwise the weights are left unchanged.
    """
    if not max_kl > 0:
        raise InvalidParameterError(f"max_kl must be > 0, got {max_kl!r}")
    ops = torch_ops()
    policy = FlatPolicy(module)
    w = policy.vector()
    with torch.no_grad():
        old = policy(w, states)
        old_log_prob = head.log_prob(ops, old, actions)

    def surrogate(weights: torch.Tensor) -> torch.Tensor:
        ratio = torch.exp(head.log_prob(ops, policy(weights, states), actions) - old_log_prob)
        return (ratio * advantages).mean()

    w_grad = w.clone().requires_grad_(True)
    start = surrogate(w_grad)
    (g,) = torch.autograd.grad(start, w_grad)
    fvp = fisher_vector_product(policy, head, w, states, damping)
    cg = conjugate_gradient(fvp, g, cg_iterations)
    shs = cg.x @ fvp(cg.x)
    step = torch.sqrt(2 * max_kl / shs) * cg.x
    base = float(start.detach())
    with torch.no_grad():
        for j in range(max_backtracks):
            fraction = backtrack**j
            trial = w + fraction * step
            kl = float(head.kl(ops, old, policy(trial, states)).mean())
            gain = float(surrogate(trial)) - base
            if kl <= max_kl and gain > 0:
                policy.assign(trial)
                return TRPOStep(True, kl, gain, fraction, cg)
    return TRPOStep(False, 0.0, 0.0, 0.0, cg)
