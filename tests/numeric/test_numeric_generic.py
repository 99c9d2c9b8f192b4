"""Custom families declared from symgeom.families.base get validation, strategies, a stable KL
and an FVP from their data alone; nothing below families/ tests a family's name."""

from __future__ import annotations

import pathlib
import re
from functools import cache

import mpmath as mp
import pytest
import sympy as sp
from hypothesis import given

import symgeom
from symgeom.errors import InvalidParameterError
from symgeom.families.base import (
    ExponentialFamilyForm,
    Family,
    FiniteSupport,
    Parameter,
    Parameterization,
    RealSupport,
)
from symgeom.numeric import kl_function
from symgeom.numeric.structure import kl_structure
from symgeom.testing import arrays, param_pairs, params

N = 4


@cache
def binomial() -> Family:
    """Binomial(4, p), declared like a user would."""
    x = sp.Symbol("x", integer=True, nonnegative=True)
    p = sp.Symbol("p", positive=True)
    eta = sp.Symbol("eta", real=True)
    par = Parameter("p", "p", "success probability", lower=0.0, upper=1.0)
    return Family(
        name="binomial4", title="Binomial(4)", size=(), variables=(x,),
        support=FiniteSupport(outcomes=tuple((i,) for i in range(N + 1))),
        log_density_reference=sp.log(sp.binomial(N, x)) + x * sp.log(p) + (N - x) * sp.log(1 - p),
        exponential_form=ExponentialFamilyForm(
            statistics=(x,), natural_symbols=(eta,), natural=(sp.log(p / (1 - p)),),
            log_partition=N * sp.log(1 + sp.exp(eta)), log_base_measure=sp.log(sp.binomial(N, x)),
        ),
        parameterizations=(Parameterization("prob", "p", (par,), (p,)),),
        param="prob",
    )


@cache
def exponential() -> Family:
    """Exponential(λ) with rate λ > 0: T = x, η = −λ, A(η) = −log(−η)."""
    x = sp.Symbol("x", positive=True)
    lam = sp.Symbol("lam", positive=True)
    eta = sp.Symbol("eta", negative=True)
    par = Parameter("lam", r"\lambda", "rate", lower=0.0)
    return Family(
        name="exponential_rate", title="Exponential", size=(), variables=(x,),
        support=RealSupport(dimension=1),
        log_density_reference=sp.log(lam) - lam * x,
        exponential_form=ExponentialFamilyForm(
            statistics=(x,), natural_symbols=(eta,), natural=(-lam,),
            log_partition=-sp.log(-eta), log_base_measure=sp.Integer(0),
        ),
        parameterizations=(Parameterization("rate", "rate λ", (par,), (lam,)),),
        param="rate",
    )


def _binomial_reference(p: float, q: float) -> float:
    """Σₓ C(4,x) pˣ(1−p)⁴⁻ˣ log(pₓ/qₓ) in 50 digits."""
    with mp.workdps(50):
        p, q = mp.mpf(p), mp.mpf(q)
        total = mp.mpf(0)
        for k in range(N + 1):
            px = mp.binomial(N, k) * p**k * (1 - p) ** (N - k)
            qx = mp.binomial(N, k) * q**k * (1 - q) ** (N - k)
            if px:
                total += px * mp.log(px / qx)
        return float(total)


def _exponential_reference(a: float, b: float) -> float:
    """∫₀^∞ a e^{−ax} log(a e^{−ax}/(b e^{−bx})) dx = log(a/b) + b/a − 1, in 50 digits."""
    with mp.workdps(50):
        a, b = mp.mpf(a), mp.mpf(b)
        return float(mp.log(a / b) + b / a - 1)


def test_custom_families_are_recognized_as_generic_exponential_families() -> None:
    assert kl_structure(binomial()).kind == "bregman"
    assert kl_structure(exponential()).kind == "bregman"


@pytest.mark.parametrize("relative", [1e-2, 1e-5, 1e-8, 1e-11, 1e-14])
@pytest.mark.parametrize("p", [1e-6, 0.013, 0.37, 0.5, 0.81, 1 - 1e-6])
def test_binomial_kl_near_pairs_nonnegative_and_accurate(p: float, relative: float) -> None:
    kl = kl_function(binomial())
    for sign in (1, -1):
        q = p + sign * relative * min(p, 1 - p)
        got = float(kl(p, q))
        want = _binomial_reference(p, q)
        assert got >= 0
        # 24-node Gauss–Legendre on a smooth integrand plus a few roundings: ~100 ulps.
        assert abs(got - want) <= 1e-12 * want + 1e-300


def test_issue_binomial_reproducer_is_no_longer_negative() -> None:
    # The issue's Binomial(4) at a relative perturbation of 1e-8 returned −4.1e-17.
    kl = kl_function(binomial())
    p = 0.3
    assert float(kl(p, p * (1 + 1e-8))) > 0


