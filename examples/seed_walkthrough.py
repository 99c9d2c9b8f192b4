"""The seed note's story, end to end with symgeom: KL as the ruler, Fisher as the local metric,
the natural gradient, the TRPO step solved by conjugate gradient, and what PPO's clip allows.

    python examples/seed_walkthrough.py
"""

from __future__ import annotations

import numpy as np

import symgeom as sg
from symgeom.natural import (
    bernoulli_clip_stationary,
    categorical_logits_fvp,
    conjugate_gradient,
    natural_gradient,
    natural_gradient_at,
    ratio_box_kl_bound,
    trpo_step,
)
from symgeom.natural.fvp import softmax_free


def kl_values() -> dict[str, float]:
    """§2–3: the seed's four KL values, from the compiled derived closed forms."""
    coin = sg.kl(sg.Categorical(2, "probs")).numpy()
    gauss = sg.kl(sg.Gaussian("mean_std")).numpy()
    return {
        "KL([.4,.6]‖[.5,.5])": float(coin([0.4, 0.6], [0.5, 0.5])),
        "KL([.4,.6]‖[.1,.9])": float(coin([0.4, 0.6], [0.1, 0.9])),
        "KL(N(0,10²)‖N(1,10²))": float(gauss(0.0, 10.0, 1.0, 10.0)),
        "KL(N(0,0.1²)‖N(1,0.1²))": float(gauss(0.0, 0.1, 1.0, 0.1)),
    }


def fisher_facts() -> dict[str, object]:
    """§4: F(μ, σ) and the quadratic model ½ΔᵀFΔ of the unit mean shift."""
    fam = sg.Gaussian("mean_std")
    fisher = sg.fisher(fam)
    compiled = fisher.numpy()
    facts: dict[str, object] = {"F(mu, sigma)": fisher.result}
    for sigma in (10.0, 0.1):
        f = np.asarray(compiled(0.0, sigma), dtype=float).reshape(2, 2)
        facts[f"1/2 dT F d, dmu = 1, sigma = {sigma:g}"] = 0.5 * f[0, 0]
    return facts


def natural_step_facts() -> dict[str, object]:
    """§4: ∇̃J = F⁻¹∇J; for the mean it is σ²·∂J/∂μ, large where σ is large."""
    fam = sg.Gaussian("mean_std")
    facts: dict[str, object] = {"F^-1 grad J": natural_gradient(fam).result}
    for sigma in (10.0, 0.1):
        step = natural_gradient_at(fam, [0.0, sigma], [1.0, 0.0])
        facts[f"natural step for dJ/dmu = 1, sigma = {sigma:g}"] = float(step[0])
    return facts


def trpo_facts(max_kl: float = 0.01) -> dict[str, float]:
    """§5: the TRPO step under KL ≤ δ moves μ by σ√(2δ) and its exact KL is δ."""
    fam = sg.Gaussian("mean_std")
    facts = {}
    for sigma in (10.0, 0.1):
        result = trpo_step(fam, [0.0, sigma], [1.0, 0.0], max_kl)
        facts[f"TRPO dmu, sigma = {sigma:g}"] = float(result.step[0])
        facts[f"TRPO exact KL, sigma = {sigma:g}"] = result.kl
    policy = sg.Categorical(2, "logits")
    # The seed's policy [.4, .6] has logit z₁ = log(.4/.6); push class 1 up under KL ≤ δ.
    coin = trpo_step(policy, [np.log(0.4 / 0.6)], [1.0], max_kl)
    new = softmax_free(coin.theta)[0]
    facts["TRPO policy [.4,.6] -> p1"] = float(new)
    facts["TRPO policy exact KL"] = coin.kl
    facts["TRPO policy line-search fraction"] = coin.fraction
    return facts


def cg_facts(k: int = 1000, seed: int = 0) -> dict[str, float]:
    """§5: F⁻¹g by conjugate gradient on p⊙v − p(pᵀv), never forming the (k−1)×(k−1) matrix."""
    rng = np.random.default_rng(seed)
    z, g = rng.normal(size=k - 1), rng.normal(size=k - 1)
    p = softmax_free(z)
    solved = conjugate_gradient(lambda v: categorical_logits_fvp(z, v, logits="free"), g)
    direct = np.linalg.solve(np.diag(p) - np.outer(p, p), g)
    return {
        "CG iterations": float(solved.iterations),
        "CG relative error vs dense solve": float(
            np.linalg.norm(solved.x - direct) / np.linalg.norm(direct)
        ),
    }


def ppo_facts(epsilon: float = 0.2) -> dict[str, float]:
    """§5: ratios inside [0.8, 1.2] cap the KL at −½log(1−ε²); the clip itself lets more through."""
    kl = sg.kl(sg.Bernoulli("prob")).numpy()
    facts = {"KL cap for ratios in [1-eps, 1+eps]": ratio_box_kl_bound(epsilon)}
    for p in (0.5, 0.4, 0.1):
        new = bernoulli_clip_stationary(p, epsilon)
        facts[f"PPO clip stops at p = {new:.3g} from p = {p:g}; KL"] = float(kl(p, new))
    return facts


SECTIONS = (
    ("KL divergence: the right ruler", kl_values),
    ("Fisher information: the local metric", fisher_facts),
    ("Natural gradient", natural_step_facts),
    ("TRPO: the KL-constrained step", trpo_facts),
    ("Conjugate gradient with Fisher-vector products", cg_facts),
    ("PPO: the clip range and the KL taken", ppo_facts),
)


def main() -> None:
    for title, facts in SECTIONS:
        print(f"\n== {title} ==")
        for name, value in facts().items():
            shown = f"{value:.6g}" if isinstance(value, float) else str(value)
            print(f"  {name}: {shown}")


if __name__ == "__main__":
    main()
