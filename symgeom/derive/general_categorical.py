"""KL and Fisher of a one-hot family for every k at once (index notation), each by two routes.

KL(θ₁‖θ₂) = Σᵢ₌₁ᵏ p_{1,i} log(p_{1,i}/p_{2,i}) by the definition (a sum over the k outcomes eⱼ, the one-hot
log-density collapsing by Kronecker deltas) and by the Bregman divergence of
A(η) = log(1 + Σ_{i<k} e^{ηᵢ}); F_ab = E[s_a s_b] and −E[∂_b s_a] (1 ≤ a, b ≤ k − 1).  SymPy
differentiates and sums the indexed expressions; the range facts 1 ≤ a ≤ k − 1 are settled by
:func:`symgeom.derive.indexed.in_range`.  Results are expressions in the free indices a, b;
:func:`specialized` writes them out for a concrete k.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import sympy as sp
from sympy.core.parameters import evaluate

from symgeom.derivation import Derivation, Step
from symgeom.derive.deferred import Deferred, DeferredDerivation
from symgeom.derive.indexed import (
    A,
    B,
    I,
    J,
    K,
    canonical,
    collapse_deltas,
    in_range,
    linear,
    rebuild,
    specialize,
    specialize_open,
)
from symgeom.derive.notation import Remainder, T, Tex
from symgeom.families.general import LAST, LAST_PROBABILITY, IndexedFamily

#: θ, θ₁, θ₂: each has its own indexed base (symgeom.families.general.IndexedChart.bases).
POINTS: tuple[int | None, ...] = (None, 1, 2)

KL_LATEX = r"D_{\mathrm{KL}}\left(p_{\theta_{1}} \,\|\, p_{\theta_{2}}\right)"


def _log_density(family: IndexedFamily, point: int | None) -> sp.Expr:
    """log p(x|θ) = Σ_{i<k} xᵢ log pᵢ(θ) + x_k log p_k(θ)."""
    chart, x = family.chart, family.variable
    return sp.Sum(x[I] * sp.log(chart.reference_at(point, I)), (I, 1, K - 1)) + x[K] * sp.log(
        chart.reference_at(point, LAST)
    )


def _at_outcome(family: IndexedFamily, expr: sp.Expr, j: sp.Expr, free: tuple) -> sp.Expr:
    """expr at the one-hot outcome e_j (xᵢ = δᵢⱼ), sums done, ranges settled for ``free``."""
    x = family.variable
    one_hot = expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == x,
                           lambda e: sp.KroneckerDelta(e.indices[0], j))
    return in_range(one_hot.doit(), free)


def _expect(family: IndexedFamily, expr: sp.Expr, point: int | None, free: tuple) -> sp.Expr:
    """E[expr] = Σ_{j<k} pⱼ expr(eⱼ) + p_k expr(e_k): the sum over the k outcomes."""
    chart = family.chart
    inner = _at_outcome(family, expr, J, (*free, J)) * chart.reference_at(point, J)
    last = _at_outcome(family, expr, K, free) * chart.reference_at(point, LAST)
    return in_range(sp.Sum(inner, (J, 1, K - 1)).doit(), free) + last


def name_last(family: IndexedFamily, expr: sp.Expr) -> sp.Expr:
    """The sum inside p_k(θ) written through p_k itself (p_k = 1 − Σpᵢ gives Σpᵢ = 1 − p_k), at
    every point: p_k is a positive symbol, so logarithms of it expand soundly."""
    chart = family.chart
    for point, name in ((None, "0"), (1, "1"), (2, "2")):
        last = canonical(chart.reference_at(point, LAST))
        sums = list(last.atoms(sp.Sum))
        if len(sums) != 1:
            continue
        (total,) = sums
        symbol = sp.Symbol(f"{chart.base(point)}_k{name}", positive=True)
        unknown = sp.Dummy("total")
        (solution,) = sp.solve(last.xreplace({total: unknown}) - symbol, unknown)
        expr = expr.xreplace({total: solution})
    return expr


def _normal(expr: sp.Expr, family: IndexedFamily | None = None) -> sp.Expr:
    """Sums renamed and split by linearity, the last class named (see :func:`name_last`),
    logarithms of the (positive) probabilities expanded, δ_ab·f(a, b) written δ_ab·f(a, a)."""
    expr = linear(canonical(expr))
    if family is not None:
        expr = sp.cancel(name_last(family, expr)) if not expr.has(sp.log) else name_last(family, expr)
    expr = linear(canonical(sp.expand_log(expr, force=True)))
    return collapse_deltas(sp.expand(expr), (A, B))


def _tidy(expr: sp.Expr) -> sp.Expr:
    """A Fisher entry over one denominator (sums as atoms)."""
    return sp.factor(sp.together(_normal(expr)))


def proved_equal(left: sp.Expr, right: sp.Expr, family: IndexedFamily | None = None) -> bool:
    """left − right is 0 after splitting sums and cancelling: a symbolic proof for every k."""
    difference = _normal(left - right, family)
    return difference == 0 or sp.simplify(sp.together(difference)) == 0


def _last_probability(family: IndexedFamily, point: int | None) -> sp.Symbol:
    """p_k at θ; p_{1,k}, p_{2,k} at θ₁, θ₂ (the point is the first subscript)."""
    name = family.charts[0].base(None).name
    return sp.Symbol(f"{name}_k" if point is None else f"{name}_{{{point},k}}", positive=True)


def textbook(family: IndexedFamily, expr: sp.Expr) -> sp.Expr:
    """``expr`` in the class probabilities pᵢ (p_{1,i}, p_{2,i} at θ₁, θ₂) and p_k = 1 − Σ_{i<k} pᵢ,
    as a textbook prints it: the sum inside p_k(θ) named p_k, the chart's coordinates written through pᵢ, p_k
    (logits: zᵢ = log(pᵢ/p_k)), sums split by linearity and each term cancelled.  Proved equal
    to ``expr`` for every k by :func:`from_textbook` (a verify row)."""
    reference, chart = family.charts[0], family.chart
    for point in POINTS:
        last = canonical(chart.reference_at(point, LAST))
        (total,) = last.atoms(sp.Sum)
        unknown = sp.Dummy("total")
        (solution,) = sp.solve(last.xreplace({total: unknown}) - _last_probability(family, point),
                               unknown)
        expr = canonical(expr).xreplace({total: solution})
        if chart.from_reference is not None:
            base, probabilities = chart.base(point), reference.base(point)
            inverse = chart.from_reference.xreplace({
                reference.base(None): probabilities,
                LAST_PROBABILITY: _last_probability(family, point)})
            expr = expr.replace(
                lambda e, b=base: isinstance(e, sp.Indexed) and e.base == b,
                lambda e, inv=inverse: inv.xreplace({chart.index: e.indices[0]}))
    expr = linear(canonical(expr))
    # the reference chart's own sums Σ pᵢ (from the logits' softmax) are 1 − p_k as well
    for point in POINTS:
        total = sp.Sum(reference.base(point)[J], (J, 1, K - 1))
        expr = expr.xreplace({total: 1 - _last_probability(family, point)})
    expr = _tidy_terms(expr)
    if expr.has(T):
        powers = sp.collect(sp.expand(expr), T, evaluate=False)
        return sp.Add(*[_merge_sums(coefficient) * power for power, coefficient in powers.items()])
    return _merge_sums(expr)


def _tidy_terms(expr: sp.Expr) -> sp.Expr:
    """Each term of the expanded expression cancelled and factored; sums' bodies likewise."""
    def tidy(e: sp.Expr) -> sp.Expr:
        return sp.Add(*[sp.factor(sp.cancel(t)) for t in sp.Add.make_args(sp.expand(e))])

    expr = expr.replace(lambda e: isinstance(e, sp.Sum),
                        lambda s: sp.Sum(tidy(s.function), s.limits))
    return tidy(expr)


