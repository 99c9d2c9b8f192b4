"""Dirichlet(k) on the probability simplex, in the ``concentration`` and ``log_concentration`` charts."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import sympy as sp

from symgeom.errors import InvalidSizeError
from symgeom.families.base import (
    ExponentialFamilyForm,
    Family,
    Parameter,
    Parameterization,
    SimplexSupport,
)

if TYPE_CHECKING:
    from symgeom.families.general_dirichlet import GeneralDirichlet


def Dirichlet(k: int | sp.Symbol, param: str = "concentration") -> Family | GeneralDirichlet:  # noqa: N802
    """p(x|α) = Γ(Σα)/∏Γ(αᵢ) ∏ xᵢ^{αᵢ−1} on the simplex (x_k = 1 − Σ_{i<k} xᵢ); exponential
    family with T = (log x₁, …, log x_k), η = α − 1, A(η) = Σ log Γ(ηᵢ+1) − log Γ(Σ(ηᵢ+1)).
    A SymPy symbol ``k`` gives the family for every k (symgeom.families.general_dirichlet)."""
    if isinstance(k, sp.Symbol):
        from symgeom.families.general_dirichlet import check_symbolic_k, general_dirichlet

        check_symbolic_k(k)
        return general_dirichlet(param)
    if isinstance(k, bool) or not isinstance(k, int | sp.Integer) or int(k) < 2:
        raise InvalidSizeError(f"Dirichlet k must be an integer >= 2, got k={k!r}")
    return _dirichlet(int(k), param)


@cache
def _dirichlet(k: int, param: str) -> Family:
    xs = tuple(sp.Symbol(f"x{i}", positive=True) for i in range(1, k))
    last = 1 - sp.Add(*xs)
    conc = tuple(
        Parameter(f"alpha{i}", rf"\alpha_{{{i}}}", f"concentration α{i}", lower=0.0)
        for i in range(1, k + 1)
    )
    logc = tuple(
        Parameter(f"log_alpha{i}", rf"\log\alpha_{{{i}}}", f"log concentration log α{i}")
        for i in range(1, k + 1)
    )
    alpha = [c.symbol() for c in conc]
    etas = tuple(sp.Symbol(f"eta{i}", real=True) for i in range(1, k + 1))
    logs = [sp.log(xi) for xi in xs] + [sp.log(last)]
    return Family(
        name="dirichlet",
        title=f"Dirichlet (k = {k})",
        size=(("k", k),),
        variables=xs,
        support=SimplexSupport(k),
        log_density_reference=sp.Add(*[(a - 1) * t for a, t in zip(alpha, logs)])
        + sp.loggamma(sp.Add(*alpha)) - sp.Add(*[sp.loggamma(a) for a in alpha]),
        exponential_form=ExponentialFamilyForm(
            statistics=tuple(logs),
            natural_symbols=etas,
            natural=tuple(a - 1 for a in alpha),
            log_partition=sp.Add(*[sp.loggamma(e + 1) for e in etas])
            - sp.loggamma(sp.Add(*[e + 1 for e in etas])),
            log_base_measure=sp.Integer(0),
        ),
        parameterizations=(
            Parameterization("concentration", "concentrations α₁, …, α_k", conc, tuple(alpha)),
            Parameterization("log_concentration", "log concentrations, αᵢ = e^{log αᵢ}", logc,
                             tuple(sp.exp(c.symbol()) for c in logc),
                             from_reference=tuple(sp.log(a) for a in alpha)),
        ),
        param=param,
    )
