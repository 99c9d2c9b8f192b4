"""Scale symmetry x ↦ cx of a family, read from its log-density, and evaluation through it.

A family on ℝᵈ or (0, ∞) is *dilation-invariant* with weights w when, for every c > 0,

    p(cx | c^w θ) = c^{−d} p(x | θ)        (c^w θ = (c^{w₁}θ₁, …, c^{w_n}θ_n)),

i.e. the map θ ↦ c^w θ is the image of the family under x ↦ cx.  Then, exactly,

    H(θ) = H(c^w θ) − d·log c,        F(θ)ᵢⱼ = c^{wᵢ + wⱼ} F(c^w θ)ᵢⱼ.

:func:`dilation_weights` finds w by requiring every monomial of the log-density to have weight 0
(x has weight 1), solving that linear system, and *proving* the identity above symbolically
(a ValueError-free exact reduction to zero); nothing is guessed.  :func:`rescaled` evaluates a
compiled entropy or Fisher at c^w θ with c = 2ᵏ chosen per batch entry so the signed-domain
parameters (σ, Σᵢᵢ, η₂, …) are of order 1, and maps back with an exact power of two.  Σ = 10⁻¹¹⁰·I
or σ = 10¹⁵⁰ then never over/underflows an intermediate (det Σ, 1/η₂³).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import cache, partial
from math import lcm

import numpy as np
import sympy as sp

from symgeom.families.base import Family, IntervalSupport, RealSupport


@cache
def dilation_weights(family: Family) -> tuple[Fraction, ...] | None:
    """w with p(cx | c^w θ) = c^{−d} p(x | θ) for all c > 0 (proved), or None if there is none."""
    support = family.support
    if isinstance(support, RealSupport):
        d = support.dimension
    elif isinstance(support, IntervalSupport) and support.lower == 0 and support.upper == sp.oo:
        d = 1
    else:
        return None
    symbols = family.symbols()
    log_p = family.log_density()
    unknowns = sp.symbols(f"w0:{len(symbols)}")
    weight_of = dict(zip(symbols, unknowns)) | {x: sp.Integer(1) for x in family.variables}
    constraints: list[sp.Expr] = []
    for term in sp.Add.make_args(sp.expand(sp.expand_log(log_p, force=True))):
        if not term.has(sp.log):
            constraints.append(_weight(term, weight_of, constraints))
    if any(c is None for c in constraints):
        return None
    solutions = sp.linsolve(constraints, unknowns) if constraints else {tuple(unknowns)}
    if not solutions:
        return None
    solution = next(iter(solutions)).xreplace({u: 0 for u in unknowns})
    if not all(w.is_Rational for w in solution):
        return None
    weights = tuple(Fraction(int(w.p), int(w.q)) for w in solution)
    if not any(weights) or not _proved(family, log_p, weights, d):
        return None
    return weights


def _weight(expr: sp.Expr, weight_of: dict[sp.Symbol, sp.Expr], constraints: list) -> sp.Expr | None:
    """The weight of a homogeneous expression (linear in the unknowns), recording the
    constraints its sums and function arguments impose; None for a part it cannot read."""
    if expr.is_number:
        return sp.Integer(0)
    if expr in weight_of:
        return weight_of[expr]
    if isinstance(expr, sp.Mul):
        parts = [_weight(a, weight_of, constraints) for a in expr.args]
        return None if any(p is None for p in parts) else sp.Add(*parts)
    if isinstance(expr, sp.Pow) and expr.exp.is_Rational:
        base = _weight(expr.base, weight_of, constraints)
        return None if base is None else expr.exp * base
    if isinstance(expr, sp.Abs):
        return _weight(expr.args[0], weight_of, constraints)
    if isinstance(expr, sp.Add):
        parts = [_weight(a, weight_of, constraints) for a in expr.args]
        if any(p is None for p in parts):
            return None
        constraints.extend(p - parts[0] for p in parts[1:])
        return parts[0]
    if isinstance(expr, sp.Function) and not isinstance(expr, sp.log):
        # f(u) is homogeneous only where u has weight 0 (e^{−2s}x², log Γ(α)).
        parts = [_weight(a, weight_of, constraints) for a in expr.args]
        if any(p is None for p in parts):
            return None
        constraints.extend(parts)
        return sp.Integer(0)
    return None


def _proved(family: Family, log_p: sp.Expr, weights: tuple[Fraction, ...], d: int) -> bool:
    """log p(cx | c^w θ) + d·log c − log p(x | θ) reduces to 0 exactly (c > 0 symbolic)."""
    c = sp.Symbol("dilation_c", positive=True)
    scale = {s: s * c ** sp.Rational(w.numerator, w.denominator) for s, w in zip(family.symbols(), weights)}
    scale |= {x: c * x for x in family.variables}
    scaled = log_p.xreplace(scale)
    # Pull c out of logarithms and absolute values (both are homogeneous), then compare exactly.
    scaled = scaled.replace(lambda e: isinstance(e, sp.Abs), lambda e: sp.Abs(sp.factor(e.args[0])))
    scaled = scaled.replace(lambda e: isinstance(e, sp.log), lambda e: sp.log(sp.factor(e.args[0])))
    difference = sp.expand_log(scaled + d * sp.log(c), force=True) - sp.expand_log(log_p, force=True)
    symbols = tuple(family.symbols()) + tuple(family.variables) + (c,)
    # Integer weights leave the difference rational in c: reduce it as it stands (the expanded
    # form of a d = 4 full-covariance log-density took 16 s to expand and powsimp); c^(1/2)·c^(1/2)
    # and other fractional powers need the powers merged first.
    return _reduces_to_zero(difference, symbols) or _reduces_to_zero(
        sp.powsimp(sp.expand(difference), force=True), symbols)


def _reduces_to_zero(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> bool:
    from symgeom.derive.rational import RationalContext

    try:
        context = RationalContext.for_expressions([expr], symbols)
        return context.convert(expr).is_zero
    except ValueError:
        return False


def rescaled(
    family: Family, quantity: str, evaluate: Callable[[list[np.ndarray]], np.ndarray]
) -> Callable[[list[np.ndarray]], np.ndarray] | None:
    """``evaluate`` (entropy or Fisher of the chart's scalar arguments) through the dilation
    symmetry, or None when the family has none or no signed-domain parameter fixes the scale."""
    plan = dilation_plan(family, quantity)
    if plan is None:
        return None
    return partial(rescale, plan, evaluate)


def dilation_plan(family: Family, quantity: str) -> DilationPlan | None:
    """(quantity, weights w, anchors (index, wᵢ) of the signed-domain parameters, step = lcm of
    the weights' denominators, dimension d) that :func:`rescale` reads; None as :func:`rescaled`."""
    weights = dilation_weights(family)
    if weights is None or quantity not in ("entropy", "fisher"):
        return None
    anchors = tuple(
        (i, float(w))
        for i, (w, p) in enumerate(zip(weights, family.parameters, strict=True))
        if w and (p.assumptions.get("positive") or p.assumptions.get("negative"))
    )
    if not anchors:
        return None
    step = lcm(*(w.denominator for w in weights))
    d = family.support.dimension if isinstance(family.support, RealSupport) else 1
    return quantity, weights, anchors, step, d


#: What :func:`rescale` reads of a family (plain data, so exported modules carry it as a literal).
DilationPlan = tuple[str, tuple[Fraction, ...], tuple[tuple[int, float], ...], int, int]


def rescale(plan: DilationPlan, evaluate: Callable[[list[np.ndarray]], np.ndarray],
            scalars: list[np.ndarray]) -> np.ndarray:
    """``evaluate(c^w θ)`` mapped back (module docstring), c = 2ᵏ per batch entry (NumPy only)."""
    quantity, weights, anchors, step, d = plan
    scalars = list(np.broadcast_arrays(*scalars))
    # c = 2ᵏ with k a multiple of every weight's denominator: each c^{wᵢ} is an exact power of 2.
    targets = np.stack([-np.frexp(scalars[i])[1] / w for i, w in anchors])
    k = np.nan_to_num((np.max(targets, axis=0) + np.min(targets, axis=0)) / (2 * step))
    k = (np.round(k) * step).astype(np.int64)
    moved = [
        s if not w else np.ldexp(s, k * w.numerator // w.denominator)
        for s, w in zip(scalars, weights, strict=True)
    ]
    value = evaluate(moved)
    if quantity == "entropy":
        return (value - (d * k).astype(value.dtype) * np.log(2).astype(value.dtype)).astype(value.dtype)
    n = len(weights)
    out = np.array(value, copy=True)
    for i in range(n):
        for j in range(n):
            power = weights[i] + weights[j]
            if power:
                out[..., i, j] = np.ldexp(out[..., i, j], k * power.numerator // power.denominator)
    return out.astype(value.dtype, copy=False)