def _combined(expr: sp.Expr) -> sp.Expr:
    """expr factored, each factor's logarithms combined: p log p − p log q = p log(p/q)."""
    return sp.Mul(*[sp.logcombine(f, force=True) for f in sp.Mul.make_args(sp.factor(expr))])


def _merge_sums(expr: sp.Expr) -> sp.Expr:
    """Σf − Σg = Σ(f − g) over the same range; logarithms combined in the sums and in the terms
    outside them (p_{1,i} log(p_{1,i}/p_{2,i}), p_{1,k} log(p_{1,k}/p_{2,k}))."""
    merged: dict[tuple, sp.Expr] = {}
    logs, rest = [], []
    for term in sp.Add.make_args(expr):
        sign, body = (-1, -term) if term.could_extract_minus_sign() else (1, term)
        if isinstance(body, sp.Sum):
            merged[body.limits] = merged.get(body.limits, 0) + sign * body.function
        elif term.has(sp.log) and not term.has(sp.Sum):
            logs.append(term)
        else:
            rest.append(term)
    sums = []
    for limits, body in merged.items():
        body = _combined(body)
        negative = body.could_extract_minus_sign()
        sums.append(-sp.Sum(-body, limits) if negative else sp.Sum(body, limits))
    return sp.Add(*sums, _combined(sp.Add(*logs)), *rest)


