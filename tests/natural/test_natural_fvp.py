"""Closed-form Fisher-vector products equal F@v with F compiled from the derived Fisher matrix."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from natural_catalog import CATALOG, IDS, sample_point

import symgeom as sg
from symgeom.errors import InvalidParameterError
from symgeom.natural import categorical_logits_fvp, fisher_at, fisher_vector_product, fvp_operator


@pytest.mark.parametrize("fam", CATALOG, ids=IDS)
def test_fvp_equals_formed_fisher_times_v(fam: sg.Family) -> None:
    rng = np.random.default_rng(11)
    for _ in range(3):
        theta = sample_point(fam, rng)
        v = rng.normal(size=len(theta))
        formed = fisher_at(fam, theta) @ v
        # Both sides are a few flops per entry from the same θ: agreement to ~100 ulps.
        np.testing.assert_allclose(fisher_vector_product(fam, theta, v), formed,
                                   rtol=1e-12, atol=1e-12 * np.abs(formed).max())
        np.testing.assert_allclose(fvp_operator(fam, theta)(v), formed,
                                   rtol=1e-12, atol=1e-12 * np.abs(formed).max())


def test_categorical_logits_fvp_is_linear_memory() -> None:
    # k = 10⁴: a formed F would take k² · 8 B = 800 MB; the FVP allocates a few k-vectors.
    k = 10_000
    rng = np.random.default_rng(0)
    z, v = rng.normal(size=k - 1), rng.normal(size=k - 1)
    tracemalloc.start()
    categorical_logits_fvp(z, v, logits="free")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10 * k * 8


def test_bad_input() -> None:
    fam = sg.Gaussian()
    with pytest.raises(InvalidParameterError, match="sigma"):
        fisher_vector_product(fam, [0.0, -1.0], [1.0, 0.0])
    with pytest.raises(InvalidParameterError, match="shape"):
        fisher_vector_product(fam, [0.0, 1.0, 2.0], [1.0, 0.0])
    with pytest.raises(InvalidParameterError, match="shape"):
        fisher_vector_product(fam, [0.0, 1.0], [1.0])
    with pytest.raises(InvalidParameterError, match="sum to less than 1"):
        fisher_vector_product(sg.Categorical(3), [0.6, 0.5], [1.0, 0.0])
    with pytest.raises(InvalidParameterError, match="positive definite"):
        fisher_vector_product(sg.MultivariateGaussian(2), [0, 0, 1.0, 2.0, 1.0], np.ones(5))


def _reference_fvp(z: np.ndarray, v: np.ndarray) -> list[float]:
    """p⊙v − p(pᵀv) in 60-digit arithmetic, z_k = 0."""
    import mpmath as mp

    with mp.workdps(60):
        e = [mp.exp(mp.mpf(x)) for x in z] + [mp.mpf(1)]
        total = sum(e)
        p = [x / total for x in e[:-1]]
        c = sum(pi * mp.mpf(vi) for pi, vi in zip(p, v, strict=True))
        return [float(pi * (mp.mpf(vi) - c)) for pi, vi in zip(p, v, strict=True)]


@pytest.mark.parametrize("z", [[25.0, -3.0, 1.0], [-2.0, 36.0], [0.3, -0.2, 0.1, 0.5]])
def test_categorical_logits_fvp_keeps_digits_when_one_class_dominates(z: list[float]) -> None:
    # With pₘ → 1, Fₘₘ = pₘ(1 − pₘ) is tiny; forming 1 − pₘ by subtraction would lose all of it.
    z = np.array(z)
    v = np.random.default_rng(4).normal(size=len(z))
    ref = np.array(_reference_fvp(z, v))
    assert np.all(np.abs(categorical_logits_fvp(z, v, logits="free") - ref) <= 1e-13 * np.abs(ref))


def _reference_all_logits(z: np.ndarray, v: np.ndarray) -> list[float]:
    """diag(p)v − p(pᵀv) with p = softmax over all K logits, in 60-digit mpmath."""
    import mpmath as mp

    with mp.workdps(60):
        e = [mp.exp(mp.mpf(x)) for x in z]
        p = [x / sum(e) for x in e]
        c = sum(pi * mp.mpf(vi) for pi, vi in zip(p, v, strict=True))
        return [float(pi * (mp.mpf(vi) - c)) for pi, vi in zip(p, v, strict=True)]


@pytest.mark.parametrize("z", [[0.3, -0.2, 0.1, 0.5], [25.0, -3.0, 1.0]])
def test_categorical_logits_fvp_reads_the_named_chart(z: list[float]) -> None:
    """The same K numbers: all K logits of a softmax (a network head) vs K free logits of a
    (K+1)-class softmax give different products; each matches its own 60-digit reference."""
    z = np.array(z)
    v = np.random.default_rng(5).normal(size=len(z))
    every = categorical_logits_fvp(z, v, logits="all")
    free = categorical_logits_fvp(z, v, logits="free")
    ref_all, ref_free = np.array(_reference_all_logits(z, v)), np.array(_reference_fvp(z, v))
    assert np.all(np.abs(every - ref_all) <= 1e-13 * np.abs(ref_all))
    assert np.all(np.abs(free - ref_free) <= 1e-13 * np.abs(ref_free))
    assert np.max(np.abs(every - free)) > 1e-3 * np.max(np.abs(ref_all))
    # Shifting every logit leaves the softmax over all K unchanged, so F·1 = 0 in that chart.
    assert np.max(np.abs(categorical_logits_fvp(z, np.ones_like(z), logits="all"))) <= 1e-15


@pytest.mark.parametrize("chart", [None, "probs", "K"])
def test_categorical_logits_fvp_refuses_an_unnamed_chart(chart) -> None:
    with pytest.raises(InvalidParameterError, match=r"logits must name the chart of z.*'free'.*'all'"):
        categorical_logits_fvp([0.1, 0.2, 0.3], [1.0, 0.0, 0.0], logits=chart)


@pytest.mark.parametrize("theta", [-40.0, -8.0, 0.5, 8.0, 40.0])
def test_bernoulli_logit_fvp_keeps_digits_in_the_tails(theta: float) -> None:
    import mpmath as mp

    with mp.workdps(60):
        s = 1 / (1 + mp.exp(-mp.mpf(theta)))
        ref = float(s * (1 - s))
    got = fisher_vector_product(sg.Bernoulli("logit"), [theta], [1.0])[0]
    assert abs(got - ref) <= 4 * np.finfo(float).eps * ref
