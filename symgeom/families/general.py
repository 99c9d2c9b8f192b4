"""Families of symbolic size: the data the general-k derivations start from (index notation).

An :class:`IndexedFamily` is the k-outcome one-hot family written once for every k: its
log-density is a sum over i = 1…k − 1 of IndexedBase symbols, the last class carries the rest
(p_k = 1 − Σᵢ pᵢ), and each chart maps its own indexed parameters onto the reference ones.
Concrete sizes are specializations: :func:`symgeom.derive.indexed.specialize` writes the sums
out and renames p[i] to the concrete family's pᵢ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from symgeom.errors import InvalidParameterizationError


@dataclass(frozen=True)
class IndexedChart:
    """A chart of an IndexedFamily: parameter bases at θ, θ₁, θ₂, and p[i] as a function of them.

    ``to_reference`` is p[i] for 1 ≤ i ≤ k − 1 in the generic base (index symbol ``index``);
    ``last`` is p[k] in the same base.  ``description`` names the chart for steps and titles.
    """

    name: str
    description: str
    bases: tuple[sp.IndexedBase, sp.IndexedBase, sp.IndexedBase]
    index: sp.Symbol
    to_reference: sp.Expr
    last: sp.Expr
    #: θ[index] in the reference chart's base and :data:`LAST_PROBABILITY` (logits: log(pᵢ/p_k));
    #: ``None`` for the reference chart itself.  Printing uses it to show results in pᵢ, p_k.
    from_reference: sp.Expr | None = None

    def base(self, point: int | None) -> sp.IndexedBase:
        return self.bases[0 if point is None else point]

    def reference_at(self, point: int | None, index: sp.Expr) -> sp.Expr:
        """p[index] in this chart's symbols at ``point`` (index k gives the last class)."""
        base = self.base(point)
        rename = {self.bases[0]: base}
        if index == LAST:
            return self.last.xreplace(rename)
        return self.to_reference.xreplace(rename).xreplace({self.index: index})


#: Stands for the index k of the last class in :meth:`IndexedChart.reference_at`.
LAST = sp.Symbol("LAST")
#: p_k, the probability of the last class, as printed (p_{1,k}, p_{2,k} at the points of KL).
LAST_PROBABILITY = sp.Symbol("p_k", positive=True)


@dataclass(frozen=True)
class Specialization:
    """A concrete size of a general family: ``build(param)`` is the general family in a chart,
    ``size`` the concrete value of its size symbol.  Derivations of a family carrying one
    specialize the general result (symgeom.derive.specialized) instead of expanding."""

    build: Callable[[str], IndexedFamily]
    size: int
    #: The same family at a small explicit size, in a chart: its structure (what kind of
    #: exponential family, which array layout) is this one's, without the size's cost.
    explicit: Callable[[str], object] | None = None
    #: This very size built explicitly, in a chart: for quantities that have no general-size
    #: derivation, up to symgeom.derive.specialized.EXPAND_LIMIT.
    expand: Callable[[str], object] | None = None


@dataclass(frozen=True)
class IndexedFamily:
    """One-hot family over k outcomes (k a SymPy symbol): log p(x) = Σᵢ₌₁ᵏ xᵢ log pᵢ.

    ``reference`` is the IndexedBase p of the reference chart; ``statistic`` the indexed x.
    The exponential-family form is ηᵢ = log(pᵢ/p_k), A(η) = log(1 + Σ_{i<k} e^{ηᵢ}).
    """

    name: str
    title: str
    size: sp.Symbol
    variable: sp.IndexedBase
    reference: sp.IndexedBase
    charts: tuple[IndexedChart, ...]
    param: str

    def __post_init__(self) -> None:
        if self.param not in {c.name for c in self.charts}:
            raise InvalidParameterizationError(
                f"unknown parameterization {self.param!r} for family {self.name!r}; accepted: "
                + ", ".join(c.name for c in self.charts)
            )

    @property
    def chart(self) -> IndexedChart:
        return next(c for c in self.charts if c.name == self.param)

    @property
    def label(self) -> str:
        return f"{self.name}(k={self.size})[{self.param}]"

    def with_param(self, param: str) -> IndexedFamily:
        from dataclasses import replace

        return replace(self, param=param)


class LazyTuple(tuple):
    """``length`` expressions made on demand by ``make(i)``: the per-class data of a large family.

    Equal (and hashed) by ``key``, so families that hold one still key the caches cheaply.
    """

    def __new__(cls, length: int, make: Callable[[int], object], key: object) -> LazyTuple:
        instance = super().__new__(cls)
        instance.length, instance.make, instance.key = length, make, key
        return instance

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int | slice) -> object:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(self.length)))
        if not -self.length <= index < self.length:
            raise IndexError(index)
        return self.make(index % self.length)

    def __iter__(self):
        return (self.make(i) for i in range(self.length))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyTuple) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"LazyTuple({self.key!r})"


@dataclass(frozen=True)
class Product:
    """d independent copies of a one-dimensional family: ``factor(param)`` is that family in the
    chart of the same name, and parameter j of copy i sits at position j·d + i of the product's
    chart (all means, then all scales).  Derivations add the factor's results over the copies
    (log p = Σᵢ log p₁(xᵢ|θᵢ): KL, entropy and the expansion add; the score covariance is
    block diagonal) instead of expanding the d-dimensional density."""

    factor: Callable[[str], object]
    size: int
    #: The same family at a small explicit size, in a chart: its structure (which stable KL
    #: kernel applies, which array layout) is this one's, without the size's cost.
    explicit: Callable[[str], object] | None = None