def from_textbook(family: IndexedFamily, expr: sp.Expr) -> sp.Expr:
    """The inverse of :func:`textbook`: pᵢ, p_k (and p_{1,i}, p_{1,k}, p_{2,i}, p_{2,k}) replaced
    by the chart's expressions, so ``proved_equal(from_textbook(textbook(e)), e)`` checks the printed form."""
    reference, chart = family.charts[0], family.chart
    for point in POINTS:
        probabilities = reference.base(point)
        expr = expr.replace(
            lambda e, b=probabilities: isinstance(e, sp.Indexed) and e.base == b,
            lambda e, p=point: chart.reference_at(p, e.indices[0]))
        expr = expr.xreplace({_last_probability(family, point): chart.reference_at(point, LAST)})
    return expr


def _probabilities_fact(family: IndexedFamily,
                        points: tuple[int | None, ...] = (None,)) -> tuple[sp.Basic, ...]:
    """pᵢ(θ) and p_k(θ) of the chart (at θ₁ and θ₂ for KL), shown next to the printed form."""
    chart, reference = family.chart, family.charts[0]
    facts = []
    for point in points:
        p = reference.base(point)
        facts += [sp.Eq(p[chart.index], chart.reference_at(point, chart.index), evaluate=False),
                  sp.Eq(_last_probability(family, point), chart.reference_at(point, LAST))]
    return tuple(f for f in facts if f.lhs != f.rhs)


def _derivation(family: IndexedFamily, quantity: str, route: str, title: str, symbol: str,
                steps: list[Step] | Callable[[], list[Step]], result: sp.Expr,
                arguments: tuple) -> Derivation:
    def printed(result: sp.Expr) -> tuple[Step, ...]:
        shown = steps() if callable(steps) else steps
        if quantity == "expansion":
            return tuple(shown)
        last = textbook(family, result)
        if last == shown[-1].expression:
            return tuple(shown)
        return (*shown, Step(last, "in the class probabilities: p_k for the last class, sums split "
                             "by linearity",
                             facts=_probabilities_fact(family, (1, 2) if quantity == "kl" else (None,))))

    # the printed form is made when the steps are read: specializations read only the result
    return DeferredDerivation(
        quantity=quantity, route=route, family=None,
        title=f"{title} of the Categorical family for every k (`{family.param}`)",
        symbol_latex=symbol, steps=Deferred.Make(printed), result=result, arguments=arguments)


