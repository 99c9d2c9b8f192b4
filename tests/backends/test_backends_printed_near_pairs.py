"""Printed KL forms (JAX, torch through the printed source) on near-equal pairs and over 300 decades
of scale, against 50-digit mpmath references (issue 12; :mod:`symgeom.backends.quotient_forms`).

* natural-parameter Gaussian: the mean term −η₂'(−½η₁/η₂ + ½η₁'/η₂')² cancels when both η move
  (1.6e-10 relative off at δ = 1e-6 before quot_sum);
* mean/std Gaussian: σ₁²/σ₂² overflowed for σ ≥ 1.3e154 (nan) before the ratio was squared instead.

Tolerance 1e-12 relative: the issue's bar; the printed forms keep a few ulps (≤ 2e-15 measured).
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import symgeom as sg
from symgeom.backends import printer
from symgeom.backends.ops import jax_ops, namespace_ops
from symgeom.backends.quotient_forms import quot_sum

jax = pytest.importorskip("jax")
pytest.importorskip("array_api_compat")
jax.config.update("jax_enable_x64", True)

TOL = 1e-12


def _kl_mean_std(m1: float, s1: float, m2: float, s2: float) -> float:
    """log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½ at 50 digits (from the exact float inputs)."""
    with mp.workdps(50):
        m1, s1, m2, s2 = (mp.mpf(x) for x in (m1, s1, m2, s2))
        return float(mp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mp.mpf(1) / 2)


def _kl_natural(e1: float, e2: float, f1: float, f2: float) -> float:
    """The same KL with μ = −η₁/(2η₂), σ² = −1/(2η₂), at 50 digits."""
    with mp.workdps(50):
        e1, e2, f1, f2 = (mp.mpf(x) for x in (e1, e2, f1, f2))
        return _kl_mean_std(-e1 / (2 * e2), mp.sqrt(-1 / (2 * e2)), -f1 / (2 * f2), mp.sqrt(-1 / (2 * f2)))


def _near(point: list[float], delta: float, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    return [float(x * (1 + delta * rng.normal())) for x in point]


def _natural_cases() -> list[tuple[float, ...]]:
    cases = [(3.0, -2.0, 3.0000029999999995, -2.0000002)]  # the reproducer
    rng = np.random.default_rng(12)
    for delta in (1e-6, 1e-10, 1e-14):
        for seed in range(4):
            p = [float(rng.normal() * 5), float(-rng.lognormal())]
            cases.append((*p, *_near(p, delta, seed)))
    return cases


def _jax_functions(chart: str) -> list:
    f = sg.kl(sg.Gaussian(chart)).jax()
    return [f, jax.jit(f)]


@pytest.mark.parametrize("case", _natural_cases())
def test_natural_gaussian_near_pairs_jax(case):
    ref = _kl_natural(*case)
    assert ref > 0
    for f in _jax_functions("natural"):
        got = float(f(*case))
        assert abs(got - ref) <= TOL * ref, (case, got, ref)


def _scale_cases() -> list[tuple[float, ...]]:
    cases = []
    # down to 1e-290: below, σ₁ − σ₂ and μ₂ are subnormal at δ = 1e-12, which XLA on the CPU
    # flushes to zero (a separate limitation, not this printed form)
    for scale in (1e-290, 1e-150, 1.0, 1e100, 1.3e154, 1e200, 1e300):
        for delta in (0.3, 1e-6, 1e-12):
            s1 = 1.7 * scale
            cases.append((0.0, s1, 0.4 * scale * delta, s1 * (1 + delta)))
    return cases


@pytest.mark.parametrize("case", _scale_cases())
def test_mean_std_gaussian_over_300_decades_jax(case):
    ref = _kl_mean_std(*case)
    for f in _jax_functions("mean_std"):
        got = float(f(*case))
        assert abs(got - ref) <= TOL * ref, (case, got, ref)


def test_printed_source_on_torch():
    """The source torch.compile/CUDA runs (:mod:`symgeom.backends.torch_printed`), bound to the
    torch primitives eagerly on the CPU."""
    torch = pytest.importorskip("torch")
    from symgeom.backends.ops import torch_ops

    for chart, cases, reference in (("natural", _natural_cases(), _kl_natural),
                                    ("mean_std", _scale_cases(), _kl_mean_std)):
        source = sg.kl(sg.Gaussian(chart)).jax()._plan.source
        call = printer.bind(source, torch_ops())
        for case in cases:
            (got,) = call(*(torch.tensor(x, dtype=torch.float64) for x in case))
            ref = reference(*case)
            assert abs(float(got) - ref) <= TOL * ref, (chart, case, float(got), ref)


@pytest.mark.parametrize(("a", "b", "c", "d", "exact"), [
    (3.0, -2.0, -3.0000029999999995, -2.0000002, True),  # cancels to 1e-7 relative
    (1.0, 3.0, -1.0000000000000002, 3.0000000000000004, True),  # cancels to ~1e-16
    (1e300, 1e10, -1e300, 1.0000001e10, False),  # a·d and c·b overflow: the direct form
    (1e-295, 3.0, -1e-295, 3.0000001, False),  # products below the floor (error term subnormal)
])
def test_quot_sum_against_mpmath(a, b, c, d, exact):
    from array_api_compat import numpy as xp

    with mp.workdps(50):
        ref = float(mp.mpf(a) / b + mp.mpf(c) / d)
    direct = a / b + c / d
    # the exact form (2 roundings after the exact numerator) where its products are representable,
    # else the direct form, finite
    bound = 4.5e-16 * abs(ref) if exact else max(4.5e-16 * abs(ref), abs(direct - ref))
    for ops, asarray in ((namespace_ops(xp), np.float64), (jax_ops(), jax.numpy.float64)):
        got = float(quot_sum(ops, *(asarray(x) for x in (a, b, c, d))))
        assert np.isfinite(got) and abs(got - ref) <= bound, (ops.name, got, ref, direct)
