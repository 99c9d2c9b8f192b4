"""Derivations of a concrete size past the explicit limit: the general-size result, specialized.

A family whose ``general`` field is a :class:`~symgeom.families.general.Specialization` is not
expanded component by component (whose cost grows like k² to k³); its KL, Fisher matrix,
entropy and expansion are the general-k results of :mod:`symgeom.derive.general_categorical`
(derived once, symbolically, for every k) with k set to the concrete size and the sums written
out, when read (the compiled KL reads only the family's structure).  The steps say so.
"""

from __future__ import annotations

import sympy as sp

from symgeom.derivation import Derivation, Step
from symgeom.derive import general_categorical as general
from symgeom.derive.deferred import Deferred, DeferredDerivation
from symgeom.derive.notation import T
from symgeom.errors import UnknownQuantityError
from symgeom.families.base import Family
from symgeom.families.general import Product
from symgeom.families.general_gaussian import MatrixSpecialization

#: A quantity with no general-size derivation is derived from the explicit family of a
#: Specialization that offers one (``expand``) up to this size (its cost grows with the size);
#: past it, it is refused.  The general Categorical has all four quantities.
EXPAND_LIMIT = 20

QUANTITY_NAMES = {"kl": "KL divergence", "fisher": "Fisher information", "entropy": "Entropy",
                  "expansion": "Second-order expansion of KL"}


ROUTES = {quantity: tuple(table) for quantity, table in general.ROUTES_BY_QUANTITY.items()}


def routes(quantity: str, family: Family | None = None) -> tuple[str, ...]:
    """The routes a specialized family offers for ``quantity`` (none: refused with the reason)."""
    if family is not None and isinstance(family.general, MatrixSpecialization):
        from symgeom.derive.general_gaussian import ROUTES as MATRIX_ROUTES

        return tuple(MATRIX_ROUTES.get(quantity, ()))
    if family is not None and isinstance(family.general, Product):
        from symgeom.derive.registry import routes as registered

        return registered(quantity, family.general.factor(family.param))
    return ROUTES.get(quantity, ())


def derive_specialized(quantity: str, family: Family, route: str | None) -> Derivation:
    """``quantity`` of ``family`` by specializing the general-size derivation of ``route``."""
    if isinstance(family.general, Product):
        return _product(quantity, family, route)
    if isinstance(family.general, MatrixSpecialization):
        from symgeom.derive.general_gaussian import specialize

        return specialize(quantity, family, route)
    accepted = routes(quantity)
    size = family.general.size
    expand = getattr(family.general, "expand", None)
    if not accepted and expand is not None and size <= EXPAND_LIMIT:
        from symgeom.derive.registry import derive

        return derive(quantity, expand(family.param), route)
    if not accepted:
        raise UnknownQuantityError(
            f"{quantity} of {family.label} is not derived: at this size symgeom only specializes "
            f"general-k results, which exist for {', '.join(sorted(ROUTES))}; use a smaller size"
        )
    name = route if route is not None else accepted[0]
    if name not in accepted:
        raise UnknownQuantityError(
            f"unknown route {name!r} of {quantity} for {family.label}; accepted: {', '.join(accepted)}"
        )
    indexed = family.general.build(family.param)

    def source() -> Derivation:
        return general.ROUTES_BY_QUANTITY[quantity][name](indexed)

    if quantity == "kl":
        symbol = general.KL_LATEX
        arguments = family.symbols(1) + family.symbols(2)

        def make() -> sp.Basic:
            symbols = {1: family.symbols(1), 2: family.symbols(2)}
            return general.specialized_kl(indexed, name, size, symbols)
    elif quantity == "fisher":
        symbol = r"F(\theta)"
        arguments = family.symbols()

        def make() -> sp.Basic:
            return general.specialized_fisher(indexed, name, size, {None: family.symbols()})
    else:
        deltas = family.delta_symbols() if quantity == "expansion" else ()
        arguments = family.symbols() + deltas + ((T,) if quantity == "expansion" else ())
        symbol = source().symbol_latex

        def make() -> sp.Basic:
            return general.specialized_scalar(indexed, quantity, name, size, family.symbols(),
                                              deltas)

    def steps(result: sp.Basic) -> tuple[Step, ...]:
        return (
            Step(source().result, f"the general-k result ({name} route, derived once for every k; "
                 "see the general family's derivation)"),
            Step(result, f"specialize k = {size}: write the sums out and rename p_i, p_k to this "
                 "family's parameters"),
        )

    return DeferredDerivation(
        quantity=quantity, route=name, family=family,
        title=f"{QUANTITY_NAMES[quantity]} of the {family.title} family (`{family.param}`), "
              f"specialized from the general-k result",
        symbol_latex=symbol, steps=Deferred.Make(steps), result=Deferred.Make(make),
        arguments=arguments,
    )


def _product(quantity: str, family: Family, route: str | None) -> Derivation:
    """d independent copies of a one-dimensional family: KL, entropy and the expansion are the
    sums of the factor's over the copies, F is the factor's F placed in each copy's block."""
    from symgeom.derive.registry import derive

    d = family.general.size
    factor = family.general.factor(family.param)
    one = derive(quantity, factor, route)
    width = len(factor.parameters)

    def renamed(expr: sp.Basic, copy: int) -> sp.Basic:
        mapping = {}
        for point in (None, 1, 2):
            mapping.update({s: family.symbols(point)[j * d + copy]
                            for j, s in enumerate(factor.symbols(point))})
        mapping.update({s: family.delta_symbols()[j * d + copy]
                        for j, s in enumerate(factor.delta_symbols())})
        return expr.xreplace(mapping)

    if quantity == "fisher":
        entries = {}
        for copy in range(d):
            block = renamed(one.result, copy)
            for j in range(width):
                for m in range(width):
                    entries[j * d + copy, m * d + copy] = block[j, m]
        n = width * d
        result = sp.ImmutableMatrix(n, n, lambda r, c: entries.get((r, c), sp.Integer(0)))
        how = "the score covariance is block diagonal: one block per coordinate"
    else:
        result = sp.Add(*[renamed(one.result, copy) for copy in range(d)])
        how = f"the {quantity} adds over the independent coordinates"
    arguments = tuple(
        family.symbols(1) + family.symbols(2) if quantity == "kl" else
        family.symbols() + family.delta_symbols() + one.arguments[2 * width:]
        if quantity == "expansion" else family.symbols()
    )
    steps = (
        Step(one.result, f"the one-dimensional result ({one.route} route) of the {factor.title} "
             f"family ({factor.param})"),
        Step(result, f"the d = {d} coordinates are independent, log p = Σᵢ log p₁(xᵢ|θᵢ): {how}"),
    )
    return Derivation(
        quantity=quantity, route=one.route, family=family,
        title=f"{quantity} of the {family.title} family (`{family.param}`), from d independent "
              "one-dimensional factors",
        symbol_latex=one.symbol_latex, steps=steps, result=result, arguments=arguments,
    )