@cache
def kl_definition(family: IndexedFamily) -> Derivation:
    """KL = E_{θ₁}[log p(x|θ₁) − log p(x|θ₂)] = Σⱼ pⱼ(θ₁) (log pⱼ(θ₁) − log pⱼ(θ₂))."""
    ratio = _log_density(family, 1) - _log_density(family, 2)
    result = canonical(_expect(family, ratio, 1, ()))
    steps = [
        Step(sp.Symbol(r"\mathbb{E}_{\theta_1}[\log p(x|\theta_1) - \log p(x|\theta_2)]"),
             "definition of the Kullback–Leibler divergence", facts=(sp.Eq(Tex(r"\log p(x|\theta)"),
                                                                      _log_density(family, None)),)),
        Step(result, "sum over the k one-hot outcomes e_j: x_i = δ_ij collapses the inner sum"),
    ]
    return _derivation(family, "kl", "definition", "KL divergence", KL_LATEX, steps, result, ())


@cache
def kl_bregman(family: IndexedFamily) -> Derivation:
    """KL = A(η₂) − A(η₁) − Σ_{a<k}(η₂ₐ − η₁ₐ) ∂ₐA(η₁), ηᵢ = log(pᵢ/p_k), A = log(1 + Σ e^{ηᵢ})."""
    eta = sp.IndexedBase("eta", real=True)
    log_partition = sp.log(1 + sp.Sum(sp.exp(eta[I]), (I, 1, K - 1)))
    gradient = in_range(sp.diff(log_partition, eta[A]).doit(), (A,))
    chart = family.chart

    def natural(point: int, index: sp.Expr) -> sp.Expr:
        return sp.log(chart.reference_at(point, index) / chart.reference_at(point, LAST))

    def a_at(point: int) -> sp.Expr:
        inside = linear(sp.Sum(sp.exp(natural(point, I)), (I, 1, K - 1)))
        return sp.log(sp.cancel(sp.together(canonical(1 + inside))))

    gradient_at = sp.together(linear(canonical(gradient.xreplace({eta[A]: natural(1, A)}).replace(
        lambda e: isinstance(e, sp.Sum), lambda s: s.xreplace({eta[I]: natural(1, I)})))))
    result = canonical(a_at(2) - a_at(1)) - sp.Sum(
        ((natural(2, A) - natural(1, A)) * gradient_at).xreplace({A: I}), (I, 1, K - 1))
    steps = [
        Step(sp.Symbol(r"A(\eta_2) - A(\eta_1) - \sum_{a<k}(\eta_{2,a} - \eta_{1,a})\,\partial_a A(\eta_1)"),
             "exponential family: KL is the Bregman divergence of the log-partition",
             facts=(sp.Eq(Tex(r"A(\eta)"), log_partition),
                    sp.Eq(Tex(r"\partial_a A(\eta)"), gradient))),
        Step(result, "substitute η_i = log(p_i/p_k) at both points and sum by linearity"),
    ]
    return _derivation(family, "kl", "bregman", "KL divergence", KL_LATEX, steps, result, ())


def _score(family: IndexedFamily) -> tuple[sp.Expr, sp.Expr]:
    """(s_a, s_b): ∂ log p(x|θ)/∂θ_a with SymPy's indexed derivative."""
    base = family.chart.base(None)
    log_p = _log_density(family, None)
    return sp.diff(log_p, base[A]), sp.diff(log_p, base[B])


@cache
def fisher_score_covariance(family: IndexedFamily) -> Derivation:
    """F_ab = E[s_a s_b], s = ∇_θ log p(x|θ)."""
    s_a, s_b = _score(family)
    result = _tidy(_expect(family, s_a * s_b, None, (A, B)))
    steps = [
        Step(sp.Symbol(r"\mathbb{E}[s_a s_b]"), "definition: the covariance of the score",
             facts=(sp.Eq(Tex("s_a"), s_a),)),
        Step(result, "sum over the k one-hot outcomes; δ_ak = 0 for a ≤ k − 1"),
    ]
    return _derivation(family, "fisher", "score_covariance", "Fisher information",
                       r"F_{ab}(\theta)", steps, result, ())


