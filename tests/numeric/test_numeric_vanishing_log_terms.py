"""c·log(1 + u) terms whose limit vanishes with 1 + u, in compiled NumPy code
(symgeom.backends.log_terms, used by symgeom.numeric.compile's lambdified entries):

    c·log(1 + u) → −entr_log(together(c), log1p(u))   (0 where c = 0)

The Geometric entropy H = −(1/p − 1)·log(1 − p) − log p lost the 1 of −log(1 − p)/p at
p = 10⁻³⁰⁰ (log(1 − p) rounds to 0: 690.7755 for 691.7755), every digit at p = 1 − 10⁻¹⁶
(1/p − 1 rounds to 0) and was nan at the point mass p = 1.  Bar (issue 12): ≤ 1e-12 relative vs
50 digits; the rewritten form is a few correctly rounded operations, so 1e-12 is a wide margin.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import symgeom as sg
from symgeom import cache
from symgeom.backends import log_terms
from symgeom.backends.log_terms import XLog1p, guarded_logs

PROBS = [1e-300, 1e-200, 1e-20, 1e-17, 1e-8, 0.1, 0.5, 0.9, 1 - 1e-8, 1 - 1e-16]


def geometric_entropy(p: float) -> float:
    """[−p log p − (1 − p) log(1 − p)]/p at 50 digits (1 − p exact for a float p in (0, 1])."""
    with mpmath.workdps(50):
        v = mpmath.mpf(p)
        q = 1 - v
        return float((-v * mpmath.log(v) - (q * mpmath.log1p(-v) if q else 0)) / v)


def test_numpy_geometric_entropy_against_mpmath() -> None:
    values = np.array([*PROBS, 1.0])
    got = sg.entropy(sg.Geometric()).numpy()(values)
    np.testing.assert_allclose(got, [geometric_entropy(p) for p in values], rtol=1e-12, atol=0)
    assert got[-1] == 0.0


x = sp.Symbol("x", positive=True)
t = sp.Symbol("t", real=True)


@pytest.mark.parametrize("term", [
    (1 - x) / x * sp.log(1 - x),         # the Geometric entropy's term
    (1 - x) ** 2 * sp.log(1 - x),
    (1 - sp.exp(-t)) * sp.log(1 - sp.exp(-t)),  # not polynomial: solve finds t = 0
])
def test_vanishing_terms_are_rewritten(term: sp.Expr) -> None:
    out = guarded_logs(term + sp.log(x))
    assert out.has(XLog1p) and not out.has(sp.log(1 - x)) and not out.has(sp.log(1 - sp.exp(-t)))
    (rewritten,) = out.atoms(XLog1p)
    assert sp.simplify(rewritten.rewrite(sp.log) - term) == 0


@pytest.mark.parametrize("term", [
    sp.log(1 - x) / x,                   # c(1) = 1: the term is −∞ at x = 1, nothing to guard
    x * sp.log(1 + x),                   # c = x shares no root with 1 + x
    sp.log(1 - x) * sp.log(x) * (1 - x),  # the coefficient holds a log
])
def test_other_terms_are_kept(term: sp.Expr) -> None:
    assert guarded_logs(term) == term


def test_no_solve_where_the_coefficient_shares_no_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Polynomial c and 1 + u without a common factor are rejected before solve/limit."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("solve called on a term that cannot qualify")

    monkeypatch.setattr(log_terms.sp, "solve", refuse)
    expr = sp.log(1 - x) / x + x**2 * sp.log(1 - x**2)
    assert guarded_logs(expr) == expr


def test_proof_is_kept_on_disk(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    """A second process (memory cleared) reads the proof back instead of redoing solve/limit."""
    monkeypatch.setenv("SYMGEOM_CACHE_DIR", str(tmp_path))
    if not cache.disk_cache_enabled():
        pytest.skip("disk cache disabled")
    term = (1 - x) ** 3 / x * sp.log(1 - x)
    first = guarded_logs(term)
    cache.clear_memory()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("solve called although the proof is on disk")

    monkeypatch.setattr(log_terms.sp, "solve", refuse)
    assert guarded_logs(term) == first and first.has(XLog1p)
