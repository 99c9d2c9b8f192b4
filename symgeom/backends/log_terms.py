"""Products c(θ)·log(1 + u(θ)) in printed code: log1p, a coefficient brought over one denominator,
and the limit 0 where both c and 1 + u vanish:

    c·log(1 + u) → XLog1p(together(c), u),   printed  −entr_log(c, log1p(u))  (0 where c = 0)

Only for a term of one symbol θ where every root θ₀ of 1 + u has c(θ₀) = 0 and
lim_{θ→θ₀} c·log(1 + u) = 0 from the side where 1 + u > 0 (SymPy's solve and limit; otherwise the
term is printed as it is).  The Geometric entropy −(1/p − 1)·log(1 − p) − log p lost the 1 of
−log(1 − p)/p at p = 10⁻³⁰⁰ (log(1 − p) rounds to 0), every digit at p = 1 − 10⁻¹⁶ (1/p − 1
rounds to 0; (1 − p)/p is exact) and gave 0·(−∞) = nan at p = 1 (a point mass: H = 0).
"""

from __future__ import annotations

import sympy as sp


class XLog1p(sp.Function):
    """c·log1p(u), 0 where c = 0 (each zero of c here is a proved zero of the product's limit)."""

    nargs = 2

    def _eval_rewrite_as_log(self, c: sp.Expr, u: sp.Expr, **kwargs: object) -> sp.Expr:
        return c * sp.log(1 + u)

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        c, u = (printer._print(a) for a in self.args)
        return f"(-entr_log({c}, numpy.log1p({u})))"


def _vanishing_log_term(term: sp.Basic) -> sp.Expr | None:
    """XLog1p of ``term`` = c·log(1 + u) under the module's conditions, else None."""
    if not isinstance(term, sp.Mul):
        return None
    logs = [f for f in term.args if isinstance(f, sp.log) and isinstance(f.args[0], sp.Add)
            and sp.S.One in f.args[0].args]
    if len(logs) != 1:
        return None
    (log,) = logs
    argument = log.args[0]
    symbols = argument.free_symbols
    coefficient = sp.together(term / log)
    if len(symbols) != 1 or not coefficient.free_symbols <= symbols or coefficient.has(sp.log):
        return None
    (s,) = symbols
    roots = sp.solve(argument, s)
    if not roots:
        return None
    for root in roots:
        if not root.is_real or sp.simplify(coefficient.subs(s, root)) != 0:
            return None
        side = "+" if sp.diff(argument, s).subs(s, root) > 0 else "-"
        if sp.limit(coefficient * sp.log(argument), s, root, dir=side) != 0:
            return None
    return XLog1p(coefficient, argument - 1)


def guarded_logs(expr: sp.Basic) -> sp.Basic:
    """``expr`` with each c·log(1 + u) that vanishes with 1 + u as :class:`XLog1p`."""
    if not expr.has(sp.log):
        return expr
    return expr.replace(lambda e: _vanishing_log_term(e) is not None, _vanishing_log_term)
