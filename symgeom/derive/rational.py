"""Exact rational-function arithmetic with factored denominators: N/∏fᵢ^kᵢ over ℚ[x].

Why not SymPy's ``cancel``/``together`` or the fraction field ℚ(x): both take a multivariate gcd
at every step, which for the 9-parameter Gaussian costs seconds per operation.  Here every
denominator is a product of powers of irreducible polynomials from one shared *factor base*
(det Σ, σ², p(1 − p), …), so sums need only the least common multiple of known factors, products
only add exponents, and the quotient rule only raises them: no gcd is ever taken.  A fraction is
brought to lowest terms by dividing its numerator exactly by base factors (the base factors are
irreducible, so nothing else can cancel).

:class:`RationalContext` converts SymPy expressions into this form.  Anything that is not a
rational function of the chosen symbols (log(·), exp(·), π, √·, other symbols) becomes an opaque
generator of its own, so a difference that reduces to the zero polynomial is zero for *every*
value of those atoms — a sound proof of an identity.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from functools import lru_cache, reduce

import sympy as sp
from sympy.polys.domains import QQ
from sympy.polys.orderings import lex
from sympy.polys.rings import PolyElement, PolyRing, ring

from symgeom.derive.modular import nonzero_mod_prime


class RationalContext:
    """A polynomial ring ℚ[symbols, atoms] and the factor base of its fractions' denominators."""

    def __init__(self, symbols: tuple[sp.Symbol, ...], atoms: tuple[sp.Expr, ...] = ()) -> None:
        self.symbols = tuple(symbols)
        self.atoms = tuple(atoms)
        self._atom_symbols = tuple(sp.Dummy(f"atom{i}") for i in range(len(atoms)))
        self.ring: PolyRing
        self.ring, *generators = ring(self.symbols + self._atom_symbols, QQ)
        self.generators = dict(zip(self.symbols + self.atoms, generators))
        self.factors: list[PolyElement] = []
        self._factorizations: dict[tuple, tuple[object, dict[int, int]]] = {}
        #: Polynomials a caller derives once per context (e.g. Gaussian moments).
        self.memo: dict[object, PolyElement] = {}
        #: convert(expr) of compound expressions without substitution: a subexpression such as
        #: 1/det Σ recurs in hundreds of terms of one sum and across the identities of a family.
        self._converted: dict[sp.Expr, Fraction] = {}

    @classmethod
    def for_expressions(
        cls, exprs: list[sp.Expr], symbols: tuple[sp.Symbol, ...] | None = None
    ) -> RationalContext:
        """A context in which every one of ``exprs`` is a fraction (non-rational parts as atoms)."""
        exprs = [sp.sympify(e) for e in exprs]
        if symbols is None:
            found = set().union(*[e.free_symbols for e in exprs]) if exprs else set()
            symbols = tuple(sorted(found, key=lambda s: s.name))
        atoms: dict[sp.Expr, None] = {}
        for expr in exprs:
            for atom in _opaque_atoms(expr, set(symbols)):
                atoms.setdefault(atom, None)
        return _shared_context(tuple(symbols), tuple(sorted(atoms, key=sp.default_sort_key)))

    # --- building fractions -------------------------------------------------------------------
    def polynomial(self, poly: PolyElement) -> Fraction:
        return Fraction(self, poly, ())

    def constant(self, value: int | sp.Rational) -> Fraction:
        return Fraction(self, self.ring(QQ.convert(sp.Rational(value))), ())

    def convert(
        self, expr: sp.Expr, values: dict[sp.Symbol, Fraction] | None = None,
        memo: dict[sp.Expr, Fraction] | None = None,
    ) -> Fraction:
        """expr as a Fraction, with ``values`` substituted for some symbols (composition).

        Each compound subexpression is converted once: without ``values`` the context remembers
        it (the result depends on the expression only); with ``values``, once per call, or once
        across the calls that pass the same ``memo`` (always with the same ``values``).
        Raises ValueError for a part that is neither rational nor one of the context's atoms.
        """
        expr = sp.sympify(expr)
        if values:
            if expr in values:
                return values[expr]
            if isinstance(expr, sp.Add | sp.Mul | sp.Pow) and expr.free_symbols & values.keys():
                memo = {} if memo is None else memo
                known = memo.get(expr)
                if known is None:
                    known = memo[expr] = self._convert_compound(expr, values, memo)
                return known
            values = None  # values enter through sums, products and powers only: none here
        if expr in self.generators:
            return self.polynomial(self.generators[expr])
        if expr.is_Rational:
            return self.constant(expr)
        known = self._converted.get(expr)
        if known is None:
            known = self._converted[expr] = self._convert_compound(expr, None, None)
        return known

    def _convert_compound(
        self, expr: sp.Expr, values: dict[sp.Symbol, Fraction] | None,
        memo: dict[sp.Expr, Fraction] | None,
    ) -> Fraction:
        convert = self.convert if not values else (lambda e: self.convert(e, values, memo))
        if isinstance(expr, sp.Add):
            return reduce(lambda a, b: a + b, (convert(a) for a in expr.args))
        if isinstance(expr, sp.Mul):
            # Products are where common factors meet: reduce them there, before sums multiply out.
            return reduce(lambda a, b: a * b, (convert(a) for a in expr.args)).lowest_terms()
        exponent = _exponent_terms(expr)
        if exponent is not None and all(sp.exp(a) in self.generators for _, a in exponent):
            result = self.constant(1)
            for n, a in exponent:
                factor = self.polynomial(self.generators[sp.exp(a)])
                result = result * (factor**n if n >= 0 else factor.inverse() ** (-n))
            return result
        if isinstance(expr, sp.Pow) and expr.exp.is_Integer:
            base = convert(expr.base).lowest_terms()
            power = int(expr.exp)
            return base**power if power >= 0 else base.inverse() ** (-power)
        raise ValueError(f"not a rational function of the context's symbols and atoms: {expr}")

    def derivative(self, symbol: sp.Symbol):
        """P ↦ dP/d``symbol`` on the ring: ∂P/∂x, plus u·∂P/∂u for the atom u = exp(x) if present.

        Raises ValueError when another atom depends on ``symbol`` (log(x), exp(x²), …): treating
        it as a constant would give a wrong derivative without a word.
        """
        x = self.generators.get(symbol)
        exponential = self.generators.get(sp.exp(symbol))
        for atom in self.atoms:
            if atom != sp.exp(symbol) and symbol in atom.free_symbols:
                raise ValueError(f"cannot differentiate the opaque atom {atom} with respect to {symbol}")
        if x is None and exponential is None:
            return lambda poly: self.ring.zero
        if exponential is None:
            return lambda poly: poly.diff(x)
        if x is None:
            return lambda poly: poly.diff(exponential) * exponential
        return lambda poly: poly.diff(x) + poly.diff(exponential) * exponential

    # --- the factor base ----------------------------------------------------------------------
    def factorization(self, poly: PolyElement) -> tuple[object, dict[int, int]]:
        """poly = scale·∏ factors[i]^k as (scale, {i: k}); memoized (1/det Σ recurs thousands of times)."""
        key = tuple(sorted(poly.items()))
        known = self._factorizations.get(key)
        if known is None and _irreducible_by_degree_one(poly):
            known = self._factorizations[key] = (poly.LC, {self.factor_index(poly.monic()): 1})
        if known is None:
            scale, factors = poly.factor_list()
            powers: dict[int, int] = {}
            for factor, k in factors:
                scale *= factor.LC**k
                index = self.factor_index(factor.monic())
                powers[index] = powers.get(index, 0) + k
            known = self._factorizations[key] = (scale, powers)
        return known[0], dict(known[1])

    def factor_index(self, factor: PolyElement) -> int:
        """The index of a monic irreducible factor in the base, added if new."""
        for index, known in enumerate(self.factors):
            if known == factor:
                return index
        self.factors.append(factor)
        return len(self.factors) - 1

    def fraction_expr(self, fraction: Fraction) -> sp.Expr:
        """An unreduced Expr of ``fraction`` (to move it into another context cheaply)."""
        factors = [self.factor_expr(i) ** k for i, k in fraction.denominator]
        return self._to_expr(fraction.numerator) / sp.Mul(*factors)

    def factor_expr(self, index: int) -> sp.Expr:
        return self._to_expr(self.factors[index])

    def _to_expr(self, poly: PolyElement) -> sp.Expr:
        back = {s: a for s, a in zip(self._atom_symbols, self.atoms)}
        expr = poly.as_expr()
        return expr.xreplace(back) if back else expr