@cache
def fisher_negative_hessian(family: IndexedFamily) -> Derivation:
    """F_ab = −E[∂_b s_a]."""
    s_a, _ = _score(family)
    second = sp.diff(s_a, family.chart.base(None)[B])
    result = _tidy(-_expect(family, second, None, (A, B)))
    steps = [
        Step(sp.Symbol(r"-\mathbb{E}[\partial_b s_a]"), "information equality",
             facts=(sp.Eq(Tex(r"\partial_b s_a"), second),)),
        Step(result, "sum over the k one-hot outcomes; δ_ak = 0 for a ≤ k − 1"),
    ]
    return _derivation(family, "fisher", "negative_hessian", "Fisher information",
                       r"F_{ab}(\theta)", steps, result, ())


def _natural(family: IndexedFamily, point: int | None, index: sp.Expr) -> sp.Expr:
    """ηᵢ(θ) = log(pᵢ(θ)/p_k(θ)) at ``point``."""
    chart = family.chart
    return sp.log(chart.reference_at(point, index) / chart.reference_at(point, LAST))


@cache
def entropy_definition(family: IndexedFamily) -> Derivation:
    """H(θ) = −E[log p(x|θ)] = −Σᵢ₌₁ᵏ pᵢ log pᵢ."""
    result = canonical(_expect(family, -_log_density(family, None), None, ()))
    steps = [
        Step(sp.Symbol(r"-\mathbb{E}_{\theta}[\log p(x|\theta)]"), "definition of the entropy",
             facts=(sp.Eq(Tex(r"\log p(x|\theta)"), _log_density(family, None)),)),
        Step(result, "sum over the k one-hot outcomes e_j: x_i = δ_ij collapses the inner sum"),
    ]
    return _derivation(family, "entropy", "definition", "Entropy", r"H(\theta)", steps, result, ())


@cache
def entropy_log_partition(family: IndexedFamily) -> Derivation:
    """H(θ) = A(η) − Σ_{a<k} η_a ∂_aA(η) − E[log h(x)], h = 1 (E[T] = ∇A)."""
    eta = sp.IndexedBase("eta", real=True)
    log_partition = sp.log(1 + sp.Sum(sp.exp(eta[I]), (I, 1, K - 1)))
    gradient = in_range(sp.diff(log_partition, eta[A]).doit(), (A,))
    inside = linear(sp.Sum(sp.exp(_natural(family, None, I)), (I, 1, K - 1)))
    a_at = sp.log(sp.cancel(sp.together(canonical(1 + inside))))
    gradient_at = sp.together(linear(canonical(
        gradient.xreplace({eta[A]: _natural(family, None, A)}).replace(
            lambda e: isinstance(e, sp.Sum),
            lambda s: s.xreplace({eta[I]: _natural(family, None, I)})))))
    result = canonical(a_at - sp.Sum((_natural(family, None, A) * gradient_at).xreplace({A: I}),
                                     (I, 1, K - 1)))
    steps = [
        Step(sp.Symbol(r"A(\eta) - \sum_{a<k} \eta_a\,\partial_a A(\eta) - \mathbb{E}[\log h(x)]"),
             "exponential family: log p = ηᵀT − A(η) + log h and E[T] = ∇A(η); here h = 1",
             facts=(sp.Eq(Tex(r"A(\eta)"), log_partition),
                    sp.Eq(Tex(r"\partial_a A(\eta)"), gradient))),
        Step(result, "substitute η_i = log(p_i/p_k) and sum by linearity"),
    ]
    return _derivation(family, "entropy", "log_partition", "Entropy", r"H(\theta)", steps, result,
                       ())


