"""KL, Fisher, entropy and expansion of the Dirichlet family for every k (index notation), two routes each.

The expectations over the simplex come from the log-partition A(η) = Σᵢ lnΓ(ηᵢ + 1) − lnΓ(Σᵢ(ηᵢ + 1))
(η = α − 1, T = log x): E[Tₐ] = ∂ₐA and E[TₐT_b] = ∂ₐ∂_bA + ∂ₐA ∂_bA, both differentiated by SymPy
in the indexed η, so E[log xₐ] = ψ(αₐ) − ψ(α₀).  Routes:

* KL: ``definition`` E_{θ₁}[log p(x|θ₁) − log p(x|θ₂)] and ``bregman`` A(η₂) − A(η₁) − Σₐ(η₂ₐ − η₁ₐ)∂ₐA(η₁);
  KL = lnΓ(α₀) − Σ lnΓ(αᵢ) − lnΓ(β₀) + Σ lnΓ(βᵢ) + Σ(αᵢ − βᵢ)(ψ(αᵢ) − ψ(α₀)).
* Fisher F_ab (1 ≤ a, b ≤ k): ``negative_hessian`` −E[∂_a∂_b log p], ``score_covariance``
  E[s_a s_b] (second moments of T) and ``kl_hessian`` ∂²KL(θ‖θ′)/∂θ′_a∂θ′_b at θ′ = θ;
  in the concentrations F = diag(ψ′(αᵢ)) − ψ′(α₀)11ᵀ.
* Entropy: ``definition`` −E[log p] and ``log_partition`` A(η) − Σₐ ηₐ ∂ₐA(η) (h = 1).
* Expansion KL(θ‖θ + tΔ) = c₂t² + c₃t³ + O(t⁴): ``taylor`` (tⁿ/n! · dⁿ/dtⁿ of the summed KL) and
  ``definition`` (cₙ = −E_θ[dⁿ/dtⁿ log p(x|θ + tΔ)]/n!).

Free indices a, b run over 1…k (:func:`symgeom.derive.indexed.in_range` with gap 0).
"""

from __future__ import annotations

from functools import cache

import sympy as sp
from sympy.core.parameters import evaluate

from symgeom.derivation import Derivation, Step
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
from symgeom.derive.notation import T, Tex
from symgeom.errors import SymgeomError
from symgeom.families.general_dirichlet import GeneralDirichlet

KL_LATEX = r"D_{\mathrm{KL}}\left(p_{\theta_{1}} \,\|\, p_{\theta_{2}}\right)"
EXPANSION_LATEX = r"D_{\mathrm{KL}}\left(p_{\theta} \,\|\, p_{\theta + t\Delta}\right)"
#: η, the natural parameter, and Δ, the displacement of the expansion, in index notation.
ETA = sp.IndexedBase("eta", real=True)
DELTA = sp.IndexedBase("Delta", real=True)
LOG_PARTITION = sp.Sum(sp.loggamma(ETA[I] + 1), (I, 1, K)) - sp.loggamma(sp.Sum(ETA[I] + 1, (I, 1, K)))


def _range(expr: sp.Expr, free: tuple) -> sp.Expr:
    return in_range(expr, free, gap=0)


def _alpha(family: GeneralDirichlet, point: int | None, index: sp.Expr) -> sp.Expr:
    return family.chart.alpha_at(point, index)


def _total(family: GeneralDirichlet, point: int | None) -> sp.Expr:
    """α₀ = Σⱼ αⱼ at ``point``."""
    return sp.Sum(_alpha(family, point, J), (J, 1, K))


def log_density(family: GeneralDirichlet, point: int | None) -> sp.Expr:
    """log p(x|θ) = Σᵢ (αᵢ − 1) log xᵢ + lnΓ(α₀) − Σᵢ lnΓ(αᵢ)."""
    x = family.variable
    alpha = _alpha(family, point, I)
    return (sp.Sum((alpha - 1) * sp.log(x[I]), (I, 1, K)) + sp.loggamma(_total(family, point))
            - sp.Sum(sp.loggamma(alpha), (I, 1, K)))


@cache
def _gradient() -> tuple[sp.Expr, sp.Expr]:
    """(∂ₐA(η), ∂ₐ∂_bA(η)) by SymPy's indexed derivative, a, b in 1…k."""
    first = _range(sp.diff(LOG_PARTITION, ETA[A]).doit(), (A,))
    second = _range(sp.diff(first, ETA[B]).doit(), (A, B))
    return first, second


