"""The front door of every compiled function: real numbers in a rectangular array, or an
InvalidParameterError naming the argument — no silent casts, no raw NumPy errors."""

from __future__ import annotations

import numpy as np
import pytest

import symgeom as sg
from symgeom.errors import InvalidParameterError
from symgeom.natural import conjugate_gradient, ppo_clip_objective
from symgeom.numeric import kl_function
from symgeom.numeric.coerce import real_array

BAD = [
    (1 + 2j, "complex"),
    (np.array([1.0 + 0j]), "complex"),
    ("0.5", "string"),
    ("abc", "string"),
    (b"1", "string"),
    ({"a": 1}, "dict"),
    ([[1.0, 2.0], [3.0]], "rectangular"),
    (10**400, "too large"),
    ([1.0, 10**400], "too large"),
    (None, "None"),
    ([1.0, "x"], "strings"),
    (np.array(["1"]), "strings"),
    (object(), "object"),
]


@pytest.mark.parametrize(("value", "words"), BAD)
def test_bad_values_name_the_argument(value, words):
    with pytest.raises(InvalidParameterError, match=rf"^sigma_1 .*{words}"):
        kl_function(sg.Gaussian())(0.0, value, 0.0, 1.0)
    with pytest.raises(InvalidParameterError, match=words):
        real_array(value, "x")


def test_good_values_keep_their_precision():
    assert real_array(np.float32(1.5), "x").dtype == np.float32
    assert real_array([1, 2], "x").dtype == np.float64
    assert real_array([True], "x").dtype == np.float64
    assert real_array(np.array([0.25], dtype=object), "x")[0] == 0.25


def test_natural_gradient_functions_share_the_front_door():
    with pytest.raises(InvalidParameterError, match="ratio must be real"):
        ppo_clip_objective([1 + 1j], [1.0])
    with pytest.raises(InvalidParameterError, match=r"^b must be"):
        conjugate_gradient(np.eye(2), ["1", "2"])
