"""softplus(x) = log(1 + eˣ) and its exact differences as SymPy primitives, and the rewrite that
finds them in derived expressions.

A logit chart's log-partition is a logarithm of a rational function of one eˣ: n·log(1 + e^θ)
(Binomial), −r·log(1 − 1/(e^θ + 1)) (negative binomial).  As written these lose every digit of
e^θ next to 1 for θ ≪ 0 and overflow for θ > 709.  Every such logarithm whose argument factors as
c·Eᵏ(E + 1)ᵐ with E = eˣ is

    log(c·Eᵏ(E + 1)ᵐ) = log c + k·x + m·softplus(x) = log c + (k + m)·x + m·softplus(−x),

and :func:`softplus_form` writes it so (the second form when k + m = 0, so log σ(x) = −softplus(−x)
does not cancel x against softplus(x) for x ≫ 0).  Differences of such terms between two points
are :class:`SoftplusDiff` (a, d) = softplus(a + d) − softplus(a) with the exact step d (see
:func:`symgeom.numeric.kernels.softplus_diff`).  Both rewrite back to logarithms
(``expr.rewrite(sp.log)``), so the forms that use them are proved equal to the derived ones.
"""

from __future__ import annotations

import sympy as sp
from sympy.codegen.cfunctions import log1p

from symgeom.backends.sigmoid import Sigmoid, one_exponential, sigmoid_form


