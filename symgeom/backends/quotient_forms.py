"""Quotients in printed code that do not cancel or overflow: a rewrite applied just before printing.

Two shapes lose digits when printed as SymPy writes them:

* a sum of two quotients a/b + c/d whose terms nearly cancel (both b and d move: the mean term
  of a natural-parameter Gaussian KL, −½η₁/η₂ + ½η₁'/η₂').  Each quotient is rounded on its own,
  so the sum keeps only ε·|a/b| / |a/b + c/d| relative accuracy (1.6e-10 at a relative 1e-6
  perturbation).  It is printed ``quot_sum(a, b, c, d)`` = (a·d + c·b)/(b·d), the numerator from
  the exact products of :func:`~symgeom.numeric.double_double.two_prod`, so a·d + c·b is rounded
  about once after the cancellation and the result keeps a few ulps.  Where a product is not
  finite or could be subnormal (the error-free transformation is then not exact) the direct
  a/b + c/d is used.
* a ratio of powers aⁿ/bⁿ (σ₁²/σ₂², (μ₁ − μ₂)²/σ₂²): aⁿ overflows for σ ≥ 1.3e154 although the
  ratio is moderate.  It is printed (a/b)ⁿ; with two simple factors over b², a·c/b² is printed
  (a/b)·(c/b); a difference's power over a lower power, Δᵐ/bⁿ (m > n: (μ₁ − μ₂)²/v), is printed
  (Δ/b)ⁿ·Δ^(m−n): Δ² underflows for |Δ| < 1.5e-154 although the quotient is moderate (more
  shapes of that kind: :mod:`symgeom.backends.range_forms`).

A common numeric coefficient of the two quotients is taken out (½ above), so the numerators are
the inputs themselves and carry no rounding into the cancellation.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symgeom.backends.range_forms import DiffQuot, Times, range_forms
from symgeom.numeric.symbolic import KLDiv


class Quot(sp.Function):
    """a/b kept unevaluated (SymPy would distribute a power over it); printed ``ratio(a, b)``."""

    nargs = 2

    def _eval_rewrite_as_Pow(self, a: sp.Expr, b: sp.Expr, **kwargs: object) -> sp.Expr:  # noqa: N802
        return a / b

    def _numpycode(self, printer: Any) -> str:
        # the ``ratio`` primitive: its derivative in b is −(a/b)/b, where autodiff of a/b forms
        # b² (∂KL/∂v₂ of the mean_var Gaussian at v₂ = 1.4e232 was 0 for 9.5e-241)
        a, b = self.args
        return f"ratio({printer._print(a)}, {printer._print(b)})"


class QuotSum(sp.Function):
    """a/b + c/d; printed ``quot_sum(a, b, c, d)`` (exact numerator a·d + c·b)."""

    nargs = 4

    def _eval_rewrite_as_Pow(self, a: sp.Expr, b: sp.Expr, c: sp.Expr, d: sp.Expr,  # noqa: N802
                             **kwargs: object) -> sp.Expr:
        return a / b + c / d

    def _numpycode(self, printer: Any) -> str:
        return "quot_sum(" + ", ".join(printer._print(x) for x in self.args) + ")"


class KLDivD(sp.Function):
    """kl_div(a, b) with its difference d = a − b given (found before the rewrite, so the
    quotients inside a and b do not reach it); printed ``kl_div(a, b, d)``."""

    nargs = 3

    def _eval_rewrite_as_log(self, a: sp.Expr, b: sp.Expr, d: sp.Expr, **kwargs: object) -> sp.Expr:
        return a * sp.log(a / b) - a + b

    def _numpycode(self, printer: Any) -> str:
        a, b, d = self.args
        numerator, denominator = sp.fraction(b)
        if numerator.is_Symbol and denominator.is_Symbol:  # x/y as the ratio primitive (see Quot)
            b = Quot(numerator, denominator)
        args = ", ".join(printer._print(x) for x in (a, b, d))
        log_ratio = _power_log_ratio(printer, *self.args[:2])
        return f"kl_div_log({args}, {log_ratio})" if log_ratio else f"kl_div({args})"


def _power_log_ratio(printer: Any, a: sp.Expr, b: sp.Expr) -> str | None:
    """log(a/b) printed from the quotient's parts where b = (x/y)ᵏ (or x/y of two inputs) and a > 0
    is a number:
    log a − k·log(x/y), the log of x/y from mantissas and exponents (``log_quotient``).  The power
    (σ₁/σ₂)² underflows for σ₁/σ₂ < 1.5e-154 (and overflows above 6.7e153) although its log, and
    the KL, are moderate: the Gaussian KL at σ₁ = 1.2e-106, σ₂ = 9.1e73 was inf (true 413.68)."""
    if not (a.is_Number and a.is_positive):
        return None
    power = b if isinstance(b, sp.Pow) else sp.Pow(b, 1, evaluate=False)
    base, k = power.args
    numerator, denominator = sp.fraction(b)
    if isinstance(base, Quot) and k.is_Integer:
        x, y = base.args
    elif numerator.is_Symbol and denominator.is_Symbol:  # a ratio of two inputs, x/y (k = 1)
        (x, y), k = (numerator, denominator), sp.Integer(1)
    else:
        return None
    log_xy = f"log_quotient({printer._print(x)}, {printer._print(y)}, {printer._print(x - y)})"
    constant = "" if a == 1 else f"{float(sp.log(a))!r} + "
    return f"{constant}-{int(k)}*{log_xy}"


def quot_sum(ops: Any, a: Any, b: Any, c: Any, d: Any) -> Any:
    """a/b + c/d with an exact numerator: the ``quot_sum`` primitive
    (:mod:`symgeom.backends.quotient_sum`, derived partials) on arrays; Python numbers alone are
    added as they are."""
    like = next((v for v in (a, b, c, d) if hasattr(v, "dtype")), None)
    if like is None:  # all Python numbers
        return a / b + c / d
    split = _eager_cpu_split(ops, a, b, c, d, like)  # eager CPU torch: exact only where it cancels
    if split is not None:
        return split
    a, b, c, d = (ops.asarray(v, like) if not hasattr(v, "dtype") else v for v in (a, b, c, d))
    return ops.primitive("quot_sum")(a, b, c, d)


def _eager_cpu_split(ops: Any, a: Any, b: Any, c: Any, d: Any, like: Any) -> Any:
    """Eager CPU torch: the direct sum s = a/b + c/d where its terms do not cancel, quot_sum's exact
    form at the other entries only (gathered); None elsewhere (compiled code, torch.func, GPUs,
    other namespaces), and where every entry cancels (the caller then takes the exact form).

    An entry is kept direct where s is finite, |s| ≥ ½(|a/b| + |c/d|) and |s| ≥ tiny·2⁵³: each
    quotient is rounded once (relative ε, or absolute ≤ 2⁻¹⁰⁷⁵ if subnormal) and the sum once, so
    the error is ≤ ε(|a/b| + |c/d|) + ε|s| + 2⁻¹⁰⁷⁴ ≤ 3ε|s|(1 + 2⁻¹⁰⁰), a few ulps as the exact form.
    Eager torch runs each of the exact form's ≈ 60 operations as a pass over the batch: 2.3–2.9×
    the direct sum on 10⁶ random pairs (docs/backends.md); here only the cancelling entries pay it.
    """
    if ops.name != "torch":
        return None
    import torch

    from symgeom.backends.eager_torch import eager

    if not (isinstance(like, torch.Tensor) and like.device.type == "cpu" and like.dtype.is_floating_point):
        return None
    a, b, c, d = torch.broadcast_tensors(*(ops.asarray(v, like) if not hasattr(v, "dtype") else v
                                           for v in (a, b, c, d)))
    if not eager(a, b, c, d) or a.numel() == 0:
        return None
    first, second = a / b, c / d
    direct = first + second
    size = direct.abs()
    floor = torch.finfo(direct.dtype).smallest_normal * 2.0 ** (53 if direct.dtype == torch.float64 else 24)
    kept = torch.isfinite(direct) & (2 * size >= first.abs() + second.abs()) & (size >= floor)
    if bool(kept.all()):
        return direct
    if not bool(kept.any()):
        return None
    gathered = ~kept
    exact = quot_sum(ops, a[gathered], b[gathered], c[gathered], d[gathered])
    return direct.masked_scatter(gathered, exact)


def _quotient(term: sp.Expr) -> tuple[sp.Expr, sp.Expr, sp.Expr] | None:
    """(coefficient, numerator, denominator) of a term with a symbolic denominator, else None."""
    coefficient, rest = term.as_coeff_Mul()
    numerator, denominator = sp.fraction(rest)
    if not denominator.free_symbols or denominator.is_Number:
        return None
    return coefficient, numerator, denominator


def _monomial(expr: sp.Expr) -> bool:
    """A product of powers of symbols and numbers (no sum, no function)."""
    return not expr.has(sp.Add) and not expr.has(sp.Function)


def _combine_quotients(expr: sp.Add) -> sp.Expr:
    quotients = [(t, q) for t in expr.args if (q := _quotient(t)) is not None]
    if len(quotients) != 2:
        return expr
    (t1, (k1, n1, d1)), (t2, (k2, n2, d2)) = quotients
    if d1 == d2 or not (n1.free_symbols or n2.free_symbols):
        return expr
    if not all(_monomial(x) for x in (n1, d1, n2, d2)):
        return expr  # only quotients of monomials: nested sums are not known to cancel
    rest = [t for t in expr.args if t is not t1 and t is not t2]
    if abs(k1) == abs(k2):
        combined = abs(k1) * QuotSum(sp.sign(k1) * n1, d1, sp.sign(k2) * n2, d2)
    else:
        combined = QuotSum(k1 * n1, d1, k2 * n2, d2)
    return sp.Add(*rest, combined, evaluate=False) if rest else combined


def _split_powers(expr: sp.Mul) -> sp.Expr:
    factors = list(expr.args)
    for i, f in enumerate(factors):
        if not (isinstance(f, sp.Pow) and f.exp.is_Integer and f.exp < 0 and f.base.free_symbols):
            continue
        n, base = -int(f.exp), f.base
        others = factors[:i] + factors[i + 1:]
        for j, g in enumerate(others):
            if isinstance(g, sp.Pow) and g.exp == n and g.base.free_symbols and n > 1:
                kept = others[:j] + others[j + 1:]
                return sp.Mul(*kept, sp.Pow(Quot(g.base, base), n, evaluate=False), evaluate=False)
            if isinstance(g, sp.Pow) and g.exp.is_Integer and g.exp > n and isinstance(g.base, sp.Add):
                # a difference's power over a lower power, (μ₁ − μ₂)²/v: (Δ/v)ⁿ·Δ^(m−n), not Δ² first
                # (Δ² underflows for Δ < 1.5e-154: the diagonal mean_var KL at σ = 1e-150)
                kept = others[:j] + others[j + 1:]
                ratio = Quot(g.base, base) if n == 1 else sp.Pow(Quot(g.base, base), n, evaluate=False)
                rest = sp.Pow(g.base, int(g.exp) - n, evaluate=False) if int(g.exp) - n > 1 else g.base
                return sp.Mul(*kept, ratio, rest, evaluate=False)
        simple = [g for g in others if g.free_symbols and not isinstance(g, sp.Pow)]
        if n == 2 and len(simple) == 2:
            kept = [g for g in others if g not in simple]
            return sp.Mul(*kept, Quot(simple[0], base), Quot(simple[1], base), evaluate=False)
    return expr


def quotient_forms(expr: sp.Basic) -> sp.Basic:
    """``expr`` with cancelling sums of two quotients as :class:`QuotSum` and ratios of powers as
    powers of :class:`Quot` (bottom-up; everything else unchanged)."""
    if not expr.args or isinstance(expr, (Quot, QuotSum, Times, DiffQuot)):
        return expr
    if isinstance(expr, KLDiv):
        a, b = expr.args
        if a == 1 and isinstance(b, sp.exp):  # printed from b's exponent (expm1)
            return expr
        return KLDivD(quotient_forms(a), quotient_forms(b), quotient_forms(sp.factor(a - b)))
    args = [quotient_forms(a) for a in expr.args]
    if isinstance(expr, sp.Lambda) or not isinstance(expr, sp.Expr):
        return expr.func(*args)
    if isinstance(expr, sp.Add):
        new = sp.Add(*args, evaluate=False)
        return _combine_quotients(new)
    if isinstance(expr, sp.Mul):
        return range_forms(_split_powers(sp.Mul(*args, evaluate=False)))
    if isinstance(expr, sp.Pow):
        return sp.Pow(*args, evaluate=False)
    return expr.func(*args)
