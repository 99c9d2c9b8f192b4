"""kl_div on blocks that mix near and far pairs (the lean block path: direct form everywhere,
then the series on the gathered near subset) against 50-digit mpmath, and the same through the
blocked validate=False Poisson KL, whose inputs are range-checked block by block."""

from __future__ import annotations

import mpmath as mp
import numpy as np

import symgeom as sg
from symgeom.numeric import kernels, kl_function

#: Issue 12's bar: relative error against the 50-digit reference.
BAR = 1e-12


def _kl_div_ref(a: float, b: float) -> mp.mpf:
    with mp.workdps(50):
        x, y = mp.mpf(float(a)), mp.mpf(float(b))
        return x * mp.log(x / y) - x + y


def _mixed(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Rates 10⁻¹⁰ … 10¹⁰; every other pair far (independent), the rest near (relative 10⁻¹⁴ … 10⁻²)."""
    a = 10.0 ** rng.uniform(-10, 10, n)
    b = 10.0 ** rng.uniform(-10, 10, n)
    near = 1 + 10.0 ** rng.uniform(-14, -2, n) * rng.choice([-1.0, 1.0], n)
    b[::2] = a[::2] * near[::2]
    return a, b


def _worst(got: np.ndarray, a: np.ndarray, b: np.ndarray, index: np.ndarray) -> float:
    return max(float(abs(mp.mpf(float(got[i])) / _kl_div_ref(a[i], b[i]) - 1)) for i in index)


def test_kl_div_block_with_near_and_far_pairs_keeps_1e12() -> None:
    rng = np.random.default_rng(14)
    a, b = _mixed(4096, rng)
    got = kernels.kl_div(a, b, a - b)
    assert np.all(got >= 0)
    assert _worst(got, a, b, rng.choice(a.size, 300, replace=False)) <= BAR


def test_blocked_poisson_kl_with_near_and_far_pairs_keeps_1e12() -> None:
    rng = np.random.default_rng(15)
    a, b = _mixed(3 * kernels.BLOCK + 7, rng)
    got = kl_function(sg.Poisson(), validate=False)(a, b)
    assert np.all(got >= 0)
    # Both ends of every block boundary, and a random sample.
    edges = np.array([i * kernels.BLOCK + j for i in range(1, 4) for j in (-2, -1, 0, 1)])
    sample = np.concatenate([edges[edges < a.size], rng.choice(a.size, 200, replace=False)])
    assert _worst(got, a, b, sample) <= BAR


def test_blocked_poisson_kl_marks_only_the_out_of_domain_entries() -> None:
    rng = np.random.default_rng(16)
    a, b = _mixed(2 * kernels.BLOCK + 3, rng)
    # (−1, −2) has a positive ratio, so the formula alone would return a finite number there.
    bad = {5: (-1.0, -2.0), kernels.BLOCK + 1: (np.inf, 1.0), 2 * kernels.BLOCK + 2: (np.nan, 1.0)}
    for index, (x, y) in bad.items():
        a[index], b[index] = x, y
    got = kl_function(sg.Poisson(), validate=False)(a, b)
    assert set(np.flatnonzero(np.isnan(got))) == set(bad)
