"""Multivariate Gaussian N(μ, Σ) in d dimensions, full (``mean_cov``) or diagonal covariance."""

from __future__ import annotations

from functools import cache
from itertools import combinations_with_replacement

import sympy as sp
from sympy.core.parameters import evaluate

from symgeom.errors import InvalidParameterizationError, InvalidSizeError
from symgeom.families.base import (
    ArrayArgument,
    ExponentialFamilyForm,
    Family,
    Parameter,
    Parameterization,
    RealSupport,
)
from symgeom.families.gaussian import Gaussian
from symgeom.families.general import LazyTuple, Product

COVARIANCES = ("full", "diagonal")


#: Diagonal covariance: dimensions up to this are expanded (and checked so in the catalog);
#: larger ones add the one-dimensional results over the d independent coordinates.
EXPLICIT_DIAGONAL_D = 4

#: A symbolic diagonal family holds 2d parameters at three points: past this the symbols alone
#: cost seconds, and the numeric kernels take any d (kl_function(..., any_size=True)).
MAX_DIAGONAL_D = 1_000

#: Full covariance is expanded entry by entry (det Σ and adj Σ of a symbolic matrix) up to this d:
#: the sizes the catalog checks entry by entry and against which the general-d result is proved
#: (symgeom.verification.general_gaussian.CHECK_SIZES).  Larger d specialize the general-d
#: matrix derivation (symgeom.families.general_gaussian), up to its own limit: the expanded
#: derivations cost 5 CPU s cold at d = 3 (KL), and at d = 4 minutes (Fisher, entropy 11 s) to
#: more than 20 minutes (KL), where the specialization takes 0.1 s at every d
#: (benchmarks/full_covariance_sizes.py).
MAX_FULL_D = 3


def check_d(d: object, covariance: str = "diagonal") -> int:
    """d must be an integer ≥ 1 (bools rejected), diagonal at most MAX_DIAGONAL_D (full: see
    symgeom.families.general_gaussian.MAX_SPECIALIZED_D)."""
    if isinstance(d, bool) or not isinstance(d, int | sp.Integer) or int(d) < 1:
        raise InvalidSizeError(f"MultivariateGaussian d must be an integer >= 1, got d={d!r}")
    if covariance != "full" and int(d) > MAX_DIAGONAL_D:
        raise InvalidSizeError(
            f"MultivariateGaussian d must be at most {MAX_DIAGONAL_D} for a symbolic family, got "
            f"d={d}; for numbers use symgeom.numeric.kl_function(..., any_size=True)"
        )
    return int(d)


def _mean_parameters(d: int) -> tuple[Parameter, ...]:
    return tuple(
        Parameter(f"mu{i}", rf"\mu_{{{i}}}", f"mean of x{i}")
        for i in range(1, d + 1)
    )


def _covariance_parameters(d: int) -> tuple[Parameter, ...]:
    return tuple(
        Parameter(
            f"Sigma{i}{j}", rf"\Sigma_{{{i}{j}}}", f"covariance of x{i} and x{j}",
            lower=0.0 if i == j else None,
        )
        for i, j in combinations_with_replacement(range(1, d + 1), 2)
    )


def _diagonal_parameters(d: int, kind: str) -> tuple[Parameter, ...]:
    if kind == "var":
        return tuple(
            Parameter(f"var{i}", rf"\sigma_{{{i}}}^{{2}}", f"variance of x{i}", lower=0.0)
            for i in range(1, d + 1)
        )
    if kind == "std":
        return tuple(
            Parameter(f"sigma{i}", rf"\sigma_{{{i}}}", f"standard deviation of x{i}", lower=0.0)
            for i in range(1, d + 1)
        )
    if kind == "logstd":
        return tuple(
            Parameter(f"log_sigma{i}", rf"\log\sigma_{{{i}}}", f"log standard deviation of x{i}")
            for i in range(1, d + 1)
        )
    # natural parameters of coordinate i: η₁ᵢ = μᵢ/σᵢ² and η₂ᵢ = −1/(2σᵢ²) < 0 (the names say
    # the coordinate after x: eta1_x11 is never eta11, the x₁x₁ coordinate of the full family)
    if kind == "eta1":
        return tuple(
            Parameter(f"eta1_x{i}", rf"\eta_{{1,{i}}}", f"natural parameter η₁ = μ/σ² of x{i}")
            for i in range(1, d + 1)
        )
    return tuple(
        Parameter(f"eta2_x{i}", rf"\eta_{{2,{i}}}", f"natural parameter η₂ = −1/(2σ²) of x{i}", upper=0.0)
        for i in range(1, d + 1)
    )


