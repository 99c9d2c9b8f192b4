"""KL, Fisher, entropy and expansion of N(μ, Σ) for every d at once (matrix notation), two routes each.

log p(x|μ,Σ) = −½(x−μ)ᵀΣ⁻¹(x−μ) − ½ ln det Σ − (d/2) ln 2π, an exponential family with
η = (h, −½Λ), h = Σ⁻¹μ, Λ = Σ⁻¹, A(h, Λ) = ½hᵀΛ⁻¹h − ½ ln det Λ.  Every computation is done in
the trace normal form of :mod:`symgeom.derive.matrix_calculus`, whose rewrites hold for every d;
two routes are *proved* equal for every d when their difference has the zero normal form.

* KL = ½[tr(Σ_2⁻¹Σ_1) + (μ₂−μ₁)ᵀΣ_2⁻¹(μ₂−μ₁) − d + ln(det Σ_2/det Σ_1)]: ``definition``
  (E_{θ₁}[log p₁ − log p₂] with E[zᵀMz] = tr(MΣ_1)) and ``bregman`` (A(η₂) − A(η₁) − DA(η₁)[η₂−η₁]).
* Fisher, as the bilinear form F[(a,A),(b,B)] = aᵀΣ⁻¹b + ½tr(Σ⁻¹AΣ⁻¹B) on directions of (μ, Σ):
  ``score_covariance`` (E[s s], four z's by Isserlis), ``negative_hessian`` (−E[D²log p]) and
  ``kl_hessian`` (D² of KL(θ‖θ′) in θ′ at θ′ = θ).
* Entropy ½ ln det(2πeΣ): ``definition`` (−E[log p]) and ``log_partition`` (A − DA[η] − E[log h]).
* Expansion KL(θ‖θ+tΔ) = c₂t² + c₃t³ + O(t⁴), Δ = (a, A): ``taylor`` (tⁿ/n! · Dⁿ of the KL in its
  second argument) and ``definition`` (c_n = −E[Dⁿ log p[Δ,…,Δ]]/n!); c₂ = ½F[Δ,Δ].
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from math import factorial

import sympy as sp

from symgeom.derivation import Derivation, Step
from symgeom.derive import matrix_calculus as mc
from symgeom.derive.matrix_calculus import D, Poly, derivative, expect, form, lin, logdet, mat, trace, vec

KL_LATEX = r"D_{\mathrm{KL}}\left(p_{\theta_{1}} \,\|\, p_{\theta_{2}}\right)"
FISHER_LATEX = r"F_{\theta}\left[(a, A), (b, B)\right]"
ENTROPY_LATEX = r"H(\theta)"
EXPANSION_LATEX = r"D_{\mathrm{KL}}\left(p_{\theta} \,\|\, p_{\theta + t\Delta}\right)"
HALF = sp.Rational(1, 2)
#: The direction letters of the Bregman route's derivative (printed Δh, ΔΛ).
DH, DLAMBDA = r"\Delta h", r"\Delta\Lambda"
T = sp.Symbol("t", real=True)
#: The order of the expansion KL(θ‖θ+tΔ) = Σ_{n≤ORDER} cₙtⁿ + O(t^{ORDER+1}).
ORDER = 3


def _names(point: int | None) -> tuple[str, str]:
    """(μ, Σ) letter names at ``point``: ``mu``/``Sigma`` or ``mu_1``/``Sigma_1`` …"""
    return ("mu", "Sigma") if point is None else (f"mu_{point}", f"Sigma_{point}")


def log_density(point: int | None, x: dict) -> Poly:
    """log p(x|μ,Σ) = −½(x−μ)ᵀΣ⁻¹(x−μ) − ½ ln det Σ − (d/2) ln 2π, x a VecLin."""
    mu, sigma = _names(point)
    centred = lin((1, x), (-1, vec(mu)))
    return (form(centred, [mat((sigma, -1))], centred) * -HALF - logdet(sigma) * HALF
            + Poly.scalar(-D * sp.log(2 * sp.pi) / 2))


def log_partition(point: int | None) -> Poly:
    """A(h, Λ) = ½hᵀΛ⁻¹h − ½ ln det Λ (natural coordinates h = Σ⁻¹μ, Λ = Σ⁻¹)."""
    h, lam = ("h", "Lambda") if point is None else (f"h_{point}", f"Lambda_{point}")
    return form(vec(h), [mat((lam, -1))], vec(h)) * HALF - logdet(lam) * HALF


def to_moment(poly: Poly, points: tuple) -> Poly:
    """Substitute h = Σ⁻¹μ, Λ = Σ⁻¹ (Λ⁻¹ = Σ, ln det Λ = −ln det Σ) at each point."""
    matrices, vectors, logdets = {}, {}, {}
    for point in points:
        mu, sigma = _names(point)
        h, lam = ("h", "Lambda") if point is None else (f"h_{point}", f"Lambda_{point}")
        matrices[(lam, 1)] = mat((sigma, -1))
        matrices[(lam, -1)] = mat((sigma, 1))
        vectors[h] = vec(mu, (sigma, -1))
        logdets[lam] = logdet(sigma, -1)
    return mc.substitute(poly, matrices, vectors, logdets)


class Shown(sp.Symbol):
    """A formula shown as written (its name is LaTeX): the left-hand sides of the steps."""

    def _latex(self, printer) -> str:
        return self.name


def _show(poly: Poly) -> sp.Expr:
    return mc.to_sympy(poly)


# --- display forms (each proved equal to the derived normal form before it is shown) ------------
def _m(name: str) -> sp.MatrixSymbol:
    return sp.MatrixSymbol(name, D, D)


def _v(name: str) -> sp.MatrixSymbol:
    return sp.MatrixSymbol(name, D, 1)


def kl_display() -> sp.Expr:
    s1, s2, m1, m2 = _m("Sigma_1"), _m("Sigma_2"), _v("mu_1"), _v("mu_2")
    return HALF * (mc.Tr(s2.I, s1) + mc.Form(m2 - m1, s2.I, m2 - m1) - D
                   + sp.log(mc.Det(s2) / mc.Det(s1)))


def fisher_display() -> sp.Expr:
    s, a, b, am, bm = _m("Sigma"), _v("a"), _v("b"), _m("A"), _m("B")
    return mc.Form(a, s.I, b) + HALF * mc.Tr(s.I, am, s.I, bm)


def entropy_display() -> sp.Expr:
    return HALF * mc.LogDet(2 * sp.pi * sp.E * _m("Sigma"))


def _settled(derived: Poly, display: sp.Expr, what: str) -> sp.Expr:
    """The display form, after proving it equal to the derived normal form (else an error)."""
    if not mc.proved_equal(derived, mc.from_sympy(display)):
        raise AssertionError(f"the {what} display form differs from the derived result: "
                             f"{_show(derived - mc.from_sympy(display))}")
    return display


def _general(quantity: str, route: str, title: str, symbol: str, steps: list[Step],
             result: sp.Expr) -> Derivation:
    return Derivation(quantity=quantity, route=route, family=None,
                      title=f"{title} of the multivariate Gaussian for every d (mean_cov)",
                      symbol_latex=symbol, steps=tuple(steps), result=result, arguments=())


LEMMA_QUADRATIC = "E[xᵀMx] = tr(MΣ) + μᵀMμ (lemma, proved for every d from E[z] = 0, E[zzᵀ] = Σ, z = x − μ)"
LEMMA_ISSERLIS = ("E[zᵀPz·zᵀQz] = tr(PΣ)tr(QΣ) + 2tr(PΣQΣ) (lemma: Isserlis, three pairings of four z's; "
                  "proved for every d from Stein's identity E[z h(z)] = Σ E[∇h(z)])")
LEMMA_INVERSE = "D(Σ⁻¹)[A] = −Σ⁻¹AΣ⁻¹ (lemma, proved for every d: differentiate ΣΣ⁻¹ = I)"
LEMMA_LOGDET = "D(ln det Σ)[A] = tr(Σ⁻¹A) (lemma: Jacobi's formula, proved for every d by induction on d)"
CALCULUS = "trace normal form: linearity, tr(XY) = tr(YX), symmetric letters, Σ⁻¹Σ = I, tr I = d"


# --- KL -------------------------------------------------------------------------------------------
@cache
def kl_poly(route: str) -> Poly:
    """The derived KL in normal form, by ``route``."""
    if route == "definition":
        return _expected("kl/definition")
    if route == "bregman":
        a1 = log_partition(1)
        step = derivative(a1, {"h_1": DH, "Lambda_1": DLAMBDA})
        difference = lin((1, mat(("Lambda_2", 1))), (-1, mat(("Lambda_1", 1))))
        step = mc.substitute(step, {(DLAMBDA, 1): difference},
                             {DH: lin((1, vec("h_2")), (-1, vec("h_1")))})
        return to_moment(log_partition(2) - a1 - step, (1, 2))
    raise KeyError(route)


@cache
def kl_definition() -> Derivation:
    """KL = E_{θ₁}[log p(x|θ₁) − log p(x|θ₂)], x = μ₁ + z, z ~ N(0, Σ_1)."""
    x = lin((1, vec("mu_1")), (1, vec("z")))
    ratio = log_density(1, x) - log_density(2, x)
    result = kl_poly("definition")
    steps = [
        Step(Shown(r"\mathbb{E}_{\theta_1}[\log p(x|\theta_1) - \log p(x|\theta_2)]"),
             "definition of the Kullback–Leibler divergence"),
        Step(_show(ratio), "write x = μ₁ + z with z ~ N(0, Σ_1) and expand by linearity",
             lhs=Shown(r"\log p(x|\theta_1) - \log p(x|\theta_2)")),
        Step(_show(result), f"take the expectation: {LEMMA_QUADRATIC}; E[z] = 0; {CALCULUS}",
             lhs=Shown(KL_LATEX)),
        Step(_settled(result, kl_display(), "KL"),
             "collect (μ₂ − μ₁)ᵀΣ_2⁻¹(μ₂ − μ₁) and ln det Σ_2 − ln det Σ_1 (equal in normal form)"),
    ]
    return _general("kl", "definition", "KL divergence", KL_LATEX, steps, kl_display())


@cache
def kl_bregman() -> Derivation:
    """KL = A(η₂) − A(η₁) − DA(η₁)[η₂ − η₁] with A(h, Λ) = ½hᵀΛ⁻¹h − ½ ln det Λ."""
    a1 = log_partition(1)
    gradient = derivative(a1, {"h_1": DH, "Lambda_1": DLAMBDA})
    result = kl_poly("bregman")
    steps = [
        Step(Shown(r"A(\eta_2) - A(\eta_1) - DA(\eta_1)[\eta_2 - \eta_1]"),
             "exponential family: KL is the Bregman divergence of the log-partition",
             facts=(sp.Eq(Shown(r"A(h, \Lambda)"), _show(log_partition(None))),)),
        Step(_show(gradient), f"the directional derivative along (Δh, ΔΛ): {LEMMA_INVERSE}; {LEMMA_LOGDET}",
             lhs=Shown(r"DA(\eta_1)[\Delta h, \Delta\Lambda]")),
        Step(_show(result), "Δh = h₂ − h₁, ΔΛ = Λ₂ − Λ₁, then h = Σ⁻¹μ, Λ = Σ⁻¹, ln det Λ = −ln det Σ; "
             + CALCULUS, lhs=Shown(KL_LATEX)),
        Step(_settled(result, kl_display(), "KL"), "collect terms (equal in normal form)"),
    ]
    return _general("kl", "bregman", "KL divergence", KL_LATEX, steps, kl_display())


# --- Fisher ---------------------------------------------------------------------------------------
DIRECTION_A = {"mu": "a", "Sigma": "A"}
DIRECTION_B = {"mu": "b", "Sigma": "B"}


def _log_p_at_x() -> Poly:
    return log_density(None, vec("x"))


def _centred(poly: Poly) -> Poly:
    """x = μ + z (z ~ N(0, Σ))."""
    return mc.substitute(poly, vectors={"x": lin((1, vec("mu")), (1, vec("z")))})


#: Every expectation the routes take, by name: (integrand in z, z, covariance letter).
EXPECTATIONS = ("kl/definition", "fisher/score_covariance", "fisher/negative_hessian",
                "entropy/definition", *(f"expansion/definition/c{n}" for n in range(1, ORDER + 1)))


def integrand(name: str) -> tuple[Poly, str, str]:
    """The integrand of the expectation ``name`` (one of :data:`EXPECTATIONS`), written in
    z ~ N(0, Σ): log p₁ − log p₂ at x = μ₁ + z; D log p[(a,A)]·D log p[(b,B)];
    D² log p[(a,A),(b,B)]; log p; Dⁿ log p[Δ, …, Δ] (Δ = (a, A)) at x = μ + z."""
    if name == "kl/definition":
        x = lin((1, vec("mu_1")), (1, vec("z")))
        return log_density(1, x) - log_density(2, x), "z", "Sigma_1"
    log_p = _log_p_at_x()
    if name == "fisher/score_covariance":
        poly = derivative(log_p, DIRECTION_A) * derivative(log_p, DIRECTION_B)
    elif name == "fisher/negative_hessian":
        poly = derivative(derivative(log_p, DIRECTION_A), DIRECTION_B)
    elif name == "entropy/definition":
        poly = log_p
    elif name.startswith("expansion/definition/c") and name in EXPECTATIONS:
        poly = log_p
        for _ in range(int(name.removeprefix("expansion/definition/c"))):
            poly = derivative(poly, DIRECTION_A)
    else:
        raise KeyError(name)
    return _centred(poly), "z", "Sigma"


def _expected(name: str) -> Poly:
    """E[integrand] by Wick's pairing (:func:`symgeom.derive.matrix_calculus.expect`)."""
    return expect(*integrand(name))


