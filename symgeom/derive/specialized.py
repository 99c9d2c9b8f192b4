"""Derivations of a concrete size past the explicit limit: the general-size result, specialized.

A family whose ``general`` field is a :class:`~symgeom.families.general.Specialization` is not
expanded component by component (whose cost grows like k² to k³); its KL and Fisher matrix are
the general-k results of :mod:`symgeom.derive.general_categorical` (derived once, symbolically,
for every k) with k set to the concrete size and the sums written out.  The steps say so.
"""

from __future__ import annotations

from symgeom.derivation import Derivation, Step
from symgeom.derive import general_categorical as general
from symgeom.errors import UnknownQuantityError
from symgeom.families.base import Family

ROUTES = {"kl": tuple(general.KL_ROUTES), "fisher": tuple(general.FISHER_ROUTES)}


def routes(quantity: str) -> tuple[str, ...]:
    """The routes a specialized family offers for ``quantity`` (none: refused with the reason)."""
    return ROUTES.get(quantity, ())


def derive_specialized(quantity: str, family: Family, route: str | None) -> Derivation:
    """``quantity`` of ``family`` by specializing the general-size derivation of ``route``."""
    accepted = routes(quantity)
    size = family.general.size
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
    if quantity == "kl":
        source = general.KL_ROUTES[name](indexed)
        symbols = {1: family.symbols(1), 2: family.symbols(2)}
        result = general.specialized_kl(indexed, name, size, symbols)
        arguments = family.symbols(1) + family.symbols(2)
        symbol = source.symbol_latex
    else:
        source = general.FISHER_ROUTES[name](indexed)
        result = general.specialized_fisher(indexed, name, size, {None: family.symbols()})
        arguments = family.symbols()
        symbol = r"F(\theta)"
    steps = (
        Step(source.result, f"the general-k result ({name} route, derived once for every k; "
             "see the general family's derivation)"),
        Step(result, f"specialize k = {size}: write the sums out and rename p_i, p_k to this family's "
             "parameters"),
    )
    return Derivation(
        quantity=quantity, route=name, family=family,
        title=f"{source.title.split(' of ')[0]} of the {family.title} family ({family.param}), "
              f"specialized from the general-k result",
        symbol_latex=symbol, steps=steps, result=result, arguments=arguments,
    )