def lowest_terms(numerator: sp.Expr, denominator: sp.Expr) -> sp.Expr:
    """numerator/denominator in lowest terms, exactly as ``sp.cancel(numerator/denominator)``
    writes it (the reduced fraction of two polynomials is unique), for a sixth of the cost at
    d = 3: the pair goes straight to cancel's polynomial step, without the factor_terms and
    signsimp passes over the quotient that dominate it."""
    content, reduced_numerator, reduced_denominator = sp.cancel((numerator, denominator))
    return content * (reduced_numerator / reduced_denominator)


def _symmetric(d: int, entries: dict[tuple[int, int], sp.Expr]) -> sp.Matrix:
    return sp.Matrix(d, d, lambda i, j: entries[(min(i, j) + 1, max(i, j) + 1)])


@cache
def _full(d: int, param: str) -> Family:
    xs = tuple(sp.Symbol(f"x{i}", real=True) for i in range(1, d + 1))
    means = _mean_parameters(d)
    covs = _covariance_parameters(d)
    mu = sp.Matrix([m.symbol() for m in means])
    pairs = list(combinations_with_replacement(range(1, d + 1), 2))
    sigma = _symmetric(d, {pair: c.symbol() for pair, c in zip(pairs, covs)})
    det = sigma.det(method="berkowitz").expand()
    adjugate = sigma.adjugate()
    x = sp.Matrix(xs)
    quadratic = ((x - mu).T * adjugate * (x - mu))[0, 0] / det
    log_density = -quadratic / 2 - sp.log(det) / 2 - d * sp.log(2 * sp.pi) / 2

    # Natural coordinates, one per free sufficient statistic xᵢ, xᵢ², xᵢxⱼ (i<j):
    # η·T = hᵀx − ½ xᵀΛx with h = Λμ, so the coefficient of xᵢ² is −½Λᵢᵢ and of xᵢxⱼ is −Λᵢⱼ.
    lin = tuple(sp.Symbol(f"eta{i}", real=True) for i in range(1, d + 1))
    quad = tuple(sp.Symbol(f"eta{i}{j}", real=True) for i, j in pairs)
    lam_entries = {
        pair: (-2 * q if pair[0] == pair[1] else -q) for pair, q in zip(pairs, quad)
    }
    lam = _symmetric(d, lam_entries)
    h = sp.Matrix(lin)
    lam_det = lam.det(method="berkowitz").expand()
    log_partition = (h.T * lam.adjugate() * h)[0, 0] / (2 * lam_det) - sp.log(lam_det) / 2
    # h = Σ⁻¹μ = adj(Σ)μ / det Σ; −½Λᵢᵢ and −Λᵢⱼ with Λ = Σ⁻¹ = adj(Σ) / det Σ
    h_nat = adjugate * mu
    natural = tuple(lowest_terms(e, det) for e in h_nat) + tuple(
        lowest_terms(-adjugate[i - 1, j - 1], 2 * det if i == j else det) for i, j in pairs
    )
    statistics = tuple(xs) + tuple(xs[i - 1] * xs[j - 1] for i, j in pairs)
    cholesky_parameters = {
        (i, j): Parameter(f"L{i}{j}", f"L_{{{i}{j}}}", f"Cholesky factor entry ({i}, {j})",
                          lower=0.0 if i == j else None)
        for i in range(1, d + 1) for j in range(1, i + 1)
    }
    cholesky = tuple(cholesky_parameters.values())
    chol = sp.Matrix(d, d, lambda i, j: cholesky_parameters[(i + 1, j + 1)].symbol()
                     if j <= i else sp.Integer(0))
    mu_cover = list(mu)
    minors = tuple(
        (sigma[:n, :n].det(method="berkowitz") > 0, "Σ must be positive definite")
        for n in range(2, d + 1)
    )
    return Family(
        name="multivariate_gaussian",
        title=f"Multivariate Gaussian (d = {d}, full covariance)",
        size=(("d", d), ("covariance", "full")),
        variables=xs,
        support=RealSupport(dimension=d),
        log_density_reference=log_density,
        exponential_form=ExponentialFamilyForm(
            statistics=statistics,
            natural_symbols=lin + quad,
            natural=natural,
            log_partition=log_partition,
            log_base_measure=-d * sp.log(2 * sp.pi) / 2,
        ),
        parameterizations=(
            Parameterization(
                "mean_cov",
                "mean vector μ and covariance entries Σᵢⱼ (i ≤ j)",
                means + covs,
                tuple(mu) + tuple(c.symbol() for c in covs),
                constraints=minors,
                cover=(cholesky, tuple(mu_cover) + tuple(
                    (chol * chol.T)[i - 1, j - 1] for i, j in pairs
                )),
                arrays=(ArrayArgument("mu", d, "vector"),
                        ArrayArgument("Sigma", len(pairs), "positive_definite")),
            ),
        ),
        param=param,
        moments=(tuple(mu), tuple(tuple(sigma.row(i)) for i in range(d))),
    )