@cache
def fisher_poly(route: str) -> Poly:
    """F[(a,A),(b,B)] in normal form, by ``route``."""
    if route == "score_covariance":
        return _expected("fisher/score_covariance")
    if route == "negative_hessian":
        return -_expected("fisher/negative_hessian")
    if route == "kl_hessian":
        second = derivative(derivative(kl_poly("definition"), {"mu_2": "a", "Sigma_2": "A"}),
                            {"mu_2": "b", "Sigma_2": "B"})
        return _at_same_point(second)
    raise KeyError(route)


def _at_same_point(poly: Poly) -> Poly:
    """θ₁ = θ₂ = θ: rename μ₁, μ₂ → μ and Σ_1, Σ_2 → Σ."""
    matrices = {(f"Sigma_{i}", p): mat(("Sigma", p)) for i in (1, 2) for p in (1, -1)}
    vectors = {f"mu_{i}": vec("mu") for i in (1, 2)}
    logdets = {f"Sigma_{i}": logdet("Sigma") for i in (1, 2)}
    return mc.substitute(poly, matrices, vectors, logdets)


_FISHER_STEPS = {
    "score_covariance": (r"\mathbb{E}[D\log p[(a,A)]\; D\log p[(b,B)]]",
                         "definition: the covariance of the score, along directions (a, A), (b, B)",
                         f"{LEMMA_INVERSE}; {LEMMA_LOGDET}; then x = μ + z and {LEMMA_ISSERLIS}"),
    "negative_hessian": (r"-\mathbb{E}[D^2\log p[(a,A),(b,B)]]", "information equality",
                         f"{LEMMA_INVERSE} twice; {LEMMA_LOGDET}; then x = μ + z, {LEMMA_QUADRATIC}"),
    "kl_hessian": (r"D^2_{\theta'}D_{\mathrm{KL}}(p_\theta\|p_{\theta'})[(a,A),(b,B)]\big|_{\theta'=\theta}",
                   "the Fisher metric is the Hessian of the KL at θ′ = θ",
                   f"differentiate the general KL twice in (μ₂, Σ_2): {LEMMA_INVERSE}; {LEMMA_LOGDET}; "
                   "set θ₁ = θ₂ = θ"),
}


