"""Hostile inputs for the fuzz suite, and the one rule every public call must obey."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st

from symgeom.errors import SymgeomError

#: Values no numeric argument may accept: each must be refused with a SymgeomError.
INVALID = st.sampled_from([
    float("nan"), float("inf"), -float("inf"), None, "0.5", "abc", "", b"1", {}, {"a": 1},
    1 + 2j, np.complex128(1.0), [[1.0, 2.0], [3.0]], 10**400, -(10**400), [float("nan")],
    [1.0, "x"], np.array(["1.0"]), object(), {1.0}, [None],
])

#: Odd but possibly valid values: an answer or a SymgeomError, never a raw exception.
ODD = st.one_of(
    st.sampled_from([np.empty(0), np.empty((0, 3)), np.zeros((2, 3, 4)), True, 0, -1, 1e308,
                     -1e308, 5e-324, np.float32(0.5), np.int64(3), [], [[]], (1.0, 2.0)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**30), 10**30),
    st.lists(st.floats(-1e3, 1e3), max_size=5),
    st.text(max_size=8),
)

HOSTILE = st.one_of(INVALID, ODD)


def first_words(message: str) -> str:
    return message.split(":")[0][:80]


def obeys_the_rule(call: Callable[[], Any], names: tuple[str, ...] = ()) -> Any:
    """call() returns, or raises a SymgeomError whose message names one of ``names`` (if given).

    Anything else (TypeError, ValueError from NumPy, OverflowError …) fails the test.
    Returns the value, or None if a SymgeomError was raised.
    """
    try:
        return call()
    except SymgeomError as error:
        message = str(error)
        assert message, "a SymgeomError must say what is wrong"
        if names:
            assert any(re.search(rf"\b{re.escape(n)}\b", message) for n in names), (
                f"the error does not name the argument ({', '.join(names)}): {message}"
            )
        return None


def all_finite(value: Any) -> bool:
    arr = np.asarray(value, dtype=float)
    return bool(np.all(np.isfinite(arr)))
