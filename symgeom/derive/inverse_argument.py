"""Rational functions of a symmetric matrix Σ rewritten as polynomials in P = Σ⁻¹, by linear algebra.

An entry R(Σ) = N(Σ)/(det Σ)^k · 1/c (c free of Σ) is a polynomial Q in P = Σ⁻¹ exactly when the
identity Q(adj Σ / det Σ) = R(Σ) holds.  Each part N_m of N that is homogeneous of degree m in Σ's
entries gives a part Q_m = N_m(adj P)·(det P)^{k−m} of Q, homogeneous of degree D = d·k − m in P's
entries (d the order of Σ), so Q_m = Σ_α c_α P^α over the monomials α of degree D, and

    Σ_α c_α (adj Σ)^α · (det Σ)^{max(k−D, 0)} = N_m · (det Σ)^{max(D−k, 0)}

is a *linear* system for the rational numbers c_α, over the monomials of Σ.  The basis polynomials
(adj Σ)^α (det Σ)^s are brought to echelon form once per (D, s) and each N_m is reduced against
them, leading monomial by leading monomial: it reduces to zero exactly when the identity holds,
and then the reduction has found the c_α.  Nothing is evaluated, guessed or assumed: a part that
does not reduce to zero has no polynomial form and the entry is refused (None).

Why not substitute Σ = adj P / det P into N and divide out det P (the route this replaces): for
the covariance block of a d = 4 Gaussian Fisher, N(adj P) has degree 18 in 10 variables (32 in 15
at d = 5) before it collapses to degree 2; the linear system never leaves degree 2(d − 1) in Σ.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations_with_replacement

import sympy as sp
from sympy.polys.rings import PolyElement

from symgeom.cache import cached
from symgeom.derive.rational import Fraction, RationalContext

#: Most monomials α one part may need (C(n + D − 1, D) for n entries of Σ): 120 for the degree-2
#: covariance block at d = 5; a part past it is refused rather than left to run for minutes.
MAX_BASIS = 2000


def upper_pairs(d: int) -> list[tuple[int, int]]:
    """(i, j), i ≤ j, row by row: the order of a positive-definite argument's scalar entries."""
    return list(combinations_with_replacement(range(d), 2))


@cached("precision")
def inverse_matrix(
    result: sp.ImmutableMatrix, symbols: tuple[sp.Symbol, ...], blocks: tuple[tuple[int, int], ...]
) -> sp.ImmutableMatrix | None:
    """:func:`in_inverse` of a matrix's entries, as a matrix; memoized in memory and on disk
    (the d = 5 Gaussian Fisher is printed for NumPy, torch and JAX from one reduction)."""
    entries = in_inverse(list(result), symbols, blocks)
    return None if entries is None else sp.ImmutableMatrix(result.rows, result.cols, entries)


def in_inverse(
    entries: Sequence[sp.Expr], symbols: Sequence[sp.Symbol], blocks: Sequence[tuple[int, int]]
) -> list[sp.Expr] | None:
    """``entries`` with every Σ (the upper triangle ``symbols[offset:offset + d(d+1)/2]`` of each
    (offset, d) in ``blocks``) replaced by P⁻¹ and reduced to polynomials in P, whose entries are
    written with the names of Σ's; None when some entry is not such a polynomial."""
    symbols = tuple(symbols)
    exprs = [sp.sympify(e) for e in entries]
    try:
        context = RationalContext.for_expressions(exprs, symbols)
    except ValueError:
        return None
    matrices = [_Block(context, symbols[offset : offset + len(upper_pairs(d))], d) for offset, d in blocks]
    inside = {g for m in matrices for g in m.positions}
    if any(atom.free_symbols & {s for m in matrices for s in m.symbols} for atom in context.atoms):
        return None  # log det Σ, say: not rational in Σ
    solvers: dict[tuple, _Echelon] = {}
    out = []
    for expr in exprs:
        try:
            fraction = context.convert(expr)
        except ValueError:
            return None
        value = _entry(context, fraction, matrices, inside, solvers)
        if value is None:
            return None
        out.append(value)
    return out


class _Block:
    """One symmetric matrix argument: its generators in the ring, adj Σ and det Σ as polynomials."""

    def __init__(self, context: RationalContext, symbols: tuple[sp.Symbol, ...], d: int) -> None:
        pairs = upper_pairs(d)
        self.d, self.symbols = d, symbols
        names = dict(zip(pairs, symbols, strict=True))
        matrix = sp.Matrix(d, d, lambda i, j: names[(min(i, j), max(i, j))])
        ring_position = {g: i for i, g in enumerate(context.ring.gens)}
        self.positions = [ring_position[context.generators[s]] for s in symbols]
        self.det = context.convert(matrix.det(method="berkowitz").expand()).numerator
        adjugate = matrix.adjugate(method="berkowitz")
        self.adjugate = [context.convert(sp.expand(adjugate[i, j])).numerator for i, j in pairs]
        self.det_monic = self.det.monic()