@pytest.mark.parametrize("ratio", [1 + 1e-13, 1 + 1e-9, 1 + 1e-5, 1.1, 3.0, 1e3, 1e-3])
@pytest.mark.parametrize("scale", [1e-100, 1.0, 1e100])
def test_exponential_kl_accurate_across_scales(ratio: float, scale: float) -> None:
    kl = kl_function(exponential())
    a, b = scale, scale * ratio
    got = float(kl(a, b))
    want = _exponential_reference(a, b)
    assert got >= 0
    assert abs(got - want) <= 1e-12 * want


def test_custom_family_validation_from_bounds() -> None:
    kl = kl_function(exponential())
    with pytest.raises(InvalidParameterError, match="lam_1 must be > 0"):
        kl(-1.0, 2.0)
    with pytest.raises(InvalidParameterError, match="p_2 must lie in"):
        kl_function(binomial())(0.5, 1.5)


@given(param_pairs(binomial(), near=True))
def test_custom_family_strategies_and_kl(pair: tuple[tuple[float, ...], tuple[float, ...]]) -> None:
    fam = binomial()
    theta1, theta2 = pair
    value = float(kl_function(fam)(*arrays(fam, theta1), *arrays(fam, theta2)))
    want = _binomial_reference(theta1[0], theta2[0])
    assert value >= 0
    assert abs(value - want) <= 1e-12 * want + 1e-300


@given(params(exponential()))
def test_params_of_a_custom_family(theta: tuple[float, ...]) -> None:
    assert theta[0] > 0


def test_fvp_of_a_custom_family_from_its_closed_form_fisher() -> None:
    from symgeom.natural import fisher_vector_product

    # Binomial Fisher in p: n/(p(1−p)).
    p = 0.3
    assert fisher_vector_product(binomial(), [p], [2.0]) == pytest.approx(2 * N / (p * (1 - p)), rel=1e-14)


def test_no_dispatch_by_family_name() -> None:
    root = pathlib.Path(symgeom.__file__).parent
    sources = [*root.joinpath("numeric").rglob("*.py"), *root.joinpath("natural").rglob("*.py"),
               root / "testing.py"]
    pattern = re.compile(r"""["'](bernoulli|categorical|gaussian|multivariate_gaussian)["']|\.name\s*==""")
    hits = [f"{path.name}: {line.strip()}" for path in sources
            for line in path.read_text().splitlines() if pattern.search(line)]
    assert not hits, hits


@cache
def gamma() -> Family:
    """Gamma(α, β) (shape, rate): T = (log x, x), η = (α − 1, −β), A = lnΓ(η₁ + 1) − (η₁ + 1)·log(−η₂)."""
    x = sp.Symbol("x", positive=True)
    a, b = sp.Symbol("alpha", positive=True), sp.Symbol("beta", positive=True)
    e1, e2 = sp.Symbol("eta1", real=True), sp.Symbol("eta2", negative=True)
    pars = (Parameter("alpha", r"\alpha", "shape", lower=0.0), Parameter("beta", r"\beta", "rate", lower=0.0))
    return Family(
        name="gamma_shape_rate", title="Gamma", size=(), variables=(x,),
        support=RealSupport(dimension=1),
        log_density_reference=a * sp.log(b) - sp.loggamma(a) + (a - 1) * sp.log(x) - b * x,
        exponential_form=ExponentialFamilyForm(
            statistics=(sp.log(x), x), natural_symbols=(e1, e2), natural=(a - 1, -b),
            log_partition=sp.loggamma(e1 + 1) - (e1 + 1) * sp.log(-e2), log_base_measure=sp.Integer(0),
        ),
        parameterizations=(Parameterization("shape_rate", "α, β", pars, (a, b)),),
        param="shape_rate",
    )


def _gamma_reference(a1: float, b1: float, a2: float, b2: float) -> float:
    with mp.workdps(50):
        a1, b1, a2, b2 = (mp.mpf(v) for v in (a1, b1, a2, b2))
        return float((a1 - a2) * mp.digamma(a1) - mp.loggamma(a1) + mp.loggamma(a2)
                     + a2 * (mp.log(b1) - mp.log(b2)) + a1 * (b2 - b1) / b1)


@pytest.mark.parametrize("shape", [1e-3, 0.5, 3.0, 1e3, 1e6])
@pytest.mark.parametrize("relative", [0.5, 1e-4, 1e-9, 1e-14])
def test_gamma_kl_shapes_across_decades(shape: float, relative: float) -> None:
    kl = kl_function(gamma())
    a1, b1 = shape, 2.0
    a2, b2 = shape * (1 + relative), 2.0 * (1 - relative / 3)
    got = float(kl(a1, b1, a2, b2))
    want = _gamma_reference(a1, b1, a2, b2)
    assert got >= 0
    assert abs(got - want) <= 1e-12 * want
