"""PPO's clipped surrogate min(rA, clip(r, 1−ε, 1+ε)A) and the KL a clip range lets through."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symgeom.errors import InvalidParameterError
from symgeom.numeric.coerce import float64_array, real_number, whole_number

Vector = NDArray[np.float64]


def check_epsilon(epsilon: float) -> float:
    """The clip range ε must lie in (0, 1)."""
    epsilon = real_number(epsilon, "epsilon")
    if not (np.isfinite(epsilon) and 0 < epsilon < 1):
        raise InvalidParameterError(f"clip range epsilon must be in (0, 1), got {epsilon!r}")
    return float(epsilon)


def _pair(ratio: ArrayLike, advantage: ArrayLike) -> tuple[Vector, Vector]:
    r = float64_array(ratio, "ratio")
    a = float64_array(advantage, "advantage")
    if r.shape != a.shape:
        raise InvalidParameterError(
            f"ratio has shape {r.shape} but advantage has shape {a.shape}; they must match"
        )
    if not (np.all(np.isfinite(r)) and np.all(r >= 0)):
        raise InvalidParameterError("ratio must be finite and >= 0 (it is π_new/π_old)")
    if not np.all(np.isfinite(a)):
        raise InvalidParameterError("advantage must be finite")
    return r, a


def clipped_surrogate(ratio: ArrayLike, advantage: ArrayLike, epsilon: float = 0.2) -> Vector:
    """Per sample: min(r A, clip(r, 1−ε, 1+ε) A), r = π_new(a|s)/π_old(a|s)."""
    eps = check_epsilon(epsilon)
    r, a = _pair(ratio, advantage)
    return np.minimum(r * a, np.clip(r, 1.0 - eps, 1.0 + eps) * a)


def ppo_clip_objective(
    ratio: ArrayLike,
    advantage: ArrayLike,
    epsilon: float = 0.2,
    weights: ArrayLike | None = None,
) -> float:
    """L^CLIP = Σᵢ wᵢ min(rᵢAᵢ, clip(rᵢ, 1−ε, 1+ε)Aᵢ) / Σᵢ wᵢ (the sample mean when w is None).

    With ``weights`` = π_old over every action of a discrete policy it is the exact expectation.
    """
    terms = clipped_surrogate(ratio, advantage, epsilon)
    if terms.size == 0:
        raise InvalidParameterError("ratio and advantage are empty; the objective needs >= 1 sample")
    if weights is None:
        return float(terms.mean())
    w = float64_array(weights, "weights")
    if w.shape != terms.shape:
        raise InvalidParameterError(
            f"weights have shape {w.shape} but ratio has shape {terms.shape}; they must match"
        )
    if not (np.all(np.isfinite(w)) and np.all(w >= 0) and w.sum() > 0):
        raise InvalidParameterError("weights must be finite, >= 0 and not all 0")
    return float(w @ terms / w.sum())


def ratio_box_kl_bound(epsilon: float) -> float:
    """max KL(π_old‖π_new) over pairs with every ratio in [1−ε, 1+ε]:  −½ log(1 − ε²) ≈ ε²/2.

    KL = E_old[(r−1) − log r] with E_old[r − 1] = 0; u − log(1+u) is convex, so the maximum puts
    half the old mass at each end of the box; it is attained (e.g. Bernoulli ½ → ½(1+ε)).
    """
    eps = check_epsilon(epsilon)
    return float(-0.5 * np.log1p(-(eps**2)))


@dataclass(frozen=True)
class ClipStationary:
    """Where full-batch gradient ascent on the exact clipped surrogate stops.

    ``probs`` is π_new, ``ratio`` π_new/π_old, ``steps`` the ascent steps taken, ``converged``
    whether the surrogate's gradient vanished (every unclipped term stopped pulling).
    """

    probs: Vector
    ratio: Vector
    steps: int
    converged: bool


def _policy(probs: ArrayLike) -> Vector:
    p = float64_array(probs, "probs")
    if p.ndim != 1 or p.shape[0] < 2:
        raise InvalidParameterError(f"probs must be a vector of >= 2 probabilities, got {p.shape}")
    if not (np.all(np.isfinite(p)) and np.all(p > 0) and abs(p.sum() - 1.0) <= 1e-12):
        raise InvalidParameterError("probs must be > 0 and sum to 1 (within 1e-12)")
    return p


def clip_stationary_policy(
    old_probs: ArrayLike,
    advantage: ArrayLike,
    epsilon: float = 0.2,
    *,
    learning_rate: float = 1e-3,
    max_steps: int = 200_000,
) -> ClipStationary:
    """Gradient ascent in softmax logits on L(π) = Σₓ π_old(x) min(rₓAₓ, clip(rₓ)Aₓ), from π_old.

    ∂L/∂π(x) = Aₓ while term x is unclipped, else 0, so ∂L/∂z = π⊙(a − πᵀa) with a the active
    advantages; the ascent stops once that gradient vanishes, the way PPO's epochs stall.
    Each step overshoots the stopping point by at most ``learning_rate``·max|A| in the logits.
    """
    eps = check_epsilon(epsilon)
    p_old = _policy(old_probs)
    adv = float64_array(advantage, "advantage")
    if adv.shape != p_old.shape or not np.all(np.isfinite(adv)):
        raise InvalidParameterError(
            f"advantage must be finite with shape {p_old.shape}, got shape {adv.shape}"
        )
    learning_rate = real_number(learning_rate, "learning_rate")
    max_steps = whole_number(max_steps, "max_steps")
    if not learning_rate > 0:
        raise InvalidParameterError(f"learning_rate must be > 0, got {learning_rate!r}")
    z = np.log(p_old)
    p = p_old
    for step in range(max_steps):
        r = p / p_old
        # A term stops pulling once its ratio passed the end of the box it is pushed towards.
        active = ~(((adv > 0) & (r > 1 + eps)) | ((adv < 0) & (r < 1 - eps)))
        a = np.where(active, adv, 0.0)
        grad = p * (a - p @ a)
        if not np.any(grad != 0):
            return ClipStationary(p, r, step, True)
        z = z + learning_rate * grad
        e = np.exp(z - z.max())
        p = e / e.sum()
    return ClipStationary(p, p / p_old, max_steps, False)


def bernoulli_clip_stationary(p: float, epsilon: float) -> float:
    """p_new where the ascent stops for Bernoulli(p) with A₁ > 0 > A₀:  p + ε·max(p, 1−p).

    The x=1 term saturates at p(1+ε), the x=0 term at 1 − (1−p)(1−ε); both pull p up until then.
    When p(1+ε) ≥ 1 the x=1 term never saturates and the ascent drives p_new → 1; returns 1.0.
    """
    eps = check_epsilon(epsilon)
    if not 0 < p < 1:
        raise InvalidParameterError(f"p must be in (0, 1), got {p!r}")
    return min(p + eps * max(p, 1.0 - p), 1.0)
