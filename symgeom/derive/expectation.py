"""E_θ[f(x)], exact or refused: finite sums; moments of T from the log-partition (E[T] = ∇A);
Gaussian moments (Isserlis) for families that declare them; symbolic sums and integrals;
otherwise an explicit, unevaluated expectation or a NoClosedFormError — never a substituted value."""

from __future__ import annotations

from functools import cache
from itertools import combinations, combinations_with_replacement

import sympy as sp

from symgeom.derive.common import family_context, tidy_logs, tidy_rational, tidy_value
from symgeom.derive.rational import Fraction, RationalContext
from symgeom.derive.simplex import integrate_simplex
from symgeom.errors import SymgeomError
from symgeom.families.base import (
    ExponentialFamilyForm,
    Family,
    FiniteSupport,
    IntegerSupport,
    IntervalSupport,
    Point,
    RealSupport,
    SimplexSupport,
)


class NoClosedFormError(SymgeomError):
    """An expectation symgeom cannot take exactly (it names the expectation and the family)."""


def probability_mass(family: Family, outcome: tuple[int, ...], point: Point = None) -> sp.Expr:
    """p(x|θ) = exp(log p(x|θ)) at one outcome of a finite support."""
    at = dict(zip(family.variables, outcome))
    return sp.exp(sp.expand(family.log_density(point).xreplace(at)))


def written_sum(family: Family, expr: sp.Expr, point: Point = None) -> sp.Expr:
    """Σₓ p(x|θ) expr(x) over a finite support, written out term by term and left unevaluated:
    the step that shows the sum before it is simplified.  Each mass and each value of ``expr``
    is put in lowest terms by exact rewrites (:func:`symgeom.derive.common.tidy_value`)."""
    def tidy(e: sp.Expr) -> sp.Expr:
        return tidy_value(e, family)

    terms = []
    for outcome in family.support.outcomes:
        at = dict(zip(family.variables, outcome))
        value = tidy(sp.sympify(expr).xreplace(at))
        if value == 0:
            continue
        terms.append(sp.Mul(tidy(probability_mass(family, outcome, point)), value, evaluate=False))
    return sp.Add(*terms, evaluate=False) if terms else sp.Integer(0)


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


def has_gaussian_moments(family: Family) -> bool:
    """Whether the family declares x ~ N(μ, Σ) (``Family.moments``): only then Isserlis applies."""
    return family.moments is not None


def expect(
    family: Family, expr: sp.Expr, point: Point = None, tidy: bool = True, explicit: bool = False
) -> sp.Expr:
    """E_{x∼p(·|θ)}[expr(x)] at ``point``, exactly, or refused.

    * finite support: Σₓ p(x|θ) expr(x);
    * a family declaring Gaussian moments: expr must be a polynomial in x; each monomial is
      replaced by its Gaussian moment (Isserlis' theorem), which the catalog checks against the
      density itself (Stein's identity and, for d = 1, direct integration);
    * an exponential family: every term polynomial in the statistics T(x) takes
      E[∏Tᵢ^{aᵢ}] = e^{−A} ∂^a e^{A}(η) (E[T] = ∇A, E[TTᵀ] = ∇²A + ∇A∇Aᵀ, …); the catalog
      proves the density normalizes, so these moments are the density's own;
    * any other term: a symbolic sum or integral over the support when SymPy finds a closed form;
      else ``explicit=True`` keeps the unevaluated Σ/∫ (marked by :func:`has_no_closed_form`) and
      ``explicit=False`` raises :class:`NoClosedFormError` naming the expectation.

    ``tidy=False`` skips cancelling the coefficients (for identities simplified afterwards).
    """
    if isinstance(family.support, FiniteSupport):
        return sp.Add(
            *[
                probability_mass(family, outcome, point)
                * sp.sympify(expr).xreplace(dict(zip(family.variables, outcome)))
                for outcome in family.support.outcomes
            ]
        )
    if has_gaussian_moments(family) and sp.sympify(expr).is_polynomial(*family.variables):
        return expect_polynomial(family, as_polynomial(family, expr, tidy), point)
    return _expect_by_statistics(family, expr, point, tidy, explicit)