def _vectors(d: int, scale: str) -> tuple[ArrayArgument, ...]:
    return ArrayArgument("mu", d, "vector"), ArrayArgument(scale, d, "vector")


@cache
def _diagonal(d: int, param: str) -> Family:
    # Past the explicit size the derivations come from the product of one-dimensional factors
    # (family.general); the expressions here are data only, built unevaluated in O(d).
    large = d > EXPLICIT_DIAGONAL_D
    with evaluate(not large):
        return _diagonal_family(d, param, large)


def _diagonal_family(d: int, param: str, large: bool) -> Family:
    xs = tuple(sp.Symbol(f"x{i}", real=True) for i in range(1, d + 1))
    means = _mean_parameters(d)
    variances = _diagonal_parameters(d, "var")
    stds = _diagonal_parameters(d, "std")
    logstds = _diagonal_parameters(d, "logstd")
    eta1s, eta2s = _diagonal_parameters(d, "eta1"), _diagonal_parameters(d, "eta2")
    mu = [m.symbol() for m in means]
    v = [s.symbol() for s in variances]
    log_density = sp.Add(
        *[-((x - m) ** 2) / (2 * vi) - sp.log(vi) / 2 for x, m, vi in zip(xs, mu, v)]
    ) - d * sp.log(2 * sp.pi) / 2
    lin = tuple(sp.Symbol(f"eta{i}", real=True) for i in range(1, d + 1))
    quad = tuple(sp.Symbol(f"eta{i}{i}", negative=True) for i in range(1, d + 1))
    return Family(
        name="multivariate_gaussian",
        title=f"Multivariate Gaussian (d = {d}, diagonal covariance)",
        size=(("d", d), ("covariance", "diagonal")),
        variables=xs,
        support=RealSupport(dimension=d),
        log_density_reference=log_density,
        exponential_form=ExponentialFamilyForm(
            statistics=tuple(xs) + tuple(x**2 for x in xs),
            natural_symbols=lin + quad,
            natural=tuple(m / vi for m, vi in zip(mu, v)) + tuple(-1 / (2 * vi) for vi in v),
            log_partition=sp.Add(
                *[-(a**2) / (4 * b) - sp.log(-2 * b) / 2 for a, b in zip(lin, quad)]
            ),
            log_base_measure=-d * sp.log(2 * sp.pi) / 2,
        ),
        parameterizations=(
            Parameterization("mean_var", "means μᵢ and variances σᵢ²", means + variances,
                             tuple(mu) + tuple(v), arrays=_vectors(d, "sigma2")),
            Parameterization("mean_std", "means μᵢ and standard deviations σᵢ", means + stds,
                             tuple(mu) + tuple(s.symbol() ** 2 for s in stds),
                             from_reference=tuple(mu) + tuple(sp.sqrt(vi) for vi in v),
                             arrays=_vectors(d, "sigma")),
            Parameterization(
                "mean_logstd",
                "means μᵢ and log standard deviations log σᵢ (the usual RL policy head)",
                means + logstds,
                tuple(mu) + tuple(sp.exp(2 * s.symbol()) for s in logstds),
                from_reference=tuple(mu) + tuple(sp.log(vi) / 2 for vi in v),
                arrays=_vectors(d, "log_sigma"),
            ),
            Parameterization(
                "natural",
                "natural parameters η₁ᵢ = μᵢ/σᵢ², η₂ᵢ = −1/(2σᵢ²) of each coordinate",
                eta1s + eta2s,
                tuple(-a.symbol() / (2 * b.symbol()) for a, b in zip(eta1s, eta2s))
                + tuple(-1 / (2 * b.symbol()) for b in eta2s),
                from_reference=tuple(m / vi for m, vi in zip(mu, v)) + tuple(-1 / (2 * vi) for vi in v),
                arrays=(ArrayArgument("eta1", d, "vector"), ArrayArgument("eta2", d, "vector")),
            ),
        ),
        param=param,
        moments=(tuple(mu), _diagonal_covariance(v, large)),
        general=Product(Gaussian, d, explicit=_small_diagonal) if d > EXPLICIT_DIAGONAL_D else None,
    )


