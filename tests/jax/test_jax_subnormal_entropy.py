"""Entropies whose value is subnormal, under JAX on the CPU (XLA flushes subnormal results and reads
subnormal operands as 0): H of a Bernoulli at p = 1e-310 (7.1e-308), of a Bernoulli logit at
θ = −720 (1.5e-310), of Categorical logits (0, −720, −720), probabilities (1, 1e-310, 0), Binomial(4)
at p = 1e-310 or θ = ±720, a geometric logit at θ = 720.  JAX returned 0 for all of them (nan for
the Binomial(4) probability chart); ``symgeom.backends.tiny_entropy`` now assembles them.

Reference: −Σₓ p(x) log p(x) from the family's log-density, by mpmath at 800 digits.  Bar as in
test_jax_subnormal_results.py: a subnormal result is a multiple of u = 2⁻¹⁰⁷⁴, so the correctly
rounded value is within u/2; the log-magnitude copy adds its exponent's relative error
|L|·ε ≤ 1.7e-13 (|L| ≤ 745): |got − ref| ≤ 1e-12·|ref| + u (float32: 100 ulps·|ref| + 2⁻¹⁴⁹)."""

from __future__ import annotations

from functools import cache

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

jax = pytest.importorskip("jax")
pytest.importorskip("array_api_compat")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import symgeom as sg  # noqa: E402
from symgeom.backends import tiny_forms  # noqa: E402

#: (family, points); a point is the list of the arrays the function takes
CASES = [
    (sg.Bernoulli(), [[1e-310], [5e-324], [3e-320], [1e-309], [2.2e-308]]),
    (sg.Bernoulli("logit"), [[-720.0], [-744.0], [710.0], [730.0], [-709.0]]),
    (sg.Categorical(2, "logits"), [[[0.0, -720.0]], [[-741.0, 0.0]]]),
    (sg.Categorical(3, "logits"), [[[0.0, -720.0, -720.0]], [[715.0, -15.0, 0.0]], [[0.0, -725.0, -740.0]]]),
    (sg.Categorical(2), [[[1.0, 1e-310]], [[1.0, 4e-322]]]),
    (sg.Categorical(3), [[[1.0, 1e-310, 0.0]], [[1.0, 0.0, 1e-310]], [[1.0, 3e-320, 2e-315]]]),
    (sg.Binomial(4), [[1e-310], [1e-312], [2e-320]]),
    (sg.Binomial(4, "logit"), [[-720.0], [720.0], [-735.0]]),
    (sg.Geometric("logit"), [[720.0], [740.0], [712.0]]),
]


def _ids(case: tuple) -> str:
    return case[0].label


@cache
def _log_mass(family: sg.Family) -> tuple[object, tuple | None]:
    """log p(x | θ) as an mpmath function of (x…, θ…), and the outcomes of a finite support."""
    from symgeom.families.base import FiniteSupport

    function = sp.lambdify(tuple(family.variables) + family.symbols(), family.log_density(None), "mpmath")
    support = family.support
    outcomes = support.outcomes if isinstance(support, FiniteSupport) else None
    if outcomes is None and support.upper is not None:
        outcomes = tuple((x,) for x in range(int(support.upper) + 1))
    return function, outcomes


def reference(family: sg.Family, point: list) -> float:
    """−Σₓ p(x) log p(x) at 800 digits (1 − 1e-310 needs more than 310), from the family's
    log-density at each outcome (x = 0, 1, … until the terms are below 1e-60 of the sum on an
    unbounded support); a probability vector (simplex chart) by its entries as given, a logit
    vector relative to its last entry."""
    form = family.chart.array_arguments[0].form if family.chart.array_arguments else None
    flat = [float(x) for a in point for x in np.ravel(a)]
    with mp.workdps(800):
        if form == "simplex":
            return float(-mp.fsum(mp.mpf(p) * mp.log(mp.mpf(p)) for p in flat if p))
        if form == "pinned":
            flat = [x - flat[-1] for x in flat[:-1]]
        theta = [mp.mpf(x) for x in flat]
        function, outcomes = _log_mass(family)
        total = mp.mpf(0)
        for x, outcome in enumerate(outcomes or iter(lambda: None, 0)):
            ell = function(*(outcome if outcomes else (x,)), *theta)
            term = -mp.exp(ell) * ell
            total += term
            if outcomes is None and x > 10 and term < mp.mpf(10) ** -60 * total:
                break
        return float(total)


def arrays(points: list, dtype: type = np.float64) -> list[np.ndarray]:
    return [np.array([p[i] for p in points], dtype=dtype) for i in range(len(points[0]))]


