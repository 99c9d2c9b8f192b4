"""symgeom for JAX: exact stable KL of policy heads, network natural gradient, TRPO, PPO losses.

Every derivation also has ``d.jax()`` (see :mod:`symgeom.backends.compile`).
"""

from symgeom.backends.heads import CategoricalLogits, DiagonalGaussian
from symgeom.jax.natural import (
    TRPOStep,
    conjugate_gradient,
    fisher_vector_product,
    kl_hessian_vector_product,
    trpo_step,
)
from symgeom.jax.ppo import kl_early_stop, kl_penalty_loss, policy_kl, ppo_clip_loss

__all__ = [
    "CategoricalLogits",
    "DiagonalGaussian",
    "TRPOStep",
    "conjugate_gradient",
    "fisher_vector_product",
    "kl_early_stop",
    "kl_hessian_vector_product",
    "kl_penalty_loss",
    "policy_kl",
    "ppo_clip_loss",
    "trpo_step",
]