# --- exponential families and direct sums / integrals ----------------------------------------
def _x_parts(family: Family, expr: sp.Expr) -> dict[sp.Expr, sp.Expr]:
    """expr = Σ c(θ)·g(x) as {g(x): c(θ)} (g = 1 for the x-free part)."""
    expanded = sp.expand(sp.expand_log(sp.sympify(expr)))
    parts: dict[sp.Expr, sp.Expr] = {}
    for term in sp.Add.make_args(expanded):
        coefficient, x_part = term.as_independent(*family.variables, as_Add=False)
        parts[x_part] = parts.get(x_part, sp.Integer(0)) + coefficient
    return {g: c for g, c in parts.items() if c != 0}


#: Products of statistics up to this degree are recognized (the cubic term of the expansion
#: needs E[(sᵀΔ)³], the score being affine in T).
STATISTIC_DEGREE = 4
#: a finite sum over more outcomes than this is not evaluated symbolically (it stays an explicit Σ),
#: nor a sum whose Γ/binomial arguments are shifted by more (see :func:`_long_products`).  SymPy
#: writes such a sum out term by term: Σₓ C(n, x)pˣ(1−p)ⁿ⁻ˣ log C(n, x) has ⌈n/2⌉ distinct
#: logarithms, and reading it into one polynomial ring (a gcd per term in p and those logarithms)
#: and factoring it took 8 s at n = 20, 83 s at n = 30 and over 10 min at n = 60 (a 65 000-character
#: closed form nobody can read); at n ≤ 16 it takes a few seconds.  A size rule, not a clock.
EXPAND_TERMS = 16


@cache
def _statistic_table(form: ExponentialFamilyForm, variables: tuple[sp.Symbol, ...]
                     ) -> dict[sp.Expr, tuple[tuple[int, ...], sp.Expr]]:
    """{x-part of ∏Tᵢ^{aᵢ}: (a, constant c)} for the products that expand to c·(one x-part)."""
    statistics = form.statistics
    m = len(statistics)
    table: dict[sp.Expr, tuple[tuple[int, ...], sp.Expr]] = {}
    for degree in range(1, STATISTIC_DEGREE + 1):
        for combo in combinations_with_replacement(range(m), degree):
            powers = tuple(combo.count(i) for i in range(m))
            product = sp.expand(sp.expand_log(sp.Mul(*[statistics[i] for i in combo])))
            terms = sp.Add.make_args(product)
            if len(terms) != 1:
                continue
            constant, x_part = terms[0].as_independent(*variables, as_Add=False)
            table.setdefault(x_part, (powers, constant))
    return table


@cache
def _moment_in_eta(form: ExponentialFamilyForm, powers: tuple[int, ...]) -> sp.Expr:
    """E[∏Tᵢ^{aᵢ}] as a function of η: e^{−A}∂^a e^{A}, by Pₐ₊ₑᵢ = ∂ᵢA·Pₐ + ∂ᵢPₐ, P₀ = 1."""
    if not any(powers):
        return sp.Integer(1)
    i = next(j for j, a in enumerate(powers) if a)
    lower = tuple(a - (j == i) for j, a in enumerate(powers))
    previous = _moment_in_eta(form, lower)
    eta = form.natural_symbols[i]
    return sp.expand(sp.diff(form.log_partition, eta) * previous + sp.diff(previous, eta))


@cache
def statistic_moment(family: Family, powers: tuple[int, ...], point: Point = None) -> sp.Expr:
    """E_θ[∏ Tᵢ(x)^{aᵢ}] = e^{−A(η)} ∂^a e^{A(η)} at η = η(θ) (the moment generating function
    of T is e^{A(η+s) − A(η)})."""
    form = family.exponential_form
    value = _moment_in_eta(form, powers)
    # log(p/(1−p)) at p = eᶿ/(1+eᶿ) is θ once its argument is cancelled.
    natural = [tidy_logs(n) for n in family.natural_at(point)]
    return tidy_rational(value.xreplace(dict(zip(form.natural_symbols, natural))), family)


def density(family: Family, point: Point = None) -> sp.Expr:
    """p(x|θ) with exp(c·log a) written a^c, the form SymPy's summation recognizes; written in
    the reference chart's parameters at θ_ref(θ), whose densities SymPy sums most readily."""
    factors = []
    # log Γ(z) = log(Γ(z)) for z > 0 (every Γ argument of a density), so e^{−log Γ(α)} = 1/Γ(α).
    log_p = family.log_density_reference.replace(
        lambda e: isinstance(e, sp.loggamma) and e.args[0].is_positive,
        lambda e: sp.log(sp.gamma(e.args[0])),
    )
    for term in sp.Add.make_args(sp.expand(sp.expand_log(log_p))):
        coefficient, logs = term.as_independent(sp.log, as_Add=False)
        if isinstance(logs, sp.log):
            factors.append(logs.args[0] ** coefficient)
        else:
            factors.append(sp.exp(term))
    return sp.Mul(*factors)


