"""Subnormal entropies summed once (symgeom.numeric.tiny_sums) on NumPy, over classes of points:
Categorical(k) probability vectors (k ≤ 6 the per-outcome form of numeric.finite, k ≥ 7 the
vector form of numeric.simplex_forms) with one outcome 1 and the others subnormal (all, one, a
random mix of sizes 5e-324 … 1e-312), and the Bernoulli.  Each −pᵢ·log pᵢ rounded to the
subnormal grid lost up to half a unit: H([1, 1e-320 × 6]) was 2 units low.  Reference: the exact
sum over the supplied entries in mpmath at 60 digits, rounded once.  Bar: one unit 2⁻¹⁰⁷⁴; normal
entropies beside them unchanged (4 ulps)."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import symgeom as sg

UNIT = 2.0**-1074


def _entropy(p: np.ndarray) -> float:
    with mp.workdps(60):
        return float(-mp.fsum(mp.mpf(float(x)) * mp.log(mp.mpf(float(x))) for x in p if x > 0))


def _rows(k: int) -> np.ndarray:
    rng = np.random.default_rng(k)
    rows = [[1.0] + [1e-320] * (k - 1), [1.0] + [3e-312] + [0.0] * (k - 2), [1.0] + [5e-324] * (k - 1)]
    for _ in range(6):  # subnormal entries of mixed sizes, some zeros
        # significands of 1 … 38 bits: H stays subnormal (≤ 2³⁸·2⁻¹⁰⁷⁴·745·7 < 2⁻¹⁰²²)
        tiny = np.ldexp(np.floor(rng.random(k - 1) * 2.0 ** rng.integers(1, 39, k - 1)) + 1, -1074)
        tiny[rng.random(k - 1) < 0.3] = 0.0
        rows.append([1.0, *tiny])
    rows.append([0.25] * 4 + [0.0] * (k - 4) if k >= 4 else [0.5, 0.5] + [0.0] * (k - 2))  # normal H
    return np.array(rows)


@pytest.mark.parametrize("k", [2, 3, 6, 7, 8])
def test_categorical_probability_entropy_subnormal(k):
    rows = _rows(k)
    ref = np.array([_entropy(r) for r in rows])
    assert ((ref > 0) & (ref < 2.2e-308)).sum() >= 8
    f = sg.entropy(sg.Categorical(k)).numpy()
    for got in (f(rows), np.array([f(r) for r in rows])):  # a batch and one row at a time
        bad = ~(np.abs(got - ref) <= 4 * np.finfo(float).eps * ref + UNIT)
        assert not bad.any(), (rows[bad], got[bad], ref[bad])


def test_bernoulli_entropy_subnormal():
    p = np.array([5e-324, 1e-320, 3e-312, 2e-309, 0.3])
    with mp.workdps(60):  # 1 − p exact in mpmath: its term −(1 − p)·log(1 − p) ≈ p counts
        ref = np.array([float(-mp.mpf(x) * mp.log(mp.mpf(x)) - (1 - mp.mpf(x)) * mp.log1p(-mp.mpf(x)))
                        for x in p])
    got = sg.entropy(sg.Bernoulli()).numpy()(p)
    assert np.all(np.abs(got - ref) <= 4 * np.finfo(float).eps * ref + UNIT), (got, ref)


def test_scaled_sum_is_needed():
    """The check can fail: the direct per-term sum misses the bar on these rows."""
    from symgeom.numeric import simplex_forms

    rows = _rows(7)
    ref = np.array([_entropy(r) for r in rows])
    direct = simplex_forms.entropy(np, rows)
    assert not np.all(np.abs(direct - ref) <= 4 * np.finfo(float).eps * ref + UNIT)