class _Echelon:
    """The polynomials (adj Σ)^α (det Σ)^s of every α of the given degrees, in echelon form by
    leading monomial, each row with its combination of the α."""

    def __init__(self, blocks: list[_Block], degrees: tuple[int, ...], shifts: tuple[int, ...]) -> None:
        ring = blocks[0].det.ring
        self.monomials: list[tuple[tuple[int, ...], ...]] = [()]
        scale = ring.one
        for block, degree, shift in zip(blocks, degrees, shifts, strict=True):
            n = len(block.positions)
            powers = [tuple(c.count(i) for i in range(n))
                      for c in combinations_with_replacement(range(n), degree)]
            self.monomials = [(*m, p) for m in self.monomials for p in powers]
            scale = scale * block.det**shift
        self.rows: dict[tuple[int, ...], tuple[PolyElement, dict[int, object]]] = {}
        cache: dict[tuple, PolyElement] = {}
        for index, alpha in enumerate(self.monomials):
            poly = scale * _power_product(blocks, alpha, cache)
            combination = {index: ring.domain.one}
            poly, combination = self._reduce_top(poly, combination)
            if poly:
                self.rows[poly.LM] = (poly, combination)

    def _reduce_top(self, poly: PolyElement, combination: dict[int, object]):
        while poly and poly.LM in self.rows:
            row, row_combination = self.rows[poly.LM]
            factor = poly.LC / row.LC
            poly = poly - row * factor
            combination = dict(combination)
            for i, c in row_combination.items():
                combination[i] = combination.get(i, 0) - factor * c
        return poly, combination

    def solve(self, target: PolyElement) -> dict[int, object] | None:
        """{index of α: c_α} with Σ c_α·basis_α = target exactly, None when there is none."""
        solution: dict[int, object] = {}
        while target:
            known = self.rows.get(target.LM)
            if known is None:
                return None
            row, combination = known
            factor = target.LC / row.LC
            target = target - row * factor
            for i, c in combination.items():
                solution[i] = solution.get(i, 0) + factor * c
        return {i: c for i, c in solution.items() if c}


def _power_product(blocks: list[_Block], alpha: tuple[tuple[int, ...], ...], cache: dict) -> PolyElement:
    """∏ (adj Σ_b)^α_b, built from the product one factor shorter (each is one multiplication)."""
    known = cache.get(alpha)
    if known is not None:
        return known
    ring = blocks[0].det.ring
    for b, powers in enumerate(alpha):
        for i, k in enumerate(powers):
            if k:
                smaller = (*alpha[:b], (*powers[:i], k - 1, *powers[i + 1:]), *alpha[b + 1:])
                value = _power_product(blocks, smaller, cache) * blocks[b].adjugate[i]
                cache[alpha] = value
                return value
    return ring.one


def _entry(context: RationalContext, fraction: Fraction, blocks: list[_Block], inside: set[int],
           solvers: dict[tuple, _Echelon]) -> sp.Expr | None:
    """One entry as a polynomial in P over its Σ-free denominator, or None."""
    if not fraction.numerator:
        return sp.Integer(0)
    ks = [0] * len(blocks)
    rest: list[tuple[int, int]] = []
    for index, k in fraction.denominator:
        factor = context.factors[index]
        which = [b for b, block in enumerate(blocks) if factor == block.det_monic]
        if which:
            ks[which[0]] += k
        elif any(factor.degree(i) > 0 for i in inside):
            return None  # a denominator in Σ other than det Σ: not a polynomial in Σ⁻¹
        else:
            rest.append((index, k))
    ring = context.ring
    # Group N's terms by their degree in each Σ and by the rest of their monomial (other symbols)
    groups: dict[tuple[tuple[int, ...], tuple[int, ...]], dict[tuple[int, ...], object]] = {}
    for monomial, coefficient in fraction.numerator.items():
        degrees = tuple(sum(monomial[i] for i in block.positions) for block in blocks)
        outside = tuple(0 if i in inside else e for i, e in enumerate(monomial))
        own = tuple(e if i in inside else 0 for i, e in enumerate(monomial))
        groups.setdefault((degrees, outside), {})[own] = coefficient
    numerator: dict[tuple[int, ...], object] = {}
    for (degrees, outside), terms in groups.items():
        # Q's part from N_m has degree d·k − m in P's entries (module docstring)
        wanted = tuple(block.d * k - m for block, k, m in zip(blocks, ks, degrees, strict=True))
        if any(x < 0 for x in wanted):
            return None
        shifts = tuple(max(k - x, 0) for k, x in zip(ks, wanted, strict=True))
        lifts = tuple(max(x - k, 0) for k, x in zip(ks, wanted, strict=True))
        target = ring.from_dict(terms)
        for block, lift in zip(blocks, lifts, strict=True):
            target = target * block.det**lift
        key = (wanted, shifts)
        if key not in solvers:
            if _basis_size(blocks, wanted) > MAX_BASIS:
                return None
            solvers[key] = _Echelon(blocks, wanted, shifts)
        solver = solvers[key]
        solution = solver.solve(target)
        if solution is None:
            return None
        for index, c in solution.items():
            exponents = list(outside)
            for block, powers in zip(blocks, solver.monomials[index], strict=True):
                for position, e in zip(block.positions, powers, strict=True):
                    exponents[position] += e
            key_ = tuple(exponents)
            numerator[key_] = numerator.get(key_, 0) + c
    poly = ring.from_dict({m: c for m, c in numerator.items() if c}) if numerator else ring.zero
    return Fraction(context, poly, tuple(rest)).as_expr()


def _basis_size(blocks: list[_Block], degrees: tuple[int, ...]) -> int:
    size = 1
    for block, degree in zip(blocks, degrees, strict=True):
        size *= sp.binomial(len(block.positions) + degree - 1, degree)
    return int(size)
