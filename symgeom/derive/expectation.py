"""E_θ[f(x)]: exact sums over finite supports, Gaussian moments for polynomials on ℝᵈ."""

from __future__ import annotations

from functools import cache
from itertools import combinations

import sympy as sp

from symgeom.derive.common import family_context, tidy_rational
from symgeom.derive.rational import Fraction, RationalContext
from symgeom.families.base import Family, FiniteSupport, Point


def probability_mass(family: Family, outcome: tuple[int, ...], point: Point = None) -> sp.Expr:
    """p(x|θ) = exp(log p(x|θ)) at one outcome of a finite support."""
    at = dict(zip(family.variables, outcome))
    return sp.exp(sp.expand(family.log_density(point).xreplace(at)))


def _pairings(indices: tuple[int, ...]) -> list[list[tuple[int, int]]]:
    if not indices:
        return [[]]
    first, rest = indices[0], indices[1:]
    result = []
    for j in range(len(rest)):
        pair = (first, rest[j])
        remaining = rest[:j] + rest[j + 1 :]
        result.extend([[pair, *tail] for tail in _pairings(remaining)])
    return result


@cache
def _central_moment(cov: tuple[tuple[sp.Expr, ...], ...], indices: tuple[int, ...]) -> sp.Expr:
    """E[∏ zᵢ] for z ~ N(0, Σ): Isserlis' theorem, the sum over pairings of ∏ Σ_ab."""
    if len(indices) % 2:
        return sp.Integer(0)
    return sp.Add(*[sp.Mul(*[cov[a][b] for a, b in pairing]) for pairing in _pairings(indices)])


@cache
def gaussian_moment(
    mean: tuple[sp.Expr, ...], cov: tuple[tuple[sp.Expr, ...], ...], powers: tuple[int, ...]
) -> sp.Expr:
    """E[∏ xᵢ^{aᵢ}] for x ~ N(μ, Σ): expand ∏(μᵢ + zᵢ)^{aᵢ} and apply Isserlis to each z-monomial."""
    indices = tuple(i for i, a in enumerate(powers) for _ in range(a))
    total = sp.Integer(0)
    n = len(indices)
    for r in range(n + 1):
        for chosen in combinations(range(n), r):
            z_part = tuple(indices[c] for c in chosen)
            mu_part = sp.Mul(*[mean[indices[c]] for c in range(n) if c not in chosen])
            total += mu_part * _central_moment(cov, z_part)
    return sp.expand(total)


def moment_table(family: Family, point: Point = None) -> tuple[tuple, tuple]:
    """(mean, covariance) of x at ``point``, in the active chart."""
    assert family.moments is not None
    sub = family.reference_at(point)
    mean, cov = family.moments
    return (
        tuple(sp.sympify(m).xreplace(sub) for m in mean),
        tuple(tuple(sp.sympify(c).xreplace(sub) for c in row) for row in cov),
    )


def expect(family: Family, expr: sp.Expr, point: Point = None, tidy: bool = True) -> sp.Expr:
    """E_{x∼p(·|θ)}[expr(x)] at ``point``, exactly.

    Finite support: Σₓ p(x|θ) expr(x).  ℝᵈ: expr must be a polynomial in x; each monomial is
    replaced by its Gaussian moment (Isserlis' theorem), which symgeom's catalog checks against
    the density itself (Stein's identity and, for d = 1, direct integration).  ``tidy=False``
    skips cancelling the coefficients (for identities that are simplified afterwards anyway).
    """
    if isinstance(family.support, FiniteSupport):
        return sp.Add(
            *[
                probability_mass(family, outcome, point)
                * sp.sympify(expr).xreplace(dict(zip(family.variables, outcome)))
                for outcome in family.support.outcomes
            ]
        )
    return expect_polynomial(family, as_polynomial(family, expr, tidy), point)


def moment_facts(family: Family, expr: sp.Expr, point: Point = None) -> list[sp.Eq]:
    """The moments E[xᵅ] an expectation of ``expr`` uses, as equations to show in a derivation."""
    if isinstance(family.support, FiniteSupport):
        return []
    mean, cov = moment_table(family, point)
    poly = as_polynomial(family, expr)
    facts = []
    for powers in sorted({p for p in poly if sum(p) > 0}, key=lambda p: (sum(p), p)):
        monomial = sp.Mul(*[v**a for v, a in zip(family.variables, powers)])
        facts.append(
            sp.Eq(sp.Function("E")(monomial), sp.factor(gaussian_moment(mean, cov, powers)),
                  evaluate=False)
        )
    return facts


Polynomial = dict[tuple[int, ...], sp.Expr]


