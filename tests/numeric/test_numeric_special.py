"""symgeom.numeric.special.polygamma against 40-digit mpmath, and its edge values."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from symgeom.numeric.special import polygamma


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_polygamma_matches_mpmath_over_thirteen_decades(n: int) -> None:
    x = np.concatenate([10.0 ** np.linspace(-5, 8, 200), np.linspace(0.5, 30, 120)])
    got = polygamma(n, x)
    with mp.workdps(40):
        errors = [abs(float(g / mp.polygamma(n, mp.mpf(v)) - 1)) for g, v in zip(got, x, strict=True)]
    # Positive terms only (recurrence, then the asymptotic series past 10): a few ulp.
    assert max(errors) <= 8 * np.finfo(float).eps


def test_polygamma_edges_and_dtype() -> None:
    out = polygamma(1, np.array([-0.5, 0.0, np.nan, 2.0]))
    with mp.workdps(30):
        assert out[0] == pytest.approx(float(mp.polygamma(1, -0.5)), rel=1e-14)
    assert np.isinf(out[1]) and np.isnan(out[2])
    assert polygamma(2, np.float32([1.0, 2.0])).dtype == np.float32
    assert np.ndim(polygamma(1, 3.0)) == 0