def _at_point(family: GeneralDirichlet, expr: sp.Expr, point: int | None) -> sp.Expr:
    """expr in η written at θ: ηᵢ = αᵢ(θ) − 1 (also inside sums), sums split by linearity."""
    def natural(e: sp.Indexed) -> sp.Expr:
        return _alpha(family, point, e.indices[0]) - 1

    return linear(canonical(expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == ETA,
                                         natural)))


def mean_log(family: GeneralDirichlet, point: int | None, index: sp.Expr) -> sp.Expr:
    """E_θ[log x_index] = ∂_index A(η(θ)) = ψ(α_index) − ψ(α₀)."""
    return _at_point(family, _gradient()[0].xreplace({A: index}), point)


def _second_moment(family: GeneralDirichlet, point: int | None, a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """E_θ[log x_a log x_b] = ∂_a∂_bA + ∂_aA ∂_bA at η(θ) (second derivative of the mgf at 0)."""
    first, second = _gradient()
    moment = second + first * first.xreplace({A: B})
    return _at_point(family, moment.xreplace({A: a, B: b}), point)


def _log_x(family: GeneralDirichlet, e: sp.Basic) -> bool:
    return isinstance(e, sp.log) and isinstance(e.args[0], sp.Indexed) and \
        e.args[0].base == family.variable


def expect(family: GeneralDirichlet, expr: sp.Expr, point: int | None) -> sp.Expr:
    """E_θ[expr] for expr a polynomial of degree ≤ 2 in the log xᵢ: inside a sum Σᵢ cᵢ log xᵢ
    (cᵢ not random) by linearity, outside by the first and second moments; else refused."""
    out = []
    for term in sp.Add.make_args(sp.expand(linear(canonical(expr)))):
        constant, randoms = sp.Integer(1), []
        for factor in sp.Mul.make_args(term):
            if not factor.has(family.variable):
                constant *= factor
            elif isinstance(factor, sp.Sum):
                (index, lower, upper), = factor.limits
                logs = [f for f in sp.Mul.make_args(factor.function) if f.has(family.variable)]
                if len(logs) != 1 or not _log_x(family, logs[0]) or (lower, upper) != (1, K):
                    raise SymgeomError(f"not linear in log x inside a sum: {factor}")
                body = factor.function.xreplace({logs[0]: mean_log(family, point, index)})
                constant *= linear(sp.Sum(sp.expand(body), factor.limits))
            elif _log_x(family, factor):
                randoms.append(factor.args[0].indices[0])
            elif isinstance(factor, sp.Pow) and _log_x(family, factor.base) and factor.exp == 2:
                randoms += [factor.base.args[0].indices[0]] * 2
            else:
                raise SymgeomError(f"not a polynomial of degree ≤ 2 in log x: {factor}")
        if len(randoms) > 2:
            raise SymgeomError(f"degree {len(randoms)} in log x: {term}")
        if len(randoms) == 1:
            constant *= mean_log(family, point, randoms[0])
        elif len(randoms) == 2:
            constant *= _second_moment(family, point, *randoms)
        out.append(constant)
    return linear(canonical(sp.Add(*out)))


def _normal(expr: sp.Expr) -> sp.Expr:
    """Sums renamed and split by linearity, δ_ab·f(a, b) written δ_ab·f(a, a)."""
    expr = linear(canonical(sp.expand(linear(canonical(expr)))))
    return collapse_deltas(sp.expand(expr), (A, B))


def proved_equal(left: sp.Expr, right: sp.Expr) -> bool:
    """left − right is 0 after splitting sums by linearity and cancelling: true for every k."""
    difference = _normal(left - right)
    return difference == 0 or sp.simplify(sp.together(difference)) == 0


def _derivation(family: GeneralDirichlet, quantity: str, route: str, title: str, symbol: str,
                steps: list[Step], result: sp.Expr) -> Derivation:
    return Derivation(quantity=quantity, route=route, family=None,
                      title=f"{title} of the Dirichlet family for every k (`{family.param}`)",
                      symbol_latex=symbol, steps=tuple(steps), result=result, arguments=())


def _moments_facts() -> tuple[sp.Basic, ...]:
    return (sp.Eq(Tex(r"A(\eta)"), LOG_PARTITION), sp.Eq(Tex(r"\partial_a A(\eta)"), _gradient()[0]))


@cache
def kl_definition(family: GeneralDirichlet) -> Derivation:
    """KL = E_{θ₁}[log p(x|θ₁) − log p(x|θ₂)], E[log xᵢ] = ψ(αᵢ) − ψ(α₀)."""
    result = expect(family, log_density(family, 1) - log_density(family, 2), 1)
    steps = [
        Step(Tex(r"\mathbb{E}_{\theta_1}[\log p(x|\theta_1) - \log p(x|\theta_2)]"),
             "definition of the Kullback–Leibler divergence",
             facts=(sp.Eq(Tex(r"\log p(x|\theta)"), log_density(family, None)),)),
        Step(result, "E[log x_i] = ∂_i A(η) = ψ(α_i) − ψ(α_0) (exponential family, T = log x), "
             "sums split by linearity", facts=_moments_facts()),
    ]
    return _derivation(family, "kl", "definition", "KL divergence", KL_LATEX, steps, result)


def log_partition_at(family: GeneralDirichlet, point: int | None) -> sp.Expr:
    """A(η(θ)) = Σ lnΓ(αᵢ) − lnΓ(α₀)."""
    return _at_point(family, LOG_PARTITION, point)


@cache
def kl_bregman(family: GeneralDirichlet) -> Derivation:
    """KL = A(η₂) − A(η₁) − Σₐ(η₂ₐ − η₁ₐ) ∂ₐA(η₁), η = α − 1."""
    shift = _alpha(family, 2, I) - _alpha(family, 1, I)
    gradient = mean_log(family, 1, I)
    result = linear(canonical(log_partition_at(family, 2) - log_partition_at(family, 1)
                              - sp.Sum(sp.expand(shift * gradient), (I, 1, K))))
    steps = [
        Step(Tex(r"A(\eta_2) - A(\eta_1) - \sum_{a=1}^{k}(\eta_{2,a} - \eta_{1,a})\,\partial_a A(\eta_1)"),
             "exponential family: KL is the Bregman divergence of the log-partition",
             facts=_moments_facts()),
        Step(result, "substitute η_i = α_i − 1 at both points and sum by linearity"),
    ]
    return _derivation(family, "kl", "bregman", "KL divergence", KL_LATEX, steps, result)


def _tidy_fisher(expr: sp.Expr) -> sp.Expr:
    return collapse_deltas(sp.expand(linear(canonical(expr))), (A, B))


@cache
def fisher_negative_hessian(family: GeneralDirichlet) -> Derivation:
    """F_ab = −E[∂_a∂_b log p(x|θ)]."""
    base = family.chart.base(None)
    second = _range(sp.diff(log_density(family, None), base[A], base[B]).doit(), (A, B))
    result = _tidy_fisher(-expect(family, second, None))
    steps = [
        Step(Tex(r"-\mathbb{E}[\partial_a \partial_b \log p(x|\theta)]"), "information equality",
             facts=(sp.Eq(Tex(r"\partial_a \partial_b \log p(x|\theta)"), second),)),
        Step(result, "E[log x_i] = ψ(α_i) − ψ(α_0); δ_ab from the indexed derivative"),
    ]
    return _derivation(family, "fisher", "negative_hessian", "Fisher information",
                       r"F_{ab}(\theta)", steps, result)


@cache
def fisher_score_covariance(family: GeneralDirichlet) -> Derivation:
    """F_ab = E[s_a s_b], s = ∇_θ log p(x|θ), with E[TₐT_b] = ∂ₐ∂_bA + ∂ₐA ∂_bA."""
    base = family.chart.base(None)
    log_p = log_density(family, None)
    s_a = _range(sp.diff(log_p, base[A]).doit(), (A,))
    s_b = _range(sp.diff(log_p, base[B]).doit(), (B,))
    result = _tidy_fisher(expect(family, s_a * s_b, None))
    steps = [
        Step(Tex(r"\mathbb{E}[s_a s_b]"), "definition: the covariance of the score",
             facts=(sp.Eq(Tex("s_a"), s_a),)),
        Step(result, "E[log x_a log x_b] = ∂_a∂_b A + ∂_a A ∂_b A (second moment of T = log x)"),
    ]
    return _derivation(family, "fisher", "score_covariance", "Fisher information",
                       r"F_{ab}(\theta)", steps, result)


def _to_here(family: GeneralDirichlet, expr: sp.Expr) -> sp.Expr:
    """θ₁, θ₂ → θ in every indexed coordinate."""
    chart = family.chart
    here = chart.base(None)
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base in (chart.base(1), chart.base(2)),
                        lambda e: here[e.indices[0]])


