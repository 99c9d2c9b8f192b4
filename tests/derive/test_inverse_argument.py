"""Rational functions of Σ rewritten as polynomials in P = Σ⁻¹ (symgeom.derive.inverse_argument)."""

from __future__ import annotations

import pytest
import sympy as sp

import symgeom as sg
from symgeom.derive.inverse_argument import in_inverse, upper_pairs
from symgeom.numeric.precision import matrix_blocks, precision_form


def _sigma(d: int, symbols: tuple[sp.Symbol, ...]) -> sp.Matrix:
    names = dict(zip(upper_pairs(d), symbols, strict=True))
    return sp.Matrix(d, d, lambda i, j: names[(min(i, j), max(i, j))])


def _back_in_sigma(q: sp.Expr, d: int, symbols: tuple[sp.Symbol, ...]) -> sp.Expr:
    """Q(Σ⁻¹) by SymPy's own inverse: the independent side of the identity."""
    inverse = _sigma(d, symbols).inv(method="LU")
    return q.xreplace({s: inverse[i, j] for (i, j), s in zip(upper_pairs(d), symbols, strict=True)})


@pytest.mark.parametrize("d", [2, pytest.param(3, marks=pytest.mark.slow)])  # d = 3: 81 cancels, minutes
def test_gaussian_fisher_in_precision_is_the_same_function(d):
    """Every entry Q(P) of the rewritten Fisher satisfies Q(Σ⁻¹) = F(Σ) exactly (SymPy cancel)."""
    family = sg.MultivariateGaussian(d, "full")
    result = sg.fisher(family).result
    inverse = precision_form(family, result)
    assert inverse is not None
    sigma = family.symbols()[d:]
    for original, rewritten in zip(result, inverse, strict=True):
        assert sp.fraction(sp.cancel(rewritten))[1].is_number  # a polynomial in P
        assert sp.cancel(_back_in_sigma(rewritten, d, sigma) - original) == 0


def test_polynomial_degrees_and_other_symbols():
    """Σ-free factors (numerator and denominator) stay; the degree follows d·k − m."""
    mu = sp.Symbol("mu", real=True)
    a, b, c = sp.symbols("a b c", real=True)
    det = a * c - b**2
    entries = [c / det, (mu / (1 + mu**2)) * b**2 / det**2, sp.Integer(3), mu]
    out = in_inverse(entries, (mu, a, b, c), [(1, 2)])
    assert out == [a, mu * b**2 / (mu**2 + 1), 3, mu]


@pytest.mark.parametrize("entry", ["1/a", "a*c/(a*c - b**2)**2 + 1/a", "log(a*c - b**2)", "1/(a + c)"])
def test_refuses_what_is_not_a_polynomial_in_the_inverse(entry):
    """1/Σ₁₁ = det P / P₂₂ is not a polynomial in P; nor is a log of Σ or another denominator."""
    a, b, c = sp.symbols("a b c", real=True)
    expr = sp.sympify(entry, locals={"a": a, "b": b, "c": c})
    assert in_inverse([expr], (a, b, c), [(0, 2)]) is None


def test_shared_and_cached_between_backends():
    """One reduction per result: the second call (another backend's printer) is the same object."""
    family = sg.MultivariateGaussian(2, "full")
    result = sg.fisher(family).result
    assert precision_form(family, result) is precision_form(family, sp.Matrix(result))
    assert matrix_blocks(family) == [(2, 2)]