#: Δ, the displacement of the expansion KL(θ‖θ + tΔ), in index notation.
DELTA = sp.IndexedBase("Delta", real=True)


def _along(family: IndexedFamily, expr: sp.Expr) -> sp.Expr:
    """expr with θ₁ = θ and θ₂ = θ + tΔ (every indexed parameter of point 2 moved along Δ)."""
    chart = family.chart
    here, first, second = chart.base(None), chart.base(1), chart.base(2)
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == second,
                        lambda e: here[e.indices[0]] + T * DELTA[e.indices[0]]).replace(
        lambda e: isinstance(e, sp.Indexed) and e.base == first,
        lambda e: here[e.indices[0]])


@cache
def expansion_coefficients(family: IndexedFamily) -> tuple[sp.Expr, ...]:
    """cₙ = (1/n!) dⁿ/dtⁿ KL(θ‖θ + tΔ) at t = 0, n = 0…3, for every k (indexed sums)."""
    along = _along(family, kl_definition(family).result)
    out, derivative = [], along
    for n in range(4):
        out.append(canonical(derivative.xreplace({T: 0}) / sp.factorial(n)))
        derivative = sp.diff(derivative, T)
    return tuple(out)


@cache
def expansion_coefficients_definition(family: IndexedFamily) -> dict[int, sp.Expr]:
    """cₙ = −(1/n!) E_θ[dⁿ/dtⁿ log p(x|θ + tΔ)] at t = 0, n = 2, 3, for every k: the second route.

    KL(θ‖θ + tΔ) = E_θ[log p(x|θ)] − E_θ[log p(x|θ + tΔ)] and only the second term depends on t;
    the log-density is differentiated (its logarithms expanded: every pᵢ(θ) > 0) before the sum
    over the k outcomes is taken, so nothing is shared with :func:`expansion_coefficients`, which
    differentiates the summed KL.
    """
    here = family.chart.base(None)
    log_p = sp.expand_log(_log_density(family, None), force=True)
    moved = log_p.replace(lambda e: isinstance(e, sp.Indexed) and e.base == here,
                          lambda e: here[e.indices[0]] + T * DELTA[e.indices[0]])
    return {n: canonical(-_expect(family, sp.diff(moved, T, n).xreplace({T: 0}), None, ())
                         / sp.factorial(n)) for n in (2, 3)}


@cache
def quadratic_form(family: IndexedFamily) -> sp.Expr:
    """½ΔᵀF(θ)Δ = ½ Σ_a Σ_b Δ_a F_ab Δ_b with the general-k F_ab (Kronecker deltas collapse)."""
    entry = fisher_score_covariance(family).result
    inner = canonical(in_range(sp.Sum(DELTA[B] * entry, (B, 1, K - 1)).doit(), (A,)))
    # a stays the outer index until linearity has taken the inner sums out of it
    outer = linear(sp.Sum(sp.expand(DELTA[A] * inner), (A, 1, K - 1)))
    return canonical(outer / 2)