def _in_chart(family: Family, expr: sp.Expr, point: Point) -> sp.Expr:
    """An expression in the reference symbols, moved to the active chart at ``point``."""
    return expr.xreplace(family.reference_at(point))


def _limits(family: Family) -> list[tuple[sp.Symbol, sp.Expr, sp.Expr]]:
    support = family.support
    if isinstance(support, (IntegerSupport, IntervalSupport)):
        return [support.limits(family.variables[0])]
    if isinstance(support, RealSupport):
        return [(x, -sp.oo, sp.oo) for x in family.variables]
    if isinstance(support, SimplexSupport):
        xs = family.variables
        # innermost first: x_{k−1} ∈ (0, 1 − Σ_{i<k−1} xᵢ), …, x₁ ∈ (0, 1)
        return [(xs[j], sp.Integer(0), 1 - sp.Add(*xs[:j])) for j in reversed(range(len(xs)))]
    raise NoClosedFormError(f"no expectation rule for the support {support!r} of {family.label}")


def explicit_expectation(family: Family, g: sp.Expr, point: Point = None) -> sp.Expr:
    """The unevaluated Σₓ p(x|θ) g(x) or ∫ g(x) p(x|θ) dx (see :func:`has_no_closed_form`)."""
    body = density(family) * g
    if family.support.measure == "sum":
        return _in_chart(family, sp.Sum(body, *_limits(family)), point)
    return _in_chart(family, sp.Integral(body, *_limits(family)), point)


def has_no_closed_form(expr: sp.Basic) -> bool:
    """Whether ``expr`` keeps an expectation explicit (an unevaluated sum or integral)."""
    return expr.has(sp.Sum, sp.Integral)


def _domain(family: Family) -> sp.Basic:
    """The reference parameters' bounds as SymPy assumptions (lower < θᵢ < upper)."""
    facts = []
    for par in family.reference.parameters:
        symbol = par.symbol()
        if par.lower is not None:
            facts.append(sp.Q.gt(symbol, sp.nsimplify(par.lower)))
        if par.upper is not None:
            facts.append(sp.Q.lt(symbol, sp.nsimplify(par.upper)))
    return sp.And(*facts) if facts else sp.true


def _without_piecewise(family: Family, expr: sp.Expr) -> sp.Expr | None:
    """The value of a sum/integral whose Piecewise branch conditions (SymPy's convergence
    conditions, |1 − p| < 1) are decided by the parameter domain; None when one is not."""
    for piece in expr.atoms(sp.Piecewise):
        for value, condition in piece.args:
            decided = sp.refine(condition, _domain(family))
            if decided is sp.true:
                expr = expr.xreplace({piece: value})
                break
            if decided is not sp.false:
                return None
        else:
            return None
    return expr


# --- integrals over ℝ of densities with kinks |x − c| (Laplace) -------------------------------
def _kinks(body: sp.Expr, x: sp.Symbol) -> list[sp.Expr] | None:
    """The points c where an |a(x)| or sign(a(x)) of body changes branch (a linear in x)."""
    points = []
    for atom in body.atoms(sp.Abs, sp.sign):
        argument = atom.args[0]
        if x not in argument.free_symbols:
            continue
        slope = sp.diff(argument, x)
        if x in slope.free_symbols or not slope.is_number or slope == 0:
            return None
        point = sp.expand(x - argument / slope)
        if point not in points:
            points.append(point)
    return points


def _on_piece(body: sp.Expr, x: sp.Symbol, above: dict[sp.Expr, bool]) -> sp.Expr:
    """body with each |a| and sign(a) resolved on a piece lying above/below each kink."""
    def resolved(atom: sp.Expr) -> sp.Expr:
        argument = atom.args[0]
        if x not in argument.free_symbols:
            return atom
        slope = sp.diff(argument, x)
        point = sp.expand(x - argument / slope)
        sign = (1 if above[point] else -1) * (1 if slope > 0 else -1)
        return sign * argument if isinstance(atom, sp.Abs) else sp.Integer(sign)

    return body.replace(lambda e: isinstance(e, (sp.Abs, sp.sign)), resolved)