def as_polynomial(family: Family, expr: sp.Expr, tidy: bool = True) -> Polynomial:
    """expr as {exponents of x: coefficient}, coefficients cancelled rational functions of θ.

    A plain dict rather than sp.Poly: Poly's arithmetic over the EX domain takes minutes on the
    score of a 3-d Gaussian, while cancelling each small coefficient once takes milliseconds.
    """
    variables = family.variables
    terms: dict[tuple[int, ...], list[sp.Expr]] = {}
    for term in sp.Add.make_args(sp.expand(expr)):
        coefficient, monomial = term.as_independent(*variables, as_Add=False)
        powers = monomial.as_powers_dict()
        key = tuple(int(powers.get(v, 0)) for v in variables)
        terms.setdefault(key, []).append(coefficient)
    result = {
        key: tidy_rational(sp.Add(*parts), family) if tidy else sp.together(sp.Add(*parts))
        for key, parts in terms.items()
    }
    return {key: c for key, c in result.items() if c != 0}


def multiply(a: Polynomial, b: Polynomial) -> Polynomial:
    """The product of two polynomials in x (coefficients multiplied, not simplified)."""
    product: dict[tuple[int, ...], sp.Expr] = {}
    for ka, ca in a.items():
        for kb, cb in b.items():
            key = tuple(i + j for i, j in zip(ka, kb))
            product[key] = product.get(key, sp.Integer(0)) + ca * cb
    return product


def expect_polynomial(family: Family, poly: Polynomial, point: Point = None) -> sp.Expr:
    """E[poly(x)] on ℝᵈ from the Gaussian moments."""
    mean, cov = moment_table(family, point)
    return sp.Add(*[coeff * gaussian_moment(mean, cov, powers) for powers, coeff in poly.items()])


# --- factor-base arithmetic for large families (see derive.common.is_large) ------------------
def fraction_context(family: Family) -> RationalContext:
    """ℚ[θ, x] with its factor base: scores and their products live here for large families."""
    return family_context(family, family.symbols() + family.variables)


def as_fraction(family: Family, expr: sp.Expr) -> Fraction:
    """A rational function of θ and x (a score, a Hessian entry) in the family's fraction context."""
    return fraction_context(family).convert(expr)


def centered_scores(family: Family) -> tuple[list[Fraction], tuple[sp.Symbol, ...]]:
    """The scores ∂log p/∂θᵢ as fractions in θ and z = x − E[x] (a Gaussian family).

    Centring before multiplying keeps the products small: in z the score of Σ is
    ½(Σ⁻¹zzᵀΣ⁻¹ − Σ⁻¹), free of μ, where in x every power of x − μ multiplies out.
    """
    mean, _ = moment_table(family)
    z = tuple(sp.Symbol(f"z{i}", real=True) for i in range(1, len(family.variables) + 1))
    shift = {x: m + zi for x, m, zi in zip(family.variables, mean, z)}
    context = family_context(family, family.symbols() + z)
    log_p = family.log_density()
    return [context.convert(sp.diff(log_p, t).xreplace(shift)) for t in family.symbols()], z


def expect_fraction(
    family: Family, f: Fraction, point: Point = None, centered: tuple[sp.Symbol, ...] | None = None
) -> Fraction:
    """E[f(x)] for f polynomial in x over an x-free denominator, from the Gaussian moments;
    with ``centered`` (the z of :func:`centered_scores`), f is a polynomial in z = x − E[x]."""
    context = f.context
    variables = centered or family.variables
    position = {g: i for i, g in enumerate(context.ring.symbols)}
    where = [position[x] for x in variables]
    if any(context.factors[i].degree(context.generators[x]) > 0
           for i, _ in f.denominator for x in variables):
        raise ValueError("expect_fraction needs a denominator free of x")
    mean, cov = moment_table(family, point)
    if centered:
        mean = tuple(sp.Integer(0) for _ in mean)
    # Group the terms by their power of x first: one product with each moment, not one per term.
    grouped: dict[tuple[int, ...], dict[tuple[int, ...], object]] = {}
    for monomial, coefficient in f.numerator.items():
        powers = tuple(monomial[i] for i in where)
        rest = list(monomial)
        for i in where:
            rest[i] = 0
        grouped.setdefault(powers, {})[tuple(rest)] = coefficient
    total = context.ring.zero
    for powers in sorted(grouped):
        moment = _moment_polynomial(context, mean, cov, powers)
        total += context.ring.from_dict(grouped[powers]) * moment
    return Fraction(context, total, f.denominator)


def _moment_polynomial(context: RationalContext, mean: tuple, cov: tuple, powers: tuple[int, ...]):
    key = ("moment", mean, cov, powers)
    known = context.memo.get(key)
    if known is None:
        known = context.memo[key] = context.convert(gaussian_moment(mean, cov, powers)).numerator
    return known
