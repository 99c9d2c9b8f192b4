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
from logit_float32_cases import (  # noqa: E402
    EPS32,
    TINY32,
    ULPS,
    bad_entries,
    call_arguments,
    entropy_cases,
    families,
    kl_cases,
    pairs,
    point_cases,
    reference,
)

import symgeom as sg  # noqa: E402
from symgeom.backends.waiting_entropy import waiting_entropy  # noqa: E402
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
    keeps an expectation explicit without a backend form is refused with the reason (the negative binomial
    has one: symgeom.backends.waiting_entropy)."""
    derivation = sg.entropy(family)
    if derivation.result.has(sp.Sum) and waiting_entropy(family) is None:
        with pytest.raises(UnknownQuantityError, match="explicit"):
            derivation.jax()
        return
    arrays, ref = entropy_cases(family)
    value = jax.jit(derivation.jax())(*[jnp.asarray(a) for a in arrays])
    assert value.dtype == jnp.float32
    got = np.asarray(value)
    bad = bad_entries(got, ref, nonnegative=True)
    assert not bad.any(), (arrays, got[bad], ref[bad])


#: logits at the bottom of σ's normal float32 range (σ(−87) ≈ 1.6e-38, 1.4× the smallest normal
#: float32) against steps whose natural step σ(θ)·Δθ is subnormal for most of them
EDGE_LOGITS = (-87.0, -86.0, -85.0, -80.0)
EDGE_STEPS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5)


def _edge_pairs() -> list[tuple[tuple[float, ...], tuple[float, ...]]]:
    out = [((a,), (a + sign * s,)) for a in EDGE_LOGITS for s in EDGE_STEPS for sign in (1, -1)]
    return [(tuple(map(_f32, a)), tuple(map(_f32, b))) for a, b in out]


def _f32(x: float) -> float:
    return float(np.float32(x))


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.label)
def test_float32_kl_without_x64(family):
    """float32 computed in float32 (``jax_enable_x64`` off: no widening to float64), on XLA's
    flush-to-zero CPU: the grid of the other tests plus logits −87 … −80 against steps down to
    10⁻⁵, where a geometric or negative binomial logit's natural step σ(θ)·Δθ is subnormal.
    Bar: 100 ulps of the reference plus the smallest normal float32 absolutely — a node value of
    the remainder below the normal range is flushed, and each rule's weights sum to 1.  Before:
    the subnormal t·Δη flushed (583 266 ulps at (−86, −85.9); inf at θ = −87, where η/2 was
    subnormal), and Binomial (−80, −80.08) (KL 2.2e-37) was 0: every weighted term wⱼfⱼ was
    subnormal (now summed after an exact rescaling by a power of 2)."""
    cases = pairs(family)
    if len(family.parameters) == 1:
        cases = cases + _edge_pairs()
    ref = reference(family, "kl", [a + b for a, b in cases])
    one = call_arguments(family, [a for a, _ in cases])
    two = call_arguments(family, [b for _, b in cases])
    with jax.enable_x64(False):
        value = jax.jit(sg.kl(family).jax())(*[jnp.asarray(a) for a in one + two])
        assert value.dtype == jnp.float32
        got = np.asarray(value).astype(float)
    error = np.abs(got - ref)
    bad = ~(error <= ULPS * EPS32 * np.abs(ref) + TINY32) | (got < 0)
    assert not bad.any(), [(cases[i], got[i], ref[i]) for i in np.flatnonzero(bad)][:5]