@cache
def fisher_kl_hessian(family: GeneralDirichlet) -> Derivation:
    """F_ab = ∂²KL(θ‖θ′)/∂θ′_a∂θ′_b at θ′ = θ."""
    second = family.chart.base(2)
    kl = kl_definition(family).result
    hessian = _range(sp.diff(kl, second[A], second[B]).doit(), (A, B))
    result = _tidy_fisher(_to_here(family, hessian))
    steps = [
        Step(Tex(r"\partial_{\theta'_a} \partial_{\theta'_b} D_{\mathrm{KL}}(p_{\theta} \,\|\, "
                 r"p_{\theta'})\big|_{\theta' = \theta}"),
             "the Hessian of KL in its second argument at θ′ = θ"),
        Step(result, "differentiate the indexed sums (δ_ab from ∂α_i/∂θ_a) and set θ′ = θ"),
    ]
    return _derivation(family, "fisher", "kl_hessian", "Fisher information", r"F_{ab}(\theta)",
                       steps, result)


@cache
def entropy_definition(family: GeneralDirichlet) -> Derivation:
    """H = −E[log p(x|θ)] = Σ lnΓ(αᵢ) − lnΓ(α₀) − Σ(αᵢ − 1)(ψ(αᵢ) − ψ(α₀))."""
    result = expect(family, -log_density(family, None), None)
    steps = [
        Step(Tex(r"-\mathbb{E}_{\theta}[\log p(x|\theta)]"), "definition of the entropy",
             facts=(sp.Eq(Tex(r"\log p(x|\theta)"), log_density(family, None)),)),
        Step(result, "E[log x_i] = ψ(α_i) − ψ(α_0), sums split by linearity", facts=_moments_facts()),
    ]
    return _derivation(family, "entropy", "definition", "Entropy", r"H(\theta)", steps, result)


