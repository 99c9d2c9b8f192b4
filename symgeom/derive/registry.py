"""Registry of derivation routes, keyed by quantity and route name (like torch's register_kl)."""

from __future__ import annotations

from collections.abc import Callable

from symgeom.derivation import Derivation
from symgeom.errors import SymgeomError, UnknownQuantityError
from symgeom.families.base import Family
from symgeom.families.general import IndexedFamily
from symgeom.families.general_dirichlet import GeneralDirichlet
from symgeom.families.indexed_product import IndexedProduct

Route = Callable[[Family], Derivation]
Applies = Callable[[Family], bool]

_ROUTES: dict[str, dict[str, tuple[Route, Applies]]] = {}
_REASONS: dict[tuple[str, str], str] = {}
_EXPECTED: dict[tuple[str, str], Applies] = {}


def register(quantity: str, route: str, applies: Applies = lambda family: True,
             reason: str = "", expected: Applies | None = None) -> Callable[[Route], Route]:
    """Register ``fn(family) -> Derivation`` as ``route`` of ``quantity``; the first is the default.
    ``reason`` says why the route does not apply to a family for which ``applies`` is false.
    ``expected`` (default: every family) says for which families a reader would look for the
    route, so that its absence is worth a line in :func:`not_applicable`: a route made for a
    special structure (reflection, for densities with kinks) is expected only where that
    structure is."""

    def decorate(fn: Route) -> Route:
        _ROUTES.setdefault(quantity, {})[route] = (fn, applies)
        if reason:
            _REASONS[quantity, route] = reason
        if expected is not None:
            _EXPECTED[quantity, route] = expected
        return fn

    return decorate


def not_applicable(quantity: str, family: Family) -> dict[str, str]:
    """{route: why it does not apply} for the routes of ``quantity`` that ``family`` lacks.

    The rule: a route is listed where it does not apply *and* it is expected for the family.
    General routes (Bregman, the Hessians, the log-partition, the pull-back) are expected for
    every family, so a family without them says why; a route for a structure the family does
    not have at all (reflection about the centre of kinks |x − c|, for a smooth density) is not
    listed, since nothing about the family suggests it.
    """
    routes(quantity)  # the clear error for an unknown quantity
    return {
        name: _REASONS.get((quantity, name), "does not apply to this family")
        for name, (_, applies) in _ROUTES[quantity].items()
        if not applies(family) and _EXPECTED.get((quantity, name), lambda f: True)(family)
    }


def routes(quantity: str, family: Family | None = None) -> tuple[str, ...]:
    """Route names of ``quantity`` (those that apply to ``family`` when given), default first."""
    if quantity not in _ROUTES:
        raise UnknownQuantityError(
            f"unknown quantity {quantity!r}; accepted: {', '.join(sorted(_ROUTES))}"
        )
    if isinstance(family, IndexedFamily):
        from symgeom.derive.general_categorical import ROUTES_BY_QUANTITY

        return tuple(ROUTES_BY_QUANTITY.get(quantity, ()))
    if isinstance(family, GeneralDirichlet):
        from symgeom.derive.general_dirichlet import ROUTES_BY_QUANTITY as DIRICHLET_ROUTES

        return tuple(DIRICHLET_ROUTES.get(quantity, ()))
    if isinstance(family, IndexedProduct):
        from symgeom.derive.indexed_product import routes as product_routes

        return product_routes(quantity, family)
    from symgeom.families.general_gaussian import GeneralGaussian

    if isinstance(family, GeneralGaussian):
        from symgeom.derive.general_gaussian import ROUTES as MATRIX_ROUTES

        return tuple(MATRIX_ROUTES.get(quantity, ()))
    if family is not None and family.general is not None:
        from symgeom.derive.specialized import routes as specialized_routes

        return specialized_routes(quantity, family)
    return tuple(
        name for name, (_, applies) in _ROUTES[quantity].items()
        if family is None or applies(family)
    )


def derive(quantity: str, family: Family, route: str | None = None) -> Derivation:
    """The Derivation of ``quantity`` for ``family`` by ``route`` (default: the first registered).

    A family past its explicit size (``family.general`` set) specializes the general result; a
    family of symbolic size (IndexedFamily, GeneralDirichlet) gets the general result itself, and
    the general-d Gaussian (symbolic d) its matrix-notation derivation.
    """
    from symgeom.families.general_gaussian import GeneralGaussian

    if isinstance(family, GeneralGaussian) and not isinstance(route, GeneralGaussian):
        from symgeom.derive.general_gaussian import derive_for

        return derive_for(quantity, family, route)
    if isinstance(family, IndexedFamily):
        from symgeom.derive.general_categorical import derive_general

        return derive_general(quantity, family, route)
    if isinstance(family, GeneralDirichlet):
        from symgeom.derive.general_dirichlet import derive_general as derive_dirichlet

        return derive_dirichlet(quantity, family, route)
    if isinstance(family, IndexedProduct):
        from symgeom.derive.indexed_product import derive_general as derive_product

        return derive_product(quantity, family, route)
    if not isinstance(family, Family):
        raise SymgeomError(
            f"{quantity}: family must be a symgeom Family such as sg.Gaussian(), "
            f"got {type(family).__name__}"
        )
    if isinstance(route, Family):
        raise UnknownQuantityError(
            f"{quantity} between {family.label} and {route.label} is not supported"
        )
    if route is not None and not isinstance(route, str):
        raise SymgeomError(f"{quantity}: route must be a route name, got {type(route).__name__}")
    if family.general is not None:
        from symgeom.derive.specialized import derive_specialized

        return derive_specialized(quantity, family, route)
    accepted = routes(quantity, family)
    name = route if route is not None else accepted[0]
    if name not in accepted:
        why = not_applicable(quantity, family).get(name)
        if why is not None:
            raise UnknownQuantityError(f"route {name!r} of {quantity} does not apply to "
                                       f"{family.label}: {why}; accepted: {', '.join(accepted)}")
        raise UnknownQuantityError(
            f"unknown route {name!r} of {quantity} for {family.label}; accepted: {', '.join(accepted)}"
        )
    return _ROUTES[quantity][name][0](family)
