"""Printed products and differences that keep the range of their result (issue 12, near pairs at
extreme scales): a rewrite applied with :mod:`symgeom.backends.quotient_forms` just before printing.

Three shapes under- or overflow in an intermediate although the result is moderate:

* a difference squared times a scale, s·Δ² (the mean term −¼η₂′·(η₁′/η₂′ − η₁/η₂)² of a natural
  Gaussian chart, η₂′ ≈ 5e299 at σ = 1e-150): Δ² underflows for |Δ| < 1.5e-154 (overflows past
  1.3e154).  Printed (s·Δ)·Δ: |s·Δ| ≤ |s·Δ²| where |Δ| ≥ 1 and ≤ |s| where |Δ| < 1, so no
  intermediate leaves the range unless the result does (XLA under ``jit`` computes Δ once);
* Δⁿ·eᵘ ((μ₁ − μ₂)²·e^(−2 log σ₂), the mean_logstd charts): printed (Δ·e^(u/n))ⁿ, the same
  number with e^(u/n) overflowing only where eᵘ does;
* the relative difference (x − y)/b of two close numbers (kl_div's exact d = 1 − v₁/v₂ of the
  variance charts): x − y is subnormal for |x| < 2⁻⁹⁷⁰ at a relative 2⁻⁵², and XLA on the CPU
  flushes it to 0 (the diagonal mean_var KL at σ = 1e-150 was 95 % low on JAX).  Printed
  ``diff_quot(x, y, b)`` = (x·S − y·S)/(b·S) with S = 2^(−0.6·e_min) where max(|x|, |y|) <
  2^(0.4·e_min), else 1 (exact scalings; the same number wherever nothing is subnormal).
"""

from __future__ import annotations

from typing import Any

import sympy as sp


class Times(sp.Function):
    """a·b kept unevaluated (SymPy would distribute a power over it); printed ``((a)*(b))``."""

    nargs = 2

    def _eval_rewrite_as_Pow(self, a: sp.Expr, b: sp.Expr, **kwargs: object) -> sp.Expr:  # noqa: N802
        return a * b

    def _numpycode(self, printer: Any) -> str:
        a, b = self.args
        return f"(({printer._print(a)})*({printer._print(b)}))"


class DiffQuot(sp.Function):
    """(x − y)/b; printed ``diff_quot(x, y, b)`` (scaled out of the subnormal range)."""

    nargs = 3

    def _eval_rewrite_as_Pow(self, x: sp.Expr, y: sp.Expr, b: sp.Expr, **kwargs: object) -> sp.Expr:  # noqa: N802
        return (x - y) / b

    def _numpycode(self, printer: Any) -> str:
        return "diff_quot(" + ", ".join(printer._print(a) for a in self.args) + ")"


def diff_quot(ops: Any, x: Any, y: Any, b: Any) -> Any:
    """(x − y)/b = (x·S − y·S)/(b·S), S = 2^(−0.6·e_min) where max(|x|, |y|) < 2^(0.4·e_min)
    (2⁶¹³ below 2⁻⁴⁰⁹ in float64, 2⁷⁵ below 2⁻⁵⁰ in float32), else 1: x·S − y·S is then a normal
    number unless x and y agree to more bits than the format has."""
    xp = ops.xp
    like = next((v for v in (x, y, b) if hasattr(v, "dtype")), None)
    if like is None:  # all Python numbers
        return (x - y) / b
    x, y, b = (ops.asarray(v, like) if not hasattr(v, "dtype") else v for v in (x, y, b))
    info = xp.finfo(like.dtype)
    emin = -1022 if info.bits > 32 else -126
    small = xp.maximum(xp.abs(x), xp.abs(y)) < 2.0 ** round(0.4 * emin)
    scale = xp.where(small, ops.asarray(2.0 ** round(-0.6 * emin), like), ops.asarray(1.0, like))
    return (x * scale - y * scale) / (b * scale)


def _difference(expr: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
    """(x, y) of x − y with x, y symbols, else None."""
    if not isinstance(expr, sp.Add) or len(expr.args) != 2:
        return None
    terms = sorted(expr.args, key=lambda t: t.could_extract_minus_sign())
    x, y = terms[0], -terms[1]
    if x.is_Symbol and y.is_Symbol and terms[1].could_extract_minus_sign():
        return x, y
    return None


def _differenceish(expr: sp.Expr) -> bool:
    from symgeom.backends.quotient_forms import QuotSum

    return isinstance(expr.as_coeff_Mul()[1], sp.Add | QuotSum)  # a number times a sum


def range_forms(expr: sp.Mul) -> sp.Expr:
    """A product with the three shapes of the module docstring rewritten (else unchanged)."""
    factors = list(expr.args)
    numbers = [f for f in factors if f.is_Number]
    rest = [f for f in factors if not f.is_Number]
    if len(rest) != 2:
        return expr
    for f, g in (rest, rest[::-1]):
        # (x − y)·b⁻¹
        pair = _difference(f)
        if pair is not None and isinstance(g, sp.Pow) and g.exp == -1 and g.base.is_Symbol:
            return sp.Mul(*numbers, DiffQuot(*pair, g.base), evaluate=False)
        if not (isinstance(f, sp.Pow) and f.exp.is_Integer and f.exp > 1 and _differenceish(f.base)):
            continue
        n = int(f.exp)
        if isinstance(g, sp.exp):  # Δⁿ·eᵘ → (Δ·e^(u/n))ⁿ
            return sp.Mul(*numbers, sp.Pow(Times(f.base, sp.exp(g.args[0] / n)), n, evaluate=False),
                          evaluate=False)
        if n == 2 and (g.is_Symbol or (isinstance(g, sp.Pow) and g.base.is_Symbol and g.exp.is_Integer
                                       and g.exp > 0)):  # s·Δ² → (s·Δ)·Δ
            return sp.Mul(*numbers, Times(Times(g, f.base), f.base), evaluate=False)
    return expr