@lru_cache(maxsize=64)
def _shared_context(symbols: tuple[sp.Symbol, ...], atoms: tuple[sp.Expr, ...]) -> RationalContext:
    """One context per (symbols, atoms): its factor base and factorizations serve every entry of
    a derivation.  Results do not depend on the order factors joined the base."""
    return RationalContext(symbols, atoms)


def _exponent_terms(expr: sp.Expr) -> list[tuple[int, sp.Symbol]] | None:
    """exp's argument as [(n, a), …] when it is Σ n·a (integers n, symbols a), else None."""
    if not isinstance(expr, sp.exp):
        return None
    terms = []
    for term in sp.Add.make_args(sp.expand(expr.args[0])):
        coefficient, rest = term.as_coeff_Mul()
        if not (isinstance(rest, sp.Symbol) and coefficient.is_Integer):
            return None
        terms.append((int(coefficient), rest))
    return terms


def _opaque_atoms(expr: sp.Expr, symbols: set[sp.Symbol]) -> list[sp.Expr]:
    """The maximal subexpressions of ``expr`` that are not rational in ``symbols``.

    exp(Σ nᵢaᵢ) with integers nᵢ contributes the atoms exp(aᵢ): it is written as ∏ exp(aᵢ)^nᵢ
    (exp is a homomorphism from + to ·), so e^{2a}·e^{−2a} cancels like u²·u⁻².
    """
    if expr in symbols or expr.is_Rational:
        return []
    exponent = _exponent_terms(expr)
    if exponent is not None:
        return [sp.exp(a) for _, a in exponent]
    if isinstance(expr, sp.Add | sp.Mul):
        return [a for arg in expr.args for a in _opaque_atoms(arg, symbols)]
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer:
        return _opaque_atoms(expr.base, symbols)
    return [expr]


