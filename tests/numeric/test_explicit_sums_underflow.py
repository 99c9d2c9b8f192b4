"""Explicit sums whose first terms underflow: the tail bound is read from the ratio of the logs,
so the sum cannot stop below the mode.  A Poisson entropy at λ = 1000 was −5907.76 (true 4.8727):
e^{−1000}λˣ/x! is 0 in float64 for the first terms, and 0/0 was read as a term ratio of 0."""

from __future__ import annotations

import mpmath as mp
import numpy as np

import symgeom as sg


def _poisson_entropy(lam: float) -> mp.mpf:
    """−λ log λ + λ + E[log x!], the sum over mean ± 40 sd in mpmath (the rest is below 1e-300)."""
    lam = mp.mpf(lam)
    lo, hi = max(0, int(lam - 40 * mp.sqrt(lam))), int(lam + 40 * mp.sqrt(lam)) + 50
    log_fact = mp.fsum(mp.exp(k * mp.log(lam) - lam - mp.loggamma(k + 1)) * mp.loggamma(k + 1)
                       for k in range(lo, hi))
    return -lam * mp.log(lam) + lam + log_fact


def test_poisson_entropy_past_underflowing_first_terms():
    """λ = 300 and 1000: ~10³ terms of E[log x!] ≈ λ log λ each rounded (≤ N·ulp relative, N ≈ 2300:
    2.6e-13), then −λ log λ + λ + E[log x!] cancels a factor λ log λ / H ≈ 1400: ≤ 2e-9 relative
    (measured 3.7e-10 at λ = 1000)."""
    lam = np.array([300.0, 1000.0])
    got = sg.entropy(sg.Poisson()).numpy()(lam)
    with mp.workdps(50):
        want = np.array([float(_poisson_entropy(v)) for v in lam])
    np.testing.assert_allclose(got, want, rtol=2e-9)


def test_poisson_entropy_at_100_and_1e4_to_1e_12():
    """Was strict xfail (−λ log λ + λ + E[log x!] cancelled λ log λ/H: 6e-12 at λ = 100, 2e-7 at 1e4);
    now E[log X!] is replaced by H_λ + λ log λ − λ and H_λ summed without cancellation
    (symgeom.numeric.log_factorial).  The full range is in test_poisson_entropy_large_rates.py."""
    lam = np.array([100.0, 1e4])
    got = sg.entropy(sg.Poisson()).numpy()(lam)
    with mp.workdps(50):
        want = np.array([float(_poisson_entropy(v)) for v in lam])
    np.testing.assert_allclose(got, want, rtol=1e-12)
