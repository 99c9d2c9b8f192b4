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
    # Double-double factors (symgeom.numeric.full_gaussian_kl): issue #12's bar; a float64 Cholesky
    # gives κ(Σ₂)·ε ≈ 1e-4 (and returned inf here).
    assert abs(got - want) <= 1e-12 * want


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
        assert abs(got[i] - want) <= 1e-12 * want


def test_any_size_diagonal_gaussian() -> None:
    f = kl_function(sg.MultivariateGaussian(2, "diagonal", "mean_std"), any_size=True)
    got = float(f(np.zeros(3), np.ones(3), np.ones(3), 2 * np.ones(3)))
    want = 3 * (np.log(2) + (1 + 1) / (2 * 4) - 0.5)
    assert got == pytest.approx(want, rel=1e-15)


# --- entropy and Fisher of finite-support families (generated per outcome) ------------------------
def _softmax(z: list[float]) -> list[mp.mpf]:
    zs = [mp.mpf(x) for x in z]
    total = mp.fsum(mp.exp(x) for x in zs)
    return [mp.exp(x) / total for x in zs]


def _entropy(p: list[mp.mpf]) -> float:
    return float(mp.fsum(-x * mp.log(x) for x in p if x > 0))


@pytest.mark.parametrize(
    ("family", "point", "probabilities"),
    [
        (sg.Categorical(3, "logits"), [0.0, 0.0, -710.0], None),
        # was 0.2 % low (8.1743e-215 for 8.1907e-215): log σ(θ) = θ − LSE(0, θ) cancelled, now
        # −LSE(−θ, 0) (symgeom.numeric.finite.absorbed_log)
        (sg.Bernoulli("logit"), 499.16774174385387, None),
        (sg.Bernoulli("logit"), -650.0, None),
        (sg.Bernoulli(), 0.0, [0, 1]),
        (sg.Bernoulli(), 1.0, [1, 0]),
        (sg.Bernoulli(), 1e-17, None),
        (sg.Categorical(3), [0.5, 0.5, 0.0], None),
        (sg.Categorical(2), [1 - 1e-16, 1e-16], None),
        (sg.Categorical(2), [1.0, 1e-20], None),
    ],
)
def test_entropy_regimes(family: sg.Family, point: object, probabilities: list[float] | None) -> None:
    got = float(sg.entropy(family).numpy()(point))
    # 800 digits: at logit −650 the other probability is 1 − e^{−650}, whose log (−e^{−650}, a
    # 1/651 share of the entropy) 50 digits round to 0
    with mp.workdps(800):
        if probabilities is not None:
            p = [mp.mpf(x) for x in probabilities]
        elif family.param == "logit":
            p = _softmax([point, 0.0])
        elif family.param == "logits":
            p = _softmax(point)
        elif family.param == "prob":
            p = [mp.mpf(point), 1 - mp.mpf(point)]
        else:
            p = [mp.mpf(x) for x in point]  # the supplied vector, last entry included
        want = _entropy(p)
    assert got >= 0
    assert abs(got - want) <= 1e-12 * want


def test_logit_entropy_never_negative() -> None:
    theta = np.random.default_rng(0).uniform(-700, 700, 100_000)
    assert np.all(sg.entropy(sg.Bernoulli("logit")).numpy()(theta) >= 0)


def test_categorical_logits_entropy_wide_logits_finite() -> None:
    z = np.random.default_rng(1).normal(0, 30, size=(200, 10))
    h = sg.entropy(sg.Categorical(10, "logits")).numpy()(z)
    assert np.all(np.isfinite(h)) and np.all(h >= 0)


@pytest.mark.parametrize("theta", [400.0, -400.0, 30.0])
def test_bernoulli_logit_fisher_far_out(theta: float) -> None:
    got = float(sg.fisher(sg.Bernoulli("logit")).numpy()(theta)[0, 0])
    with mp.workdps(50):
        t = mp.mpf(theta)
        want = float(1 / (1 + mp.exp(-t)) / (1 + mp.exp(t)))  # σ(θ)σ(−θ), nothing cancels
    assert abs(got - want) <= 1e-13 * want


def test_categorical_logits_fisher_with_an_underflowing_class() -> None:
    got = sg.fisher(sg.Categorical(3, "logits")).numpy()([0.0, 0.0, -710.0])
    with mp.workdps(50):
        p = _softmax([0.0, 0.0, -710.0])[:2]
        want = np.array([[float(p[i] * ((i == j) - p[j])) for j in range(2)] for i in range(2)])
    # Chart coordinates are zᵢ − z_k = 710: log pᵢ = zᵢ − LSE rounds at ε·710 ≈ 1.6e-13.
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_categorical_probs_fisher_uses_the_supplied_last_probability() -> None:
    got = sg.fisher(sg.Categorical(2)).numpy()([1.0, 1e-20])
    # F = 1/p₁ + 1/p₂ with the supplied p₂ = 1e-20 (1 − p₁ would be 0).
    assert float(got[0, 0]) == pytest.approx(1.0 + 1e20, rel=1e-15)


@pytest.mark.parametrize("quantity", [sg.kl, sg.entropy])
def test_float32_arrays_mixed_with_python_floats_stay_float32(quantity: object) -> None:
    fam = sg.Gaussian()
    f = quantity(fam).numpy()
    n = 4 if quantity is sg.kl else 2
    args = (np.float32([0.0, 1.0]), 2.0, np.float32([0.5, 0.5]), 3.0)[:n]
    assert f(*args).dtype == np.float32
