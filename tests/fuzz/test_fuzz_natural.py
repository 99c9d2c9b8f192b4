"""Natural gradient, FVPs, CG, TRPO and PPO under hostile arguments: a SymgeomError naming the
argument, or a finite answer."""

from __future__ import annotations

import numpy as np
import pytest
from fuzz_hostile import HOSTILE, INVALID, all_finite, obeys_the_rule
from hypothesis import given, settings
from hypothesis import strategies as st

import symgeom as sg
from symgeom.natural import (
    categorical_logits_fvp,
    categorical_probs_fvp,
    clip_stationary_policy,
    clipped_surrogate,
    conjugate_gradient,
    fisher_at,
    fisher_vector_product,
    natural_gradient_at,
    ppo_clip_objective,
    ratio_box_kl_bound,
    solve_fisher,
    trpo_direction,
    trpo_step,
)

FAM = sg.Gaussian()
GOOD = {
    "theta": [0.0, 1.0], "gradient": [1.0, -0.5], "v": [0.3, 0.2], "max_kl": 0.01,
    "damping": 0.0, "fisher_matrix": np.eye(2), "b": [1.0, 2.0], "a": np.eye(2) * 2,
    "tol": 1e-12, "max_iter": 20, "ratio": [1.0, 1.3, 0.7], "advantage": [1.0, -1.0, 0.5],
    "epsilon": 0.2, "weights": [0.2, 0.3, 0.5], "z": [0.1, -0.2], "p": [0.2, 0.3],
    "old_probs": [0.2, 0.3, 0.5], "shrink": 0.8, "max_backtracks": 5, "learning_rate": 0.01,
}

CALLS = {
    "natural_gradient_at": (("theta", "gradient", "damping"),
                            lambda a: natural_gradient_at(FAM, a["theta"], a["gradient"],
                                                          damping=a["damping"])),
    "fisher_at": (("theta",), lambda a: fisher_at(FAM, a["theta"])),
    "fisher_vector_product": (("theta", "v"), lambda a: fisher_vector_product(FAM, a["theta"], a["v"])),
    "solve_fisher": (("fisher_matrix", "gradient", "damping"),
                     lambda a: solve_fisher(a["fisher_matrix"], a["gradient"], a["damping"])),
    "conjugate_gradient": (("a", "b", "damping", "tol", "max_iter"),
                           lambda a: conjugate_gradient(a["a"], a["b"], damping=a["damping"],
                                                        tol=a["tol"], max_iter=a["max_iter"]).x),
    "trpo_direction": (("fisher_matrix", "gradient", "max_kl", "damping"),
                       lambda a: trpo_direction(a["fisher_matrix"], a["gradient"], a["max_kl"],
                                                damping=a["damping"]).step),
    "trpo_step": (("theta", "gradient", "max_kl", "shrink", "max_backtracks"),
                  lambda a: trpo_step(FAM, a["theta"], a["gradient"], a["max_kl"], shrink=a["shrink"],
                                      max_backtracks=a["max_backtracks"]).theta),
    "clipped_surrogate": (("ratio", "advantage", "epsilon"),
                          lambda a: clipped_surrogate(a["ratio"], a["advantage"], a["epsilon"])),
    "ppo_clip_objective": (("ratio", "advantage", "epsilon", "weights"),
                           lambda a: ppo_clip_objective(a["ratio"], a["advantage"], a["epsilon"],
                                                        a["weights"])),
    "ratio_box_kl_bound": (("epsilon",), lambda a: ratio_box_kl_bound(a["epsilon"])),
    "categorical_logits_fvp": (("z", "v"), lambda a: categorical_logits_fvp(a["z"], a["v"], logits="free")),
    "categorical_probs_fvp": (("p", "v"), lambda a: categorical_probs_fvp(a["p"], a["v"])),
    "clip_stationary_policy": (("old_probs", "advantage", "epsilon", "learning_rate"),
                               lambda a: clip_stationary_policy(
                                   a["old_probs"], a["advantage"], a["epsilon"],
                                   learning_rate=a["learning_rate"], max_steps=50).probs),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_good_arguments_give_finite_answers(name):
    _, call = CALLS[name]
    assert all_finite(call(dict(GOOD)))


@pytest.mark.parametrize("name", sorted(CALLS))
@settings(max_examples=15)
@given(data=st.data(), invalid=st.booleans())
def test_one_hostile_argument(name, data, invalid):
    names, call = CALLS[name]
    which = data.draw(st.sampled_from(names), label="argument")
    args = dict(GOOD)
    args[which] = data.draw(INVALID if invalid else HOSTILE, label="value")
    out = obeys_the_rule(lambda: call(args), (which, *_aliases(which)))
    if out is None:
        return
    assert not invalid, f"{name} accepted {args[which]!r} for {which}"
    assert all_finite(out)


def _aliases(name: str) -> tuple[str, ...]:
    # Some checks name the mathematical object rather than the keyword.
    return {"fisher_matrix": ("Fisher", "fisher", "matrix"), "a": ("matrix", "operator"),
            "max_kl": ("δ",), "old_probs": ("probs",), "ratio": ("weights",),
            "advantage": ("weights", "ratio"), "theta": ("Σ",)}.get(name, ())