@cache
def entropy_log_partition(family: GeneralDirichlet) -> Derivation:
    """H = A(η) − Σₐ ηₐ ∂ₐA(η) − E[log h(x)], h = 1."""
    eta = _alpha(family, None, I) - 1
    result = linear(canonical(log_partition_at(family, None)
                              - sp.Sum(sp.expand(eta * mean_log(family, None, I)), (I, 1, K))))
    steps = [
        Step(Tex(r"A(\eta) - \sum_{a=1}^{k} \eta_a\,\partial_a A(\eta) - \mathbb{E}[\log h(x)]"),
             "exponential family: log p = ηᵀT − A(η) + log h and E[T] = ∇A(η); here h = 1",
             facts=_moments_facts()),
        Step(result, "substitute η_i = α_i − 1 and sum by linearity"),
    ]
    return _derivation(family, "entropy", "log_partition", "Entropy", r"H(\theta)", steps, result)


def _moved(family: GeneralDirichlet, expr: sp.Expr, point: int | None) -> sp.Expr:
    """expr with the coordinates of ``point`` moved to θ + tΔ."""
    chart = family.chart
    here, moving = chart.base(None), chart.base(point)
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == moving,
                        lambda e: here[e.indices[0]] + T * DELTA[e.indices[0]])


@cache
def expansion_coefficients(family: GeneralDirichlet) -> tuple[sp.Expr, ...]:
    """cₙ = (1/n!) dⁿ/dtⁿ KL(θ‖θ + tΔ) at t = 0, n = 0…3 (the KL's sums differentiated in t)."""
    along = _to_here(family, _moved(family, kl_definition(family).result, 2))
    out, derivative = [], along
    for n in range(4):
        out.append(linear(canonical(sp.expand(derivative.xreplace({T: 0}) / sp.factorial(n)))))
        derivative = sp.diff(derivative, T)
    return tuple(out)


@cache
def expansion_coefficients_definition(family: GeneralDirichlet) -> dict[int, sp.Expr]:
    """cₙ = −(1/n!) E_θ[dⁿ/dtⁿ log p(x|θ + tΔ)] at t = 0, n = 2, 3 (log-density first)."""
    moved = _moved(family, log_density(family, None), None)
    return {n: expect(family, -sp.diff(moved, T, n).xreplace({T: 0}) / sp.factorial(n), None)
            for n in (2, 3)}


