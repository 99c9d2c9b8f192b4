"""The KL forms the array backends print for families without a softmax, normal or kl_div-sum
structure: the Bregman divergence with its integral remainder, and kl_div decompositions of a
KL that has no exponential-family form, both with cancellation-free differences.

    KL(θ₁‖θ₂) = A(η₂) − A(η₁) − Δ·∇A(η₁) = ∫₀¹ (1 − t) Δᵀ∇²A(η₁ + tΔ)Δ dt,   Δ = η(θ₂) − η(θ₁).

:func:`bregman_form` is :func:`symgeom.numeric.bregman.bregman_form` with Δ from
:func:`symgeom.backends.difference.exact_difference` (coordinate by coordinate, around the first
point), so Δ keeps its relative accuracy for near pairs in every chart, e.g. mean–precision
(κ₂m₂ − κ₁m₁) and log or logit charts (e^{θ₂} − e^{θ₁}), where a factored b − a keeps only ε/δ;
∇A and ∇²A that are rational in one e^x with denominators in e^x + 1 are written in σ(±x)
(:mod:`symgeom.backends.sigmoid`), so a logit chart's remainder stays finite past |θ| = 709.
:func:`kl_div_form` is :func:`symgeom.numeric.decompose.kl_div_form` tried in the chart first and
then, where that finds no decomposition (exponentials merged across a log-scale chart), in the
family's reference chart with the chart map substituted — the same identity at other
coordinates, so still proved.
"""

from __future__ import annotations

from functools import cache, partial

import sympy as sp
from sympy.codegen.cfunctions import log1p

from symgeom.backends.difference import exact_difference
from symgeom.backends.sigmoid import sigmoid_form
from symgeom.backends.stirling import exact_differences, in_reference_chart
from symgeom.families.base import Family
from symgeom.numeric import decompose
from symgeom.numeric.bregman import BregmanKL, positive_over_chart, scaled_node, squared_ratio
from symgeom.numeric.lngamma import LnGammaKL
from symgeom.numeric.softplus import Softplus, softplus_form, softplus_merged
from symgeom.numeric.symbolic import Chi, KLDiv, expanded_kl, stable_kl
from symgeom.numeric.trigamma_gap import trigamma_gaps


def kl_form(family: Family, derived: sp.Expr) -> sp.Expr:
    """The KL form printed for ``family``: ``stable_kl`` (softmax, normal and kl_div-sum
    structures), with a Bregman form replaced by :func:`bregman_form`; without an
    exponential-family form, :func:`kl_div_form` of the derived KL ``derived``, else the derived
    KL multiplied out (``expanded_kl``)."""
    try:
        form = stable_kl(family)
    except NotImplementedError:
        return kl_div_form(family, derived) or expanded_kl(derived)
    if isinstance(form, LnGammaKL):
        # Σ c·D_φ + Σ kl_div, the Stirling split (symgeom.backends.stirling)
        return exact_differences(form, family.symbols(1), family.symbols(2))
    if form.has(BregmanKL):
        moved = in_reference_chart(family, family.symbols(1), family.symbols(2))
        return moved if moved is not None else bregman_form(family)
    return exact_log_ratios(form, family.symbols(1), family.symbols(2)) if form.has(Chi) else form


