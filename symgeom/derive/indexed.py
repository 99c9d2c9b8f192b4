"""Index notation for a symbolic size k: sums Σᵢ₌₁ᵏ, Kronecker deltas, and the range facts 1 ≤ a ≤ k − 1.

The general-k derivations (:mod:`symgeom.derive.general_categorical`) differentiate and sum
SymPy ``Sum`` expressions over ``IndexedBase`` symbols.  SymPy answers with ``Piecewise`` over the
index range and ``KroneckerDelta(a, k)``; for a free index a of a free parameter (1 ≤ a ≤ k − 1)
these are decided here by writing a = 1 + n, k = a + 1 + m with n, m ≥ 0 integers, so every
condition SymPy keeps is settled by its own assumptions, not by guessing.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.parameters import evaluate

#: The size symbol and the summation / free indices of every general-k derivation.
K = sp.Symbol("k", integer=True, positive=True)
I = sp.Symbol("i", integer=True, positive=True)  # noqa: E741 - the textbook's summation index
J = sp.Symbol("j", integer=True, positive=True)
A = sp.Symbol("a", integer=True, positive=True)
B = sp.Symbol("b", integer=True, positive=True)

_N = sp.Symbol("n_free", integer=True, nonnegative=True)
_M = sp.Symbol("m_free", integer=True, nonnegative=True)


def _decide(atom: sp.Basic, free: tuple[sp.Symbol, ...], gap: int = 1) -> sp.Basic:
    """A relational or KroneckerDelta in one free index (1 ≤ index ≤ k − gap) and k, decided if possible."""
    indices = [s for s in free if s in atom.free_symbols]
    if len(indices) != 1:
        return atom
    (index,) = indices
    decided = atom.xreplace({index: 1 + _N}).xreplace({K: 1 + gap + _N + _M})
    if isinstance(atom, sp.KroneckerDelta):
        return decided if decided.is_number else atom
    return decided if decided in (sp.true, sp.false) else atom


def in_range(expr: sp.Expr, free: tuple[sp.Symbol, ...], gap: int = 1) -> sp.Expr:
    """``expr`` with every Piecewise branch and δ(index, k) settled for 1 ≤ index ≤ k − gap
    (gap 1: the free parameters of a one-hot family; gap 0: one parameter per class, Dirichlet)."""
    def settle(e: sp.Basic) -> sp.Basic:
        return e.replace(
            lambda s: isinstance(s, sp.KroneckerDelta | sp.core.relational.Relational),
            lambda s: _decide(s, free, gap),
        )

    def choose(piecewise: sp.Piecewise) -> sp.Expr:
        for value, condition in piecewise.args:
            condition = settle(condition)
            if condition == sp.true:
                return value
            if condition != sp.false:
                return piecewise
        return piecewise

    previous = None
    while previous != expr:
        previous = expr
        expr = settle(expr).replace(lambda s: isinstance(s, sp.Piecewise), choose)
    return expr


def total(summand: sp.Expr, index: sp.Symbol, lower: sp.Expr, upper: sp.Expr) -> sp.Expr:
    """Σ_{index=lower}^{upper} summand, evaluated by SymPy (Kronecker deltas collapse)."""
    return sp.Sum(summand, (index, lower, upper)).doit()


def linear(expr: sp.Expr) -> sp.Expr:
    """Every Σ split by linearity: Σ(c·f + g) = c·Σf + Σg for c free of the summation index."""
    def split(s: sp.Sum) -> sp.Expr:
        (index, lower, upper), = s.limits
        body = sp.expand(sp.expand_log(linear(s.function), force=False))
        out = []
        for term in sp.Add.make_args(body):
            # by free symbols: a nested sum over the same (bound) index is a constant here
            factors = sp.Mul.make_args(term)
            constant = sp.Mul(*[f for f in factors if index not in f.free_symbols])
            rest = sp.Mul(*[f for f in factors if index in f.free_symbols])
            count = upper - lower + 1
            out.append(constant * (count if rest == 1 else sp.Sum(rest, (index, lower, upper))))
        return sp.Add(*out)

    return expr.replace(lambda e: isinstance(e, sp.Sum), split)


def canonical(expr: sp.Expr) -> sp.Expr:
    """Every summation index renamed to j (bound variables: Σᵢ pᵢ and Σⱼ pⱼ are one object)."""
    return expr.replace(
        lambda e: isinstance(e, sp.Sum) and e.limits[0][0] != J,
        lambda s: sp.Sum(s.function.xreplace({s.limits[0][0]: J}), (J, *s.limits[0][1:])),
    )


def collapse_deltas(expr: sp.Expr, pair: tuple[sp.Symbol, sp.Symbol]) -> sp.Expr:
    """δ_ab·f(a, b) = δ_ab·f(a, a): in each term with δ_ab, b is replaced by a."""
    a, b = pair
    delta = sp.KroneckerDelta(a, b)
    terms = []
    for term in sp.Add.make_args(sp.expand(expr)):
        if term.has(delta):
            rest = (term / delta).xreplace({b: a})
            term = delta * rest
        terms.append(term)
    return sp.Add(*terms)


def specialize(expr: sp.Expr, k: int, values: dict[sp.Basic, sp.Expr]) -> sp.Expr:
    """The general-k ``expr`` at a concrete k: sums written out, indexed symbols replaced.

    ``values`` maps (IndexedBase, Integer) pairs, (p, 3) for p[3], to the concrete family's symbols.
    The terms are built unevaluated: SymPy's automatic evaluation asks assumptions of O(k)-term
    sums for each of the k terms, minutes at k = 10⁴, and changes nothing of the value.
    """
    template, held = specialize_open(expr, k, values)
    return rebuild(template, held, {})


def specialize_open(expr: sp.Expr, k: int, values: dict) -> tuple[sp.Expr, dict]:
    """(template, held): :func:`specialize` with every written-out sum still a placeholder and
    free indices (a, b) left open; ``rebuild(template, {a: 1, b: 2, **held}, values)`` finishes
    one entry without copying the sums into it."""
    expr = expr.xreplace({K: sp.Integer(k)})
    with evaluate(False):
        return _specialize(expr, values)


def _specialize(expr: sp.Expr, values: dict[sp.Basic, sp.Expr]) -> tuple[sp.Expr, dict]:
    # Innermost sums first, each written out once and held by a placeholder: a closed inner sum
    # (the softmax denominator) inside an outer one must not be copied into its k terms.
    held: dict[sp.Symbol, sp.Expr] = {}
    while True:
        innermost = [s for s in expr.atoms(sp.Sum) if not s.function.has(sp.Sum)]
        if not innermost:
            break
        for s in innermost:
            (index, lower, upper), = s.limits
            placeholder = sp.Dummy("sum")
            held[placeholder] = sp.Add(*[
                rebuild(s.function, {index: sp.Integer(n), **held}, values)
                for n in range(int(lower), int(upper) + 1)
            ])
            expr = expr.xreplace({s: placeholder})
    return rebuild(expr, {}, values), held


def rebuild(expr: sp.Basic, first: dict, then: dict) -> sp.Basic:
    """expr with ``first`` substituted and every p[n] (n an integer after substitution) replaced
    by ``then[(p, n)]`` (p[3] → p3).

    Unevaluated and without SymPy's per-node argument checks (a function's nargs set is built
    for every exp and log otherwise): k terms of a specialized sum are built in O(k).
    """
    memo: dict[sp.Basic, sp.Basic] = {}

    def walk(e: sp.Basic) -> sp.Basic:
        if e in first:
            return first[e]
        if not e.args:
            return e
        if isinstance(e, sp.Indexed) and len(e.indices) == 1:
            index = walk(e.indices[0])
            found = then.get((e.base, index))
            if found is not None:
                return found
            return e if index == e.indices[0] else sp.Indexed(e.base, index)
        known = memo.get(e)
        if known is not None:
            return known
        args = tuple(walk(a) for a in e.args)
        if args == e.args:
            out = e
        elif isinstance(e, sp.Add | sp.Mul):
            out = type(e)._from_args(args)
        elif isinstance(e, sp.KroneckerDelta) and all(a.is_Integer for a in args):
            out = sp.Integer(int(args[0] == args[1]))
        elif isinstance(e, sp.Pow):
            out = sp.Pow(*args, evaluate=False)
        elif isinstance(e, sp.Function):
            out = sp.Expr.__new__(type(e), *args)
        else:
            out = e.func(*args)
        memo[e] = out
        return out

    return walk(expr)


def derive_by_route(table_by_quantity: dict, quantity: str, family: object, route: str | None) -> object:
    """``table_by_quantity[quantity][route](family)`` for a general-size family, the first route by
    default, with the clear errors for an unknown quantity, a route that is not a name, an unknown
    route."""
    from symgeom.errors import SymgeomError, UnknownQuantityError

    table = table_by_quantity.get(quantity)
    if table is None:
        raise UnknownQuantityError(f"{quantity} of {family.label} is not derived for general k; "
                                   f"accepted: {', '.join(table_by_quantity)}")
    if route is not None and not isinstance(route, str):
        raise SymgeomError(f"{quantity}: route must be a route name, got {type(route).__name__}")
    name = next(iter(table)) if route is None else route
    if name not in table:
        raise UnknownQuantityError(f"unknown route {name!r} of {quantity} for {family.label}; "
                                   f"accepted: {', '.join(table)}")
    return table[name](family)
