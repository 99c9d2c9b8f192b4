"""kl_div(1, x/y) of two inputs over the whole float64 range (NumPy, and torch, which sends entries
with an input below 2⁻⁵¹¹ to NumPy): the Exponential KL

    KL(Exp(λ₁) ‖ Exp(λ₂)) = log(λ₁/λ₂) + λ₂/λ₁ − 1     (the textbook form, in mpmath at 60 digits)

is finite wherever λ₂/λ₁ underflows (log(λ₁/λ₂) is at most 1 490); the printed kl_div(1, λ₂/λ₁)
read the underflowed ratio as 0 and returned inf (1e300 ‖ 1e-300: inf for 1380.55).  The scale
chart's ratio is s₁/s₂, the same form.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

import symgeom as sg

torch = pytest.importorskip("torch")


def _reference(x_1: float, x_2: float, chart: str) -> mp.mpf:
    """The KL at the chart's inputs: rates, or scales s (the rate 1/s, exact at 60 digits)."""
    with mp.workdps(60):
        a, b = mp.mpf(x_1), mp.mpf(x_2)
        if chart == "scale":
            a, b = 1 / a, 1 / b
        return mp.log(a / b) + b / a - 1


def _rates(seed: int = 5, n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    one = 10 ** rng.uniform(-300, 300, n)
    two = 10 ** rng.uniform(-300, 300, n)
    two[::4] = one[::4] * (1 + 10 ** rng.uniform(-14, -1, len(one[::4])))  # near pairs
    one[:2], two[:2] = [1e300, 1e200], [1e-300, 1e-200]  # the reproducers
    return one, two


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("chart", ["rate", "scale"])
def test_exponential_kl_where_the_ratio_leaves_the_range(chart: str, backend: str) -> None:
    one, two = _rates()
    kl = sg.kl(sg.family("exponential", chart))
    x1, x2 = (one, two) if chart == "rate" else (1 / one, 1 / two)
    if backend == "numpy":
        got = np.asarray(kl.numpy(validate=False)(x1, x2))
    else:
        got = kl.torch()(torch.tensor(x1, dtype=torch.float64), torch.tensor(x2, dtype=torch.float64)).numpy()
    for i, value in enumerate(got):
        ref = _reference(x1[i], x2[i], chart)
        if ref > 1.7e308:
            assert value == math.inf, (i, one[i], two[i], value)
            continue
        error = abs(mp.mpf(value) - ref)
        assert value >= 0 and error <= 1e-13 * ref, (i, one[i], two[i], value, mp.nstr(ref, 17))
