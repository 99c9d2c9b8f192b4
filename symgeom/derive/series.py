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
    if isinstance(expr, (sp.loggamma, sp.polygamma)) and all(
        t not in a.free_symbols for a in expr.args[:-1]
    ):
        # f(u₀ + v) = Σ f⁽ᵏ⁾(u₀) vᵏ/k! with f⁽ᵏ⁾ a polygamma: no differentiation of the whole.
        inner = taylor(expr.args[-1], t, order)
        z = sp.Dummy("z")
        f = expr.func(*expr.args[:-1], z)
        coefficients = [sp.diff(f, z, k).xreplace({z: inner[0]}) / sp.factorial(k) for k in range(n)]
        return _compose(coefficients[0], coefficients, [sp.Integer(0), *inner[1:]])
    derivatives, current = [], expr
    for k in range(n):
        derivatives.append(current.subs(t, 0) / sp.factorial(k))
        current = sp.diff(current, t)
    return derivatives


# --- the same series by factor-base arithmetic (large families, see derive.common.is_large) ---
def taylor_by_fractions(expr: sp.Expr, t: sp.Symbol, order: int) -> Series:
    """[c₀, …, c_order] for expr = rational(t) + Σ c·log(g(t)) (c constant, g rational).

    Every rational function N(t)/∏fᵢ(t)^kᵢ is expanded as N(t)·∏(1/fᵢ(t))^kᵢ with
    1/f(t) = (1/f₀)·Σₘ(−u)ᵐ, u = (f(t) − f₀)/f₀, and log g(t) = log g₀ + Σₘ (−1)^{m+1}uᵐ/m: only
    the t-free parts f₀, g₀ are ever inverted, so no gcd and no large cancel is needed.
    """
    from symgeom.derive.rational import RationalContext, split_logs

    n = order + 1
    expr = _truncate_exponentials(expr, t, order)
    symbols = tuple(sorted(expr.free_symbols - {t}, key=lambda s: s.name))
    rational, logs = split_logs(expr)
    parts = [rational, *(g for _, g in logs)]
    atoms = RationalContext.for_expressions(parts, (*symbols, t)).atoms
    if any(a.has(t) for a in atoms):
        raise ValueError(f"not rational in {t} after truncating the exponentials: {atoms}")
    outer = RationalContext((*symbols, t), atoms)
    inner = RationalContext(symbols, atoms)
    position = outer.ring.symbols.index(t)

    def coefficients(poly) -> list:
        """A polynomial in (symbols, t) as its t-coefficients, polynomials in the symbols."""
        out = [inner.ring.zero for _ in range(n)]
        for monomial, coefficient in poly.items():
            power = monomial[position]
            if power < n:
                rest = monomial[:position] + monomial[position + 1:]
                out[power] += inner.ring({rest: coefficient})
        return [inner.polynomial(c) for c in out]

    def multiply(a: list, b: list) -> list:
        return [_sum([a[k] * b[m - k] for k in range(m + 1)], inner) for m in range(n)]

    def reciprocal(f: list) -> list:
        head = f[0].inverse()
        u = [inner.constant(0)] + [c * head for c in f[1:]]
        total, power = _unit(n, inner), _unit(n, inner)
        for m in range(1, n):
            power = multiply(power, u)
            sign = inner.constant((-1) ** m)
            total = [a + sign * b for a, b in zip(total, power)]
        return [head * c for c in total]

    def series_of(fraction) -> list:
        result = coefficients(fraction.numerator)
        for index, k in fraction.denominator:
            inverse = reciprocal(coefficients(outer.factors[index]))
            for _ in range(k):
                result = multiply(result, inverse)
        return result

    total = series_of(outer.convert(rational))
    heads = []
    for coefficient, argument in logs:
        g = series_of(outer.convert(argument))
        head = g[0].inverse()
        u = [inner.constant(0)] + [c * head for c in g[1:]]
        power = _unit(n, inner)
        scale = inner.constant(coefficient)
        for m in range(1, n):
            power = multiply(power, u)
            weight = inner.constant(sp.Rational((-1) ** (m + 1), m)) * scale
            total = [a + weight * b for a, b in zip(total, power)]
        heads.append(coefficient * sp.log(g[0].as_expr()))
    out = [c.as_expr() for c in total]
    out[0] = out[0] + sp.Add(*heads)
    return out


def _truncate_exponentials(expr: sp.Expr, t: sp.Symbol, order: int) -> sp.Expr:
    """Each exp(a + b·t) as exp(a)·Σ_{m≤order} (b·t)ᵐ/m!: equal to it up to O(t^{order+1}).

    The coefficients of t⁰…t^order of the whole expression are unchanged, because every
    other part is analytic in t at 0 and exp(a) ≠ 0 (a chart through exp, such as log σ).
    """
    def truncated(e: sp.Expr) -> sp.Expr:
        argument = sp.expand(e.args[0])
        slope = argument.coeff(t)
        rest = sp.expand(argument - slope * t)
        if rest.has(t) or slope.has(t):
            raise ValueError(f"exp of a non-linear function of {t}: {e}")
        head = sp.Mul(*[sp.exp(term) for term in sp.Add.make_args(rest)])
        return head * sp.Add(*[(slope * t) ** m / sp.factorial(m) for m in range(order + 1)])

    return expr.replace(lambda e: isinstance(e, sp.exp) and e.has(t), truncated)


def _unit(n: int, context) -> list:
    return [context.constant(1)] + [context.constant(0) for _ in range(n - 1)]


def _sum(parts: list, context):
    total = context.constant(0)
    for part in parts:
        total = total + part
    return total
