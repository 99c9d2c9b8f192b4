"""Display forms for printing: e^{c·log σ} shown as σᶜ, where a family's data says σ = e^{log σ}.

A chart such as Gaussian ``mean_logstd`` has the coordinate s = log σ, so its derived formulas
contain e^{2s}, which prints as e^{2 log σ}.  Another chart of the same family has the positive
coordinate σ, and the family's chart maps (``to_reference``, ``from_reference``) give σ = eˢ
exactly.  Printing then writes e^{c·s + rest} as σᶜ·e^{rest} — the same number by the chart map
(eᶜˢ = (eˢ)ᶜ = σᶜ for real s and any c free of s, since eˢ > 0), found from the family's data,
never from a symbol's name.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from symgeom.families.base import Family


@lru_cache(maxsize=256)
def exponential_images(family: Family) -> dict[sp.Symbol, sp.Symbol]:
    """{s: r} for chart coordinates s and positive coordinates r of ``family`` with r = eˢ
    (structurally, after composing r's meaning with s's chart map), at the generic point and
    at both points of KL(θ₁‖θ₂)."""
    reference = family.reference
    generic = reference.symbols(None)
    images: dict[sp.Symbol, sp.Symbol] = {}
    for chart in family.parameterizations:
        to_reference = dict(zip(generic, (sp.sympify(e) for e in chart.to_reference)))
        for other in family.parameterizations:
            meaning = other.from_reference if other is not reference else generic
            if other is chart or meaning is None:
                continue
            for target, expr in zip(other.parameters, meaning):
                if target.assumptions != {"positive": True}:
                    continue
                composed = sp.sympify(expr).xreplace(to_reference)
                for source in chart.parameters:
                    if composed == sp.exp(source.symbol()):
                        for point in (None, 1, 2):
                            images[source.symbol(point)] = target.symbol(point)
    return images


def _exp_as_powers(power: sp.exp, images: dict[sp.Symbol, sp.Symbol]) -> sp.Expr:
    factor: sp.Expr = sp.Integer(1)
    rest = []
    for term in sp.Add.make_args(sp.expand(power.args[0])):
        # e^{c·s} = (e^s)^c = r^c for real s, e^s > 0 and any c free of s (c = 2, −1, x, …).
        symbol = next((s for s in images if term.has(s)), None)
        coefficient, tail = (term, None) if symbol is None else term.as_independent(
            symbol, as_Add=False)
        if tail == symbol and symbol is not None:
            factor *= images[symbol] ** coefficient
        else:
            rest.append(term)
    if factor == 1:
        return power
    return factor * sp.exp(sp.Add(*rest))


def readable(expr: sp.Basic, family: Family | None) -> sp.Basic:
    """``expr`` with every e^{c·s + …} written σᶜ·e^{…} where σ = eˢ (see the module docstring);
    an equation's sides are rewritten separately, so it never collapses to True."""
    if family is None or not isinstance(expr, sp.Basic):
        return expr
    images = exponential_images(family)
    if not images:
        return expr
    if isinstance(expr, sp.Eq):
        return sp.Eq(readable(expr.lhs, family), readable(expr.rhs, family), evaluate=False)
    # Outer exponentials are rewritten whole, so e^{−e^{−log b}·x} needs a second pass for the
    # inner one; each pass removes a level of nesting.
    for _ in range(8):
        powers = {p: _exp_as_powers(p, images) for p in expr.atoms(sp.exp)}
        changed = {p: q for p, q in powers.items() if q is not p}
        if not changed:
            break
        expr = expr.xreplace(changed)
    return expr
