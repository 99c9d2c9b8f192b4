"""quot_sum on eager CPU torch: the direct sum a/b + c/d where it does not cancel, the exact
numerator only at the gathered entries where it does (``quotient_forms._eager_cpu_split``).

A batch mixing cancelling entries (c/d = −a/b·(1 + δ), δ down to 1e-15), non-cancelling ones
(random signs, magnitudes over 200 decades) and entries whose products leave the range, each
against 50-digit mpmath: every entry within 4 ulps of the exact sum where the exact form applies,
and within the direct form's own error elsewhere (as the exact form's fallback gives).
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from symgeom.backends import quotient_forms
from symgeom.backends.quotient_forms import quot_sum

torch = pytest.importorskip("torch")


def _batch() -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(12)
    n = 400
    a = rng.normal(size=n) * 10.0 ** rng.uniform(-100, 100, n)
    b = rng.normal(size=n) * 10.0 ** rng.uniform(-100, 100, n)
    d = rng.normal(size=n) * 10.0 ** rng.uniform(-100, 100, n)
    c = rng.normal(size=n) * 10.0 ** rng.uniform(-100, 100, n)
    near = rng.random(n) < 0.5  # cancelling: c/d = −(a/b)(1 + δ), δ in 1e-15 … 1e-1
    delta = 10.0 ** rng.uniform(-15, -1, n)
    c = np.where(near, -a * d / b * (1 + delta), c)
    return a, b, c, d


def _reference(a: float, b: float, c: float, d: float) -> float:
    with mp.workdps(50):
        return float(mp.mpf(a) / mp.mpf(b) + mp.mpf(c) / mp.mpf(d))


def test_split_matches_the_exact_sum():
    from symgeom.backends.ops import torch_ops

    a, b, c, d = _batch()
    got = quot_sum(torch_ops(), *(torch.from_numpy(x) for x in (a, b, c, d))).numpy()
    with np.errstate(all="ignore"):
        direct = a / b + c / d
    worst = 0.0
    for i in range(len(a)):
        ref = _reference(a[i], b[i], c[i], d[i])
        assert np.isfinite(got[i]), (i, got[i], ref)
        # where the exact form falls back to the direct one (products out of range), its error
        bound = max(4 * 2.0**-53 * abs(ref), abs(direct[i] - ref) if np.isfinite(direct[i]) else 0.0)
        assert abs(got[i] - ref) <= bound + 1e-300, (i, got[i], ref, direct[i])
        if abs(ref) > 1e-290:
            worst = max(worst, abs(got[i] - ref) / abs(ref))
    assert worst <= 4 * 2.0**-53


def test_split_takes_both_paths():
    """The batch above has entries of both kinds (else the test would not reach the gather)."""
    from symgeom.backends.ops import torch_ops

    a, b, c, d = (torch.from_numpy(x) for x in _batch())
    calls = []
    exact = quotient_forms.quot_sum

    def counting(ops, *args):
        calls.append(args[0].numel())
        return exact(ops, *args)

    quotient_forms.quot_sum = counting
    try:
        quotient_forms._eager_cpu_split(torch_ops(), a, b, c, d, a)
    finally:
        quotient_forms.quot_sum = exact
    assert len(calls) == 1 and 0 < calls[0] < a.numel(), calls
