"""The mod-P certificate of non-zero: it never calls a zero rational function non-zero, it reads
atoms as the factor-base context does, and it catches the differences that are not zero; and the
exact division that brings factor-base fractions to lowest terms."""

from __future__ import annotations

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy.polys.domains import QQ
from sympy.polys.rings import ring

from symgeom.derive.modular import nonzero_mod_prime
from symgeom.derive.rational import RationalContext, _exact_quotient, _irreducible_by_degree_one

x, y, z = sp.symbols("x y z", positive=True)
a, b = sp.symbols("a b", real=True)

BLOCKS = [x, y, z, x + y, x - y, x * y - z, sp.log(x), sp.exp(a), sp.exp(2 * a - b), sp.sqrt(y),
          sp.Rational(3, 2), sp.Integer(-2)]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3) -> sp.Expr:
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(BLOCKS))
    left, right = draw(expressions(depth - 1)), draw(expressions(depth - 1))
    op = draw(st.sampled_from(["+", "-", "*", "/"]))
    if op == "/" and sp.cancel(right) == 0:
        op = "*"
    return {"+": left + right, "-": left - right, "*": left * right, "/": left / right}[op]


def _exactly_zero(expr: sp.Expr) -> bool:
    return RationalContext.for_expressions([expr]).convert(expr).is_zero


@settings(max_examples=60, deadline=None)
@given(expressions(), expressions())
def test_agrees_with_the_exact_arithmetic(left: sp.Expr, right: sp.Expr) -> None:
    # Certified non-zero exactly when the exact arithmetic finds a non-zero numerator: never for
    # a zero function; always for a non-zero one here (one vanishing at the drawn point mod
    # 2⁶¹ − 1 is possible, but at these low degrees has probability below 10⁻¹⁵).  The expanded
    # rewrite is mostly the same function written another way (y·√y = y^{3/2} is a new atom).
    for difference in (left - sp.expand(left), left - right):
        assert nonzero_mod_prime(difference) == (not _exactly_zero(difference))


def test_atoms_are_read_as_the_context_reads_them() -> None:
    # exp(2a − b)·exp(b) = exp(a)²: exp of an integer combination is a product of exp(aᵢ)
    assert not nonzero_mod_prime(sp.exp(2 * a - b) * sp.exp(b) - sp.exp(a) ** 2)
    assert nonzero_mod_prime(sp.exp(2 * a) - sp.exp(a))
    # log(xy) is its own atom, independent of log x and log y (as for is_rational_zero)
    assert nonzero_mod_prime(sp.log(x * y) - sp.log(x) - sp.log(y))
    assert not nonzero_mod_prime(sp.log(x) / (x - y) - sp.log(x) * (x + y) / (x**2 - y**2))


def test_an_inverted_zero_is_no_conclusion() -> None:
    # 1/(x − x·1) has no value: the certificate says "unknown", never "non-zero"
    vanishing = sp.Add(x, -x, evaluate=False)
    assert not nonzero_mod_prime(sp.Pow(vanishing, -1, evaluate=False))


# --- exact division (lowest terms of the factor-base fractions) -------------------------------
_R, _u, _v, _w = ring("u v w", QQ)
_TERMS = [_u, _v, _w, _u * _v, _v**2, _w * _u**2, _R(3), _R(QQ(1, 2))]


@st.composite
def polynomials(draw: st.DrawFn):
    chosen = draw(st.lists(st.sampled_from(_TERMS), min_size=1, max_size=4))
    signs = draw(st.lists(st.sampled_from([-2, -1, 1, 3]), min_size=len(chosen), max_size=len(chosen)))
    return sum((c * t for c, t in zip(signs, chosen)), _R.zero)


@settings(max_examples=60, deadline=None)
@given(polynomials(), polynomials(), polynomials())
def test_exact_quotient_agrees_with_division(p, f, r) -> None:
    if not f:
        return
    if p:
        assert _exact_quotient(p * f, f) == p
    quotient, remainder = (p * f + r).div(f)
    found = _exact_quotient(p * f + r, f)
    assert found == (quotient if not remainder else None)


def test_a_degree_one_irreducibility_certificate_is_never_wrong() -> None:
    _, u, v, w = ring("u v w", QQ)
    assert _irreducible_by_degree_one(u * v + w)            # a = v, b = w: coprime
    assert _irreducible_by_degree_one(u * v * w - v**2 + 1)
    assert not _irreducible_by_degree_one(u * v + v * w)    # v·(u + w)
    assert not _irreducible_by_degree_one(u**2 - v**2)            # no variable of degree 1
    for poly in (u * v + w, u * w**2 + v * w + w, (u + 1) * (v + w), u * v**2 - u + v**2 - 1):
        factors = poly.factor_list()[1]
        if _irreducible_by_degree_one(poly):
            assert len(factors) == 1 and factors[0][1] == 1