def _integrate_ordered(body: sp.Expr, x: sp.Symbol, points: list[sp.Expr]) -> sp.Expr:
    """∫_ℝ body dx for kinks known to be in increasing order, piece by piece."""
    edges = [-sp.oo, *points, sp.oo]
    total = sp.Integer(0)
    for i in range(len(edges) - 1):
        above = {p: j < i for j, p in enumerate(points)}
        piece = _on_piece(body, x, above)
        total += sp.integrate(sp.expand(piece), (x, edges[i], edges[i + 1]), conds="none")
    return total


def _integrate_kinked(body: sp.Expr, x: sp.Symbol) -> sp.Expr | None:
    """∫_ℝ body dx when body's only non-smooth parts are |x − c| and sign(x − c), ≤ 2 kinks.

    Two kinks c₁, c₂ are ordered both ways (c₂ = c₁ ± d with d > 0); when the two results
    agree as functions of d, the integral is that function at d = |c₂ − c₁|, else a Piecewise.
    """
    points = _kinks(body, x)
    if points is None or len(points) > 2:
        return None
    if len(points) < 2:
        return _integrate_ordered(body, x, points)
    first, second = points
    gap = sp.expand(second - first)
    symbol = next((s for s in sorted(gap.free_symbols, key=str)
                   if sp.diff(gap, s).is_number and sp.diff(gap, s) != 0), None)
    if symbol is None:
        return None
    d = sp.Dummy("d", positive=True)
    results = []
    for sign in (1, -1):
        solved = sp.solve(sp.Eq(gap, sign * d), symbol)[0]
        order = [sp.expand(p.xreplace({symbol: solved})) for p in points]
        value = _integrate_ordered(body.xreplace({symbol: solved}), x,
                                   order if sign == 1 else order[::-1])
        results.append(sp.simplify(value))
    above, below = results
    if sp.simplify(above - below) == 0:
        return above.xreplace({d: sp.Abs(gap)})
    return sp.Piecewise((above.xreplace({d: gap}), gap > 0), (below.xreplace({d: -gap}), True))


def _long_products(body: sp.Expr) -> bool:
    """Whether a Γ, log Γ, factorial, binomial or rising/falling factorial of ``body`` has an
    argument x + n with an integer |n| > EXPAND_TERMS (SymPy's summation would expand it into n
    factors: a negative binomial with r = 10⁶ never finished deriving)."""
    kinds = (sp.gamma, sp.loggamma, sp.factorial, sp.binomial, sp.RisingFactorial, sp.FallingFactorial)
    for atom in body.atoms(*kinds):
        for arg in atom.args:
            shift = sp.sympify(arg).as_coeff_Add()[0]
            if shift.is_number and abs(shift) > EXPAND_TERMS:
                return True
    return False


def direct_expectation(family: Family, g: sp.Expr, point: Point = None) -> sp.Expr | None:
    """E[g(x)] by SymPy summation or integration over the support (over the simplex by
    :func:`symgeom.derive.simplex.integrate_simplex`); None without a closed form."""
    support = family.support
    if isinstance(support, IntegerSupport) and support.upper is not None and support.upper > EXPAND_TERMS:
        return None  # SymPy would write out every term (a Binomial(10⁹): no end); the Σ stays explicit
    constant, body = (density(family) * g).as_independent(*family.variables, as_Add=False)
    body = sp.powsimp(body)
    if family.support.measure == "sum" and _long_products(body):
        return None  # Γ(x + 10⁶): SymPy's hypergeometric test expands 10⁶ factors; the Σ stays explicit
    try:
        if family.support.measure == "sum":
            value = sp.summation(body, *_limits(family))
        elif isinstance(family.support, RealSupport) and body.has(sp.Abs, sp.sign):
            value = _integrate_kinked(body, family.variables[0])
            if value is None:
                return None
        elif isinstance(family.support, SimplexSupport):
            # SymPy's Meijer-G integration takes a wrong branch on the simplex at k = 3
            # ((−1)^{α₂+α₃}e^{iπ(α₂+α₃)} for ∫ p = 1), so the simplex has its own exact rule.
            value = integrate_simplex(body, _limits(family))
            if value is None:
                return None
        else:
            value = body
            for limit in _limits(family):
                # Meijer-G first: seconds where the default heuristics take tens (Beta).
                inner = sp.integrate(value, limit, conds="none", meijerg=True)
                if inner.has(sp.Integral):
                    inner = sp.integrate(value, limit, conds="none")
                value = inner
    except (NotImplementedError, ValueError, TypeError):
        return None
    if value.has(sp.hyper):
        # ∫₀¹ x^{a−1}(1−x)^{b−1} dx comes back as Γ(a)·₂F₁(a, 1−b; a+1; 1)/Γ(a+1).
        value = sp.gammasimp(sp.hyperexpand(value))
    value = constant * value
    if value.has(sp.Piecewise):
        value = _without_piecewise(family, value)
    if value is None or has_no_closed_form(value):
        return None
    return tidy_rational(_in_chart(family, value, point), family)


