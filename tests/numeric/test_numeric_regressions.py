"""Regression tests for the reproducers of issue 12, each against a 50-digit mpmath reference."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import symgeom as sg
from symgeom.numeric import kl_function


def _softmax_kl(z1: list[float], z2: list[float]) -> float:
    with mp.workdps(50):
        a = [mp.mpf(x) for x in z1]
        b = [mp.mpf(x) for x in z2]
        la = [x - mp.log(mp.fsum(mp.exp(y) for y in a)) for x in a]
        lb = [x - mp.log(mp.fsum(mp.exp(y) for y in b)) for x in b]
        return float(mp.fsum(mp.exp(x) * (x - y) for x, y in zip(la, lb, strict=True)))


@pytest.mark.parametrize(
    ("z1", "z2"),
    [([0.0, 0.0, -800.0], [0.0, 1e-3, -800.0]), ([0.0, 5.0, -800.0], [5.0, 0.0, -800.0])],
)
def test_logits_kl_with_a_class_underflowing_in_both(z1: list[float], z2: list[float]) -> None:
    got = float(sg.kl(sg.Categorical(3, "logits")).numpy()(z1, z2))
    want = _softmax_kl(z1, z2)
    assert abs(got - want) <= 1e-13 * want


def test_logits_kl_near_pairs_with_huge_logits() -> None:
    rng = np.random.default_rng(5)
    k = 50
    z1 = rng.uniform(-700, 700, size=(20, k))
    z2 = z1 * (1 + 1e-9 * rng.uniform(-1, 1, size=(20, k)))
    got = kl_function(sg.Categorical(k, "logits"))(z1, z2)
    assert np.all(np.isfinite(got)) and np.all(got >= 0)
    for i in range(3):
        want = _softmax_kl(list(z1[i]), list(z2[i]))
        assert abs(got[i] - want) <= 1e-12 * want


def test_bernoulli_logit_far_out_is_finite() -> None:
    # KL(σ(800)‖σ(800.001)) ≈ e⁻⁸⁰⁰·… underflows: the answer is 0, not nan.
    assert float(sg.kl(sg.Bernoulli("logit")).numpy()(800.0, 800.001)) == 0.0


def test_bernoulli_kl_against_the_smallest_subnormal() -> None:
    got = float(sg.kl(sg.Bernoulli()).numpy()(0.5, 5e-324))
    with mp.workdps(50):
        p, q = mp.mpf(0.5), mp.mpf(5e-324)
        want = float(p * mp.log(p / q) + (1 - p) * mp.log((1 - p) / (1 - q)))
    assert abs(got - want) <= 4e-16 * want


def _full_reference(s1: np.ndarray, s2: np.ndarray) -> float:
    with mp.workdps(50):
        a, b = mp.matrix(s1.tolist()), mp.matrix(s2.tolist())
        w = b**-1 * a
        d = s1.shape[0]
        return float((sum(w[i, i] for i in range(d)) - d - mp.log(mp.det(w))) / 2)


def test_full_covariance_kl_at_condition_1e12() -> None:
    s1 = np.array([[0.9964962006475304, -0.059089108493561755],
                   [-0.059089108493561755, 0.003503799353469783]])
    s2 = np.array([[0.00017582556662275897, -0.013258757520712736],
                   [-0.013258757520712736, 0.9998241744343772]])
    got = float(sg.kl(sg.MultivariateGaussian(2, "full")).numpy()(np.zeros(2), s1, np.zeros(2), s2))
    want = _full_reference(s1, s2)
    # A forward error of κ(Σ₂)·ε ≈ 1e12 · 1.1e-16 is what the data allow.
    assert abs(got - want) <= 1.1e-4 * want


@pytest.mark.parametrize("d", [3, 10])
def test_full_covariance_far_pairs_ill_conditioned_stay_finite(d: int) -> None:
    rng = np.random.default_rng(d)
    covs = []
    for _ in range(2 * 30):
        q, _ = np.linalg.qr(rng.normal(size=(d, d)))
        covs.append(q @ np.diag(np.logspace(0, -12, d)) @ q.T)
    c = np.array(covs).reshape(2, 30, d, d)
    c = 0.5 * (c + np.swapaxes(c, -1, -2))
    # any_size: d is read from the arrays (building the d = 10 family symbolically is not needed).
    got = kl_function(sg.MultivariateGaussian(2, "full"), validate=False, any_size=True)(
        np.zeros((30, d)), c[0], np.zeros((30, d)), c[1]
    )
    assert np.all(np.isfinite(got)) and np.all(got >= 0)
    for i in range(2):
        want = _full_reference(c[0, i], c[1, i])
        assert abs(got[i] - want) <= 1.1e-4 * want


def test_any_size_diagonal_gaussian() -> None:
    f = kl_function(sg.MultivariateGaussian(2, "diagonal", "mean_std"), any_size=True)
    got = float(f(np.zeros(3), np.ones(3), np.ones(3), 2 * np.ones(3)))
    want = 3 * (np.log(2) + (1 + 1) / (2 * 4) - 0.5)
    assert got == pytest.approx(want, rel=1e-15)
