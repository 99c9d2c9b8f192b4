"""The factor-base shortcuts that make the 3-d Gaussian's catalog rows fast are exact and sound:
moving a fraction between contexts keeps its value, the cover substituted inside logarithms only
proves true identities and never a false one."""

from __future__ import annotations

import random

import sympy as sp

from symgeom.derive.rational import RationalContext, is_rational_zero
from symgeom.verification.identity import PROVED, check_identity

a, b, c = sp.symbols("a b c", real=True)


def test_moved_fraction_keeps_its_value():
    small = RationalContext((a, b))
    large = RationalContext((a, b, c))
    expr = (3 * a**2 - b) / (2 * (a * b - 1) ** 2 * (a + b))
    moved = small.convert(expr).moved_to(large)
    assert moved.context is large
    assert is_rational_zero(moved.as_expr() - expr)
    assert not is_rational_zero(moved.as_expr() - expr * (1 + c))


def test_moving_a_fraction_with_a_missing_generator_is_refused():
    import pytest

    source = RationalContext((a, c))
    with pytest.raises(ValueError, match="not a generator"):
        source.convert(a * c).moved_to(RationalContext((a, b)))


s, t = sp.symbols("s t", real=True)
u, v = sp.symbols("u v", positive=True)
COVER = {s: u**2, t: v**2}


def _positive(rng: random.Random) -> dict[sp.Symbol, float]:
    return {s: rng.uniform(0.5, 2.0), t: rng.uniform(0.5, 2.0)}


def test_cover_inside_logs_proves_a_true_identity():
    lhs = sp.log(s * t) / 2 + (s - t) / (s * t)
    rhs = sp.log(s) / 2 + sp.log(t) / 2 + 1 / t - 1 / s
    verdict = check_identity(lhs, rhs, substitution=COVER, arithmetic_only=True, sampler=_positive)
    assert verdict.status == PROVED
    assert "inside the logarithms" in verdict.method


def test_cover_inside_logs_does_not_prove_a_false_identity():
    lhs = sp.log(s * t) / 2 + (s - t) / (s * t)
    rhs = sp.log(s) / 2 + sp.log(t) / 2 + 1 / t + 1 / s  # wrong sign
    verdict = check_identity(lhs, rhs, substitution=COVER, arithmetic_only=True, sampler=_positive)
    assert verdict.status != PROVED
