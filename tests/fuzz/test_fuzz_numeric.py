"""Compiled NumPy functions under hostile arguments: a SymgeomError naming the argument, or an
answer that is not nan (inf only where the true value overflows) and, for KL, not negative."""

from __future__ import annotations

import numpy as np
import pytest
from fuzz_hostile import HOSTILE, INVALID, obeys_the_rule
from hypothesis import given
from hypothesis import strategies as st

import symgeom as sg
from symgeom.numeric import kl_function
from symgeom.testing import arrays, params

FAMILIES = [sg.Bernoulli(), sg.Categorical(3, "logits"), sg.Categorical(3), sg.Gaussian(),
            sg.Gaussian("natural"), sg.MultivariateGaussian(2), sg.MultivariateGaussian(2, "diagonal")]


def _functions(family):
    yield "kl_function", kl_function(family), 2
    yield "kl", sg.kl(family).numpy(), 2
    yield "fisher", sg.fisher(family).numpy(), 1
    yield "entropy", sg.entropy(family).numpy(), 1


CASES = [(f, name, fn, points) for f in FAMILIES for name, fn, points in _functions(f)]


@pytest.mark.parametrize(("family", "name", "function", "points"), CASES,
                         ids=[f"{c[0].label}-{c[1]}" for c in CASES])
@given(data=st.data(), invalid=st.booleans())
def test_one_hostile_argument(family, name, function, points, data, invalid):
    args = []
    for _ in range(points):
        args += arrays(family, data.draw(params(family), label="theta"))
    index = data.draw(st.integers(0, len(args) - 1), label="index")
    args[index] = data.draw(INVALID if invalid else HOSTILE, label="value")
    names = tuple(i.name for i in function.signature.inputs)
    out = obeys_the_rule(lambda: function(*args), names)
    if out is None:
        return
    assert not invalid, f"{name} accepted {args[index]!r} for {names[index]}"
    out = np.asarray(out)
    assert out.dtype.kind == "f" and not np.any(np.isnan(out))
    if name.startswith("kl"):
        assert np.all(out >= 0)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.label)
def test_wrong_argument_count_is_a_clear_type_error(family):
    with pytest.raises(TypeError, match="takes"):
        kl_function(family)(1.0)
