"""SymPy's ``cancel(together(e))`` and ``factor`` of it, computed in one sparse polynomial ring.

For a rational function of symbols and exponentials e^{Σcᵢθᵢ} (integer cᵢ), e.g. the softmax
entries eᶿ¹/(1 + Σ eᶿʲ), every eᶿᵢ is a ring generator uᵢ.  ``together`` brings the whole
expression over one denominator by gcd_terms on expression trees, and ``cancel``/``factor``
then convert it to polynomials once more: for Categorical(5) in logits that is most of the
derivation time.  Here the expression is read into the fraction field ℤ(θ, u) once (a gcd per
sum or product, on sparse polynomials), and the two results are written out exactly as SymPy
writes them, so every derivation and printed step stays the same:

* ``cancel``: N/D with N, D coprime in ℤ[gens] (contents coprime, leading coefficient of D
  positive in the lex order of SymPy's generator order), printed as 1·(N/D);
* ``factor``: the content and the irreducible factors of N and D (``factor_list``), multiplied
  as SymPy's ``_symbolic_factor`` multiplies them.

Anything else (logarithms, polygamma, fractional powers, floats) is left to SymPy: the
functions return ``None`` and the caller takes the general path.
"""

from __future__ import annotations

from functools import reduce

import sympy as sp
from sympy.core.mul import _keep_coeff
from sympy.polys.domains import ZZ
from sympy.polys.fields import FracElement, field
from sympy.polys.polyutils import _sort_gens
from sympy.polys.rings import PolyElement


class _NotRationalError(Exception):
    """The expression has a part that is not a rational function of symbols and eᶿ."""


def _generators(expr: sp.Expr, found: set[sp.Expr], opaque: str) -> None:
    """Add the ring generators of ``expr`` to ``found`` (symbols, and exp(s) for each symbol s
    in an exponent Σcᵢsᵢ with integer cᵢ; other function applications as generators of their
    own as ``opaque`` says, see :func:`fraction`), or raise _NotRationalError."""
    if expr.is_Rational:
        return
    if expr.is_Symbol and expr.is_commutative:
        found.add(expr)
        return
    if isinstance(expr, sp.Pow):
        if not expr.exp.is_Integer:
            raise _NotRationalError
        _generators(expr.base, found, opaque)
        return
    if isinstance(expr, sp.Add | sp.Mul):
        for arg in expr.args:
            _generators(arg, found, opaque)
        return
    if isinstance(expr, sp.exp):
        found.update(sp.exp(s) for s, _ in _exponent(expr.args[0]))
        return
    if isinstance(expr, sp.Function) and expr.is_commutative and (
            opaque == "any" or (opaque == "unexpanded" and expr.expand() == expr)):
        found.add(expr)
        return
    raise _NotRationalError


def _exponent(argument: sp.Expr) -> list[tuple[sp.Symbol, int]]:
    """[(s, c)] for an exponent Σ c·s with integer c and symbols s, else _NotRationalError."""
    terms = []
    for s, c in argument.as_coefficients_dict().items():
        if not (s.is_Symbol and c.is_Integer):
            raise _NotRationalError
        terms.append((s, int(c)))
    return terms


def _convert(expr: sp.Expr, gens: dict[sp.Expr, FracElement], one: FracElement,
             memo: dict[sp.Expr, FracElement]) -> FracElement:
    known = memo.get(expr)
    if known is not None:
        return known
    if expr.is_Rational:
        value = one * int(expr.p) / int(expr.q)
    elif expr in gens:
        value = gens[expr]
    elif isinstance(expr, sp.exp):
        value = one
        for s, c in _exponent(expr.args[0]):
            value = value * gens[sp.exp(s)] ** c
    elif isinstance(expr, sp.Pow):
        value = _convert(expr.base, gens, one, memo) ** int(expr.exp)
    elif isinstance(expr, sp.Add):
        value = reduce(lambda a, b: a + b, (_convert(a, gens, one, memo) for a in expr.args))
    else:
        value = reduce(lambda a, b: a * b, (_convert(a, gens, one, memo) for a in expr.args))
    memo[expr] = value
    return value