Powers = tuple[tuple[int, int], ...]  # ((factor index, exponent > 0), …), sorted by index


@dataclass(frozen=True, eq=False)
class Fraction:
    """numerator / ∏ factors[i]^k over a RationalContext (not necessarily in lowest terms)."""

    context: RationalContext
    numerator: PolyElement
    denominator: Powers

    # --- arithmetic ---------------------------------------------------------------------------
    def _lift(self, powers: dict[int, int]) -> PolyElement:
        """The numerator over ∏ factors^powers (powers ≥ this fraction's own)."""
        mine = dict(self.denominator)
        out = self.numerator
        for index, k in powers.items():
            extra = k - mine.get(index, 0)
            if extra:
                out = out * self.context.factors[index] ** extra
        return out

    def __add__(self, other: Fraction) -> Fraction:
        if not other.numerator:
            return self
        if not self.numerator:
            return other
        powers = dict(self.denominator)
        for index, k in other.denominator:
            powers[index] = max(powers.get(index, 0), k)
        numerator = self._lift(powers) + other._lift(powers)
        return Fraction(self.context, numerator, _sorted(powers))

    def __neg__(self) -> Fraction:
        return Fraction(self.context, -self.numerator, self.denominator)

    def __sub__(self, other: Fraction) -> Fraction:
        return self + (-other)

    def __mul__(self, other: Fraction) -> Fraction:
        powers = dict(self.denominator)
        for index, k in other.denominator:
            powers[index] = powers.get(index, 0) + k
        return Fraction(self.context, self.numerator * other.numerator, _sorted(powers))

    def __pow__(self, n: int) -> Fraction:
        if n == 0:
            return self.context.constant(1)
        result = self
        for _ in range(n - 1):
            result = result * self
        return result

    def __truediv__(self, other: Fraction) -> Fraction:
        return self * other.inverse()

    def inverse(self) -> Fraction:
        """1/self: the numerator is factored into the base (the only place a factorization runs)."""
        if not self.numerator:
            raise ZeroDivisionError("inverse of the zero fraction")
        scale, powers = self.context.factorization(self.numerator)
        numerator = self.context.ring(1)
        for index, k in self.denominator:
            numerator = numerator * self.context.factors[index] ** k
        return Fraction(self.context, numerator.quo_ground(scale), _sorted(powers))

    def diff(self, symbol: sp.Symbol) -> Fraction:
        """∂/∂symbol by the quotient rule: (N'·∏f − N·Σ kᵢfᵢ'·∏_{j≠i} f_j)/∏ f^{k+1}.

        Every polynomial derivative is the total one of :meth:`RationalContext.derivative`
        (the atom u = exp(symbol) has u' = u; other atoms must not depend on ``symbol``).
        """
        derivative = self.context.derivative(symbol)
        factors = self.context.factors
        moving = [(i, k) for i, k in self.denominator if derivative(factors[i])]
        one = self.context.ring(1)
        product = reduce(lambda a, b: a * b, (factors[i] for i, _ in moving), one)
        numerator = derivative(self.numerator) * product
        for i, k in moving:
            others = reduce(lambda a, b: a * b, (factors[j] for j, _ in moving if j != i), one)
            numerator -= self.numerator * derivative(factors[i]) * others * k
        powers = dict(self.denominator)
        for i, _ in moving:
            powers[i] += 1
        return Fraction(self.context, numerator, _sorted(powers))

    # --- normal form --------------------------------------------------------------------------
    def lowest_terms(self) -> Fraction:
        """Divide the numerator by base factors while it is divisible (irreducible factors, so exact)."""
        numerator = self.numerator
        if not numerator:
            return Fraction(self.context, numerator, ())
        powers = []
        for index, k in self.denominator:
            factor = self.context.factors[index]
            while k:
                quotient = _exact_quotient(numerator, factor)
                if quotient is None:
                    break
                numerator, k = quotient, k - 1
            if k:
                powers.append((index, k))
        return Fraction(self.context, numerator, tuple(powers))

    def substituted(self, renaming: dict[sp.Symbol, sp.Symbol]) -> sp.Expr:
        """The fraction with some generators renamed to others (θ′ → θ), as an unreduced Expr.

        Renaming first and reducing afterwards (in the smaller ring) is far cheaper than
        reducing in both sets of symbols.
        """
        gens = self.context.ring.gens
        position = {key: gens.index(g) for key, g in self.context.generators.items()}
        pairs = list(renaming.items()) + [(sp.exp(a), sp.exp(b)) for a, b in renaming.items()]
        moves = []
        for a, b in pairs:
            if a not in position:
                continue
            if b not in position:
                raise ValueError(f"cannot rename {a} to {b}: {b} is not a generator of the context")
            moves.append((position[a], position[b]))

        def renamed(poly: PolyElement) -> sp.Expr:
            # Fold each renamed generator's exponent into its target's: a monomial-wise map.
            out: dict[tuple[int, ...], object] = {}
            for monomial, coefficient in poly.items():
                exponents = list(monomial)
                for source, target in moves:
                    exponents[target] += exponents[source]
                    exponents[source] = 0
                key = tuple(exponents)
                out[key] = out.get(key, 0) + coefficient
            return self.context._to_expr(self.context.ring.from_dict(out))

        factors = [renamed(self.context.factors[i]) ** k for i, k in self.denominator]
        return renamed(self.numerator) / sp.Mul(*factors)

    def moved_to(self, target: RationalContext) -> Fraction:
        """The same fraction in ``target``, whose generators include every generator this one
        uses: monomials re-indexed, no Expr round trip.  A base factor stays irreducible in more
        variables, so it joins ``target``'s base as it is (made monic in ``target``'s order)."""
        source = self.context
        keys = source.symbols + source.atoms
        where = {key: i for i, key in enumerate(target.symbols + target.atoms)}
        mapping = [where.get(key) for key in keys]
        size = len(target.symbols) + len(target.atoms)

        def move(poly: PolyElement) -> PolyElement:
            out = {}
            for monomial, coefficient in poly.items():
                exponents = [0] * size
                for i, e in enumerate(monomial):
                    if e:
                        if mapping[i] is None:
                            raise ValueError(f"{keys[i]} is not a generator of the target context")
                        exponents[mapping[i]] = e
                out[tuple(exponents)] = coefficient
            return target.ring.from_dict(out)

        numerator = move(self.numerator)
        powers: dict[int, int] = {}
        for index, k in self.denominator:
            factor = move(source.factors[index])
            numerator = numerator.quo_ground(factor.LC ** k)
            position = target.factor_index(factor.monic())
            powers[position] = powers.get(position, 0) + k
        return Fraction(target, numerator, _sorted(powers))

    @property
    def is_zero(self) -> bool:
        return not self.numerator

    def as_expr(self) -> sp.Expr:
        """numerator (expanded) / ∏ factor^k, in lowest terms."""
        reduced = self.lowest_terms()
        numerator = self.context._to_expr(reduced.numerator)
        denominator = sp.Mul(*[self.context.factor_expr(i) ** k for i, k in reduced.denominator])
        return numerator / denominator


