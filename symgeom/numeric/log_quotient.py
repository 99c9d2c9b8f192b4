"""log(a/b) from a, b and their exact difference d = a − b: the exact difference of a logarithm.

    Δ log u = log(u₂/u₁) = log1p(Δu/u₁),   Δu = u₂ − u₁,

is how :mod:`symgeom.backends.difference` keeps the digits of a near pair (Δu exact, u₂/u₁ − 1 not).
For a far pair the quotient Δu/u₁ is the wrong thing to form: with a tiny u₁ it overflows (a
Binomial(4) logit η = log(p/(1 − p)) at p₁ = 10⁻³¹⁰, p₂ = 0.3: Δu/u₁ ≈ 4·10³⁰⁹, KL = ∞ for the
true 1.4267), and with a tiny u₂ it rounds to −1 (p₁ = 0.3, p₂ = 10⁻³¹⁰: log1p(−1) = −∞, KL = ∞
for the true 854.1), the digits of u₂ lost in Δu ≈ −u₁.  So, as the kl_div primitive's log ratio,

    log(a/b) = log1p(d/b)                                 where |d| < b/2,
             = log(mₐ/m_b) + (eₐ − e_b)·log 2            elsewhere (a = mₐ·2^{eₐ}, frexp),

the second exact in its parts for every positive a, b (subnormal ones included: nothing over- or
underflows), |log(a/b)| ≥ log(3/2) there, so its rounding is a few ε relative.
"""

from __future__ import annotations

import sympy as sp
from sympy.codegen.cfunctions import log1p


class LogQuotient(sp.Function):
    """LogQuotient(a, b, d) = log(a/b) for a, b > 0 and d = a − b (written exactly), printed as
    ``log_quotient(a, b, d)`` (:func:`symgeom.numeric.kernels.log_quotient` in NumPy)."""

    nargs = 3

    def _eval_rewrite_as_log(self, a: sp.Expr, b: sp.Expr, d: sp.Expr, **kwargs: object) -> sp.Expr:
        return log1p(d / b)

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return printer._print(log1p(self.args[2] / self.args[1]))

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        a, b, d = (printer._print(x) for x in self.args)
        return f"log_quotient({a}, {b}, {d})"

    _pythoncode = _numpycode


def plain(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every LogQuotient(a, b, d) written as log1p(d/b)."""
    return expr.replace(lambda e: isinstance(e, LogQuotient), lambda e: log1p(e.args[2] / e.args[1]))