def exact_log_ratios(form: sp.Expr, one: tuple[sp.Symbol, ...], two: tuple[sp.Symbol, ...]) -> sp.Expr:
    """A logit form Σ w·χ(ℓ(θ₁) − ℓ(θ₂)) with each log-ratio written as −Δℓ by exact differences
    (ℓ with its softplus merged: log σ(θ) = −softplus(−θ)) and each weight in σ(±θ): the
    difference of two rounded log-probabilities kept ε·|ℓ|/|Δℓ| of its digits (Bernoulli logits
    1.5 and 1.5(1 + 10⁻⁵) in float32: 2.5e-4 off), and e^θ/(e^θ + 1) overflows past |θ| = 88 in
    float32.  A χ argument that is not such a difference is left as it is."""
    to_two = dict(zip(one, two, strict=True))

    def rebuild(chi: Chi) -> Chi:
        (arg,) = chi.args
        first = sp.Add(*[t for t in sp.Add.make_args(arg) if not t.free_symbols & set(two)])
        if sp.expand(arg - first + first.xreplace(to_two)) != 0:
            return chi
        return Chi(-exact_difference(softplus_merged(first), one, two))

    terms = []
    for term in sp.Add.make_args(form.replace(lambda e: isinstance(e, Chi), rebuild)):
        weight, rest = term.as_independent(Chi, as_Add=False)
        terms.append(sigmoid_form(weight) * rest)
    return sp.Add(*terms)


@cache
def bregman_form(family: Family) -> BregmanKL:
    """KL(θ₁‖θ₂) of ``family`` as a BregmanKL in ``symbols(1) + symbols(2)``, Δ exact."""
    form = family.exponential_form
    eta = form.natural_symbols
    one, two = family.symbols(1), family.symbols(2)
    e1 = [_simpler(e) for e in family.natural_at(1)]
    # η₁ with its logarithms of 1 + e^θ as softplus (−softplus(θ) for a negative binomial's
    # η = log(1 − p)): the point η₁ + tΔ of the remainder and Δ keep their digits for every θ.
    s1 = [softplus_form(e) for e in e1]
    delta = [exact_difference(e, one, two) for e in s1]
    t = sp.Symbol("bregman_t", real=True)  # a named symbol: generated source is deterministic
    log_partition = form.log_partition
    gradient = [sp.diff(log_partition, e) for e in eta]
    at1 = dict(zip(eta, e1, strict=True))
    inner = sp.Add(*[d * sigmoid_form(g.xreplace(at1)) for d, g in zip(delta, gradient, strict=True)])
    # The node η₁ + tΔ with Δ's softplus-difference scale kept apart (ScaledSum): at θ₁ = −700
    # t·Δ ≈ 10⁻³¹⁶ is subnormal, and XLA on the CPU flushed it (the node was η₁ for every t).
    along = {e: scaled_node(a, t, d) for e, a, d in zip(eta, s1, delta, strict=True)}
    # ∇²A simplified in η first (e.g. 4eᵑ/(1 + eᵑ)², not the cancelling 4σ − 4σ²).
    hessian = [[sp.factor(sp.simplify(sp.diff(g, e))) for e in eta] for g in gradient]
    # ψ′(x) − ψ′(x + h) without the subtraction (symgeom.numeric.bregman.bregman_form, trigamma_gap)
    hessian = [[trigamma_gaps(entry, partial(positive_over_chart, eta, at1)) for entry in row]
               for row in hessian]
    n = len(eta)
    if n == 1:
        # Δ and 1/sinh(η/2) of a geometric chart at θ = −700 are 10⁻³⁰⁴ and 10³⁰⁴: squared apart
        # they under- and overflow, their ratio squared is the integrand.
        entry = _without_cancellation(sigmoid_form(hessian[0][0].xreplace(along)))
        quadratic = squared_ratio(delta[0], entry)
    else:
        quadratic = sp.Add(*[
            delta[i] * delta[j] * sigmoid_form(hessian[i][j].xreplace(along))
            for i in range(n) for j in range(n)
        ])
    a1 = softplus_form(log_partition.xreplace(at1))
    parts = (a1, a1.xreplace(dict(zip(one, two, strict=True))), inner, (1 - t) * quadratic)
    mirror = _mirrored_terms(softplus_form(log_partition), eta, s1, delta, one, two)
    return BregmanKL(*(_without_cancellation(p) for p in parts), t,
                     *(_without_cancellation(p) for p in mirror))


