"""Checks of the general-d diagonal Gaussian (a product of d one-dimensional coordinates).

Verdicts, stated honestly:

* routes for every d: two routes' results are Σᵢ (Fisher: δ_ab times the blocks) of the
  coordinate's results of the one-dimensional routes; when those (scalar) results are *proved*
  equal, so are the sums, for every d.  The same for c₂ = ½ΣᵢΔᵢᵀF₁(θᵢ)Δᵢ (c₀ = c₁ = 0 by the same argument);
* the product lemma (KL and entropy add, F is block diagonal, every cₙ adds) is proved for every d
  in :mod:`symgeom.verification.product_lemma` (exact indexed-sum steps; Fubini–Tonelli cited),
  and checked by specializing the general result to d = 1, 2, 3 against the derivation that
  expands the d-dimensional density (the ordinary identity checker: proved, or says it is only
  numeric).
"""

from __future__ import annotations

import time

import sympy as sp

from symgeom.cache import cached
from symgeom.derive import indexed_product as product
from symgeom.families.indexed_product import IndexedProduct
from symgeom.verification.identity import PROVED, Verdict, check_identity
from symgeom.verification.product_lemma import product_lemma_rows
from symgeom.verification.sampling import family_sampler

#: Concrete sizes every general result is specialized to and checked against.
CHECK_SIZES = (1, 2, 3)
QUANTITIES = ("kl", "fisher", "entropy", "expansion")


def general_diagonal_families() -> tuple[IndexedProduct, ...]:
    """The general-d diagonal Gaussian in every chart the concrete diagonal family offers."""
    from symgeom.families.indexed_product import general_diagonal

    d = sp.Symbol("d", integer=True, positive=True)
    charts = general_diagonal(d).charts
    return tuple(general_diagonal(d, param) for param in charts)


def _every_d(verdicts: list[Verdict], start: float, what: str) -> Verdict:
    worst = min(verdicts, key=lambda v: (v.status == PROVED,))
    if worst.status != PROVED:
        return worst
    return Verdict(PROVED, f"symbolic for every d: {what} ({worst.method})", time.perf_counter() - start)


def _check(left: sp.Basic, right: sp.Basic, factor) -> Verdict:
    return check_identity(left, right, sampler=family_sampler(factor), time_limit=30.0)


@cached("general-verdict")
def routes_agree(family: IndexedProduct, quantity: str) -> Verdict:
    """Every route of ``quantity`` equals the first for every d: the coordinate results agree."""
    start = time.perf_counter()
    first, *others = product.routes(quantity, family)
    _, base = product.coordinate(quantity, family, first)
    verdicts = [_check(product.coordinate(quantity, family, route)[1], base, family.one)
                for route in others]
    return _every_d(verdicts, start, "the coordinate's results are proved equal, so are their sums")


@cached("general-verdict")
def quadratic_term(family: IndexedProduct, route: str) -> Verdict:
    """c₀ = c₁ = 0 and c₂ = ½ΣᵢΔᵢᵀF₁(θᵢ)Δᵢ (F₁ the factor's Fisher) in the expansion of ``route``."""
    start = time.perf_counter()
    t = product.T
    _, series = product.coordinate("expansion", family, route)
    _, fisher = product.coordinate("fisher", family, product.routes("fisher", family)[0])
    delta = sp.Matrix(family.one.delta_symbols())
    half = (delta.T * sp.Matrix(fisher) * delta)[0, 0] / 2
    poly = sp.Poly(sp.expand(series), t)
    c = [poly.coeff_monomial(t**n) for n in range(3)]
    verdicts = [_check(c[0], sp.Integer(0), family.one), _check(c[1], sp.Integer(0), family.one),
                _check(c[2], half, family.one)]
    return _every_d(verdicts, start, "per coordinate c₀ = c₁ = 0, c₂ = ½ΔᵢᵀF₁(θᵢ)Δᵢ, so for the sums")


@cached("general-verdict")
def cubic_term(family: IndexedProduct, route: str) -> Verdict:
    """c₃ = Σᵢ(3∇F₁[Δᵢ,Δᵢ,Δᵢ] − T₁[Δᵢ,Δᵢ,Δᵢ])/12 in the expansion of ``route``: per coordinate
    the t³ coefficient equals the factor's Amari–Chentsov form (its Fisher's derivative along Δ
    and its skewness tensor E[(sᵀΔ)³], :func:`symgeom.derive.expansion.expansion_terms`)."""
    from symgeom.derive.expansion import expansion_terms

    start = time.perf_counter()
    _, series = product.coordinate("expansion", family, route)
    c3 = sp.Poly(sp.expand(series), product.T).coeff_monomial(product.T**3)
    verdict = _check(c3, expansion_terms(family.one).cubic_form, family.one)
    return _every_d([verdict], start, "per coordinate c₃ = (3∇F₁ − T₁)[Δᵢ,Δᵢ,Δᵢ]/12, so for the sums")


@cached("general-verdict")
def specialization_agrees(family: IndexedProduct, quantity: str, d: int) -> Verdict:
    """The general result (default route) at d equals the derivation that expands size d."""
    from symgeom.derive.registry import derive
    from symgeom.families.multivariate_gaussian import MultivariateGaussian
    from symgeom.verification.catalog import proof_cover

    concrete = MultivariateGaussian(d, family.kind, family.param)
    route = product.routes(quantity, family)[0]
    specialized = product.specialize(quantity, family, route, concrete)
    reference = derive(quantity, concrete).result
    return check_identity(specialized, reference, substitution=proof_cover(concrete),
                          sampler=family_sampler(concrete), time_limit=60.0)


def diagonal_rows(sizes: tuple[int, ...] = CHECK_SIZES) -> list[tuple[str, str, str, Verdict]]:
    """(identity, statement, family label, verdict) for every check of the general-d diagonal."""
    rows = []
    for family in general_diagonal_families():
        rows += product_lemma_rows(family)
        for quantity in QUANTITIES:
            if len(product.routes(quantity, family)) > 1:
                rows.append((f"general/{quantity}_routes",
                             f"the general-d {quantity} routes agree for every d",
                             family.label, routes_agree(family, quantity)))
        for route in product.routes("expansion", family):
            rows.append((f"general/expansion/{route}/c2",
                         "for every d, c0 = c1 = 0 and c2 = ½ΔᵀFΔ with the block-diagonal F",
                         family.label, quadratic_term(family, route)))
            rows.append((f"general/expansion/{route}/c3",
                         "for every d, c3 = (3∇F[Δ,Δ,Δ] − T[Δ,Δ,Δ])/12 summed over the coordinates",
                         family.label, cubic_term(family, route)))
        for quantity in QUANTITIES:
            for d in sizes:
                rows.append((f"general/{quantity}@d={d}",
                             f"general-d {quantity} (product lemma) at d = {d} = the d = {d} derivation",
                             family.label, specialization_agrees(family, quantity, d)))
    return rows
