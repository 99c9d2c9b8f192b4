"""``Derivation.torch()`` / ``.jax()`` / ``.array_api()`` build one function per (derivation,
backend, validate): ``jax.jit`` keys its compilations by the function object, so a second
``jax.jit(d.jax())`` (another call site, another test) reuses the first one's compilation."""

from __future__ import annotations

import numpy as np
import pytest

import symgeom as sg

jax = pytest.importorskip("jax")
pytest.importorskip("array_api_compat")
import jax.numpy as jnp  # noqa: E402


@pytest.mark.parametrize("backend", ["torch", "jax", "array_api"])
def test_one_function_per_derivation_backend_and_validate(backend):
    if backend == "torch":
        pytest.importorskip("torch")
    derivation = sg.kl(sg.Bernoulli())
    first = getattr(derivation, backend)()
    assert getattr(sg.kl(sg.Bernoulli()), backend)() is first
    assert getattr(derivation, backend)(validate=True) is first
    unchecked = getattr(derivation, backend)(validate=False)
    assert unchecked is not first and getattr(derivation, backend)(validate=False) is unchecked
    assert getattr(sg.entropy(sg.Bernoulli()), backend)() is not first


def test_jit_of_the_same_derivation_traces_once_per_shape(monkeypatch):
    kl = sg.kl(sg.Bernoulli()).jax()
    traced = []
    call = type(kl).__call__

    def counted(self, *args):
        traced.append(args[0].shape)
        return call(self, *args)

    monkeypatch.setattr(type(kl), "__call__", counted)
    rng = np.random.default_rng(0)
    p, q = (jnp.asarray(rng.uniform(0.1, 0.9, size=(7, 3))) for _ in range(2))  # a shape of its own
    values = [np.asarray(jax.jit(sg.kl(sg.Bernoulli()).jax())(p, q)) for _ in range(3)]
    assert len(traced) <= 1  # 3 when every .jax() was a new function: traced and compiled each time
    np.testing.assert_array_equal(values[0], values[2])