def check(got: np.ndarray, ref: np.ndarray, relative: float, unit: float) -> None:
    bad = ~(np.abs(got - ref) <= relative * np.abs(ref) + unit)
    assert not bad.any(), (got[bad], ref[bad])


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_subnormal_entropy_float64(case):
    family, points = case
    ref = np.array([reference(family, p) for p in points])
    assert (ref < 2.0**-1000).all() and (ref < 2.3e-308).any()  # the copy's range; some subnormal
    function = sg.entropy(family).jax()
    args = [jnp.asarray(a) for a in arrays(points)]
    for f in (function, jax.jit(function)):
        got = np.asarray(f(*args))
        assert got.dtype == np.float64
        check(got, ref, 1e-12, 2.0**-1074)


#: float32 without x64: subnormal below 1.2e-38
CASES32 = [
    (sg.Bernoulli(), [[1e-40], [3e-44]]),
    (sg.Bernoulli("logit"), [[-92.0], [95.0]]),
    (sg.Categorical(3, "logits"), [[[0.0, -92.0, -99.0]]]),
    (sg.Categorical(3), [[[1.0, 1e-40, 0.0]]]),
    (sg.Geometric("logit"), [[93.0]]),
]


@pytest.mark.parametrize("case", CASES32, ids=_ids)
def test_subnormal_entropy_float32_without_x64(case):
    family, points = case
    ref = np.array([reference(family, [np.float32(a).astype(float) for a in p]) for p in points])
    assert (ref < 2.0**-100).all() and (ref < 1.2e-38).any()
    function = sg.entropy(family).jax()
    with jax.enable_x64(False):
        args = [jnp.asarray(a) for a in arrays(points, np.float32)]
        for f in (function, jax.jit(function)):
            got = np.asarray(f(*args))
            assert got.dtype == np.float32
            check(got.astype(float), ref, 100 * float(np.finfo(np.float32).eps), 2.0**-149)


#: points where H ≥ 2⁻¹⁰⁰⁰ (the copy is not taken) of the same families, 1 − 1e-16 included
NORMAL = [
    (sg.Bernoulli(), [[1e-300], [0.3], [1 - 1e-16], [1e-17]]),
    (sg.Bernoulli("logit"), [[-690.0], [-3.0], [40.0], [499.16774174385387]]),
    (sg.Categorical(3, "logits"), [[[0.0, -600.0, 3.0]], [[1.0, 2.0, 0.0]]]),
    (sg.Categorical(3), [[[0.5, 0.5, 0.0]], [[1 - 1e-16, 1e-16, 0.0]], [[0.2, 0.3, 0.5]]]),
    (sg.Binomial(4), [[1e-300], [0.4], [1 - 1e-16], [1 - 1e-10]]),
    (sg.Binomial(4, "logit"), [[-700.0], [0.5], [40.0], [700.0]]),
    (sg.Geometric("logit"), [[690.0], [2.0], [30.0]]),
]


@pytest.mark.parametrize("case", NORMAL, ids=_ids)
def test_normal_range_entropy_within_bar_and_unchanged_by_the_copy(case, monkeypatch):
    """Where H ≥ 2⁻¹⁰⁰⁰ the copy is not taken: the value is bit for bit the one with the copy
    switched off, and within 1e-12 of the reference (torch too: the n-trial entropy is printed per
    outcome on every backend; the derived closed form cancelled near p = 1)."""
    family, points = case
    ref = np.array([reference(family, p) for p in points])
    function = sg.entropy(family).jax()
    args = [jnp.asarray(a) for a in arrays(points)]
    got = np.asarray(jax.jit(lambda *a: function(*a))(*args))
    check(got, ref, 1e-12, 0.0)
    monkeypatch.setitem(tiny_forms.THRESHOLD, 64, 0.0)
    direct = np.asarray(jax.jit(lambda *a: function(*a))(*args))
    np.testing.assert_array_equal(got, direct)
    torch = pytest.importorskip("torch")
    out = sg.entropy(family).torch()(*[torch.from_numpy(a) for a in arrays(points)])
    check(out.numpy(), ref, 1e-12, 0.0)


def test_gradient_of_the_rescued_entropy_is_the_direct_one():
    """The copy carries no derivative of its own: dH/dθ of the Bernoulli logit equals the printed
    form's at a normal θ (the rule forwards the direct value's tangent)."""
    function = sg.entropy(sg.Bernoulli("logit")).jax()
    theta = jnp.asarray([-3.0, 0.5, 40.0])
    grad = jax.vmap(jax.grad(lambda t: function(t)))(theta)
    with mp.workdps(50):
        want = [float(mp.diff(lambda t: mp.log1p(mp.exp(t)) - t * mp.exp(t) / (1 + mp.exp(t)), float(t)))
                for t in theta]
    np.testing.assert_allclose(np.asarray(grad), want, rtol=1e-12)
