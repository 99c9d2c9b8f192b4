"""Binomial(60) entropy: the derivation finishes (it factored a degree-60 polynomial in p and 30
logarithms for over 10 minutes) and keeps H = −Σₓ p(x) log p(x) as an explicit outcome sum, whose
value and whose ``.numpy()`` agree with a 50-digit mpmath sum over the 61 outcomes."""

from __future__ import annotations

import time

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import symgeom as sg
from symgeom.derive.expectation import has_no_closed_form

N = 60
POINTS = [0.3, 1e-300, 1 - 1e-16]
#: the count-family entropy's guaranteed bar (symgeom.numeric.count_entropy.GUARD_RTOL, issue #12)
RTOL = 1e-12
#: a cold derivation took 1–3 s here; the failure this guards against ran for over 10 minutes
LIMIT_S = 60.0


def reference(p: float, n: int = N) -> mp.mpf:
    """−Σₓ p(x) log p(x), log p(x) = log C(n, x) + x log p + (n − x) log1p(−p), at 50 digits
    (log1p keeps 1 − p = 1 − 1e-300 from rounding to 1)."""
    with mp.workdps(50):
        p = mp.mpf(p)
        log_p, log_q = mp.log(p), mp.log1p(-p)
        total = mp.mpf(0)
        for x in range(n + 1):
            log_mass = mp.log(mp.binomial(n, x)) + x * log_p + (n - x) * log_q
            total -= mp.exp(log_mass) * log_mass
        return total


@pytest.fixture(scope="module")
def derivation(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SYMGEOM_CACHE_DIR", str(tmp_path_factory.mktemp("cold-cache")))
        start = time.perf_counter()
        result = sg.entropy(sg.Binomial(N))
        elapsed = time.perf_counter() - start
    assert elapsed < LIMIT_S, f"Binomial({N}) entropy took {elapsed:.1f} s to derive"
    return result


def test_derived_result_keeps_the_outcome_sum(derivation):
    assert has_no_closed_form(derivation.result)
    (p,) = derivation.arguments
    # at the float 0.3 itself (mpf(0.3) and Float(0.3, 50) are its exact binary value), 50 digits
    value = derivation.result.xreplace({p: sp.Float(0.3, 50)}).doit().evalf(50)
    assert abs(value - sp.Float(reference(0.3), 50)) <= sp.Float(10) ** -40


def test_numpy_matches_fifty_digit_sum(derivation):
    got = derivation.numpy()(np.array(POINTS))
    for point, value in zip(POINTS, got, strict=True):
        want = float(reference(point))
        assert abs(value - want) <= RTOL * want, (point, value, want)


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_backends_evaluate_the_outcome_sum(derivation, backend):
    """torch/JAX print the entropy per outcome from the family's data (backends.tiny_entropy
    .bounded_count_entropy), so the derived result keeping its sum explicit is not refused there."""
    if backend == "torch":
        torch = pytest.importorskip("torch")
        got = derivation.torch()(torch.tensor(POINTS, dtype=torch.float64)).numpy()
    else:
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)  # as the other backend test files
        got = np.asarray(derivation.jax()(jax.numpy.asarray(POINTS)))
    for point, value in zip(POINTS, got, strict=True):
        want = float(reference(point))
        assert abs(value - want) <= RTOL * want, (point, value, want)
