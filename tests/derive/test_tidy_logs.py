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