class Softplus(sp.Function):
    """softplus(x) = log(1 + eˣ) (> 0), printed as the backend's overflow-free ``softplus``."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return Sigmoid(self.args[0])

    def _eval_rewrite_as_log(self, x: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.log(1 + sp.exp(x))

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_extended_real else None

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return rf"\log\left(1 + e^{{{printer._print(self.args[0])}}}\right)"

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        return f"softplus({printer._print(self.args[0])})"

    _pythoncode = _numpycode


class SoftplusDiff(sp.Function):
    """SoftplusDiff(a, d) = softplus(a + d) − softplus(a), d the exact step (printed as
    ``softplus_diff(a, d)``: no cancellation when d is small against a)."""

    nargs = 2

    @classmethod
    def eval(cls, a: sp.Expr, d: sp.Expr) -> sp.Expr | None:
        if d == 0:
            return sp.S.Zero
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        a, d = self.args
        return Sigmoid(a + d) - Sigmoid(a) if argindex == 1 else Sigmoid(a + d)

    def _eval_rewrite_as_log(self, a: sp.Expr, d: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.log(1 + sp.exp(a + d)) - sp.log(1 + sp.exp(a))

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        a, d = (printer._print(x) for x in self.args)
        return rf"\log\frac{{1 + e^{{{a} + {d}}}}}{{1 + e^{{{a}}}}}"

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        a, d = (printer._print(x) for x in self.args)
        return f"softplus_diff({a}, {d})"

    _pythoncode = _numpycode


class ScaledSoftplusDiff(sp.Function):
    """ScaledSoftplusDiff(a, d) = (softplus(a + d) − softplus(a))/σ(a), printed as
    ``softplus_diff_scaled(a, d)``: for |d| ≤ 1 it is expm1(d)·L(x), x = σ(a)·expm1(d),
    L(x) = log1p(x)/x, a number of the size of d even where σ(a)·d is below the normal float
    range (a geometric logit's natural step at θ = −700), so SoftplusDiff(a, d) = σ(a)·this keeps
    its two factors apart for :class:`symgeom.numeric.bregman.ScaledRatio`."""

    nargs = 2

    @classmethod
    def eval(cls, a: sp.Expr, d: sp.Expr) -> sp.Expr | None:
        if d == 0:
            return sp.S.Zero
        return None

    def _eval_rewrite_as_log(self, a: sp.Expr, d: sp.Expr, **kwargs: object) -> sp.Expr:
        return (sp.log(1 + sp.exp(a + d)) - sp.log(1 + sp.exp(a))) * (1 + sp.exp(-a))

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        a, d = (printer._print(x) for x in self.args)
        return rf"\left(1 + e^{{-{a}}}\right)\log\frac{{1 + e^{{{a} + {d}}}}}{{1 + e^{{{a}}}}}"

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        a, d = (printer._print(x) for x in self.args)
        return f"softplus_diff_scaled({a}, {d})"

    _pythoncode = _numpycode


class LogitEntropy(sp.Function):
    """h(x) = softplus(x) − x·σ(x) (> 0, even), the binary entropy at probability σ(x), printed as
    ``logit_entropy``: softplus(−|x|) + |x|·σ(−|x|), two non-negative terms, where the form as
    written loses every digit for x ≫ 0 (n·h(θ) is the Binomial(n) logit entropy less E[log C])."""

    nargs = 1

    @classmethod
    def eval(cls, x: sp.Expr) -> sp.Expr | None:
        if x.could_extract_minus_sign():
            return cls(-x)
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        x = self.args[0]
        return -x * Sigmoid(x) * Sigmoid(-x)

    def _eval_rewrite_as_log(self, x: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.log(1 + sp.exp(x)) - x * sp.exp(x) / (1 + sp.exp(x))

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_extended_real else None

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        x = printer._print(self.args[0])
        return rf"\left(\log\left(1 + e^{{{x}}}\right) - \frac{{{x}\,e^{{{x}}}}}{{1 + e^{{{x}}}}}\right)"

    def _numpycode(self, printer: sp.printing.numpy.NumPyPrinter) -> str:
        return f"logit_entropy({printer._print(self.args[0])})"

    _pythoncode = _numpycode


def _softplus_log(u: sp.Expr) -> sp.Expr | None:
    """log u as log c + k·x + m·softplus(±x) when u = c·Eᵏ(E + 1)ᵐ, c > 0, m ≠ 0; else None."""
    found = one_exponential(u, "E")
    if found is None:
        return None
    x, t, in_t = found
    k = m = 0
    coefficient = sp.S.One
    for part, sign in zip(sp.fraction(sp.cancel(in_t)), (1, -1), strict=True):
        scale, factors = sp.factor_list(part, t)
        coefficient *= scale**sign
        for factor, power in factors:
            if factor == t:
                k += sign * power
            elif sp.expand(factor - t - 1) == 0:
                m += sign * power
            else:
                return None
    if m == 0 or not coefficient.is_positive:
        return None
    head = sp.log(coefficient) if coefficient != 1 else sp.S.Zero
    if k + m == 0:
        return head + m * Softplus(-x)
    return head + k * x + m * Softplus(x)


def softplus_form(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every log(u) and log1p(u − 1) whose argument u is c·Eᵏ(E + 1)ᵐ in one E = eˣ
    written with :class:`Softplus` (module docstring); anything else unchanged."""

    def rewritable(e: sp.Basic) -> bool:
        return isinstance(e, sp.log | log1p) and _softplus_log(_argument(e)) is not None

    return expr.replace(rewritable, lambda e: _softplus_log(_argument(e)))


def _argument(e: sp.Basic) -> sp.Expr:
    return e.args[0] if isinstance(e, sp.log) else 1 + e.args[0]


def softplus_merged(expr: sp.Expr) -> sp.Expr:
    """:func:`softplus_form` of ``expr``, multiplied out, each term's factors that are a rational
    function of one eˣ in σ(±x) (:func:`~symgeom.backends.sigmoid.sigmoid_form`), and two kinds of
    pairs merged into one term of non-negative parts:

    * c·softplus(x) − c·x·σ(x) → c·h(x) (:class:`LogitEntropy`): a Binomial(n) logit entropy
      −nθσ(θ) + n·log(1 + e^θ) − E[log C(n, x)] becomes n·h(θ) − Σₓ C(n, x)σ(θ)ˣσ(−θ)ⁿ⁻ˣ log C(n, x),
      where −nθσ(θ) + n·softplus(θ) cancels to nothing (0 at θ = 40, nan at 300: e^{4θ} overflows);
    * c·softplus(x) − c·x → c·softplus(−x) (softplus(x) − x = softplus(−x)): a geometric entropy
      −θ + (1 + e^{−θ})·log(1 + e^θ) becomes softplus(−θ) + e^{−θ}·softplus(θ), a sum of positive
      terms, where −θ + softplus(θ) loses every digit for θ ≫ 0.

    ``expr`` unchanged without softplus."""
    form = softplus_form(expr)
    if not form.has(Softplus):
        return expr
    terms = [_sigmoid_factors(term) for term in sp.Add.make_args(sp.expand(form))]
    for partner_of in (lambda c, x: sp.expand(-c * x * Sigmoid(x)), lambda c, x: sp.expand(-c * x)):
        for i, term in enumerate(terms):
            c, rest = term.as_coeff_Mul()
            if not isinstance(rest, Softplus):
                continue
            (x,) = rest.args
            partner = partner_of(c, x)
            for j, other in enumerate(terms):
                if j != i and other == partner:
                    merged = LogitEntropy(x) if partner.has(Sigmoid) else Softplus(-x)
                    terms[i], terms[j] = c * merged, sp.S.Zero
                    break
    return sp.Add(*terms)


def _sigmoid_factors(term: sp.Expr) -> sp.Expr:
    """``term`` with the product of its factors that hold an exponential written in σ(±x) where
    that product is a rational function of one eˣ with denominator (eˣ + 1)ᵐ; else unchanged."""
    factors = sp.Mul.make_args(term)
    exponential = [f for f in factors if f.has(sp.exp)]
    if not exponential:
        return term
    rest = [f for f in factors if not f.has(sp.exp)]
    return sp.Mul(*rest) * sigmoid_form(sp.Mul(*exponential))
