"""The multivariate Gaussian of symbolic dimension d (matrix notation) and its large concrete sizes.

``MultivariateGaussian(sympy.Symbol("d", integer=True, positive=True))`` is a
:class:`GeneralGaussian`: its KL, Fisher (as the bilinear form on directions (a, A) of (μ, Σ)),
entropy and expansion are the matrix-notation derivations of
:mod:`symgeom.derive.general_gaussian`, done once for every d.  A concrete full-covariance size
past the explicit limit is a :class:`~symgeom.families.base.Family` whose ``general`` is a
:class:`MatrixSpecialization`: its derivations are the general results with d set, never the
entry-by-entry expansion (det Σ and adj Σ of a symbolic d×d matrix cost minutes past d = 6).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import combinations_with_replacement

import sympy as sp

from symgeom.errors import InvalidParameterizationError, InvalidSizeError
from symgeom.families.base import (
    ArrayArgument,
    ExponentialFamilyForm,
    Family,
    Parameterization,
    RealSupport,
)
from symgeom.families.general import LazyTuple

#: Largest full-covariance d built as a concrete family: it holds d(d+3)/2 parameters at three
#: points (20 300 at d = 200, about a second of SymPy symbols), and its compiled Fisher matrix has
#: (d(d+3)/2)² entries per point.
MAX_SPECIALIZED_D = 200


@dataclass(frozen=True)
class GeneralGaussian:
    """N(μ, Σ) on ℝᵈ for a symbolic d, full covariance, chart ``mean_cov`` (μ and Σ themselves)."""

    size: sp.Symbol
    param: str = "mean_cov"
    name: str = "multivariate_gaussian"
    title: str = "Multivariate Gaussian (every d, full covariance)"

    @property
    def label(self) -> str:
        return f"{self.name}(d={self.size},full)[{self.param}]"


@dataclass(frozen=True)
class MatrixSpecialization:
    """A concrete d of the general-d Gaussian: derivations specialize the matrix-notation result.

    ``explicit`` is the same family at a small explicit size (its structure, e.g. which stable KL
    kernel applies, is this one's)."""

    size: int
    explicit: object = None


def general_gaussian(d: sp.Basic, covariance: str = "full", param: str | None = None) -> GeneralGaussian:
    """The general-d family; d a SymPy symbol that may be a positive integer (diagonal covariance:
    an :class:`~symgeom.families.indexed_product.IndexedProduct` of one-dimensional Gaussians)."""
    if covariance == "diagonal":
        from symgeom.families.indexed_product import general_diagonal

        return general_diagonal(d, param)  # type: ignore[return-value]
    if covariance != "full":
        raise InvalidParameterizationError(
            f"unknown covariance {covariance!r} for multivariate_gaussian; accepted: full, diagonal"
        )
    if not isinstance(d, sp.Symbol) or d.is_integer is False or d.is_positive is False:
        raise InvalidSizeError(
            f"MultivariateGaussian d must be an integer >= 1 or a SymPy symbol that can be one, got d={d!r}"
        )
    if param not in (None, "mean_cov"):
        raise InvalidParameterizationError(
            f"unknown parameterization {param!r} for the general-d multivariate_gaussian; accepted: mean_cov"
        )
    return GeneralGaussian(d)


@cache
def specialized_full(d: int, param: str) -> Family:
    """MultivariateGaussian(d, 'full') for d past the explicit limit: parameters and array layout
    as the explicit family's, the log-density and log-partition in matrix notation (size d)."""
    from symgeom.derive.matrix_calculus import D, to_sympy
    from symgeom.families.multivariate_gaussian import (
        MAX_FULL_D,
        _covariance_parameters,
        _full,
        _mean_parameters,
    )

    if d > MAX_SPECIALIZED_D:
        raise InvalidSizeError(
            f"MultivariateGaussian d must be at most {MAX_SPECIALIZED_D} with full covariance, got d={d}: "
            f"the family holds d(d+3)/2 = {d * (d + 3) // 2} parameters per point and its Fisher matrix "
            "their square; for the general formula pass a SymPy symbol "
            "(sg.MultivariateGaussian(sympy.Symbol('d', integer=True, positive=True))), for KL numbers "
            "use symgeom.numeric.kl_function(sg.MultivariateGaussian(2), any_size=True)"
        )
    if param != "mean_cov":
        raise InvalidParameterizationError(
            f"unknown parameterization {param!r} for family 'multivariate_gaussian'; accepted: mean_cov"
        )
    from symgeom.derive import general_gaussian as gg

    xs = tuple(sp.Symbol(f"x{i}", real=True) for i in range(1, d + 1))
    means, covs = _mean_parameters(d), _covariance_parameters(d)
    pairs = list(combinations_with_replacement(range(d), 2))
    sized = {D: sp.Integer(d)}
    sigma_inv = sp.Inverse(sp.MatrixSymbol("Sigma", d, d))
    mu = sp.MatrixSymbol("mu", d, 1)

    def natural(n: int) -> sp.Expr:
        if n < d:
            return (sigma_inv * mu)[n, 0]
        i, j = pairs[n - d]
        return -sigma_inv[i, j] / 2 if i == j else -sigma_inv[i, j]

    log_density = to_sympy(gg.log_density(None, {((), "x"): 1})).xreplace(sized)
    cov_symbols = {pair: c.symbol() for pair, c in zip(pairs, covs, strict=True)}
    return Family(
        name="multivariate_gaussian",
        title=f"Multivariate Gaussian (d = {d}, full covariance)",
        size=(("d", d), ("covariance", "full")),
        variables=xs,
        support=RealSupport(dimension=d),
        log_density_reference=log_density,
        exponential_form=ExponentialFamilyForm(
            statistics=tuple(xs) + tuple(xs[i] * xs[j] for i, j in pairs),
            natural_symbols=tuple(sp.Symbol(f"eta{i}", real=True) for i in range(1, d + 1))
            + tuple(sp.Symbol(f"eta{i + 1}{j + 1}", real=True) for i, j in pairs),
            natural=LazyTuple(d + len(pairs), natural, ("mvn-natural", d)),
            log_partition=to_sympy(gg.log_partition(None)).xreplace(sized),
            log_base_measure=-d * sp.log(2 * sp.pi) / 2,
        ),
        parameterizations=(
            Parameterization(
                "mean_cov", "mean vector μ and covariance entries Σᵢⱼ (i ≤ j)", means + covs,
                tuple(m.symbol() for m in means) + tuple(c.symbol() for c in covs),
                arrays=(ArrayArgument("mu", d, "vector"),
                        ArrayArgument("Sigma", len(pairs), "positive_definite")),
            ),
        ),
        param=param,
        moments=(tuple(m.symbol() for m in means),
                 tuple(tuple(cov_symbols[(min(i, j), max(i, j))] for j in range(d)) for i in range(d))),
        general=MatrixSpecialization(d, explicit=lambda p: _full(min(2, MAX_FULL_D), p)),
    )
