"""Checks of the general-k Dirichlet (index notation): every pair of routes agrees for every k,
the expansion's c₀ = c₁ = 0 and c₂ = ½ΔᵀFΔ for every k, and each quantity's general result at
k = 2, 3 equals the derivation that expands that concrete size.

Verdicts say their kind: routes are *proved* for every k when their difference vanishes after
splitting sums by linearity and renaming bound indices (both sound for every k); the
specializations go through the ordinary identity checker (proved, or it says it is not).  The
routes being proved equal for every k, one route per quantity is specialized: the others equal it.
"""

from __future__ import annotations

import time

import sympy as sp

from symgeom.cache import cached
from symgeom.derive import general_dirichlet as gd
from symgeom.families.general_dirichlet import GeneralDirichlet, general_dirichlet
from symgeom.verification.identity import FAILED, PROVED, Verdict, check_identity

CHECK_SIZES = (2, 3)
PARAMS = ("concentration", "log_concentration")


def _equal_for_every_k(first: sp.Expr, second: sp.Expr) -> Verdict:
    start = time.perf_counter()
    if gd.proved_equal(first, second):
        return Verdict(PROVED, "symbolic for every k: Σ split by linearity, bound indices renamed",
                       time.perf_counter() - start)
    return Verdict(FAILED, "the difference did not reduce to 0 for general k",
                   time.perf_counter() - start, residual=str(sp.sympify(first - second))[:200])


@cached("general-verdict")
def routes_agree(family: GeneralDirichlet, quantity: str, route: str) -> Verdict:
    """``route`` of ``quantity`` equals the first route, for every k."""
    table = gd.ROUTES_BY_QUANTITY[quantity]
    first = next(iter(table.values()))(family).result
    return _equal_for_every_k(first, table[route](family).result)


@cached("general-verdict")
def expansion_agrees(family: GeneralDirichlet, order: int) -> Verdict:
    """cₙ of t ↦ KL(θ‖θ + tΔ) (Taylor route) for every k: c₀ = c₁ = 0, c₂ = ½ΔᵀFΔ."""
    coefficient = gd.expansion_coefficients(family)[order]
    expected = gd.quadratic_form(family) if order == 2 else sp.Integer(0)
    return _equal_for_every_k(coefficient, expected)


@cached("general-verdict")
def specialization_agrees(family: GeneralDirichlet, quantity: str, route: str, k: int) -> Verdict:
    """The general result of ``route`` at k equals the concrete Dirichlet(k) derivation."""
    from symgeom.derive.registry import derive
    from symgeom.families.dirichlet import Dirichlet
    from symgeom.verification.catalog import proof_cover
    from symgeom.verification.sampling import family_sampler

    concrete = Dirichlet(k, family.param)
    if quantity == "kl":
        symbols = {1: concrete.symbols(1), 2: concrete.symbols(2)}
    else:
        symbols = {None: concrete.symbols()}
    deltas = concrete.delta_symbols() if quantity == "expansion" else ()
    general = gd.specialized(family, quantity, route, k, symbols, deltas)
    return check_identity(general, derive(quantity, concrete).result,
                          substitution=proof_cover(concrete), sampler=family_sampler(concrete),
                          time_limit=60.0)


def dirichlet_rows(params: tuple[str, ...] = PARAMS) -> list[tuple[str, str, str, Verdict]]:
    """(identity, statement, family label, verdict) for every general-k Dirichlet check."""
    rows = []
    for param in params:
        family = general_dirichlet(param)
        for quantity, table in gd.ROUTES_BY_QUANTITY.items():
            first, *others = table
            rows += [(f"general/{quantity}/{route}=={first}",
                      f"general-k {quantity}: route {route} = route {first}, for every k",
                      family.label, routes_agree(family, quantity, route)) for route in others]
            rows += [(f"general/{quantity}/{first}@k={k}",
                      f"general-k {quantity} ({first}) at k = {k} = the k = {k} derivation",
                      family.label, specialization_agrees(family, quantity, first, k))
                     for k in CHECK_SIZES]
        rows += [(f"general/expansion_c{n}",
                  f"for every k, c{n} of KL(θ‖θ+tΔ) = " + ("½ΔᵀFΔ with the general-k F" if n == 2 else "0"),
                  family.label, expansion_agrees(family, n)) for n in range(3)]
    return rows
