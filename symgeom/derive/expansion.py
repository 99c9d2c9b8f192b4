"""The second-order theorem: KL(θ‖θ+tΔ) = ½ΔᵀFΔ t² + c₃t³ + O(t⁴), c₃ = (3∇F[Δ,Δ,Δ] − T[Δ,Δ,Δ])/12."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations_with_replacement, permutations

import sympy as sp
from sympy.polys.domains import ZZ

from symgeom.cache import cached
from symgeom.derivation import Derivation, Step
from symgeom.derive.common import family_context, is_large, smooth_in_parameters, tidy_rational
from symgeom.derive.expectation import (
    _moment_fraction,
    as_polynomial,
    centered_scores,
    expect,
    expect_fraction,
    expect_polynomial,
    has_gaussian_moments,
    moment_table,
    multiply,
)
from symgeom.derive.fisher import fisher_score_covariance, score
from symgeom.derive.kl import kl_definition
from symgeom.derive.notation import Remainder, T, Tex
from symgeom.derive.rational import Fraction
from symgeom.derive.registry import register
from symgeom.derive.series import taylor, taylor_by_fractions
from symgeom.families.base import Family, FiniteSupport

ORDER = 3


@dataclass(frozen=True)
class ExpansionTerms:
    """Taylor coefficients cₙ of t ↦ KL(θ‖θ+tΔ) at t = 0 and the closed forms they should equal.

    ``quadratic_form`` = ½ΔᵀF(θ)Δ; ``cubic_form`` = (3·Σ ΔᵢΔⱼΔₖ ∂ₖFᵢⱼ − E[(sᵀΔ)³])/12, where
    E[(sᵀΔ)³] contracts the skewness tensor Tᵢⱼₖ = E[sᵢsⱼsₖ] (Amari–Chentsov) with Δ three times.
    """

    coefficients: tuple[sp.Expr, ...]
    quadratic_form: sp.Expr
    cubic_form: sp.Expr
    skewness: sp.Expr
    fisher_derivative: sp.Expr


@cached("expansion-terms")
def expansion_terms(family: Family) -> ExpansionTerms:
    theta, delta = family.symbols(), family.delta_symbols()
    kl = kl_definition(family).result
    along = {
        **dict(zip(family.symbols(1), theta)),
        **{s2: s + T * d for s2, s, d in zip(family.symbols(2), theta, delta)},
    }
    if is_large(family):
        coefficients = [tidy_rational(c, family) for c in taylor_by_fractions(kl.xreplace(along), T, ORDER)]
    else:
        coefficients = [tidy_rational(c, family) for c in taylor(kl.xreplace(along), T, ORDER)]
    fisher = fisher_score_covariance(family).result
    d = sp.Matrix(delta)
    quadratic = tidy_rational((d.T * fisher * d)[0, 0] / 2, family)
    if is_large(family):
        skewness, directional = _cubic_parts_by_fractions(family, quadratic)
        cubic = (directional * skewness.context.constant(3) - skewness) * skewness.context.constant(
            sp.Rational(1, 12))
        return ExpansionTerms(tuple(coefficients), quadratic, cubic.as_expr(), skewness.as_expr(),
                              directional.as_expr())
    directional = sp.Add(*[di * sp.diff(2 * quadratic, t) for di, t in zip(delta, theta)])
    scores = score(family)
    if not has_gaussian_moments(family):
        scores = [tidy_rational(si, family) for si in scores]
    s_delta = sp.Add(*[si * di for si, di in zip(scores, delta)])
    if isinstance(family.support, FiniteSupport) or not has_gaussian_moments(family):
        skewness = expect(family, s_delta**3)
    else:
        linear = as_polynomial(family, s_delta)
        skewness = expect_polynomial(family, multiply(multiply(linear, linear), linear))
    skewness = tidy_rational(skewness, family)
    directional = tidy_rational(directional, family)
    cubic = tidy_rational((3 * directional - skewness) / 12, family)
    return ExpansionTerms(tuple(coefficients), quadratic, cubic, skewness, directional)


def _cubic_parts_by_fractions(family: Family, quadratic: sp.Expr) -> tuple[Fraction, Fraction]:
    """(E[(sᵀΔ)³], ∇F[Δ,Δ,Δ]) by factor-base arithmetic (large families, see common.is_large).

    E[(sᵀΔ)³] = Σ_{i≤j≤k} m_{ijk} ΔᵢΔⱼΔₖ E[sᵢsⱼsₖ] (m: the number of orderings), which keeps
    every product a polynomial in θ and x only; cubing sᵀΔ would multiply out Δ as well.
    A product whose every term has odd degree in z = x − E[x] has expectation 0 (odd central
    Gaussian moments vanish), so it is not formed: with sᵢ of one parity each in z, E[sᵢsⱼsₖ] = 0
    when the parities add up to an odd number.  The products and their expectations are taken
    with integer coefficients (see :func:`_integral_moment`), four times faster than over ℚ.
    """
    theta, delta = family.symbols(), family.delta_symbols()
    scores, z = centered_scores(family)
    out = family_context(family, theta + delta)
    n = len(theta)
    parity = [_z_parity(s, z) for s in scores]
    skewness = out.constant(0)
    integral = _IntegralScores(family, scores, z)
    pairs = {}
    for i, j, k in combinations_with_replacement(range(n), 3):
        if None not in (parity[i], parity[j], parity[k]) and (parity[i] + parity[j] + parity[k]) % 2:
            continue
        moment = integral.moment(i, j, k) if integral.usable else None
        if moment is None:
            if (i, j) not in pairs:
                pairs[i, j] = scores[i] * scores[j]
            moment = expect_fraction(family, pairs[i, j] * scores[k], centered=z)
        orderings = len(set(permutations((i, j, k))))
        weight = out.convert(orderings * delta[i] * delta[j] * delta[k])
        skewness = skewness + weight * moment.lowest_terms().moved_to(out)
    twice = out.convert(2 * quadratic)
    directional = out.constant(0)
    for di, t in zip(delta, theta):
        directional = directional + out.convert(di) * twice.diff(t)
    return skewness, directional


class _IntegralScores:
    """E[sᵢsⱼsₖ] for centred scores sᵢ = Pᵢ/(cᵢ Dᵢ) with Pᵢ of integer coefficients, cᵢ an integer
    and Dᵢ the factored denominator: E[PᵢPⱼPₖ]/(cᵢcⱼcₖ DᵢDⱼDₖ), the products and the moments
    E[z^a] (polynomials in Σ with integer coefficients) multiplied in ℤ[θ, z].  The same
    fraction as expect_fraction(sᵢsⱼsₖ); ``usable`` is False (and the caller takes that route)
    when some moment is not an integer polynomial, as in a chart where Σ has a denominator."""

    def __init__(self, family: Family, scores: list[Fraction], z: tuple[sp.Symbol, ...]) -> None:
        self.context = context = scores[0].context
        self.scores = scores
        self.ring = context.ring.clone(domain=ZZ)
        self.where = [context.ring.gens.index(context.generators[v]) for v in z]
        self.scales, self.polynomials = [], []
        for s in scores:
            scale, polynomial = s.numerator.clear_denoms()
            self.scales.append(scale)
            self.polynomials.append(polynomial.set_ring(self.ring))
        _, cov = moment_table(family)
        self.mean = tuple(sp.Integer(0) for _ in z)
        self.cov = cov
        self.moments: dict[tuple[int, ...], object] = {}
        self.pairs: dict[tuple[int, int], object] = {}
        self.usable = all(s.context is context for s in scores) and not any(
            context.factors[f].degree(context.generators[v]) > 0
            for s in scores for f, _ in s.denominator for v in z)

    def _moment(self, powers: tuple[int, ...]):
        known = self.moments.get(powers)
        if known is None:
            fraction = _moment_fraction(self.context, self.mean, self.cov, powers)
            integral = not fraction.denominator and all(
                c.denominator == 1 for c in fraction.numerator.values())
            known = self.moments[powers] = fraction.numerator.set_ring(self.ring) if integral else False
        return known

    def moment(self, i: int, j: int, k: int) -> Fraction | None:
        if (i, j) not in self.pairs:
            self.pairs[i, j] = self.polynomials[i] * self.polynomials[j]
        product = self.pairs[i, j] * self.polynomials[k]
        grouped: dict[tuple[int, ...], dict[tuple[int, ...], object]] = {}
        for monomial, coefficient in product.items():
            powers = tuple(monomial[w] for w in self.where)
            rest = list(monomial)
            for w in self.where:
                rest[w] = 0
            grouped.setdefault(powers, {})[tuple(rest)] = coefficient
        total = self.ring.zero
        for powers in sorted(grouped):
            moment = self._moment(powers)
            if moment is False:
                self.usable = False
                return None
            if moment:
                total += self.ring.from_dict(grouped[powers]) * moment
        scale = self.scales[i] * self.scales[j] * self.scales[k]
        numerator = total.set_ring(self.context.ring).quo_ground(scale)
        one = self.context.ring.one
        denominator = (Fraction(self.context, one, self.scores[i].denominator)
                       * Fraction(self.context, one, self.scores[j].denominator)
                       * Fraction(self.context, one, self.scores[k].denominator)).denominator
        return Fraction(self.context, numerator, denominator)


def _z_parity(fraction: Fraction, z: tuple[sp.Symbol, ...]) -> int | None:
    """The common parity of the total z-degree of every term of the numerator, or None if mixed."""
    gens = fraction.context.generators
    where = [fraction.context.ring.gens.index(gens[v]) for v in z]
    found = {sum(monomial[i] for i in where) % 2 for monomial in fraction.numerator}
    return found.pop() if len(found) == 1 else None


@register("expansion", "taylor", applies=smooth_in_parameters,
          reason="KL(θ‖θ+tΔ) contains |t| (log p has |·| of the parameters): it is not a power "
                 "series in t beyond second order")
@cached("expansion")
def expansion(family: Family) -> Derivation:
    """KL(θ‖θ+tΔ) = Σₙ cₙ tⁿ + O(t⁴), cₙ = (1/n!) dⁿ/dtⁿ KL(θ‖θ+tΔ) at t = 0; ``result`` is the
    polynomial Σₙ₌₀³ cₙ tⁿ (the remainder is shown in the steps)."""
    terms = expansion_terms(family)
    c = terms.coefficients
    series = sp.Add(*[c[n] * T**n for n in range(ORDER + 1)])
    remainder = Remainder(T ** (ORDER + 1))
    delta = sp.Matrix(family.delta_symbols())
    steps = [
        Step(Tex(r"\sum_{n} \frac{t^{n}}{n!} \frac{d^{n}}{dt^{n}}"
                 r" D_{\mathrm{KL}}\left(p_{\theta} \,\|\, p_{\theta + t\Delta}\right)\Big|_{t=0}"),
             "Taylor series in t of the KL divergence along the line θ + tΔ"),
        Step(sp.Add(*[c[n] * T**n for n in range(ORDER + 1) if c[n] != 0], remainder, evaluate=False),
             "expand the closed-form KL at θ₂ = θ + tΔ in powers of t (exact series arithmetic)",
             facts=(sp.Eq(Tex(r"\Delta"), delta, evaluate=False),)),
        Step(sp.Add(terms.quadratic_form * T**2, terms.cubic_form * T**3, remainder, evaluate=False),
             "c₀ = 0 and c₁ = 0 (minimum at Δ = 0); c₂ = ½ΔᵀFΔ; c₃ = (3∇F[Δ,Δ,Δ] − T[Δ,Δ,Δ])/12",
             facts=(
                 sp.Eq(Tex(r"\frac{1}{2}\Delta^{T} F(\theta) \Delta"), terms.quadratic_form,
                       evaluate=False),
                 sp.Eq(Tex(r"T[\Delta,\Delta,\Delta] = \mathbb{E}[(s^{T}\Delta)^{3}]"),
                       terms.skewness, evaluate=False),
                 sp.Eq(Tex(r"\nabla F[\Delta,\Delta,\Delta]"), terms.fisher_derivative,
                       evaluate=False),
             )),
    ]
    return Derivation(
        quantity="expansion", route="taylor", family=family,
        title=f"Second-order expansion of KL for the {family.title} family (`{family.param}`)",
        symbol_latex=r"D_{\mathrm{KL}}\left(p_{\theta} \,\|\, p_{\theta + t\Delta}\right)",
        steps=tuple(steps), result=series,
        arguments=family.symbols() + family.delta_symbols() + (T,),
    )