@cache
def quadratic_form(family: GeneralDirichlet) -> sp.Expr:
    """½ΔᵀF(θ)Δ = ½ Σ_a Σ_b Δ_a F_ab Δ_b with the general-k F_ab (Kronecker deltas collapse)."""
    entry = fisher_negative_hessian(family).result
    inner = canonical(_range(sp.Sum(sp.expand(DELTA[B] * entry), (B, 1, K)).doit(), (A,)))
    outer = linear(sp.Sum(sp.expand(DELTA[A] * inner), (A, 1, K)))
    return linear(canonical(outer / 2))


def _expansion(family: GeneralDirichlet, route: str, c2: sp.Expr, c3: sp.Expr, how: str) -> Derivation:
    result = c2 * T**2 + c3 * T**3
    steps = [
        Step(Tex(r"\sum_{n} \frac{t^{n}}{n!} \frac{d^{n}}{dt^{n}}"
                 r" D_{\mathrm{KL}}\left(p_{\theta} \,\|\, p_{\theta + t\Delta}\right)\Big|_{t=0}"),
             "Taylor series in t of the general-k KL divergence along the line θ + tΔ"),
        Step(result, how),
    ]
    return _derivation(family, "expansion", route, "Second-order expansion of KL", EXPANSION_LATEX,
                       steps, result)


@cache
def expansion_taylor(family: GeneralDirichlet) -> Derivation:
    """KL(θ‖θ + tΔ) = c₂t² + c₃t³ + O(t⁴), cₙ the Taylor coefficients of the summed KL."""
    c = expansion_coefficients(family)
    return _expansion(family, "taylor", c[2], c[3],
                      "differentiate the general-k KL's sums in t and set t = 0: c₀ = c₁ = 0")


@cache
def expansion_definition(family: GeneralDirichlet) -> Derivation:
    """KL(θ‖θ + tΔ) = c₂t² + c₃t³ + O(t⁴), cₙ = −E_θ[dⁿ/dtⁿ log p(x|θ + tΔ)]/n!."""
    c = expansion_coefficients_definition(family)
    return _expansion(family, "definition", c[2], c[3],
                      "KL = E_θ[log p_θ] − E_θ[log p_{θ+tΔ}]: c_n = −E_θ[dⁿ/dtⁿ log p(x|θ+tΔ)]/n! "
                      "(n ≥ 2), E[log x_i] = ψ(α_i) − ψ(α_0)")


ROUTES_BY_QUANTITY = {
    "kl": {"definition": kl_definition, "bregman": kl_bregman},
    "fisher": {"negative_hessian": fisher_negative_hessian,
               "score_covariance": fisher_score_covariance, "kl_hessian": fisher_kl_hessian},
    "entropy": {"definition": entropy_definition, "log_partition": entropy_log_partition},
    "expansion": {"taylor": expansion_taylor, "definition": expansion_definition},
}


def derive_general(quantity: str, family: GeneralDirichlet, route: str | None = None) -> Derivation:
    """``quantity`` of the general Dirichlet by ``route`` (default: the first general-k route)."""
    from symgeom.derive.indexed import derive_by_route

    return derive_by_route(ROUTES_BY_QUANTITY, quantity, family, route)


def _values(family: GeneralDirichlet, symbols: dict[int | None, tuple], deltas: tuple = ()) -> dict:
    """(base, index) of the indexed coordinates (and Δ) → the concrete family's symbols."""
    values = {}
    for point, names in symbols.items():
        base = family.chart.base(point)
        values.update({(base, sp.Integer(i + 1)): s for i, s in enumerate(names)})
    values.update({(DELTA, sp.Integer(i + 1)): s for i, s in enumerate(deltas)})
    return values


def specialized(family: GeneralDirichlet, quantity: str, route: str, k: int, symbols: dict,
                deltas: tuple = ()) -> sp.Basic:
    """The general-k result of ``route`` at a concrete k in the concrete family's symbols
    (Fisher: the k×k matrix), sums written out, evaluated."""
    result = ROUTES_BY_QUANTITY[quantity][route](family).result
    values = _values(family, symbols, deltas)
    if quantity != "fisher":
        return specialize(result, k, values).doit()
    template, held = specialize_open(result, k, values)
    with evaluate(False):
        rows = [[rebuild(template, {A: sp.Integer(a), B: sp.Integer(b), **held}, values)
                 for b in range(1, k + 1)] for a in range(1, k + 1)]
    return sp.ImmutableMatrix(rows).doit()
