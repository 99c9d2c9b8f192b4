"""A probability vector must sum to 1 within √ε of its dtype (1.5e-8 in float64, 3.5e-4 in float32)."""

from __future__ import annotations

import numpy as np
import pytest

import symgeom as sg
from symgeom.errors import InvalidParameterError
from symgeom.numeric import kl_function


@pytest.mark.parametrize(("dtype", "off_ok", "off_bad"), [
    (np.float64, 1e-9, 1e-6),   # √ε = 1.5e-8; ε^¼ = 1.2e-4 would let 1e-6 through
    (np.float32, 1e-4, 2e-3),   # √ε = 3.5e-4; ε^¼ = 1.9e-2
])
def test_simplex_sum_tolerance_is_sqrt_eps(dtype, off_ok, off_bad):
    kl = kl_function(sg.Categorical(3))
    q = np.array([0.2, 0.3, 0.5], dtype=dtype)
    good = np.array([0.2, 0.3, 0.5 + off_ok], dtype=dtype)
    assert np.isfinite(kl(good, q))
    bad = np.array([0.2, 0.3, 0.5 + off_bad], dtype=dtype)
    with pytest.raises(InvalidParameterError, match="sum to 1"):
        kl(bad, q)
