"""custom_family: a user's own family from its log-density, checked rather than trusted.

The declaration is accepted only when symgeom can prove it consistent: the density sums or
integrates to 1 over the support (exactly, by SymPy), and a declared exponential-family form
log p = η(θ)·T(x) − A(η) + log h(x) equals the log-density identically.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from symgeom.errors import SymgeomError
from symgeom.families.base import (
    ExponentialFamilyForm,
    Family,
    FiniteSupport,
    Parameter,
    Parameterization,
    Support,
)


class InconsistentFamilyError(SymgeomError):
    """A custom family whose declarations contradict each other or cannot be shown consistent."""


def custom_family(
    name: str,
    log_density: sp.Expr,
    variables: sp.Symbol | Sequence[sp.Symbol],
    support: Support,
    parameters: Sequence[Parameter],
    *,
    exponential_form: ExponentialFamilyForm | None = None,
    charts: Sequence[Parameterization] = (),
    chart_name: str = "default",
    title: str | None = None,
    param: str | None = None,
) -> Family:
    """Family with log p(x|θ) = ``log_density``, θ = ``parameters`` (their ``.symbol()``s).

    ``charts`` adds parameterizations θ' ↦ θ (the first chart, named ``chart_name``, is θ
    itself).  Raises :class:`InconsistentFamilyError` when the density does not normalize,
    when the exponential-family form does not match the density, or when either cannot be
    proved (symgeom never accepts a declaration it could not check).
    """
    xs = (variables,) if isinstance(variables, sp.Symbol) else tuple(variables)
    reference = Parameterization(chart_name, f"parameters of {name}", tuple(parameters),
                                 tuple(p.symbol() for p in parameters))
    known = set(reference.symbols()) | set(xs)
    stray = sorted(str(s) for s in sp.sympify(log_density).free_symbols - known)
    if stray:
        raise InconsistentFamilyError(
            f"log_density of {name!r} uses {', '.join(stray)}, which are neither variables nor "
            "parameters (write parameters as Parameter(...).symbol())"
        )
    family = Family(
        name=name, title=title or name, size=(), variables=xs, support=support,
        log_density_reference=sp.sympify(log_density), exponential_form=exponential_form,
        parameterizations=(reference, *charts), param=param or chart_name,
    )
    _check_normalization(family)
    if exponential_form is not None:
        _check_form(family)
    return family


def _proved(lhs: sp.Expr, rhs: sp.Expr, family: Family) -> str:
    from symgeom.verification.identity import check_identity
    from symgeom.verification.sampling import family_sampler

    return check_identity(lhs, rhs, sampler=family_sampler(family.with_param(family.reference.name)),
                          time_limit=60.0).status


def _check_normalization(family: Family) -> None:
    from symgeom.derive.expectation import direct_expectation, expect

    one = sp.Integer(1)
    reference = family.with_param(family.reference.name)
    if isinstance(family.support, FiniteSupport):
        total = expect(reference, one)
    else:
        total = direct_expectation(reference, one)
    if total is None:
        raise InconsistentFamilyError(
            f"cannot show that the density of {family.name!r} normalizes: SymPy finds no closed "
            f"form for its {family.support.measure} over the support"
        )
    status = _proved(total, one, family)
    if status != "proved":
        raise InconsistentFamilyError(
            f"the density of {family.name!r} does not normalize: its {family.support.measure} over "
            f"the support is {total}, not 1 ({status})"
        )


def _check_form(family: Family) -> None:
    form = family.exponential_form
    reference = family.with_param(family.reference.name)
    natural = reference.natural_at()
    rebuilt = (
        sp.Add(*[n * t for n, t in zip(natural, form.statistics)])
        - form.log_partition.xreplace(dict(zip(form.natural_symbols, natural)))
        + form.log_base_measure
    )
    status = _proved(reference.log_density(), rebuilt, family)
    if status != "proved":
        raise InconsistentFamilyError(
            f"the exponential-family form of {family.name!r} does not match its log-density: "
            f"η·T − A(η) + log h = {rebuilt} but log p = {reference.log_density()} "
            f"({status})"
        )
