"""Canonical, textbook-shaped forms of derived KL divergences and entropies.

Σ cₐ log a is regrouped into c·log(a/b) pairs, the rational remainder is put over one
denominator with its numerator written in differences of the two parameter points
(σ₁² + (μ₁−μ₂)² rather than σ₁² + μ₁² − 2μ₁μ₂ + μ₂²), and the constant goes last:
log(σ₂/σ₁) + (σ₁² + (μ₁−μ₂)²)/(2σ₂²) − ½.  The catalog proves canonical = derived.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from symgeom.derive.common import looks_negative
from symgeom.derive.rational import reduce_rational


def _split_logs(expr: sp.Expr) -> tuple[dict[sp.Expr, sp.Expr], list[sp.Expr], sp.Expr]:
    """expr = Σ cₐ log a + Σ rest + constant, reading each term of the expanded sum."""
    logs: dict[sp.Expr, sp.Expr] = {}
    rest: list[sp.Expr] = []
    constant = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(expr, power_exp=True)):
        factors = sp.Mul.make_args(term)
        log_factors = [f for f in factors if isinstance(f, sp.log)]
        if len(log_factors) == 1:
            coefficient = sp.Mul(*[f for f in factors if f is not log_factors[0]])
            argument = _normal_ratio(log_factors[0].args[0])
            logs[argument] = logs.get(argument, sp.Integer(0)) + coefficient
        elif term.is_number:
            constant += term
        else:
            rest.append(term)
    cancelled = {a: _cancelled(c) for a, c in logs.items()}
    return {a: c for a, c in cancelled.items() if c != 0}, rest, constant


#: A log coefficient with more terms than this (the 3-d Gaussian's: 25 terms over det Σ₁·det Σ₂,
#: summing to ±½) is reduced by factor-base arithmetic first, without ``cancel``'s gcds.
FAST_COEFFICIENT_TERMS = 8


def _cancelled(coefficient: sp.Expr) -> sp.Expr:
    """sp.expand(sp.cancel(coefficient)), computed without a gcd when the coefficient is a large
    rational function of symbols only that reduces to a polynomial (an expanded polynomial is
    unique, so the result is the same expression); any other coefficient goes through ``cancel``."""
    if (isinstance(coefficient, sp.Add) and len(coefficient.args) > FAST_COEFFICIENT_TERMS
            and all(isinstance(atom, (sp.Symbol, sp.Number)) for atom in coefficient.atoms())
            and not coefficient.atoms(sp.Function)):
        reduced = reduce_rational(coefficient)
        if reduced.is_polynomial():
            return sp.expand(reduced)
    return sp.expand(sp.cancel(coefficient))


def _pair_logs(logs: dict[sp.Expr, sp.Expr]) -> list[sp.Expr]:
    """Pair c·log a with −c·log b into c·log(a/b); a lone c·log a stays."""
    remaining = dict(sorted(logs.items(), key=lambda item: sp.default_sort_key(item[0])))
    terms = []
    while remaining:
        argument, coefficient = next(iter(remaining.items()))
        del remaining[argument]
        partner = next((b for b, c in remaining.items() if sp.expand(c + coefficient) == 0), None)
        if partner is None:
            terms.append(_signed(coefficient, sp.log(argument)))
            continue
        del remaining[partner]
        if looks_negative(coefficient):
            coefficient, argument, partner = sp.expand(-coefficient), partner, argument
        terms.append(coefficient * sp.log(_normal_ratio(argument / partner)))
    return terms


def _in_differences(numerator: sp.Expr, pairs: Sequence[tuple[sp.Symbol, sp.Symbol]]) -> sp.Expr:
    """Rewrite a polynomial in differences a₁ − a₂ of those paired symbols for which it is shorter."""
    best = sp.expand(numerator)
    shifts: dict[sp.Dummy, sp.Expr] = {}
    for first, second in pairs:
        if first not in best.free_symbols:
            continue
        delta = sp.Dummy("delta", real=True)
        candidate = sp.expand(best.xreplace({first: second + delta}))
        if sp.count_ops(candidate) < sp.count_ops(best):
            best, shifts[delta] = candidate, first - second
    if not shifts:
        return best
    return sp.powsimp(sp.collect(best, list(shifts)).xreplace(shifts))


def _normal_ratio(argument: sp.Expr) -> sp.Expr:
    """a/b with the signs of a and b chosen to look positive: (1 − p₁)/(1 − p₂), not −(…)/(…)."""
    numerator, denominator = (sp.expand(part) for part in sp.fraction(sp.cancel(argument)))
    if looks_negative(numerator) and looks_negative(denominator):
        numerator, denominator = -numerator, -denominator
    return numerator / denominator


def _signed(coefficient: sp.Expr, factor: sp.Expr) -> sp.Expr:
    """coefficient·factor written −(1 − p)·log(1 − p) rather than (p − 1)·log(1 − p)."""
    if isinstance(factor, sp.log) and sp.fraction(factor.args[0])[0] == 1:
        coefficient, factor = -coefficient, sp.log(sp.fraction(factor.args[0])[1])
    if looks_negative(coefficient) and isinstance(sp.expand(-coefficient), sp.Add):
        return sp.Mul(-1, sp.expand(-coefficient), factor, evaluate=False)
    return coefficient * factor


def _over(content: sp.Expr, primitive: sp.Expr, denominator: sp.Expr) -> sp.Expr:
    """content·primitive/denominator with a leading minus sign outside, numbers not distributed."""
    magnitude = abs(content)
    value = sp.Mul(magnitude, primitive, sp.Pow(denominator, -1))
    if isinstance(value, sp.Add):
        value = sp.Mul(magnitude, primitive, sp.Pow(denominator, -1), evaluate=False)
    return sp.Mul(-1, value, evaluate=False) if content < 0 else value


def canonical_form(
    expr: sp.Expr, pairs: Sequence[tuple[sp.Symbol, sp.Symbol]] = (), large: bool = False
) -> sp.Expr:
    """Σ c·log(a/b) + N/D + constant, kept in that order (an unevaluated sum).

    ``large`` (families reduced by factor-base arithmetic, see derive.common.is_large): N/D in
    lowest terms by :func:`~symgeom.derive.rational.reduce_rational`, without the multivariate
    gcds of ``cancel`` (seconds for the 3-d Gaussian's hundreds of terms over det Σ).
    """
    logs, rest, constant = _split_logs(sp.expand_log(expr))
    terms = _pair_logs(logs)
    terms.extend(t for t in rest if sp.fraction(t)[1] == 1)
    fractional = [t for t in rest if sp.fraction(t)[1] != 1]
    if fractional:
        together = (reduce_rational(sp.Add(*fractional)) if large
                    else sp.cancel(sp.together(sp.Add(*fractional))))
        numerator, denominator = (sp.powsimp(part) for part in sp.fraction(together))
        numerator = _in_differences(numerator, pairs)
        content, primitive = sp.factor_terms(numerator).as_coeff_Mul()
        terms.append(_over(content, primitive, denominator))
    if constant != 0:
        terms.append(sp.logcombine(constant, force=True))
    if not terms:
        return sp.Integer(0)
    return sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]