def _mirrored_terms(
    log_partition: sp.Expr, eta: tuple[sp.Symbol, ...], s1: list[sp.Expr], delta: list[sp.Expr],
    one: tuple[sp.Symbol, ...], two: tuple[sp.Symbol, ...],
) -> tuple[sp.Expr, ...]:
    """(A′₁, A′₂, g′) of A′ = A − (its part affine in η) after softplus(u) = u + softplus(−u), or ()
    when A has no softplus.  The Bregman divergence of A′ is that of A; n·softplus(η) becomes
    n·softplus(−η), whose direct form does not cancel for two large logits (A₂ − A₁ ≈ nΔ ≈ g)."""
    if not log_partition.has(Softplus):
        return ()
    reflected = sp.expand(log_partition.replace(
        lambda e: isinstance(e, Softplus), lambda e: e.args[0] + Softplus(-e.args[0])
    ))
    affine = sp.Add(*[
        term for term in sp.Add.make_args(reflected)
        if not term.has(Softplus) and term.is_polynomial(*eta) and sp.Poly(term, *eta).total_degree() <= 1
    ])
    rest = reflected - affine
    at1 = dict(zip(eta, s1, strict=True))
    a1 = rest.xreplace(at1)
    inner = sp.Add(*[d * sp.diff(rest, e).xreplace(at1) for d, e in zip(delta, eta, strict=True)])
    return a1, a1.xreplace(dict(zip(one, two, strict=True))), inner


def _without_cancellation(expr: sp.Expr) -> sp.Expr:
    """``expr`` with log(1 + u) as log1p(u) and cosh(x) − 1 as 2·sinh²(x/2), exact rewrites
    whose left sides lose all digits for small u, x (a geometric logit chart's ∇²A is
    1/(2(cosh η − 1)) with η = −log(1 + e^θ) ≈ −e^θ: inf at θ = −26 as written)."""

    def one_plus(e: sp.Expr) -> bool:
        return isinstance(e, sp.log) and isinstance(e.args[0], sp.Add) and sp.S.One in e.args[0].args

    def cosh_minus_one(e: sp.Expr) -> bool:
        return (isinstance(e, sp.Add) and len(e.args) == 2 and sp.S.NegativeOne in e.args
                and any(isinstance(a, sp.cosh) for a in e.args))

    expr = expr.replace(one_plus, lambda e: log1p(e.args[0] - 1))
    def half_sinh_squared(e: sp.Expr) -> sp.Expr:
        (x,) = next(a for a in e.args if isinstance(a, sp.cosh)).args
        return 2 * sp.sinh(x / 2) ** 2

    return expr.replace(cosh_minus_one, half_sinh_squared)


def _simpler(expr: sp.Expr) -> sp.Expr:
    """``expr`` simplified where that shortens it: a logit chart's η = log(p/(1 − p)) at
    p = eᶿ/(eᶿ + 1) is θ, whose difference is exact."""
    candidate = sp.simplify(expr)
    return candidate if sp.count_ops(candidate) < sp.count_ops(expr) else expr


@cache
def kl_div_form(family: Family, derived: sp.Expr) -> sp.Expr | None:
    """``derived`` (the KL in the chart's symbols) as a proved sum of kl_div terms, found in the
    chart or, failing that, in the reference chart with θ_ref(θ) substituted; None if neither."""
    form = decompose.kl_div_form(derived)
    if form is not None or family.chart is family.reference:
        return form
    from symgeom import kl as derive_kl

    reference = family.with_param(family.reference.name)
    form = decompose.kl_div_form(derive_kl(reference).result)
    if form is None:
        return None
    substitution = {}
    for point in (1, 2):
        values = family.reference_at(point)
        generic = family.reference.symbols(None)
        substitution |= {s: values[g] for s, g in zip(reference.symbols(point), generic, strict=True)}
    # e^{a}/e^{b} as e^{a − b}, so kl_div(1, eʷ) prints its exact expm1(w) and w.
    return form.xreplace(substitution).replace(
        lambda e: isinstance(e, KLDiv), lambda e: KLDiv(*(sp.powsimp(a, force=True) for a in e.args))
    )
