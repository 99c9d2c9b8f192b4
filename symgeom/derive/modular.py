"""A cheap certificate that a rational function is not zero: its value modulo a prime at one point.

If expr is 0 as a rational function of its symbols and opaque atoms (the reading of
:func:`symgeom.derive.rational.is_rational_zero`), then its value at *every* point where no
inverted subexpression vanishes is 0, also in the field ℤ/Pℤ (evaluation there is a ring
homomorphism on the fractions whose denominators do not vanish mod P).  So a non-zero value at one
point proves expr ≠ 0, in milliseconds where the exact arithmetic takes seconds for the 3-d
Gaussian.  The converse does not hold (a non-zero function may vanish at the point), so a zero
value proves nothing: callers then run the exact arithmetic.  The answer "not zero" never depends
on the point chosen, only on expr.

Atoms are read exactly as the factor-base context reads them: exp(Σ nᵢaᵢ) with integers nᵢ and
symbols aᵢ is ∏ exp(aᵢ)^nᵢ, and every part that is not a sum, a product or an integer power
(log(·), √·, π, exp of anything else) is an independent generator.
"""

from __future__ import annotations

import random

import sympy as sp

#: The Mersenne prime 2⁶¹ − 1: large enough that a random non-zero function vanishes at the
#: point with negligible probability (which would only cost the exact check, never a verdict).
PRIME = 2**61 - 1


class _UndefinedError(Exception):
    """An inverted subexpression vanishes mod P at the point: no conclusion."""


def nonzero_mod_prime(expr: sp.Expr, seed: int = 0) -> bool:
    """True when expr's value mod PRIME at a pseudo-random point is defined and not 0: then expr
    is certainly not 0 as a rational function of its symbols and opaque atoms.  False: unknown."""
    point: dict[sp.Expr, int] = {}
    rng = random.Random(seed)
    memo: dict[sp.Expr, int] = {}
    try:
        return _value(sp.sympify(expr), point, rng, memo) != 0
    except _UndefinedError:
        return False


def _inverse(value: int) -> int:
    if value == 0:
        raise _UndefinedError
    return pow(value, PRIME - 2, PRIME)


def _generator(key: sp.Expr, point: dict[sp.Expr, int], rng: random.Random) -> int:
    value = point.get(key)
    if value is None:
        value = point[key] = rng.randrange(1, PRIME)
    return value


def _value(expr: sp.Expr, point: dict[sp.Expr, int], rng: random.Random, memo: dict[sp.Expr, int]) -> int:
    if expr.is_Rational:
        return expr.p % PRIME * _inverse(expr.q % PRIME) % PRIME
    if isinstance(expr, sp.Symbol):
        return _generator(expr, point, rng)
    known = memo.get(expr)
    if known is not None:
        return known
    if isinstance(expr, sp.Add):
        value = sum(_value(a, point, rng, memo) for a in expr.args) % PRIME
    elif isinstance(expr, sp.Mul):
        value = 1
        for a in expr.args:
            value = value * _value(a, point, rng, memo) % PRIME
    elif isinstance(expr, sp.Pow) and expr.exp.is_Integer:
        base = _value(expr.base, point, rng, memo)
        n = int(expr.exp)
        value = pow(base, n, PRIME) if n >= 0 else pow(_inverse(base), -n, PRIME)
    else:
        value = _atom_value(expr, point, rng)
    memo[expr] = value
    return value


def _atom_value(expr: sp.Expr, point: dict[sp.Expr, int], rng: random.Random) -> int:
    from symgeom.derive.rational import _exponent_terms

    exponent = _exponent_terms(expr)
    if exponent is None:
        return _generator(expr, point, rng)
    value = 1
    for n, a in exponent:
        u = _generator(sp.exp(a), point, rng)
        value = value * (pow(u, n, PRIME) if n >= 0 else pow(_inverse(u), -n, PRIME)) % PRIME
    return value
