"""float32 KL and Fisher of the logit charts under ``jax.jit`` at logits up to ±80: the bars of
tests/numeric/test_numeric_logit_float32.py (KL values below the float32 normal range may be
flushed to 0 by XLA on the CPU: held to the smallest normal float32 there)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

jax = pytest.importorskip("jax")
pytest.importorskip("array_api_compat")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "backends"))
from logit_float32_cases import bad_entries, entropy_cases, families, kl_cases, pairs, point_cases  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.errors import UnknownQuantityError  # noqa: E402

FAMILIES = families()


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.label)
def test_float32_kl_within_100_ulps(family):
    one, two, ref = kl_cases(family)
    value = jax.jit(sg.kl(family).jax())(*[jnp.asarray(a) for a in one + two])
    assert value.dtype == jnp.float32
    got = np.asarray(value)
    bad = bad_entries(got, ref, nonnegative=True)
    cases = pairs(family)
    assert not bad.any(), [(cases[i], got[i], ref[i]) for i in np.flatnonzero(bad)][:5]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.label)
def test_float32_fisher_within_100_ulps(family):
    arrays, ref = point_cases(family, "fisher")
    got = jax.jit(sg.fisher(family).jax())(*[jnp.asarray(a) for a in arrays])
    assert got.dtype == jnp.float32
    assert not bad_entries(np.asarray(got), ref, nonnegative=False).any()


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.label)
def test_float32_entropy_within_100_ulps(family):
    """Entropy at logits ±80 under jax.jit: float32 out, within 100 ulps, positive; an entropy that
    keeps an expectation explicit (negative binomial) is refused with the reason."""
    derivation = sg.entropy(family)
    if derivation.result.has(sp.Sum):
        with pytest.raises(UnknownQuantityError, match="explicit"):
            derivation.jax()
        return
    arrays, ref = entropy_cases(family)
    value = jax.jit(derivation.jax())(*[jnp.asarray(a) for a in arrays])
    assert value.dtype == jnp.float32
    got = np.asarray(value)
    bad = bad_entries(got, ref, nonnegative=True)
    assert not bad.any(), (arrays, got[bad], ref[bad])
