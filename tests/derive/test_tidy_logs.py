"""tidy_logs rewrites log nodes only, exactly as the bottom-up replace + expand_log it replaces:
the same tree, including the argument order of unevaluated products in derivation steps."""

from __future__ import annotations

import pytest
import sympy as sp

from symgeom.derive.common import tidy_logs

a, b, c = sp.symbols("a b c", positive=True)
x = sp.Symbol("x", real=True)


def _reference(expr: sp.Expr) -> sp.Expr:
    expr = expr.replace(lambda e: isinstance(e, sp.log), lambda e: sp.log(sp.factor(sp.cancel(e.args[0]))))
    return sp.expand_log(expr, deep=True)


EXPRESSIONS = [
    a * sp.log(a / b) - a * (sp.log(a) - sp.log(b)),
    sp.log((a**2 - b**2) / (a + b)) + sp.log(2 * c + 2),
    sp.log(1 - a) * (1 - a) + sp.log(x**2 + 1),
    sp.exp(sp.log(a * b)) + sp.log(sp.log(a * b) + 1),  # a log inside a log argument
    sp.Mul(-1, sp.log(1 - a) - sp.log(1 - b), 1 - a, evaluate=False) + sp.log(a / b),
    sp.Mul(sp.log(1 - a) - sp.log(1 - b), 1 - a, evaluate=False) + c,
    a + b,
]


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=range(len(EXPRESSIONS)))
def test_same_tree_as_replace_then_expand_log(expr):
    tidy, reference = tidy_logs(expr), _reference(expr)
    assert tidy == reference
    assert [arg.args for arg in sp.preorder_traversal(tidy)] == [
        arg.args for arg in sp.preorder_traversal(reference)]


def full_gaussian_log_coefficients() -> list[sp.Expr]:
    """The raw coefficient of each log factor in the 3-d full Gaussian's evaluated KL expectation
    (tidied, expanded; not cancelled), as canonical._split_logs meets them (also timed by
    benchmarks/exact_zero_tests.py)."""
    from symgeom.derive.expectation import expect
    from symgeom.families import MultivariateGaussian

    family = MultivariateGaussian(3, "full")
    raw = expect(family, family.log_density(1) - family.log_density(2), 1)
    logs: dict[sp.Expr, sp.Expr] = {}
    for term in sp.Add.make_args(sp.expand(sp.expand_log(tidy_logs(raw)), power_exp=True)):
        factors = sp.Mul.make_args(term)
        found = [f for f in factors if isinstance(f, sp.log)]
        if len(found) == 1:
            rest = sp.Mul(*[f for f in factors if f is not found[0]])
            logs[found[0]] = logs.get(found[0], sp.Integer(0)) + rest
    return list(logs.values())


def test_log_coefficients_reduced_without_cancel_match_cancel():
    """canonical._cancelled gives sp.expand(sp.cancel(c)) exactly: on the 3-d Gaussian KL's log
    det coefficients (25 terms over det Σ₁·det Σ₂, each ±½), and, through the fallback, on a large
    coefficient that stays a proper fraction."""
    from symgeom.derive.canonical import _cancelled, _split_logs

    big = [c for c in full_gaussian_log_coefficients() if isinstance(c, sp.Add) and len(c.args) > 8]
    assert big and sorted(_cancelled(c) for c in big) == [sp.Rational(-1, 2), sp.Rational(1, 2)]
    a, b, c = sp.symbols("a b c", positive=True)
    proper = sum(a**k / (b + c) for k in range(10)) + b / (a + c)
    assert _cancelled(proper) == sp.expand(sp.cancel(proper))
    assert _split_logs(proper * sp.log(a))[0] == {a: sp.expand(sp.cancel(proper))}