def _exact_quotient(poly: PolyElement, factor: PolyElement) -> PolyElement | None:
    """poly / factor when factor divides poly, else None.

    The division algorithm, with two savings over ``PolyElement.div``: it stops at the first
    leading term that the leading term of ``factor`` does not divide (while the rest is a multiple
    of ``factor`` its leading term is that of ``factor`` times another, so such a term shows a
    remainder, which need not be computed), and it finds each leading term in a heap instead of
    scanning every term (lex order: the rest's new terms are all smaller than the term just
    removed, because the order is compatible with multiplication).  Exponent vectors are packed
    into one integer each (first generator in the highest field), so that multiplying monomials
    is an addition and lex order the order of integers; each field has a guard bit, so that a
    difference of two packed vectors is one subtraction, negative in some field exactly when that
    field's guard bit is cleared.
    """
    ring = poly.ring
    if ring.order != lex or not ring.domain.is_Field:
        return _exact_quotient_by_scanning(poly, factor)
    if not poly:
        return ring.zero
    n = ring.ngens
    # every exponent met is below the sum of the two total degrees, so below the guard bit
    bound = max(map(sum, poly.keys())) + max(map(sum, factor.keys())) + 1
    width = bound.bit_length() + 1
    guard = sum(1 << (width * (i + 1) - 1) for i in range(n))

    def pack(monomial: tuple[int, ...]) -> int:
        value = 0
        for e in monomial:
            value = (value << width) | e
        return value

    mask = (1 << width) - 1

    def unpack(value: int) -> tuple[int, ...]:
        out = []
        for _ in range(n):
            out.append(value & mask)
            value >>= width
        return tuple(reversed(out))

    head = factor.leading_expv()
    lead = factor[head]
    packed_head = pack(head)
    terms = [(pack(m), c) for m, c in factor.items()]
    rest = {pack(m): c for m, c in poly.items()}
    heap = [-m for m in rest]
    heapq.heapify(heap)
    quotient = {}
    quo = ring.domain.quo
    while heap:
        monomial = -heapq.heappop(heap)
        coefficient = rest.get(monomial)
        if not coefficient:
            continue  # an entry for a term that has since cancelled
        difference = (monomial | guard) - packed_head
        if difference & guard != guard:
            return None
        shift = difference - guard
        c = quo(coefficient, lead)
        quotient[shift] = c
        for m, fc in terms:
            target = m + shift
            value = rest.get(target)
            if value is None:
                rest[target] = -c * fc
                heapq.heappush(heap, -target)
            else:
                value = value - c * fc
                if value:
                    rest[target] = value
                else:
                    del rest[target]
    if not quotient:
        return ring.zero
    return ring.from_dict({unpack(m): c for m, c in quotient.items()})


