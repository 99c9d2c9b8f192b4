"""Truncated Taylor series in one symbol by exact series arithmetic (no repeated differentiation)."""

from __future__ import annotations

import sympy as sp

Series = list[sp.Expr]


def _multiply(a: Series, b: Series) -> Series:
    n = len(a)
    return [sp.Add(*[a[k] * b[m - k] for k in range(m + 1)]) for m in range(n)]


def _reciprocal(a: Series) -> Series:
    """1/a: b₀ = 1/a₀, bₘ = −(1/a₀) Σₖ₌₁ᵐ aₖ bₘ₋ₖ."""
    b = [1 / a[0]]
    for m in range(1, len(a)):
        b.append(-sp.Add(*[a[k] * b[m - k] for k in range(1, m + 1)]) / a[0])
    return b


def _compose(head: sp.Expr, coefficients: list[sp.Expr], u: Series) -> Series:
    """head + Σ_{k≥1} coefficients[k]·uᵏ for a series u with u₀ = 0."""
    result = [head] + [sp.Integer(0)] * (len(u) - 1)
    power = [sp.Integer(1)] + [sp.Integer(0)] * (len(u) - 1)
    for k in range(1, len(u)):
        power = _multiply(power, u)
        result = [r + coefficients[k] * p for r, p in zip(result, power)]
    return result


def taylor(expr: sp.Expr, t: sp.Symbol, order: int) -> Series:
    """[c₀, …, c_order] with expr = Σ cₙ tⁿ + O(t^{order+1}); sums, products, powers, exp, log."""
    n = order + 1
    if t not in expr.free_symbols:
        return [expr] + [sp.Integer(0)] * order
    if expr == t:
        return ([sp.Integer(0), sp.Integer(1)] + [sp.Integer(0)] * n)[:n]
    if isinstance(expr, sp.Add):
        parts = [taylor(a, t, order) for a in expr.args]
        return [sp.Add(*column) for column in zip(*parts)]
    if isinstance(expr, sp.Mul):
        result = taylor(expr.args[0], t, order)
        for factor in expr.args[1:]:
            result = _multiply(result, taylor(factor, t, order))
        return result
    if isinstance(expr, sp.Pow) and t not in expr.exp.free_symbols:
        base = taylor(expr.base, t, order)
        exponent = expr.exp
        if exponent.is_Integer and exponent > 0:
            result = base
            for _ in range(int(exponent) - 1):
                result = _multiply(result, base)
            return result
        if exponent == -1:
            return _reciprocal(base)
        u = [sp.Integer(0)] + [c / base[0] for c in base[1:]]
        binomials = [sp.binomial(exponent, k) for k in range(n)]
        return [base[0] ** exponent * c for c in _compose(sp.Integer(1), binomials, u)]
    if isinstance(expr, sp.exp):
        inner = taylor(expr.args[0], t, order)
        u = [sp.Integer(0), *inner[1:]]
        head = sp.exp(inner[0])
        return [head * c for c in _compose(sp.Integer(1), [1 / sp.factorial(k) for k in range(n)], u)]
    if isinstance(expr, sp.log):
        inner = taylor(expr.args[0], t, order)
        u = [sp.Integer(0)] + [c / inner[0] for c in inner[1:]]
        coefficients = [sp.Integer(0)] + [sp.Integer((-1) ** (k + 1)) / k for k in range(1, n)]
        return _compose(sp.log(inner[0]), coefficients, u)
    derivatives, current = [], expr
    for k in range(n):
        derivatives.append(current.subs(t, 0) / sp.factorial(k))
        current = sp.diff(current, t)
    return derivatives