def _has_denominator(expr: sp.Expr) -> bool:
    """Whether expr has a reciprocal factor worth cancelling (polynomial coefficients are not)."""
    return any(p.exp.is_negative for p in expr.atoms(sp.Pow))


def _expect_by_statistics(
    family: Family, expr: sp.Expr, point: Point, tidy: bool, explicit: bool
) -> sp.Expr:
    form = family.exponential_form
    table = _statistic_table(form, family.variables) if form is not None else {}
    total = sp.Integer(0)
    for g, coefficient in _x_parts(family, expr).items():
        if tidy and _has_denominator(coefficient):
            coefficient = tidy_rational(coefficient, family)
        if g == 1:
            total += coefficient
            continue
        if g in table:
            powers, constant = table[g]
            total += coefficient * statistic_moment(family, powers, point) / constant
            continue
        value = direct_expectation(family, g, point)
        if value is None:
            if not explicit:
                raise NoClosedFormError(
                    f"E[{g}] under {family.label} has no closed form symgeom can derive: it is "
                    "not a polynomial in the sufficient statistics, and SymPy finds no closed "
                    "form for the sum/integral over the support"
                )
            value = explicit_expectation(family, g, point)
        total += coefficient * value
    if tidy and not has_no_closed_form(total):
        return sp.expand(total)
    return total


def expectation_note(family: Family) -> str:
    """How :func:`expect` takes expectations for this family (for derivation steps)."""
    if isinstance(family.support, FiniteSupport):
        return "exact sum over the support"
    if has_gaussian_moments(family):
        return "take expectations term by term with the moments of p(x|θ)"
    if family.exponential_form is not None:
        return ("take expectations with the moments of T from the log-partition: "
                "E[T] = ∇A(η), E[TTᵀ] = ∇²A(η) + ∇A∇Aᵀ, …; other terms by exact sum/integral")
    return "take expectations by exact summation/integration over the support"


def moment_facts(family: Family, expr: sp.Expr, point: Point = None) -> list[sp.Eq]:
    """The moments E[xᵅ] (Gaussian) or E[∏Tᵢ^{aᵢ}] (exponential family) an expectation of
    ``expr`` uses, as equations to show in a derivation."""
    if isinstance(family.support, FiniteSupport):
        return []
    if not has_gaussian_moments(family):
        return _statistic_facts(family, expr, point)
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


def _statistic_facts(family: Family, expr: sp.Expr, point: Point) -> list[sp.Eq]:
    form = family.exponential_form
    if form is None:
        return []
    table = _statistic_table(form, family.variables)
    used = sorted({table[g][0] for g in _x_parts(family, expr) if g in table},
                  key=lambda p: (sum(p), p))
    facts = []
    for powers in used:
        monomial = sp.Mul(*[t**a for t, a in zip(form.statistics, powers)])
        facts.append(sp.Eq(sp.Function("E")(monomial), statistic_moment(family, powers, point),
                           evaluate=False))
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
    rational = None  # the terms whose moment has a denominator (σ² = −1/(2η₂) in natural coordinates)
    for powers in sorted(grouped):
        moment = _moment_fraction(context, mean, cov, powers)
        if not moment.denominator:
            total += context.ring.from_dict(grouped[powers]) * moment.numerator
            continue
        term = Fraction(context, context.ring.from_dict(grouped[powers]), ()) * moment
        rational = term if rational is None else rational + term
    if rational is None:
        return Fraction(context, total, f.denominator)
    return (Fraction(context, total, ()) + rational) * Fraction(context, context.ring.one, f.denominator)


def _moment_fraction(context: RationalContext, mean: tuple, cov: tuple, powers: tuple[int, ...]) -> Fraction:
    """E[xᵖ] (or E[zᵖ]) as a Fraction: a polynomial in the moments, whose own denominators (the
    moments of a chart such as η, where σ² = −1/(2η₂)) are kept."""
    key = ("moment", mean, cov, powers)
    known = context.memo.get(key)
    if known is None:
        known = context.memo[key] = context.convert(gaussian_moment(mean, cov, powers))
    return known
