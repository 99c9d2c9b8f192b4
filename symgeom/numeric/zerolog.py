"""0·log 0 = 0 in compiled closed forms: c·log g with c = κ·g is evaluated as κ·xlogx(g).

NumPy evaluates p·log p at p = 0 as 0·(−inf) = nan, although the closed form's limit (and the
entropy's value at a boundary probability) is 0.  Terms whose coefficient is a constant multiple
of the log's argument are rewritten, so the value at g = 0 is the limit, not nan.
"""

from __future__ import annotations

import sympy as sp


class XLogX(sp.Function):
    """xlogx(g) = g·log g, with xlogx(0) = 0 (its limit)."""

    nargs = 1

    def _eval_rewrite_as_log(self, g: sp.Expr, **kwargs: object) -> sp.Expr:
        return g * sp.log(g)

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        g = printer._print(self.args[0])
        return f"numpy.where(({g}) == 0, 0.0, ({g})*numpy.log({g}))"


def _rewrite_term(term: sp.Expr) -> sp.Expr:
    if not isinstance(term, sp.Mul):
        return term
    logs = [f for f in term.args if isinstance(f, sp.log)]
    if len(logs) != 1:
        return term
    (log_factor,) = logs
    g = log_factor.args[0]
    coefficient = term / log_factor
    ratio = sp.cancel(coefficient / g)
    if ratio.is_number and ratio != 0:
        return ratio * XLogX(g)
    return term


def with_zero_logs(expr: sp.Expr) -> sp.Expr:
    """expr with every summand κ·g·log g (κ a number) written κ·xlogx(g)."""
    expr = sp.sympify(expr)
    if isinstance(expr, sp.Add):
        return sp.Add(*[_rewrite_term(t) for t in expr.args])
    return _rewrite_term(expr)
