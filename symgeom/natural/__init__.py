"""Natural gradient, Fisher-vector products, conjugate gradient, TRPO and PPO (the seed's §4–5)."""

from symgeom.natural.cg import CGResult, conjugate_gradient
from symgeom.natural.charts import chart_jacobian, chart_map
from symgeom.natural.fvp import (
    categorical_logits_fvp,
    categorical_probs_fvp,
    fisher_vector_product,
    fvp_operator,
)
from symgeom.natural.natural_gradient import (
    fisher_at,
    gradient_symbols,
    natural_gradient,
    natural_gradient_at,
    solve_fisher,
)
from symgeom.natural.ppo import (
    ClipStationary,
    bernoulli_clip_stationary,
    clip_stationary_policy,
    clipped_surrogate,
    ppo_clip_objective,
    ratio_box_kl_bound,
)
from symgeom.natural.trpo import (
    TRPOResult,
    TrustRegionStep,
    exact_kl,
    trpo_direction,
    trpo_step,
)

__all__ = [
    "CGResult",
    "ClipStationary",
    "TRPOResult",
    "TrustRegionStep",
    "bernoulli_clip_stationary",
    "categorical_logits_fvp",
    "categorical_probs_fvp",
    "chart_jacobian",
    "chart_map",
    "clip_stationary_policy",
    "clipped_surrogate",
    "conjugate_gradient",
    "exact_kl",
    "fisher_at",
    "fisher_vector_product",
    "fvp_operator",
    "gradient_symbols",
    "natural_gradient",
    "natural_gradient_at",
    "ppo_clip_objective",
    "ratio_box_kl_bound",
    "solve_fisher",
    "trpo_direction",
    "trpo_step",
]