@cache
def expansion(family: IndexedFamily) -> Derivation:
    """KL(θ‖θ + tΔ) = c₂t² + c₃t³ + O(t⁴) for every k, with c₀ = c₁ = 0 and c₂ = ½ΔᵀFΔ."""
    c = expansion_coefficients(family)
    result = c[2] * T**2 + c[3] * T**3
    remainder = Remainder(T**4)
    quadratic = Tex(r"\tfrac{1}{2}\Delta^{\top} F(\theta) \Delta")

    def steps() -> list[Step]:  # printed forms, made only when the steps are read
        c2, c3 = textbook(family, c[2]), textbook(family, c[3])
        fisher = textbook(family, fisher_score_covariance(family).result)
        return [
            Step(Tex(r"\sum_{n} \frac{t^{n}}{n!} \frac{d^{n}}{dt^{n}}"
                     r" D_{\mathrm{KL}}\left(p_{\theta} \,\|\, p_{\theta + t\Delta}\right)\Big|_{t=0}"),
                 "Taylor series in t of the general-k KL divergence along the line θ + tΔ"),
            Step(sp.Add(c2 * T**2, c3 * T**3, remainder, evaluate=False),
                 "differentiate the indexed sums in t and set t = 0: c₀ = c₁ = 0 (minimum at Δ = 0); "
                 "written in the class probabilities, p_k for the last class",
                 facts=_probabilities_fact(family)),
            Step(sp.Add(quadratic * T**2, c3 * T**3, remainder, evaluate=False),
                 "c₂ = ½ΔᵀFΔ = ½Σ_a Σ_b Δ_a F_ab Δ_b with the general-k Fisher matrix",
                 facts=(sp.Eq(Tex(r"F_{ab}(\theta)"), fisher, evaluate=False),
                        sp.Eq(quadratic, textbook(family, quadratic_form(family)), evaluate=False))),
        ]

    return _derivation(family, "expansion", "taylor", "Second-order expansion of KL",
                       r"D_{\mathrm{KL}}\left(p_{\theta} \,\|\, p_{\theta + t\Delta}\right)",
                       steps, result, ())


KL_ROUTES = {"definition": kl_definition, "bregman": kl_bregman}
ENTROPY_ROUTES = {"definition": entropy_definition, "log_partition": entropy_log_partition}
EXPANSION_ROUTES = {"taylor": expansion}

FISHER_ROUTES = {"score_covariance": fisher_score_covariance,
                 "negative_hessian": fisher_negative_hessian}
#: Every general-k route by quantity, default route first.
ROUTES_BY_QUANTITY = {"kl": KL_ROUTES, "fisher": FISHER_ROUTES, "entropy": ENTROPY_ROUTES,
                      "expansion": EXPANSION_ROUTES}


def derive_general(quantity: str, family: IndexedFamily, route: str | None = None) -> Derivation:
    """``quantity`` of the general family by ``route`` (default: the first general-k route)."""
    from symgeom.derive.indexed import derive_by_route

    return derive_by_route(ROUTES_BY_QUANTITY, quantity, family, route)


def concrete_values(family: IndexedFamily, k: int, symbols: dict[int | None, tuple]) -> dict:
    """(base, index) of the indexed parameters → the concrete family's symbols at each point."""
    values = {}
    for point, names in symbols.items():
        base = family.chart.base(point)
        values.update({(base, sp.Integer(i + 1)): s for i, s in enumerate(names)})
    return values


def specialized_kl(family: IndexedFamily, route: str, k: int, symbols: dict) -> sp.Expr:
    """The general-k KL of ``route`` at a concrete k, in the concrete family's symbols."""
    return specialize(KL_ROUTES[route](family).result, k, concrete_values(family, k, symbols))


def specialized_scalar(family: IndexedFamily, quantity: str, route: str, k: int,
                       symbols: tuple, deltas: tuple = ()) -> sp.Expr:
    """The general-k entropy or expansion of ``route`` at a concrete k, in the concrete family's
    symbols θ (and Δθ for the expansion; t stays t)."""
    values = concrete_values(family, k, {None: symbols})
    values.update({(DELTA, sp.Integer(i + 1)): s for i, s in enumerate(deltas)})
    return specialize(ROUTES_BY_QUANTITY[quantity][route](family).result, k, values)


def specialized_fisher(family: IndexedFamily, route: str, k: int, symbols: dict) -> sp.Matrix:
    """The general-k F_ab of ``route`` as the (k−1)×(k−1) matrix of a concrete k."""
    entry = FISHER_ROUTES[route](family).result
    values = concrete_values(family, k, symbols)
    template, held = specialize_open(entry, k, values)
    with evaluate(False):
        rows = [[rebuild(template, {A: sp.Integer(a), B: sp.Integer(b), **held}, values)
                 for b in range(1, k)] for a in range(1, k)]
    return sp.ImmutableMatrix(rows)
