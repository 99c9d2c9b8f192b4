"""Factor-base rational arithmetic: agrees with SymPy's cancel, proves only true identities."""

from __future__ import annotations

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symgeom.derive.rational import RationalContext, is_rational_zero, reduce_rational
from symgeom.derive.series import taylor, taylor_by_fractions

x, y, z = sp.symbols("x y z", positive=True)
t = sp.Symbol("t")

#: Small rational building blocks; Hypothesis combines them into expressions.
BLOCKS = [x, y, z, x + y, x - y, x * y - z, x**2 + y * z, sp.Rational(3, 2), sp.Integer(-2)]


@st.composite
def rational_expressions(draw: st.DrawFn, depth: int = 3) -> sp.Expr:
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(BLOCKS))
    a = draw(rational_expressions(depth - 1))
    b = draw(rational_expressions(depth - 1))
    op = draw(st.sampled_from(["+", "-", "*", "/"]))
    if op == "/" and sp.cancel(b) == 0:
        op = "*"
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op]


@settings(max_examples=40, deadline=None)
@given(rational_expressions(), rational_expressions())
def test_arithmetic_agrees_with_cancel(a: sp.Expr, b: sp.Expr) -> None:
    context = RationalContext((x, y, z))
    fa, fb = context.convert(a), context.convert(b)
    for fraction, expected in ((fa + fb, a + b), (fa * fb, a * b), (fa - fb, a - b)):
        assert sp.cancel(fraction.as_expr() - expected) == 0


def test_differences_of_equal_expressions_are_zero_and_others_are_not() -> None:
    assert is_rational_zero(1 / (x - y) - 1 / (x + y) - 2 * y / (x**2 - y**2))
    assert not is_rational_zero(1 / (x - y) - 1 / (x + y) - 2 * y / (x**2 - y**3))
    # Logs are opaque generators: equal logs cancel, different ones are never identified.
    logs = sp.log(x) / (2 * x) + sp.log(x) * (x - 1) / (2 * x**2)
    assert is_rational_zero(logs - sp.log(x) * (2 * x - 1) / (2 * x**2))
    assert not is_rational_zero(sp.log(x * y) - sp.log(x) - sp.log(y))


def test_lowest_terms_and_derivative() -> None:
    assert reduce_rational((x**2 - y**2) / (3 * x + 3 * y)) == (x - y) / 3
    context = RationalContext((x, y))
    f = x / (x**2 - y**2)
    assert sp.cancel(context.convert(f).diff(x).as_expr() - sp.diff(f, x)) == 0


def test_composition_substitutes_fractions() -> None:
    e = sp.Symbol("e")
    context = RationalContext((x, y))
    value = context.convert(e**2 / (1 - e), {e: context.convert(x / (x + y))})
    assert sp.cancel(value.as_expr() - (x / (x + y)) ** 2 / (1 - x / (x + y))) == 0


def test_series_by_fractions_matches_series_by_expressions() -> None:
    expr = sp.log((x + t * y) / x) / 2 + (x**2 + t) / (x + t * y) ** 2 - 1
    by_fractions = taylor_by_fractions(expr, t, 3)
    by_expressions = taylor(expr, t, 3)
    assert [sp.cancel(a - b) for a, b in zip(by_fractions, by_expressions, strict=True)] == [0] * 4
    wrong = taylor_by_fractions(expr + t**3 * x, t, 3)
    assert sp.cancel(wrong[3] - by_expressions[3]) != 0


def test_exponentials_of_integer_combinations_are_products_of_generators() -> None:
    a, b = sp.symbols("a b", real=True)
    assert is_rational_zero(sp.exp(2 * a - 2 * b) * sp.exp(2 * b) - sp.exp(2 * a))
    assert not is_rational_zero(sp.exp(2 * a) - sp.exp(a))
    assert not is_rational_zero(sp.exp(a + b) - sp.exp(a) - sp.exp(b))
