"""How much KL does PPO's clip range ε actually let through?  Bernoulli and Categorical policies.

For each ε it runs full-batch gradient ascent on the exact clipped surrogate
L(π) = Σₓ π_old(x)·min(rₓAₓ, clip(rₓ, 1−ε, 1+ε)Aₓ) from π_old until the gradient vanishes
(where PPO's epochs stall), then measures the exact KL(π_old‖π_new) with the compiled closed form.
Compare with −½log(1−ε²), the most KL any policy with every ratio inside [1−ε, 1+ε] can have:
the clip only removes the incentive to move a ratio further, so ratios of actions pushed the
other way leave the box and the KL taken exceeds the bound when π_old is far from uniform.

    python examples/ppo_clip_kl.py
"""

from __future__ import annotations

import numpy as np

import symgeom as sg
from symgeom.natural import (
    bernoulli_clip_stationary,
    clip_stationary_policy,
    ratio_box_kl_bound,
    trpo_step,
)

EPSILONS = (0.05, 0.1, 0.2, 0.3)
BERNOULLI = (0.5, 0.3, 0.1)
CATEGORICAL_OLD = np.array([0.1, 0.2, 0.3, 0.4])
CATEGORICAL_ADVANTAGE = np.array([1.0, -0.5, 0.3, -0.8])
#: Ascent step per unit ε: the stopping point is overshot by at most this·ε·max|A| in the logits.
LEARNING_RATE = 1e-2


def trpo_kl(p: float, max_kl: float) -> float:
    """Exact KL of TRPO's step on the same Bernoulli policy (logit chart), same advantages.

    J(θ) = Σₓ π_θ(x)Aₓ = p·1 + (1−p)·(−1), so ∂J/∂θ = 2p(1−p) in the logit θ.
    """
    theta = np.log(p / (1 - p))
    return trpo_step(sg.Bernoulli("logit"), [theta], [2 * p * (1 - p)], max_kl).kl


def bernoulli_rows() -> list[dict[str, float]]:
    """A₁ = +1, A₀ = −1: the ascent stops at p + ε·max(p, 1−p) (checked against the ascent);
    TRPO with δ = the box bound of ε is shown beside it."""
    kl = sg.kl(sg.Bernoulli("prob")).numpy()
    rows = []
    for p in BERNOULLI:
        for eps in EPSILONS:
            found = clip_stationary_policy([1 - p, p], [-1.0, 1.0], eps,
                                           learning_rate=LEARNING_RATE * eps)
            closed = bernoulli_clip_stationary(p, eps)
            rows.append({
                "p_old": p, "eps": eps, "p_new": closed,
                "ascent_gap": abs(found.probs[1] - closed),
                "r1": closed / p, "r0": (1 - closed) / (1 - p),
                "kl": float(kl(p, closed)), "box_bound": ratio_box_kl_bound(eps),
                "trpo_kl": trpo_kl(p, ratio_box_kl_bound(eps)),
            })
    return rows


def categorical_rows() -> list[dict[str, float]]:
    fam = sg.Categorical(len(CATEGORICAL_OLD), "probs")
    kl = sg.kl(fam).numpy()
    rows = []
    for eps in EPSILONS:
        found = clip_stationary_policy(CATEGORICAL_OLD, CATEGORICAL_ADVANTAGE, eps,
                                       learning_rate=LEARNING_RATE * eps)
        rows.append({
            "eps": eps, "steps": found.steps,
            "ratio_min": float(found.ratio.min()), "ratio_max": float(found.ratio.max()),
            "kl": float(kl(CATEGORICAL_OLD, found.probs)),
            "box_bound": ratio_box_kl_bound(eps),
        })
    return rows


def report(bernoulli: list[dict[str, float]], categorical: list[dict[str, float]]) -> str:
    lines = [
        "Bernoulli, A(x=1) = +1, A(x=0) = -1: where gradient ascent on L^CLIP stops;",
        "TRPO KL: exact KL of TRPO's step (line search on) with delta = the box bound",
        f"{'p_old':>6} {'eps':>5} {'p_new':>7} {'r(x=1)':>7} {'r(x=0)':>7} {'KL taken':>9} "
        f"{'box bound':>9} {'KL/bound':>8} {'TRPO KL':>8}",
    ]
    for r in bernoulli:
        lines.append(
            f"{r['p_old']:>6.2f} {r['eps']:>5.2f} {r['p_new']:>7.4f} {r['r1']:>7.3f} "
            f"{r['r0']:>7.3f} {r['kl']:>9.5f} {r['box_bound']:>9.5f} "
            f"{r['kl'] / r['box_bound']:>8.2f} {r['trpo_kl']:>8.5f}"
        )
    lines += [
        "",
        f"Categorical, pi_old = {CATEGORICAL_OLD.tolist()}, A = {CATEGORICAL_ADVANTAGE.tolist()}",
        f"{'eps':>5} {'ratio range':>17} {'KL taken':>9} {'box bound':>9} {'KL/eps^2':>8}",
    ]
    for r in categorical:
        lines.append(
            f"{r['eps']:>5.2f} [{r['ratio_min']:.3f}, {r['ratio_max']:.3f}] {r['kl']:>9.5f} "
            f"{r['box_bound']:>9.5f} {r['kl'] / r['eps'] ** 2:>8.3f}"
        )
    return "\n".join(lines)


def main() -> None:
    print(report(bernoulli_rows(), categorical_rows()))


if __name__ == "__main__":
    main()
