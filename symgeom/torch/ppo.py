"""PPO losses as differentiable torch tensors (to minimize), and KL early stopping.

    L^CLIP = −mean_s min(r A, clip(r, 1−ε, 1+ε) A),   r = π_new(a|s)/π_old(a|s) = e^{log π_new − log π_old}
    L^KLPEN = −mean_s r A + β·mean_s KL(π_old(·|s)‖π_new(·|s))

The KL is the exact stable KL of the policy head (not the sample estimate log π_old − log π_new,
which is unbiased only in expectation and can be negative).
"""

from __future__ import annotations

from typing import Any

import torch

from symgeom.backends.ops import torch_ops
from symgeom.errors import InvalidParameterError


def _check_epsilon(epsilon: float) -> float:
    if not 0 < epsilon < 1:
        raise InvalidParameterError(f"clip range epsilon must be in (0, 1), got {epsilon!r}")
    return float(epsilon)


def ppo_clip_loss(
    log_prob: torch.Tensor, old_log_prob: torch.Tensor, advantages: torch.Tensor, epsilon: float = 0.2
) -> torch.Tensor:
    """−mean min(r A, clip(r, 1−ε, 1+ε) A): a 0-d tensor with gradient through ``log_prob``."""
    eps = _check_epsilon(epsilon)
    ratio = torch.exp(log_prob - old_log_prob.detach())
    clipped = torch.clamp(ratio, 1 - eps, 1 + eps)
    return -torch.minimum(ratio * advantages, clipped * advantages).mean()


def policy_kl(head: Any, old: tuple[torch.Tensor, ...], new: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """mean_s KL(π_old(·|s)‖π_new(·|s)), exact and stable, differentiable in ``new``."""
    return head.kl(torch_ops(), tuple(t.detach() for t in old), new).mean()


def kl_penalty_loss(
    log_prob: torch.Tensor,
    old_log_prob: torch.Tensor,
    advantages: torch.Tensor,
    head: Any,
    old: tuple[torch.Tensor, ...],
    new: tuple[torch.Tensor, ...],
    beta: float,
) -> torch.Tensor:
    """−mean r A + β·mean KL(π_old‖π_new) (the adaptive-KL PPO objective, to minimize)."""
    if not beta >= 0:
        raise InvalidParameterError(f"beta must be >= 0, got {beta!r}")
    ratio = torch.exp(log_prob - old_log_prob.detach())
    return -(ratio * advantages).mean() + beta * policy_kl(head, old, new)


def kl_early_stop(kl: torch.Tensor | float, target: float, factor: float = 1.5) -> bool:
    """True once the mean KL exceeds ``factor``·``target`` (stop this update's epochs)."""
    if not target > 0:
        raise InvalidParameterError(f"target KL must be > 0, got {target!r}")
    return float(kl) > factor * target