def _exact_quotient_by_scanning(poly: PolyElement, factor: PolyElement) -> PolyElement | None:
    """:func:`_exact_quotient` for any order and domain, scanning for each leading term."""
    divide = poly._term_div()
    head = factor.leading_expv()
    leading = (head, factor[head])
    quotient = poly.ring.zero
    rest = poly.copy()
    while rest:
        expv = rest.leading_expv()
        term = divide((expv, rest[expv]), leading)
        if term is None:
            return None
        quotient = quotient._iadd_monom(term)
        rest = rest._iadd_poly_monom(factor, (term[0], -term[1]))
    return quotient


def _irreducible_by_degree_one(poly: PolyElement) -> bool:
    """True when poly = a·x + b for a generator x with a, b free of x and gcd(a, b) constant: then
    poly is irreducible (a factor free of x would divide a and b; one of degree 1 in x leaves a
    constant cofactor).  One gcd instead of a factorization (det Σ(θ + tΔ): 10× faster); False
    means "not shown", and the caller factors."""
    ring = poly.ring
    for i in range(ring.ngens):
        if poly.degree(i) != 1:
            continue
        a = ring.from_dict({(*m[:i], 0, *m[i + 1:]): c for m, c in poly.items() if m[i] == 1})
        b = ring.from_dict({m: c for m, c in poly.items() if m[i] == 0})
        return a.gcd(b).is_ground
    return False


