"""One-sided derivatives at accepted endpoints on torch and JAX (symgeom.backends.one_sided, from
symgeom.numeric.endpoint_limits.derivative_entries): for every catalog chart with an included
endpoint, the gradient of the KL (in each argument on an endpoint, at every pattern) and of the
entropy equals the one-sided derivative of the point-mass sums of
tests/numeric/point_mass_references.py — 400-digit difference quotients at h = 10⁻⁴⁰, 10⁻⁸⁰,
10⁻¹⁶⁰ of the written-out pmfs (not symgeom's forms) — within 1e-12 relative where it is finite,
the same ±∞ where it diverges, nan where the function is infinite on both sides; never the 0 the
limit form alone gives.  torch autograd, jax.grad eager and under jit."""

from __future__ import annotations

import itertools
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "numeric"))
import mpmath as mp  # noqa: E402
from point_mass_references import (  # noqa: E402
    DIGITS,
    FINITE,
    PMFS,
    entropy_exact,
    kl_exact,
    one_sided_slope,
)

import symgeom as sg  # noqa: E402
from symgeom.errors import UnknownQuantityError  # noqa: E402
from symgeom.numeric import endpoint_limits  # noqa: E402
from symgeom.numeric.inputs import inputs  # noqa: E402
from symgeom.verification.catalog import catalog_families  # noqa: E402

BAR = 1e-12
ENDPOINT_FAMILIES = [f for f in catalog_families() if endpoint_limits.applies(inputs(f))]
#: the other argument's values inside (0, 1); for a count support the first argument's P(x)
#: decides the series' length, so there it is 1 − 2⁻⁵³ only (P near its point mass)
INSIDE = (0.3, 0.5, 1e-8, 1 - 2.0**-53)


def _ends(family) -> list[tuple[float, int]]:
    (inp,) = inputs(family)
    return [(v, s) for v, s, ok in ((inp.lower, -1, inp.lower_included), (inp.upper, 1, inp.upper_included))
            if ok]


def _support(family) -> range | None:
    return PMFS[family.label][1] if family.label in FINITE else None


@cache
def _kl_cases(family) -> list[tuple[float, float, int, float]]:
    """(p, q, argument index on an endpoint, reference slope) for every pattern."""
    pmf, _ = PMFS[family.label]
    finite = _support(family)
    ends = _ends(family)
    values = [(v, s) for v, s in ends] + [(v, 0) for v in INSIDE]
    out = []
    for (a, sa), (b, sb) in itertools.product(values, repeat=2):
        if finite is None and sa == 0 and a < 0.9:
            continue  # P's series would be thousands of 400-digit terms: P near its point mass only
        for index, side in ((0, sa), (1, sb)):
            if side == 0:
                continue
            if index == 0:
                def f(t, b=b):
                    return kl_exact(pmf, finite, t, mp.mpf(b))
                slope = one_sided_slope(f, a, side)
            else:
                def f(t, a=a):
                    return kl_exact(pmf, finite, mp.mpf(a), t)
                slope = one_sided_slope(f, b, side)
            out.append((a, b, index, slope))
    return out


def _agrees(got: float, want: float) -> bool:
    if np.isnan(want):
        return bool(np.isnan(got))
    if np.isinf(want):
        return got == want
    return abs(got - want) <= BAR * max(abs(want), 1e-300)


def _torch_grads(function, a, b):
    x = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    function(x, y).sum().backward()
    return x.grad.numpy(), y.grad.numpy()


def _jax_grads(function, a, b):
    grads = jax.grad(lambda x, y: function(x, y).sum(), argnums=(0, 1))(jnp.asarray(a), jnp.asarray(b))
    return tuple(np.asarray(g) for g in grads)


#: the default run: torch everywhere, jax eager and jit on one chart each; the rest with --runslow
FAST = {("torch", label) for label in PMFS} | {("jax", "binomial(n=4)[prob]"), ("jax_jit", "geometric[prob]"),
                                              ("jax", "negative_binomial(r=3)[prob]")}


def _matrix(runs: list[str]) -> list:
    return [pytest.param(run, family, id=f"{family.label}-{run}",
                         marks=() if (run, family.label) in FAST else pytest.mark.slow)
            for run in runs for family in ENDPOINT_FAMILIES]


RUNS = {
    "torch": lambda family: (lambda a, b: _torch_grads(sg.kl(family).torch(), a, b)),
    "jax": lambda family: (lambda a, b: _jax_grads(sg.kl(family).jax(), a, b)),
    "jax_jit": lambda family: (lambda a, b: _jax_grads(jax.jit(sg.kl(family).jax()), a, b)),
}


@pytest.mark.parametrize(("run", "family"), _matrix(list(RUNS)))
def test_kl_gradient_at_endpoints_is_the_one_sided_derivative(run, family):
    cases = _kl_cases(family)
    a = np.array([c[0] for c in cases])
    b = np.array([c[1] for c in cases])
    grads = RUNS[run](family)(a, b)
    bad = [(p, q, index, float(grads[index][n]), want) for n, (p, q, index, want) in enumerate(cases)
           if not _agrees(float(grads[index][n]), want)]
    assert not bad, bad[:6]
    assert any(np.isinf(c[3]) for c in cases)  # the slopes the limit forms alone gave as 0


@pytest.mark.parametrize(("backend", "family"), _matrix(["torch", "jax", "jax_jit"]))
def test_entropy_gradient_at_endpoints(backend, family):
    try:
        function = getattr(sg.entropy(family), "torch" if backend == "torch" else "jax")()
    except UnknownQuantityError as error:  # no array form (the negative binomial's expectation)
        pytest.skip(str(error)[:80])
    pmf, _ = PMFS[family.label]
    finite = _support(family)
    for end, side in _ends(family):
        want = one_sided_slope(lambda t: entropy_exact(pmf, finite, t), end, side)
        if endpoint_limits.limit_entries(family, "entropy", (side,)) is None:
            # SymPy finds no limit of this form (the negative binomial's explicit expectation): the
            # derivative is not derived, so nan, not the reference's −∞ and never 0
            assert np.isinf(want)
            want = np.nan
        if backend == "torch":
            x = torch.tensor([end, 0.5], dtype=torch.float64, requires_grad=True)
            function(x).sum().backward()
            got = float(x.grad[0])
        else:
            f = jax.jit(function) if backend == "jax_jit" else function
            got = float(jax.grad(lambda x, f=f: f(x).sum())(jnp.asarray([end, 0.5]))[0])
        assert _agrees(got, want), (end, got, want)


def test_references_see_the_divergence_and_the_finite_slopes():
    """The reference itself: ∂/∂p KL(Bin(4, p)‖Bin(4, ½)) at p = 0 is −∞ (4 log p), ∂/∂q at
    p = q = 0 is 4 (−4 log(1 − q) ≈ 4q), at 400 digits."""
    pmf, outcomes = PMFS["binomial(n=4)[prob]"]
    assert one_sided_slope(lambda t: kl_exact(pmf, outcomes, t, mp.mpf(0.5)), 0.0, -1) == -np.inf
    slope = one_sided_slope(lambda t: kl_exact(pmf, outcomes, mp.mpf(0), t), 0.0, -1)
    assert slope == pytest.approx(4, rel=1e-15)
    assert DIGITS >= 400