@cache
def fisher_route(route: str) -> Derivation:
    """F[(a,A),(b,B)] = aᵀΣ⁻¹b + ½tr(Σ⁻¹AΣ⁻¹B) by ``route``."""
    start, why, how = _FISHER_STEPS[route]
    result = fisher_poly(route)
    steps = [
        Step(Shown(start), why),
        Step(_show(result), f"{how}; {CALCULUS}"),
        Step(_settled(result, fisher_display(), "Fisher"),
             "mean block Σ⁻¹, cross block 0, covariance block the bilinear form ½tr(Σ⁻¹AΣ⁻¹B)"),
    ]
    return _general("fisher", route, "Fisher information", FISHER_LATEX, steps, fisher_display())


# --- entropy ----------------------------------------------------------------------------------------
@cache
def entropy_poly(route: str) -> Poly:
    if route == "definition":
        return -_expected("entropy/definition")
    if route == "log_partition":
        a = log_partition(None)
        euler = derivative(a, {"h": "h", "Lambda": "Lambda"})
        return to_moment(a - euler, (None,)) + Poly.scalar(D * sp.log(2 * sp.pi) / 2)
    raise KeyError(route)


@cache
def entropy_route(route: str) -> Derivation:
    """H = ½ ln det(2πeΣ) by ``route``."""
    result = entropy_poly(route)
    if route == "definition":
        steps = [Step(Shown(r"-\mathbb{E}[\log p(x|\theta)]"), "definition of the entropy"),
                 Step(_show(result), f"x = μ + z: {LEMMA_QUADRATIC} gives ½tr(Σ⁻¹Σ) = d/2; {CALCULUS}")]
    else:
        steps = [Step(Shown(r"A(\eta) - DA(\eta)[\eta] - \mathbb{E}[\log h(x)]"),
                      "exponential family: H = A − η·∇A − E[log h], η·∇A the derivative of A along η",
                      facts=(sp.Eq(Shown(r"\log h(x)"), -D * sp.log(2 * sp.pi) / 2),)),
                 Step(_show(result), f"{LEMMA_INVERSE}; {LEMMA_LOGDET}; h = Σ⁻¹μ, Λ = Σ⁻¹; {CALCULUS}")]
    steps.append(Step(_settled(result, entropy_display(), "entropy"),
                      "ln det(cΣ) = d ln c + ln det Σ (equal in normal form)"))
    return _general("entropy", route, "Entropy", ENTROPY_LATEX, steps, entropy_display())


