"""lnΓ and ψ in a compiled closed form split into their Stirling growth and a small remainder,
so that the growth cancels symbolically instead of in floating point:

    lnΓ(y) = φ(y) + y·log y − y,   ψ(y) = φ′(y) + log y,
    φ(y) = ½log 2π − ½log y + O(1/y),   φ′(y) = −1/(2y) + O(1/y²)   (symgeom.numeric.stirling)

The Gamma entropy α − log β + lnΓ(α) + (1 − α)ψ(α) is O(log α) while its terms are O(α log α): at
α = 10⁶ the plain form keeps 2.4e-10 relative.  Substituted and multiplied out it becomes
φ(α) + (1 − α)φ′(α) + log α − log β, whose terms are O(log α).  The form is used only where, after
the substitution, every logarithm has a constant coefficient (the y·log y growth cancelled
exactly; otherwise the expression is kept as it is); it is the same function by definition of φ.
"""

from __future__ import annotations

import sympy as sp


class StirlingPhi(sp.Function):
    """φ(y) = lnΓ(y) − y·log y + y; printed ``stirling_phi(y)``."""

    nargs = 1

    def _eval_rewrite_as_loggamma(self, y: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.loggamma(y) - y * sp.log(y) + y

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        return f"stirling_phi({printer._print(self.args[0])})"


class StirlingPhiPrime(sp.Function):
    """φ′(y) = ψ(y) − log y; printed ``stirling_phi_prime(y)``."""

    nargs = 1

    def _eval_rewrite_as_loggamma(self, y: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.polygamma(0, y) - sp.log(y)

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        return f"stirling_phi_prime({printer._print(self.args[0])})"


def _is_digamma(e: sp.Basic) -> bool:
    return isinstance(e, sp.polygamma) and e.args[0] == 0


def stirling_form(expr: sp.Expr) -> sp.Expr:
    """``expr`` with lnΓ(y) and ψ(y) split as in the module docstring where their growth cancels,
    else ``expr`` unchanged."""
    if not (expr.has(sp.loggamma) or any(_is_digamma(e) for e in sp.preorder_traversal(expr))):
        return expr
    split = expr.replace(lambda e: isinstance(e, sp.loggamma),
                         lambda e: StirlingPhi(e.args[0]) + e.args[0] * sp.log(e.args[0]) - e.args[0])
    split = split.replace(_is_digamma, lambda e: StirlingPhiPrime(e.args[1]) + sp.log(e.args[1]))
    split = sp.expand(split)
    for term in sp.Add.make_args(split):
        if term.has(sp.log) and not all(f.is_number or isinstance(f, sp.log) for f in sp.Mul.make_args(term)):
            return expr  # a logarithm with a growing coefficient: the growth did not cancel
    if sp.expand(split.rewrite(sp.loggamma) - sp.expand(expr)) != 0:
        return expr
    return split
