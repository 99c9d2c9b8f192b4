"""e(θ₂) − e(θ₁) rewritten so that nothing cancels in floats when θ₁ ≈ θ₂.

Coordinates are changed one at a time (telescoping: e(θ₂) − e(θ₁) = Σₖ e(θ₂[≤k], θ₁[>k]) −
e(θ₂[<k], θ₁[≥k]), whose mixed points are exact inputs), and a change in one coordinate x is
carried through the expression by exact rules, each the difference written around the old value:

    Δx = x₂ − x₁,   Δ(u + v) = Δu + Δv,   Δ(uv) = u₂Δv + v₁Δu,   Δ(c·u) = cΔu,
    Δ(1/u) = −Δu/(u₁u₂),   Δ(uⁿ) = Δu·Σₖ u₂ᵏu₁ⁿ⁻¹⁻ᵏ, Δ(u⁻ⁿ) = −Δ(uⁿ)/(u₁u₂)ⁿ (n = 2, 3, …),
      Δ(uᶜ) = u₁ᶜ·expm1(c·log1p(Δu/u₁)),
    Δ(eᵘ) = e^{u₁}·expm1(Δu),   Δ(log u) = log1p(Δu/u₁),   Δ softplus(u) = softplus_diff(u₁, Δu),

(log1p(Δu/u₁) as LogQuotient(u₂, u₁, Δu): a far pair takes log(u₂/u₁) from mantissas and exponents,
where Δu/u₁ would overflow for a tiny u₁ or round to −1 for a tiny u₂, :mod:`symgeom.numeric.log_quotient`)

so the result is a product of Δx (exact for near pairs, by Sterbenz) and factors evaluated at the
two points: e.g. κ₂m₂ − κ₁m₁ = κ₂(m₂ − m₁) + m₁(κ₂ − κ₁), and log(1 + e^{θ₂}) − log(1 + e^{θ₁}) =
log1p(e^{θ₁}·expm1(θ₂ − θ₁)/(1 + e^{θ₁})), where the textbook differences keep only ε/δ of
their digits.  Any other function f(u) falls back to f(u₂) − f(u₁).  The rewrite is exact; the test
suite proves it equal to e(θ₂) − e(θ₁) for every chart it is used on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp
from sympy.codegen.cfunctions import expm1

from symgeom.numeric.log_quotient import LogQuotient
from symgeom.numeric.softplus import Softplus, SoftplusDiff


def exact_difference(expr: sp.Expr, old: Sequence[sp.Symbol], new: Sequence[sp.Symbol]) -> sp.Expr:
    """expr(new) − expr(old), written without cancellation (see the module docstring)."""
    total = sp.S.Zero
    current = expr
    for x1, x2 in zip(old, new, strict=True):
        if current.has(x1):
            total += _delta(current, x1, x2)
        current = current.xreplace({x1: x2})
    return total


def _delta(e: sp.Expr, x1: sp.Symbol, x2: sp.Symbol) -> sp.Expr:
    """e(x₂) − e(x₁) with every other symbol fixed."""
    if not e.has(x1):
        return sp.S.Zero
    if e == x1:
        return x2 - x1
    at2 = e.xreplace({x1: x2})
    if isinstance(e, sp.Add):
        return sp.Add(*[_delta(a, x1, x2) for a in e.args])
    if isinstance(e, sp.Mul):
        constant, moving = e.as_independent(x1, as_Add=False)
        factors = list(sp.Mul.make_args(moving))
        terms = []
        for i, f in enumerate(factors):
            before = sp.Mul(*[g.xreplace({x1: x2}) for g in factors[:i]])
            after = sp.Mul(*factors[i + 1 :])
            terms.append(before * _delta(f, x1, x2) * after)
        return constant * sp.Add(*terms)
    if isinstance(e, sp.Pow):
        base, exponent = e.args
        if not exponent.has(x1):
            change = _delta(base, x1, x2)
            base2 = base.xreplace({x1: x2})
            if exponent == -1:
                return -change / (base * base2)
            if exponent.is_Integer and abs(exponent) > 1:
                n = abs(int(exponent))
                grown = change * sp.Add(*[base2**k * base ** (n - 1 - k) for k in range(n)])
                return grown if exponent > 0 else -grown / (base * base2) ** n
            return e * expm1(exponent * LogQuotient(base2, base, change))
        if not base.has(x1):
            return e * expm1(sp.log(base) * _delta(exponent, x1, x2))
        return at2 - e
    if isinstance(e, sp.exp):
        return e * expm1(_delta(e.args[0], x1, x2))
    if isinstance(e, sp.log):
        (u,) = e.args
        return LogQuotient(u.xreplace({x1: x2}), u, _delta(u, x1, x2))
    if isinstance(e, Softplus):
        (u,) = e.args
        return SoftplusDiff(u, _delta(u, x1, x2))
    return at2 - e
