"""Dirichlet for a symbolic number of classes k (index notation): the data of the general-k derivations.

log p(x|α) = Σᵢ₌₁ᵏ (αᵢ − 1) log xᵢ + lnΓ(α₀) − Σᵢ₌₁ᵏ lnΓ(αᵢ), α₀ = Σᵢ₌₁ᵏ αᵢ, on the simplex; an
exponential family with T = (log x₁, …, log x_k), η = α − 1, A(η) = Σ lnΓ(ηᵢ + 1) − lnΓ(Σ(ηᵢ + 1)),
h = 1.  Every class has its own parameter (no class is pinned), so free indices run over 1…k.
A chart maps its indexed coordinates onto the concentrations: ``concentration`` (αᵢ itself) and
``log_concentration`` (αᵢ = e^{uᵢ}), the charts of the concrete :func:`symgeom.families.dirichlet.Dirichlet`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import sympy as sp

from symgeom.errors import InvalidParameterizationError, InvalidSizeError

#: The size symbol of every general-k derivation (the one of symgeom.derive.indexed).
K = sp.Symbol("k", integer=True, positive=True)
_I = sp.Symbol("i", integer=True, positive=True)
#: x, the point of the simplex (log xᵢ is the sufficient statistic).
X = sp.IndexedBase("x", positive=True)


@dataclass(frozen=True)
class ConcentrationChart:
    """A chart of the general Dirichlet: coordinate bases at θ, θ₁, θ₂ and αᵢ as a function of them.

    ``to_concentration`` is α[index] in the generic base ``bases[0]``.
    """

    name: str
    description: str
    bases: tuple[sp.IndexedBase, sp.IndexedBase, sp.IndexedBase]
    index: sp.Symbol
    to_concentration: sp.Expr

    def base(self, point: int | None) -> sp.IndexedBase:
        return self.bases[0 if point is None else point]

    def alpha_at(self, point: int | None, index: sp.Expr) -> sp.Expr:
        """α[index] in this chart's coordinates at ``point``."""
        return self.to_concentration.xreplace({self.bases[0]: self.base(point)}).xreplace(
            {self.index: index})


@dataclass(frozen=True)
class GeneralDirichlet:
    """Dirichlet(k) with k the SymPy symbol k, in the chart ``param``."""

    charts: tuple[ConcentrationChart, ...]
    param: str = "concentration"
    size: sp.Symbol = K
    variable: sp.IndexedBase = X
    name: str = "dirichlet"
    title: str = "Dirichlet (every k)"

    def __post_init__(self) -> None:
        if self.param not in {c.name for c in self.charts}:
            raise InvalidParameterizationError(
                f"unknown parameterization {self.param!r} for family 'dirichlet'; accepted: "
                + ", ".join(c.name for c in self.charts))

    @property
    def chart(self) -> ConcentrationChart:
        return next(c for c in self.charts if c.name == self.param)

    @property
    def label(self) -> str:
        return f"{self.name}(k={self.size})[{self.param}]"

    def with_param(self, param: str) -> GeneralDirichlet:
        return replace(self, param=param)


def check_symbolic_k(k: sp.Symbol) -> None:
    """A symbolic size must be the symbol k (the general results are written in it), not
    contradicting an integer k ≥ 2."""
    if k.name != "k" or k.is_integer is False or k.is_positive is False:
        raise InvalidSizeError(
            "Dirichlet k must be an integer >= 2 or the symbol k "
            f"(sympy.Symbol('k', integer=True, positive=True)), got {k!r}"
            + (" whose assumptions contradict an integer k >= 2" if k.name == "k" else ""))


@cache
def general_dirichlet(param: str = "concentration") -> GeneralDirichlet:
    """Dirichlet for every k: αᵢ (``concentration``) or uᵢ = log αᵢ (``log_concentration``)."""
    alpha = tuple(sp.IndexedBase(name, positive=True) for name in ("alpha", "alpha_1", "alpha_2"))
    logs = tuple(sp.IndexedBase(name, real=True) for name in ("u", "u_1", "u_2"))
    charts = (
        ConcentrationChart("concentration", "concentrations α_1…α_k", alpha, _I, alpha[0][_I]),
        ConcentrationChart("log_concentration", "log concentrations u_i = log α_i", logs, _I,
                           sp.exp(logs[0][_I])),
    )
    return GeneralDirichlet(charts, param)
