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

from symgeom.cache import cached


class XLog1p(sp.Function):
    """c·log1p(u), 0 where c = 0 (each zero of c here is a proved zero of the product's limit)."""

    nargs = 2

    def _eval_rewrite_as_log(self, c: sp.Expr, u: sp.Expr, **kwargs: object) -> sp.Expr:
        return c * sp.log(1 + u)

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        c, u = (printer._print(a) for a in self.args)
        return f"(-entr_log({c}, numpy.log1p({u})))"


def _vanishing_log_term(term: sp.Basic) -> sp.Expr | None:
    """XLog1p of ``term`` = c·log(1 + u) under the module's conditions, else None.

    Cheap structural tests first (one log of a sum holding 1, one symbol, a log-free coefficient
    that shares a factor with 1 + u where both are polynomials): only a term that passes them
    reaches SymPy's solve and limit, whose answer is kept on disk (:func:`_vanishes_at_roots`)."""
    if not isinstance(term, sp.Mul):
        return None
    logs = [f for f in term.args if isinstance(f, sp.log) and isinstance(f.args[0], sp.Add)
            and sp.S.One in f.args[0].args]
    if len(logs) != 1:
        return None
    (log,) = logs
    argument = log.args[0]
    symbols = argument.free_symbols
    if len(symbols) != 1:
        return None
    coefficient = sp.together(term / log)
    if not coefficient.free_symbols <= symbols or coefficient.has(sp.log):
        return None
    (s,) = symbols
    numerator = sp.fraction(coefficient)[0]
    if argument.is_polynomial(s) and numerator.is_polynomial(s) \
            and sp.gcd(numerator, argument).is_number:
        return None  # c has no root in common with 1 + u: c(θ₀) = 0 fails at every root θ₀
    if not _vanishes_at_roots(coefficient, argument, s, _PROOF):
        return None
    return XLog1p(coefficient, argument - 1)


#: the question :func:`_vanishes_at_roots` answers, part of its disk-cache key (change it when
#: the conditions change: the key's code fingerprint does not cover this module)
_PROOF = "roots real; c(root) = 0; one-sided limit of c·log(arg) = 0"


@cached("log_terms")
def _vanishes_at_roots(coefficient: sp.Expr, argument: sp.Expr, s: sp.Symbol, question: str) -> bool:
    """Whether 1 + u = ``argument`` has a root in ``s``, every root θ₀ is real with c(θ₀) = 0 and
    lim_{θ→θ₀} c·log(1 + u) = 0 from the side where 1 + u > 0 (SymPy's solve and limit)."""
    roots = sp.solve(argument, s)
    if not roots:
        return False
    for root in roots:
        if not root.is_real or sp.simplify(coefficient.subs(s, root)) != 0:
            return False
        side = "+" if sp.diff(argument, s).subs(s, root) > 0 else "-"
        if sp.limit(coefficient * sp.log(argument), s, root, dir=side) != 0:
            return False
    return True


def guarded_logs(expr: sp.Basic) -> sp.Basic:
    """``expr`` with each c·log(1 + u) that vanishes with 1 + u as :class:`XLog1p`."""
    if not expr.has(sp.log):
        return expr
    found: dict[sp.Basic, sp.Expr | None] = {}

    def rewritten(term: sp.Basic) -> sp.Expr | None:
        if term not in found:
            found[term] = _vanishing_log_term(term)
        return found[term]

    return expr.replace(lambda e: rewritten(e) is not None, rewritten)
