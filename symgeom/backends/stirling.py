"""The Stirling split of lnΓ and ψ for torch, JAX and Array API namespaces, as NumPy has it
(:mod:`symgeom.numeric.stirling`, :mod:`symgeom.numeric.stirling_forms`, :mod:`symgeom.numeric.lngamma`).

    φ(y) = lnΓ(y) − y·log y + y = ½log 2π − ½log y + S(y),      S(y) = Σⱼ bⱼ y^{1−2j}   (y ≥ 8),
    φ′(y) = ψ(y) − log y = −1/(2y) + S′(y),
    D_φ(y₂, y₁) = φ(y₂) − φ(y₁) − h·φ′(y₁) = h²∫₀¹(1 − t)φ″(y₁ + th)dt ≥ 0,   h = y₂ − y₁,
    φ″(x) = Σ_{k<10} 1/((x + k)²(x + k + 1)) + w(½ + r·P(w)),   r = 1/(x + 10), w = r².

A printed lnΓ difference at shapes far above 10⁶ (lnΓ(10¹⁴²) ≈ 3.3·10¹⁴⁴) cancels every digit of a
KL or entropy of size log α; written with φ and φ′ the growth y·log y cancels symbolically and
the pieces are O(log y).  So the printed entropy uses ``stirling_phi``/``stirling_phi_prime`` (the
NumPy entropy's :func:`symgeom.numeric.stirling_forms.stirling_form`), and a KL whose
log-partition is a lnΓ sum prints ``lngamma_kl`` = Σ c·D_φ + Σ kl_div (the NumPy
:class:`symgeom.numeric.lngamma.LnGammaKL`), evaluated here per entry with ``where`` (no data-
dependent shapes: ``jax.jit``, ``vmap``, ``torch.compile``):

* ρ = |h|/min(y₁, y₂) ≤ 0.25: the remainder by 8-node Gauss–Legendre (relative error ≤ 2·10⁻¹⁵ at
  ρ = 0.25, NumPy's table), each term written as (h/(x + k))²/(x + k + 1) and (h·r)²(½ + r·P(w)),
  so nothing over- or underflows for h up to 10³⁰⁸;
* else the direct form: both shapes ≥ 8: ½(h/y₁ − log(y₂/y₁)) + S(y₂) − S(y₁) − h·S′(y₁) (the
  ½log y terms cancel exactly); otherwise φ(y₂) − φ(y₁) − h·φ′(y₁).

Every branch sees safe inputs where it is not selected (so no discarded branch puts 0·∞ into a
gradient); gradients are autodiff through these cancellation-free expressions.  float32 inputs
are computed in float64 where the namespace has it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sympy as sp

from symgeom.numeric.lngamma import Gap, LnGammaKL, _gapped
from symgeom.numeric.stirling import _B, _STIRLING, FAR, LARGE, PHI_SHIFT

Array = Any

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
#: Gauss–Legendre nodes t and weights w·(1 − t) on [0, 1]: 8 nodes, NumPy's rule for ρ ≤ FAR.
_X, _WL = np.polynomial.legendre.leggauss(8)
_NODES = tuple(float(t) for t in (_X + 1) / 2)
_WEIGHTS = tuple(float(w / 2 * (1 - (x + 1) / 2)) for x, w in zip(_X, _WL, strict=True))
_SHIFT = int(PHI_SHIFT)


#: log Γ and ψ⁽ⁿ⁾ per backend name, filled by :func:`special_for` when a printed function is bound
#: (:func:`symgeom.backends.printer.bind`): inside a traced call Dynamo inlines a functools.cache'd
#: builder instead of reading its cache, and building torch's autograd.Function classes there is a
#: graph break (eleven in the Gamma KL).
_SPECIAL: dict[str, dict[str, Any]] = {}


def special_for(ops: Any) -> dict[str, Any]:
    """log Γ and ψ⁽ⁿ⁾ of the backend (:func:`symgeom.backends.printer.special_functions`), built once."""
    found = _SPECIAL.get(ops.name)
    if found is None:
        from symgeom.backends.printer import special_functions

        found = _SPECIAL[ops.name] = special_functions(ops.name)
    return found



def _stirling_s(y: Array) -> tuple[Array, Array]:
    """S(y) and S′(y) by Horner in 1/y² (:func:`symgeom.numeric.stirling._stirling_s`)."""
    r = 1 / y
    w = r * r
    s = 0.0 * r
    ds = 0.0 * r
    for j in range(len(_STIRLING), 0, -1):
        b = _STIRLING[j - 1]
        s = s * w + b
        ds = ds * w + (2 * j - 1) * b
    return s * r, -ds * w


def _split(xp: Any, y: Array) -> tuple[Array, Array, Array]:
    """(y ≥ LARGE, y where below else 1, y where at least LARGE else LARGE)."""
    big = y >= LARGE
    return big, xp.where(big, xp.ones_like(y), y), xp.where(big, y, xp.full_like(y, LARGE))


def phi(ops: Any, y: Array) -> Array:
    """φ(y) = lnΓ(y) − y·log y + y: ½log 2π − ½log y + S(y) for y ≥ 8, else as written."""
    xp = ops.xp
    big, low, high = _split(xp, y)
    small = special_for(ops)["gammaln"](low) - low * xp.log(low) + low
    return xp.where(big, _HALF_LOG_2PI - 0.5 * xp.log(high) + _stirling_s(high)[0], small)


def phi_prime(ops: Any, y: Array) -> Array:
    """φ′(y) = ψ(y) − log y: −1/(2y) + S′(y) for y ≥ 8, else as written."""
    xp = ops.xp
    big, low, high = _split(xp, y)
    small = special_for(ops)["polygamma"](0, low) - xp.log(low)
    return xp.where(big, -0.5 / high + _stirling_s(high)[1], small)


def _h2_phi_second(xp: Any, x: Array, h: Array) -> Array:
    """h²·φ″(x) from positive terms only (module docstring)."""
    total = 0.0 * x
    for k in range(_SHIFT):
        z = x + k
        q = h / z
        total = total + q * q / (z + 1)
    r = 1 / (x + _SHIFT)
    w = r * r
    series = 0.0 * r + _B[-1]
    for b in reversed(_B[:-1]):
        series = series * w + b
    q = h * r
    return total + q * q * (0.5 + r * series)


def stirling_bregman(ops: Any, y1: Array, y2: Array, h: Array) -> Array:
    """D_φ(y₂, y₁) ≥ 0 for y₁, y₂ > 0 given the exact h = y₂ − y₁ (module docstring)."""
    xp = ops.xp
    small = xp.minimum(y1, y2)
    near = xp.abs(h) <= FAR * small
    # the remainder at its own entries; elsewhere at (y₁, 0), a pair at distance 0
    hn = xp.where(near, h, xp.zeros_like(h))
    remainder = 0.0 * y1
    for t, w in zip(_NODES, _WEIGHTS, strict=True):
        remainder = remainder + w * _h2_phi_second(xp, y1 + t * hn, hn)
    # the direct form at its own entries; elsewhere at (y₁, 2y₁), a far pair
    a = y1
    b = xp.where(near, 2 * y1, y2)
    d = xp.where(near, y1, h)
    both = (a >= LARGE) & (b >= LARGE)
    a_big = xp.where(both, a, xp.full_like(a, LARGE))
    b_big = xp.where(both, b, xp.full_like(b, 2 * LARGE))
    d_big = xp.where(both, d, xp.full_like(d, LARGE))
    s1, ds1 = _stirling_s(a_big)
    s2, _ = _stirling_s(b_big)
    large = 0.5 * (d_big / a_big - xp.log(b_big / a_big)) + (s2 - s1 - d_big * ds1)
    a_mix = xp.where(both, xp.ones_like(a), a)
    b_mix = xp.where(both, 2 * xp.ones_like(b), b)
    d_mix = xp.where(both, xp.ones_like(d), d)
    mixed = phi(ops, b_mix) - phi(ops, a_mix) - d_mix * phi_prime(ops, a_mix)
    direct = xp.where(both, large, mixed)
    return xp.where(near, remainder, direct)


def lngamma_kl(ops: Any, terms: Sequence[tuple], groups: Sequence[tuple],
               differences: Sequence[tuple] | None = None) -> Array:
    """Σₖ cₖ·D_φ(yₖ₂, yₖ₁) + Σ_{cᵢ>0} cᵢ·kl_div(yᵢ₂, yᵢ₁Rⱼ), clipped at 0 (the printed
    :class:`symgeom.numeric.lngamma.LnGammaKL`: ``terms`` (c, y₁, y₂, Δy, j), ``groups``
    (Rⱼ, uⱼ, W′ⱼ₁, W′ⱼ₂)).  The kl_div difference d = y₂ − y₁Rⱼ: with ``differences``
    (:func:`exact_differences`) the candidate with the smallest rounding bound per entry, else
    Δy − y₁uⱼ where |uⱼ| < ½ and y₂ − y₁Rⱼ beyond."""
    from symgeom.backends.bregman import float64_for_float32
    from symgeom.backends.ops import is_number

    xp = ops.xp
    flat = [x for term in terms for x in term[1:4]] + [x for group in groups for x in group[:2]]
    n = len(terms)
    # every monomial of every candidate difference, in order, after the terms and groups
    count = len(flat)
    if differences is not None:
        flat += [m for term in differences for form in term for m in form]
    like = next(x for x in flat if not is_number(x))
    arrays = xp.broadcast_arrays(*[ops.asarray(x, like) if is_number(x) else x for x in flat])
    wide = float64_for_float32(ops, like)
    if wide is not None:
        arrays = [xp.astype(x, wide) for x in arrays]
    cut = 3 * n + 2 * len(groups)
    ratios, gaps = arrays[3 * n : cut : 2], arrays[3 * n + 1 : cut : 2]
    total = 0.0 * arrays[0]
    for k, (c, *_, j) in enumerate(terms):
        c, j = float(c), int(j)
        y1, y2, dy = arrays[3 * k : 3 * k + 3]
        part = stirling_bregman(ops, y1, y2, dy)
        if c > 0:
            if j >= 0:
                b = y1 * ratios[j]
                u = gaps[j]
                if differences is None:
                    d = xp.where(xp.abs(u) < 0.5, dy - y1 * u, y2 - b)
                else:
                    d, bound = y2 - b, xp.abs(y2) + xp.abs(b)
                    for form in differences[k]:
                        monomials = arrays[count : count + len(form)]
                        count += len(form)
                        value, size = monomials[0], xp.abs(monomials[0])
                        for m in monomials[1:]:
                            value, size = value + m, size + xp.abs(m)
                        better = size < bound
                        d, bound = xp.where(better, value, d), xp.where(better, size, bound)
                part = part + ops.kl_div(y2, b, d)
            else:
                part = part + ops.kl_div(y2, y1, dy)
        total = total + (c * part if c != 1 else part)
    # where, not maximum: torch splits maximum's gradient at a tie, and KL = 0 at equal points
    total = xp.where(total < 0, xp.zeros_like(total), total)
    return total if wide is None else xp.astype(total, like.dtype)


class ScaledGap(sp.Function):
    """ScaledGap(g, r, q) = g·(r/q), printed with that grouping: a product of exact gaps times a
    bounded quotient, so that neither g·r nor r alone over- or underflows first."""

    nargs = 3

    def _eval_rewrite_as_log(self, g: sp.Expr, r: sp.Expr, q: sp.Expr, **kwargs: object) -> sp.Expr:
        return g * r / q

    def _numpycode(self, printer: Any) -> str:
        g, r, q = (printer._print(a) for a in self.args)
        return f"(({g}) * (({r}) / ({q})))"


class PrintedLnGammaKL(LnGammaKL):
    """LnGammaKL(terms, groups, differences) for the array backends: ``differences`` holds, per
    term, yₖ₂ − yₖ₁Rⱼ as two tuples of :class:`ScaledGap` monomials (empty for a term in no set):
    written in the chart-coordinate gaps, and written in the coordinates themselves; printed
    ``lngamma_kl(terms, groups, differences)``."""

    nargs = 3

    def _numpycode(self, printer: Any) -> str:
        text = super()._numpycode(printer)
        return f"{text[:-1]}, {printer._print(self.args[2])})"


def _monomials(expr: sp.Expr, denominator: sp.Expr, factor: Callable[[sp.Expr], tuple]) -> sp.Tuple:
    """``expr``/``denominator`` as ScaledGap monomials g·(r/q), one per distinct g = factor(term)[1]."""
    grouped: dict[sp.Expr, sp.Expr] = {}
    for term in sp.Add.make_args(sp.expand(expr)):
        rest, g = factor(term)
        grouped[g] = grouped.get(g, sp.S.Zero) + rest
    return sp.Tuple(*[ScaledGap(g, sp.factor(r), denominator) for g, r in grouped.items()])


def exact_differences(form: LnGammaKL, one: Sequence[sp.Symbol], two: Sequence[sp.Symbol]) -> LnGammaKL:
    """``form`` with each term's yₖ₂ − yₖ₁Rⱼ = N/Q written twice, N as a polynomial in the gaps
    θ₂ − θ₁ (the y₁·Δθ parts cancelled symbolically: Beta's Δa − a₁(Δa + Δb)/(a₁ + b₁) is
    (b₁Δa − a₁Δb)/(a₁ + b₁)) and N in the coordinates (b₂a₁ − b₁a₂ for the Beta b term); the
    evaluation takes, per entry, the one with the smallest sum of monomial sizes (its rounding
    bound), or y₂ − y₁Rⱼ.  Each form cancels where another does not: at a = 1.5·10²⁹⁴, b = 7.9·10⁸⁰
    and a 10⁻⁶ step in a, y₂ − y₁R kept only ε·Δa and kl_div's d²/(2b) gave a KL of 10²⁴⁹ (true
    6·10⁶⁸); at (2.1·10⁵¹, 1.07·10¹⁴² ‖ 2, 3.1·10⁹¹) it gave 2.1·10⁵⁹ (true 60.17), where
    (b₂a₁ − b₁a₂)/(a₁ + b₁) does not cancel.  ``form`` itself where N has no gap polynomial."""
    terms, groups = form.args[:2]
    differences = []
    for _, y1, y2, _, j in terms:
        if int(j) < 0:
            differences.append(sp.Tuple())
            continue
        numerator, denominator = sp.fraction(sp.cancel(y2 - y1 * groups[int(j)][0]))
        gapped = _gapped(numerator, one, two)
        if gapped is None:
            return form
        differences.append(sp.Tuple(
            _monomials(gapped, denominator, lambda t: t.as_independent(Gap, as_Add=False)),
            _monomials(numerator, denominator, lambda t: t.as_independent(*two, as_Add=False)),
        ))
    return PrintedLnGammaKL(terms, groups, sp.Tuple(*differences))


def in_reference_chart(family: Any, one: Sequence[sp.Symbol], two: Sequence[sp.Symbol]) -> LnGammaKL | None:
    """The reference chart's lnΓ-sum KL with θ_ref(θ) substituted and every gap written by
    :func:`symgeom.backends.difference.exact_difference` (e^{c₂} − e^{c₁} = e^{c₁}·expm1(c₂ − c₁) for
    log concentrations), for a chart whose own gaps are not polynomials; None if the reference
    chart has no such form.  The same identity at other coordinates (θ_ref(θ) is the chart map)."""
    from symgeom.backends.difference import exact_difference
    from symgeom.numeric.symbolic import stable_kl

    reference = family.with_param(family.reference.name)
    form = stable_kl(reference)
    if not isinstance(form, LnGammaKL):
        return None
    form = exact_differences(form, reference.symbols(1), reference.symbols(2))
    if not isinstance(form, PrintedLnGammaKL):
        return None
    substitution = {}
    generic = family.reference.symbols(None)
    for point in (1, 2):
        values = family.reference_at(point)
        substitution |= {s: values[g] for s, g in zip(reference.symbols(point), generic, strict=True)}
    moved = form.xreplace(substitution)
    return moved.replace(lambda e: isinstance(e, Gap), lambda e: exact_difference(e.args[1], one, two))