# --- expansion --------------------------------------------------------------------------------------
@cache
def expansion_coefficients(route: str) -> tuple[Poly, ...]:
    """(c₀, …, c₃) of KL(θ‖θ+tΔ), Δ = (a, A), by ``route``."""
    out = []
    if route == "taylor":
        current = kl_poly("definition")
        for n in range(ORDER + 1):
            out.append(_at_same_point(current) * sp.Rational(1, factorial(n)))
            current = derivative(current, {"mu_2": "a", "Sigma_2": "A"})
        return tuple(out)
    if route == "definition":
        return (Poly(()), *(-_expected(f"expansion/definition/c{n}") * sp.Rational(1, factorial(n))
                            for n in range(1, ORDER + 1)))
    raise KeyError(route)


def quadratic_display() -> sp.Expr:
    """½F[Δ,Δ] = ½(aᵀΣ⁻¹a + ½tr((Σ⁻¹A)²))."""
    return fisher_display().xreplace({_v("b"): _v("a"), _m("B"): _m("A")}) * HALF


@cache
def expansion_route(route: str) -> Derivation:
    """KL(θ‖θ+tΔ) = ½F[Δ,Δ]t² + c₃t³ + O(t⁴)."""
    c = expansion_coefficients(route)
    if not (c[0].is_zero() and c[1].is_zero()):
        raise AssertionError("c₀ and c₁ of the expansion are not 0")
    c2 = _settled(c[2], quadratic_display(), "second-order coefficient")
    result = c2 * T**2 + _show(c[3]) * T**3 + sp.Order(T**4)
    how = ("Taylor coefficients Dⁿ/n! of the general KL in its second argument along Δ = (a, A)"
           if route == "taylor" else "c_n = −E[Dⁿ log p[Δ, …, Δ]]/n! from the definition; c₁ = −E[score] = 0")
    steps = [
        Step(Shown(r"\sum_{n} c_n t^n"), how),
        Step(result, f"c₀ = c₁ = 0 and c₂ = ½F[Δ,Δ] (equal in normal form); {LEMMA_INVERSE}; "
             f"{LEMMA_LOGDET}; {CALCULUS}"),
    ]
    return _general("expansion", route, "Second-order expansion", EXPANSION_LATEX, steps, result)