def _diagonal_covariance(v: list[sp.Symbol], large: bool) -> tuple:
    """diag(σ²) as rows; lazily for a large d (d² entries that only a small d reads)."""
    d = len(v)
    if not large:
        return tuple(tuple(v[i] if i == j else sp.Integer(0) for j in range(d)) for i in range(d))

    def row(i: int) -> LazyTuple:
        return LazyTuple(d, lambda j: v[i] if i == j else sp.Integer(0), ("diagonal-row", d, i))

    return LazyTuple(d, row, ("diagonal-covariance", d))


def _small_diagonal(param: str) -> Family:
    """The diagonal family at d = 2: the structure of every larger diagonal size."""
    return _diagonal(2, param)


def MultivariateGaussian(  # noqa: N802 - a constructor in the public API
    d: int = 2, covariance: str = "full", param: str | None = None
) -> Family:
    """log p(x|μ,Σ) = −½(x−μ)ᵀΣ⁻¹(x−μ) − ½ log det Σ − (d/2) log 2π; exponential family with
    T = (x, xxᵀ), η = (Σ⁻¹μ, −½Σ⁻¹), A(η) = ½ hᵀΛ⁻¹h − ½ log det Λ (h = Σ⁻¹μ, Λ = Σ⁻¹)."""
    if isinstance(d, sp.Symbol):
        from symgeom.families.general_gaussian import general_gaussian

        return general_gaussian(d, covariance, param)  # type: ignore[return-value]
    d = check_d(d, covariance)
    if covariance == "full" and d > MAX_FULL_D:
        from symgeom.families.general_gaussian import specialized_full

        return specialized_full(d, param or "mean_cov")
    if covariance == "full":
        return _full(d, param or "mean_cov")
    if covariance == "diagonal":
        return _diagonal(d, param or "mean_var")
    raise InvalidParameterizationError(
        f"unknown covariance {covariance!r} for multivariate_gaussian; accepted: "
        + ", ".join(COVARIANCES)
    )
