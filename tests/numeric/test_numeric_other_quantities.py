"""Compiled functions of quantities beyond KL/Fisher/entropy: θ mixed with free reals, validated finite."""

from __future__ import annotations

import numpy as np
import pytest

import symgeom as sg
from symgeom.natural import natural_gradient


def test_natural_gradient_compiles_with_validation():
    f = natural_gradient(sg.Gaussian()).numpy()
    # (μ, σ) = (0, 2), ∂J = (1, 1): natural step (σ², σ²/2) = (4, 2).
    assert np.allclose(np.asarray(f(0.0, 2.0, 1.0, 1.0), dtype=float).ravel(), [4.0, 2.0])
    with pytest.raises(sg.InvalidParameterError, match="must be finite"):
        f(0.0, 2.0, np.nan, 1.0)
    assert np.allclose(np.asarray(natural_gradient(sg.Gaussian()).numpy(validate=False)(
        0.0, 2.0, 1.0, 1.0), dtype=float).ravel(), [4.0, 2.0])