KL_ROUTES = {"definition": kl_definition, "bregman": kl_bregman}
FISHER_ROUTES = {name: (lambda name=name: fisher_route(name)) for name in _FISHER_STEPS}
ENTROPY_ROUTES = {name: (lambda name=name: entropy_route(name)) for name in ("definition", "log_partition")}
EXPANSION_ROUTES = {name: (lambda name=name: expansion_route(name)) for name in ("taylor", "definition")}
ROUTES = {"kl": KL_ROUTES, "fisher": FISHER_ROUTES, "entropy": ENTROPY_ROUTES, "expansion": EXPANSION_ROUTES}
POLYS = {"kl": kl_poly, "fisher": fisher_poly, "entropy": entropy_poly}


def routes_poly(quantity: str, route: str) -> Poly | tuple[Poly, ...]:
    """The derived normal form(s) of ``quantity`` by ``route`` (expansion: its coefficients)."""
    if quantity == "expansion":
        return expansion_coefficients(route)
    return POLYS[quantity](route)


def derive_general(quantity: str, route: str | None = None) -> Derivation:
    """``quantity`` of the general-d Gaussian by ``route`` (default: the first)."""
    from symgeom.errors import UnknownQuantityError

    table = ROUTES.get(quantity)
    if table is None:
        raise UnknownQuantityError(f"unknown quantity {quantity!r}; accepted: {', '.join(ROUTES)}")
    name = route if route is not None else next(iter(table))
    if name not in table:
        raise UnknownQuantityError(f"unknown route {name!r} of {quantity} for the general-d multivariate "
                                   f"Gaussian; accepted: {', '.join(table)}")
    return table[name]()


