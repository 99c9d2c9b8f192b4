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
        from symgeom.derive.indexed_product import routes as product_routes

        return product_routes(quantity, _indexed(family))
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


def _indexed(family: Family):
    """The general-d family (symbol d) of which the concrete product ``family`` is a size."""
    from symgeom.families.indexed_product import IndexedProduct

    kind = dict(family.size).get("covariance", "product")
    return IndexedProduct(family.general.factor, sp.Symbol("d", integer=True, positive=True),
                          family.param, family.parameterization_names, family.name,
                          f"{family.name} (every d, {kind})", kind)


def _product(quantity: str, family: Family, route: str | None) -> Derivation:
    """d independent copies of a one-dimensional family: the general-d result of the product
    lemma (symgeom.derive.indexed_product: KL, entropy and the expansion are sums of the factor's
    over the coordinates, F is block diagonal) with d set; made when read."""
    from symgeom.derive import indexed_product as product

    indexed = _indexed(family)
    general = product.derive_product(quantity, indexed, route)
    d = family.general.size
    width = len(indexed.one.parameters)
    arguments = tuple(
        family.symbols(1) + family.symbols(2) if quantity == "kl" else
        family.symbols() + family.delta_symbols() + (T,) if quantity == "expansion"
        else family.symbols()
    )

    def make() -> sp.Basic:
        return product.specialize(quantity, indexed, general.route, family)

    def steps(result: sp.Basic) -> tuple[Step, ...]:
        return (
            Step(general.result, f"the general-d result ({general.route} route, derived once for every "
                 "d by the product lemma; see the general family's derivation)"),
            Step(result, f"specialize d = {d} (d independent coordinates): coordinate i's parameter j "
                 f"is this family's parameter j·d + i ({width} per coordinate)"),
        )

    return DeferredDerivation(
        quantity=quantity, route=general.route, family=family,
        title=f"{QUANTITY_NAMES[quantity]} of the {family.title} family (`{family.param}`), "
              "specialized from the general-d result",
        symbol_latex=general.symbol_latex, steps=Deferred.Make(steps), result=Deferred.Make(make),
        arguments=arguments,
    )
