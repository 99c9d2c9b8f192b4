"""ring_tidy gives exactly SymPy's cancel(together(e)) and factor of it, and a sound zero test."""

from __future__ import annotations

import functools

import pytest
import sympy as sp

import symgeom as sg
from symgeom.derive import ring_tidy
from symgeom.derive.common import _positive_factors, _tidy_small
from symgeom.derive.expectation import expect
from symgeom.derive.fisher import score
from symgeom.verification.identity import PROVED, _rational_zero, check_identity


def _sympy_forms(expr: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    cancelled = sp.cancel(sp.together(expr))
    return cancelled, sp.factor(cancelled)


@functools.cache
def _catalog_inputs() -> tuple[sp.Expr, ...]:
    """Entries the derivations tidy: score products' expectations and scores of families whose
    parameters enter through eᶿ (softmax, log-concentration) and polygamma (built once: every
    case below and the collection ask for the whole list)."""
    exprs = []
    for family in (sg.Categorical(3, "logits"), sg.Categorical(3, "probs"), sg.Bernoulli("logit"),
                   sg.Dirichlet(2, "log_concentration"), sg.Beta("mean_precision")):
        s = score(family)
        exprs += s
        exprs += [expect(family, s[i] * s[j]) for i in range(len(s)) for j in range(i, len(s))]
    z1, z2 = sp.symbols("z1 z2", real=True)
    exprs += [sp.exp(2 * z1 - z2) / (1 + sp.exp(z1)) - sp.exp(-z2), (sp.exp(z1) - 1) / (sp.exp(2 * z1) - 1),
              -(sp.exp(z1) + 1) / (-sp.exp(z2) - 2) / 6]
    return tuple(exprs)


@pytest.mark.parametrize("index", range(len(_catalog_inputs())))
def test_same_forms_as_sympy(index: int) -> None:
    expr = _catalog_inputs()[index]
    value = ring_tidy.fraction(expr, opaque="unexpanded")
    if value is None:
        pytest.skip("not a rational function of the ring's generators")
    cancelled, factored = _sympy_forms(expr)
    assert ring_tidy.cancelled(value) == cancelled
    assert ring_tidy.factored(value) == factored


def test_the_catalog_inputs_take_the_ring_path() -> None:
    """The inputs above are what the ring is for: most of them must be read (else the test
    above would compare nothing)."""
    read = [ring_tidy.fraction(e, opaque="unexpanded") is not None for e in _catalog_inputs()]
    assert sum(read) >= len(read) - 2


def test_tidy_small_keeps_sympys_result() -> None:
    family = sg.Categorical(3, "logits")
    s = score(family)
    expr = expect(family, s[0] * s[1])
    cancelled, factored = _sympy_forms(expr)
    best = factored if sp.count_ops(factored) <= sp.count_ops(cancelled) else cancelled
    assert _tidy_small.__wrapped__(expr) == _positive_factors(best)


def test_refuses_what_sympy_rewrites_first() -> None:
    theta = sp.Symbol("theta", positive=True)
    x = sp.Symbol("x")
    # cancel expands log(1/θ) to −log θ: the ring must not keep it as a generator of its own
    assert ring_tidy.fraction(sp.log(1 / theta) + x, opaque="unexpanded") is None
    assert ring_tidy.fraction(sp.sqrt(x) + 1) is None
    assert ring_tidy.fraction(sp.Float(0.5) * x) is None
    assert ring_tidy.fraction(sp.exp(x**2) + x) is None
    assert ring_tidy.fraction(sp.log(x) + x) is None  # opaque="none": no function generators
    assert ring_tidy.fraction(sp.log(x) + x, opaque="any") is not None
    assert ring_tidy.fraction(sp.Symbol("A", commutative=False) + x) is None


def test_zero_test_is_sound_and_can_fail() -> None:
    z1, z2 = sp.symbols("z1 z2", real=True)
    a = sp.Symbol("a", positive=True)
    denominator = 1 + sp.exp(z1) + sp.exp(z2)
    p1, p2 = sp.exp(z1) / denominator, sp.exp(z2) / denominator
    true = p1 * (1 - p1) - (p1 * p2 + p1 / denominator) + sp.polygamma(0, a) * (p1 + p2 + 1 / denominator - 1)
    assert _rational_zero(true) == 0
    wrong = true + sp.polygamma(0, a) * p1 * p2 / 10**6
    assert _rational_zero(wrong) != 0
    assert check_identity(p1 * (1 - p1), p1 * p2 + p1 / denominator).status == PROVED
    assert check_identity(p1 * (1 - p1), p1 * p2 + p1 / denominator + p1**2 / 10**6).status != PROVED
