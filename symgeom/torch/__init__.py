"""symgeom for PyTorch: exact stable KL of policy heads, network natural gradient, TRPO, PPO losses.

Every derivation also has ``d.torch()`` (see :mod:`symgeom.backends.compile`).
"""

from symgeom.backends.heads import CategoricalLogits, DiagonalGaussian
from symgeom.torch.natural import (
    CGResult,
    FlatPolicy,
    TRPOStep,
    conjugate_gradient,
    double_backward_fvp,
    fisher_vector_product,
    trpo_step,
)
from symgeom.torch.ppo import kl_early_stop, kl_penalty_loss, policy_kl, ppo_clip_loss

__all__ = [
    "CGResult",
    "CategoricalLogits",
    "DiagonalGaussian",
    "FlatPolicy",
    "TRPOStep",
    "conjugate_gradient",
    "double_backward_fvp",
    "fisher_vector_product",
    "kl_early_stop",
    "kl_penalty_loss",
    "policy_kl",
    "ppo_clip_loss",
    "trpo_step",
]
