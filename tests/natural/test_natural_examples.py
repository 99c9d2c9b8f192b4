"""The runnable examples reproduce the seed's numbers and the clip-vs-KL relation."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def walkthrough() -> ModuleType:
    return load("seed_walkthrough")


def definition_kl(p: list[float], q: list[float]) -> float:
    """Σ p log(p/q) in 50-digit arithmetic, independent of symgeom."""
    import mpmath as mp

    with mp.workdps(50):
        terms = (mp.mpf(a) * mp.log(mp.mpf(a) / mp.mpf(b)) for a, b in zip(p, q, strict=True))
        return float(sum(terms))


def test_seed_kl_values(walkthrough: ModuleType) -> None:
    kl = walkthrough.kl_values()
    near = kl["KL([.4,.6]‖[.5,.5])"]
    far = kl["KL([.4,.6]‖[.1,.9])"]
    assert near == pytest.approx(definition_kl([0.4, 0.6], [0.5, 0.5]), rel=1e-14)
    assert far == pytest.approx(definition_kl([0.4, 0.6], [0.1, 0.9]), rel=1e-14)
    # The seed's rounded figures: ≈ 0.0201, ≈ 0.311, "about 15 times".
    assert round(near, 4) == 0.0201 and round(far, 3) == 0.311
    assert round(far / near) == 15
    # Equal variances: KL = (μ₁ − μ₂)² / (2σ²), 1/200 and 1/0.02.
    assert kl["KL(N(0,10²)‖N(1,10²))"] == pytest.approx(1 / 200, rel=1e-15)
    assert kl["KL(N(0,0.1²)‖N(1,0.1²))"] == pytest.approx(1 / (2 * 0.1**2), rel=1e-15)


def test_seed_fisher_natural_and_trpo(walkthrough: ModuleType) -> None:
    fisher = walkthrough.fisher_facts()
    kl = walkthrough.kl_values()
    # Along μ the Gaussian KL is exactly ½ΔᵀFΔ.
    assert fisher["1/2 dT F d, dmu = 1, sigma = 10"] == pytest.approx(
        kl["KL(N(0,10²)‖N(1,10²))"], rel=1e-14)
    assert fisher["1/2 dT F d, dmu = 1, sigma = 0.1"] == pytest.approx(
        kl["KL(N(0,0.1²)‖N(1,0.1²))"], rel=1e-14)
    natural = walkthrough.natural_step_facts()
    assert natural["natural step for dJ/dmu = 1, sigma = 10"] == pytest.approx(100.0, rel=1e-14)
    assert natural["natural step for dJ/dmu = 1, sigma = 0.1"] == pytest.approx(0.01, rel=1e-14)
    trpo = walkthrough.trpo_facts(0.01)
    for sigma in (10.0, 0.1):
        assert trpo[f"TRPO dmu, sigma = {sigma:g}"] == pytest.approx(sigma * math.sqrt(0.02),
                                                                     rel=1e-14)
        assert trpo[f"TRPO exact KL, sigma = {sigma:g}"] == pytest.approx(0.01, rel=1e-13)
    assert trpo["TRPO policy exact KL"] <= 0.01
    assert trpo["TRPO policy [.4,.6] -> p1"] > 0.4


def test_seed_cg_and_ppo(walkthrough: ModuleType) -> None:
    cg = walkthrough.cg_facts(k=200)
    assert cg["CG relative error vs dense solve"] < 1e-10
    ppo = walkthrough.ppo_facts(0.2)
    assert ppo["KL cap for ratios in [1-eps, 1+eps]"] == pytest.approx(-0.5 * math.log(0.96),
                                                                      rel=1e-15)


def test_walkthrough_runs(walkthrough: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    walkthrough.main()
    out = capsys.readouterr().out
    assert "KL([.4,.6]‖[.5,.5]): 0.0201" in out
    assert "KL(N(0,0.1²)‖N(1,0.1²)): 50" in out


def test_ppo_clip_kl_demonstration() -> None:
    demo = load("ppo_clip_kl")
    rows = demo.bernoulli_rows()
    for row in rows:
        # Each ascent step moves the logit by ≤ rate·ε·max|A| (max|A| = 1), p by ≤ ¼ of that.
        assert row["ascent_gap"] <= 0.25 * demo.LEARNING_RATE * row["eps"]
        # TRPO bounds the KL itself: its exact KL never exceeds δ.
        assert 0 < row["trpo_kl"] <= row["box_bound"]
        if row["p_old"] == 0.5:
            # π_old uniform: the clip stops exactly on the box corner that maximizes KL.
            assert row["kl"] == pytest.approx(row["box_bound"], rel=1e-12)
        else:
            assert row["kl"] > row["box_bound"]
    cats = demo.categorical_rows()
    assert all(r["ratio_max"] > 1 + r["eps"] for r in cats)  # a ratio left the box
    eps = np.array([r["eps"] for r in cats])
    taken = np.array([r["kl"] for r in cats])
    # KL ∝ ε²(1 + O(ε)) along the stopping points; ε ≤ 0.3 keeps the fitted slope within 0.1.
    assert abs(np.polyfit(np.log(eps), np.log(taken), 1)[0] - 2) < 0.1
    text = demo.report(rows, cats)
    assert "box bound" in text and len(text.splitlines()) == 3 + len(rows) + 3 + len(cats)