def _sorted(powers: dict[int, int]) -> Powers:
    return tuple(sorted((i, k) for i, k in powers.items() if k))


def split_logs(expr: sp.Expr) -> tuple[sp.Expr, list[tuple[sp.Rational, sp.Expr]]]:
    """expr = rational + Σ c·log(g) as (rational, [(c, g), …]) for constant c; ValueError otherwise."""
    rational, logs = [], []
    for term in sp.Add.make_args(expr):
        coefficient, rest = term.as_coeff_Mul()
        if isinstance(rest, sp.log):
            logs.append((coefficient, rest.args[0]))
        elif term.has(sp.log):
            raise ValueError(f"not rational + Σ c·log(g): {term}")
        else:
            rational.append(term)
    return sp.Add(*rational), logs


def is_rational_zero(expr: sp.Expr) -> bool:
    """True if ``expr`` is exactly 0 as a rational function of its symbols and opaque atoms.

    Sound: it only returns True when the numerator is the zero polynomial; False means "not
    shown" (the atoms might still be related, e.g. log(ab) and log a + log b).
    """
    expr = sp.sympify(expr)
    if expr == 0:
        return True
    if nonzero_mod_prime(expr):
        return False  # certainly not 0: no need for the exact arithmetic (see derive.modular)
    context = RationalContext.for_expressions([expr])
    return context.convert(expr).is_zero


def reduce_rational(expr: sp.Expr, symbols: tuple[sp.Symbol, ...] | None = None) -> sp.Expr:
    """expr in lowest terms (expanded numerator over factored denominator), without a gcd."""
    context = RationalContext.for_expressions([expr], symbols)
    return context.convert(expr).as_expr()
