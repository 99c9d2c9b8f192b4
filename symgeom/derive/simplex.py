"""Exact integrals over the probability simplex, one coordinate at a time, by the Beta integral.

The innermost coordinate x_j runs over (0, s) with s = 1 − Σ_{i<j} xᵢ > 0.  The change of
variables x_j = s·t (dx_j = s dt, t ∈ (0, 1)) turns every base that is a multiple of s at
x_j = s·t (x_j itself, 1 − Σᵢ xᵢ = s − x_j) into s·q(t), and then

    ∫₀¹ t^{a−1}(1−t)^{b−1} (log t)^m (log(1−t))^n dt = ∂ᵃᵐ ∂ᵇⁿ B(a, b),  B(a, b) = Γ(a)Γ(b)/Γ(a+b),

for a, b > 0 (the Beta integral, differentiated under the integral sign).  The Beta integral
itself is the catalog's lemma ``normalization/beta`` (SymPy integration, proved once), so this
module never calls SymPy's integrator: it pattern-matches the integrand, and refuses (returns
None) whatever does not have this shape.
"""

from __future__ import annotations

import sympy as sp

_A = sp.Symbol("a", positive=True)
_B = sp.Symbol("b", positive=True)

#: B(a, b) = Γ(a)Γ(b)/Γ(a + b), the value of the lemma ``normalization/beta``.
BETA_FUNCTION = sp.gamma(_A) * sp.gamma(_B) / sp.gamma(_A + _B)


def beta_lemma_sides() -> tuple[sp.Expr, sp.Expr]:
    """(∫₀¹ t^{a−1}(1−t)^{b−1} dt by SymPy, Γ(a)Γ(b)/Γ(a+b)) for a, b > 0.

    SymPy's Meijer-G definite integration is called directly (what ``integrate(…, meijerg=True)``
    runs, without its detour through ₂F₁ at 1): 0.25 s instead of 1.5 s.  Its convergence
    condition must come back True for these a, b; otherwise the integral stays unevaluated and
    the lemma cannot be proved.
    """
    from sympy.integrals.meijerint import meijerint_definite

    t = sp.Symbol("t", positive=True)
    body = t ** (_A - 1) * (1 - t) ** (_B - 1)
    found = meijerint_definite(body, t, 0, 1)
    if found is None or found[1] is not sp.true:
        return sp.Integral(body, (t, 0, 1)), BETA_FUNCTION
    return found[0], BETA_FUNCTION


def _beta_derivative(a: sp.Expr, b: sp.Expr, m: int, n: int) -> sp.Expr:
    """∂ᵃᵐ ∂ᵇⁿ B(a, b) at (a, b)."""
    return sp.diff(BETA_FUNCTION, _A, m, _B, n).xreplace({_A: a, _B: b})


def _scaled(expr: sp.Expr, x: sp.Symbol, span: sp.Expr, s: sp.Symbol, t: sp.Symbol) -> sp.Expr | None:
    """expr at x = span·t, with every factor that is span·q(t) written s·q(t) (s > 0 stands for
    span), powers and logs of such factors split (both factors are positive); None if some
    occurrence of x is not of that form."""
    if x not in expr.free_symbols:
        return expr
    at = sp.cancel(expr.xreplace({x: span * t}) / span)
    if at.free_symbols <= {t} and at.is_polynomial(t) and sp.degree(at, t) == 1:
        return s * at
    if isinstance(expr, sp.Pow) and x not in expr.exp.free_symbols:
        base = _scaled(expr.base, x, span, s, t)
        if base is None:
            return None
        factor, rest = base.as_independent(t, as_Add=False)
        return factor**expr.exp * rest**expr.exp if factor.has(s) and rest.is_polynomial(t) else None
    if isinstance(expr, sp.log):
        inner = _scaled(expr.args[0], x, span, s, t)
        if inner is None:
            return None
        factor, rest = inner.as_independent(t, as_Add=False)
        return sp.log(factor) + sp.log(rest) if factor == s else None
    if isinstance(expr, (sp.Add, sp.Mul)):
        parts = [_scaled(arg, x, span, s, t) for arg in expr.args]
        return None if any(p is None for p in parts) else expr.func(*parts)
    return None


def _beta_term(term: sp.Expr, t: sp.Symbol) -> sp.Expr | None:
    """∫₀¹ term dt for term = c · t^{a−1}(1−t)^{b−1} log(t)^m log(1−t)^n, c free of t."""
    coefficient, rest = term.as_independent(t, as_Add=False)
    a, b, m, n = sp.Integer(1), sp.Integer(1), 0, 0
    for factor in sp.Mul.make_args(rest):
        base, exponent = factor.as_base_exp()
        if base == t:
            a += exponent
        elif base == 1 - t:
            b += exponent
        elif base == sp.log(t) and exponent.is_Integer and exponent > 0:
            m += int(exponent)
        elif base == sp.log(1 - t) and exponent.is_Integer and exponent > 0:
            n += int(exponent)
        else:
            return None
    if not (a.is_positive and b.is_positive):
        return None
    return coefficient * _beta_derivative(a, b, m, n)


def integrate_coordinate(body: sp.Expr, x: sp.Symbol, span: sp.Expr) -> sp.Expr | None:
    """∫₀^{span} body dx (span > 0 on the remaining coordinates' range) by x = span·t and the
    Beta integral; None where the integrand is not a sum of t^{a−1}(1−t)^{b−1}·logs."""
    s = sp.Dummy("s", positive=True)
    t = sp.Dummy("t", positive=True)
    scaled = _scaled(sp.powsimp(body), x, span, s, t)
    if scaled is None:
        return None
    terms = sp.Add.make_args(sp.expand(s * scaled, power_base=False, power_exp=False, log=False))
    total = sp.Integer(0)
    for term in terms:
        value = _beta_term(sp.powsimp(term), t)
        if value is None:
            return None
        total += value
    return sp.powsimp(total.xreplace({s: span}))


def integrate_simplex(body: sp.Expr, limits: list[tuple[sp.Symbol, sp.Expr, sp.Expr]]) -> sp.Expr | None:
    """The iterated integral of body over the simplex, innermost limit first; None if refused."""
    value = body
    for x, lower, upper in limits:
        if lower != 0:
            return None
        value = integrate_coordinate(value, x, upper)
        if value is None:
            return None
    return value
