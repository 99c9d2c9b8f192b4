"""d independent coordinates of one-dimensional families, d a SymPy symbol (index notation).

p(x|θ) = Πᵢ₌₁ᵈ p₁(xᵢ|θᵢ), every coordinate in the same chart of the one-dimensional family
``factor`` (the diagonal Gaussian: N(μᵢ, σᵢ²) in each coordinate).  Its derivations
(:mod:`symgeom.derive.indexed_product`) take the factor's derivation and the product lemma
(log p = Σᵢ log p₁(xᵢ|θᵢ), so KL and entropy add, the Fisher matrix is block diagonal), once for
every d.  A parameter θⱼ of the factor is the IndexedBase θⱼ[i] here (θ_{1,j}[i] at the first point
of KL); the concrete family of size d holds parameter j of coordinate i at position j·d + i.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from symgeom.errors import InvalidParameterizationError, InvalidSizeError

#: The summation index of the product's sums, Σᵢ₌₁ᵈ.
INDEX = sp.Symbol("i", integer=True, positive=True)
#: The coordinates (a, b) of a Fisher entry: F_{(j,a),(m,b)} = δ_ab F₁(θ_a)_{jm}.
ROW = sp.Symbol("a", integer=True, positive=True)
COLUMN = sp.Symbol("b", integer=True, positive=True)


@dataclass(frozen=True)
class IndexedProduct:
    """``size`` (a symbol) independent copies of ``factor(param)``; ``kind`` names the covariance
    structure in the label (``diagonal``), ``charts`` the charts offered."""

    factor: Callable[[str], object]
    size: sp.Symbol
    param: str
    charts: tuple[str, ...]
    name: str
    title: str
    kind: str

    def __post_init__(self) -> None:
        if self.param not in self.charts:
            raise InvalidParameterizationError(
                f"unknown parameterization {self.param!r} for family {self.name!r} with d={self.size}; "
                f"accepted: {', '.join(self.charts)}"
            )

    @property
    def label(self) -> str:
        return f"{self.name}(d={self.size},{self.kind})[{self.param}]"

    @property
    def one(self):
        """The one-dimensional family of each coordinate, in this chart."""
        return self.factor(self.param)

    def with_param(self, param: str) -> IndexedProduct:
        from dataclasses import replace

        return replace(self, param=param)

    def base(self, position: int, point: int | None = None) -> sp.IndexedBase:
        """θⱼ of every coordinate (j = ``position`` in the factor's chart) at ``point``."""
        parameter = self.one.parameters[position]
        stem = parameter.latex if "_" not in parameter.latex else f"{{{parameter.latex}}}"
        name = stem if point is None else f"{stem}_{point}"
        return sp.IndexedBase(name, **parameter.assumptions)

    def delta_base(self, position: int) -> sp.IndexedBase:
        """Δθⱼ of every coordinate (the displacement of the expansion)."""
        parameter = self.one.parameters[position]
        return sp.IndexedBase(rf"\Delta {{{parameter.latex}}}", real=True)

    def indexed(self, index: sp.Expr = INDEX) -> dict[sp.Symbol, sp.Expr]:
        """The factor's symbols (θ, θ₁, θ₂, Δθ) → this family's θⱼ[index] at the same point."""
        one = self.one
        out: dict[sp.Symbol, sp.Expr] = {}
        for point in (None, 1, 2):
            out.update({s: self.base(j, point)[index] for j, s in enumerate(one.symbols(point))})
        out.update({s: self.delta_base(j)[index] for j, s in enumerate(one.delta_symbols())})
        return out


def general_diagonal(d: sp.Symbol, param: str | None = None) -> IndexedProduct:
    """The diagonal Gaussian N(μ, diag σ²) on ℝᵈ for a symbolic d, in the charts of the concrete
    diagonal family (mean_var, mean_std, mean_logstd)."""
    from symgeom.families.gaussian import Gaussian
    from symgeom.families.multivariate_gaussian import _diagonal

    if not isinstance(d, sp.Symbol) or d.is_integer is False or d.is_positive is False:
        raise InvalidSizeError(
            f"MultivariateGaussian d must be an integer >= 1 or a SymPy symbol that can be one, got d={d!r}"
        )
    charts = _diagonal(1, "mean_var").parameterization_names
    return IndexedProduct(Gaussian, d, param or "mean_var", charts, "multivariate_gaussian",
                          "Multivariate Gaussian (every d, diagonal covariance)", "diagonal")