def fraction(expr: sp.Expr, opaque: str = "none") -> FracElement | None:
    """expr in the fraction field ℤ(gens), gens in SymPy's order (polyutils._sort_gens), or None
    when expr is not a rational function of symbols, integer powers of eˢ and the function
    applications ``opaque`` allows as generators of their own: "none"; "unexpanded", those
    that ``expand`` leaves as they are (ψ(α₁ + α₂), not log(1/θ), which SymPy's cancel would
    expand to −log θ first), so that the results below are SymPy's; "any" (a zero test only: a
    numerator that vanishes with log(·), ψ(·), … independent vanishes for every value)."""
    found: set[sp.Expr] = set()
    try:
        _generators(expr, found, opaque)
    except _NotRationalError:
        return None
    gens = _sort_gens(found)
    if not gens:
        return None
    ring_field, *elements = field(gens, ZZ)
    try:
        return _convert(expr, dict(zip(gens, elements)), ring_field.one, {})
    except (_NotRationalError, ZeroDivisionError):
        return None


def is_sympy_form(value: FracElement) -> bool:
    """Whether every generator of ``value`` is one SymPy's cancel keeps as it is (see
    :func:`fraction`), so that :func:`cancelled` is SymPy's result."""
    return all(g.is_Symbol or isinstance(g, sp.exp) or g.expand() == g for g in value.field.symbols)


def cancelled(value: FracElement) -> sp.Expr:
    """``sp.cancel(sp.together(e))`` for e = value: 1·(N/D), N and D coprime, LC(D) > 0."""
    numerator, denominator = value.numer, value.denom
    if denominator.LC < 0:
        numerator, denominator = -numerator, -denominator
    return sp.Integer(1) * (numerator.as_expr() / denominator.as_expr())


def factored(value: FracElement) -> sp.Expr:
    """``sp.factor`` of :func:`cancelled`: content × ∏ irreducible factorᵏ (k < 0 below the line)."""
    numerator, denominator = value.numer, value.denom
    coefficient_n, factors_n = factor_list(numerator)
    coefficient_d, factors_d = factor_list(denominator)
    coefficient = sp.Rational(int(coefficient_n), int(coefficient_d))
    powers: dict[sp.Expr, int] = {}
    for poly, k in factors_n:
        key = poly.as_expr()
        powers[key] = powers.get(key, 0) + k
    for poly, k in factors_d:
        key = poly.as_expr()
        powers[key] = powers.get(key, 0) - k
    return _keep_coeff(coefficient, sp.Mul(*[f**k for f, k in powers.items()]))


def factor_list(poly: PolyElement) -> tuple[int, list[tuple[PolyElement, int]]]:
    """``poly.factor_list()`` over ℤ: (±content, [(irreducible factor with LC > 0, k)]).

    The monomial factor xᵃyᵇ… comes out first; what remains, when it has degree 1 in some
    generator x, is a·x + b, irreducible when gcd(a, b) = 1 (Gauss's lemma: primitive and of
    degree 1 over the UFD ℤ[other generators]).  That is the usual numerator of an expansion
    coefficient, which the general algorithm (Wang's) takes tenths of a second to find
    irreducible.  Anything else goes to ``factor_list``.
    """
    ring = poly.ring
    if not poly or poly.is_ground:
        return poly.factor_list()
    content, primitive = poly.primitive()
    if primitive.LC < 0:
        content, primitive = -content, -primitive
    lowest = [min(monomial[i] for monomial in primitive.itermonoms()) for i in range(ring.ngens)]
    factors = [(ring.gens[i], k) for i, k in enumerate(lowest) if k]
    if factors:
        primitive = primitive.exquo(ring({tuple(lowest): 1}))
    if primitive.is_ground:
        return content * primitive.LC, factors
    x = next((i for i in range(ring.ngens) if primitive.degree(i) == 1), None)
    if x is not None:
        # b ≠ 0: a factor x would have come out with the monomial
        a = ring({(*m[:x], 0, *m[x + 1:]): c for m, c in primitive.iterterms() if m[x] == 1})
        b = primitive - a * ring.gens[x]
        if a.gcd(b).is_ground:
            return content, [*factors, (primitive, 1)]
    rest_content, rest = primitive.factor_list()
    return content * rest_content, factors + rest