def derive_for(quantity: str, family: object, route: str | None = None) -> Derivation:
    """The general derivation for a :class:`~symgeom.families.general_gaussian.GeneralGaussian`,
    written in its size symbol."""
    derivation = derive_general(quantity, route)
    size = family.size
    if size == D:
        return derivation
    rename = {D: size}
    steps = tuple(replace(s, expression=s.expression.xreplace(rename),
                          facts=tuple(f.xreplace(rename) for f in s.facts)) for s in derivation.steps)
    return replace(derivation, steps=steps, result=derivation.result.xreplace(rename))


#: Argument order of the numeric functions of a specialized size, per quantity.
def _arguments(quantity: str, family: object) -> tuple:
    if quantity == "kl":
        return family.symbols(1) + family.symbols(2)
    if quantity == "expansion":
        return family.symbols() + family.delta_symbols() + (T,)
    return family.symbols()


def specialize(quantity: str, family: object, route: str | None = None) -> Derivation:
    """``quantity`` of a concrete-d family (``family.general`` a MatrixSpecialization): the
    general-d result with d set, its matrices those of the family's array arguments μ, Σ."""
    general = derive_general(quantity, route)
    size = family.general.size
    result = general.result.xreplace({D: sp.Integer(size)})
    steps = (
        Step(general.result, f"the general-d result (`{general.route}` route, derived once for every d; "
             "see the general family's derivation)"),
        # (not "Σᵢⱼ": the prose printer reads Σ before a subscript as a sum)
        Step(result, f"specialize d = {size}: μ, Σ are this family's mean vector ({size} entries) and "
             f"symmetric {size}×{size} covariance matrix (nothing is expanded)"),
    )
    return Derivation(
        quantity=quantity, route=general.route, family=family,
        title=f"{general.title.split(' of ')[0]} of the {family.title} family (`mean_cov`), "
              "specialized from the general-d result",
        symbol_latex=general.symbol_latex, steps=steps, result=result,
        arguments=_arguments(quantity, family),
    )


__all__ = [
    "ROUTES",
    "derive_for",
    "derive_general",
    "entropy_display",
    "fisher_display",
    "kl_display",
    "routes_poly",
    "specialize",
    "trace",
]
