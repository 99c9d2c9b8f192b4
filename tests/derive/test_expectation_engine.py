"""The expectation engine is exact or refuses: families declared the way a user would, with the
base data types, get E[log x], KL, Fisher and entropy that match summation/quadrature."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

import symgeom as sg
from symgeom.derive.expectation import NoClosedFormError, expect
from symgeom.families.base import (
    ExponentialFamilyForm,
    Family,
    IntegerSupport,
    Parameter,
    Parameterization,
    PositiveRealSupport,
    RealSupport,
)

#: 50-digit quadrature/summation of smooth integrands: 1e-30 catches any wrong term.
TOL = mpmath.mpf("1e-30")


def _user_gamma() -> Family:
    x = sp.Symbol("x", positive=True)
    shape, rate = Parameter("k", "k", "shape", lower=0.0), Parameter("r", "r", "rate", lower=0.0)
    k, r = shape.symbol(), rate.symbol()
    e1, e2 = sp.Symbol("e1", real=True), sp.Symbol("e2", negative=True)
    return Family(
        name="user_gamma", title="user Gamma", size=(), variables=(x,),
        support=PositiveRealSupport(),
        log_density_reference=(k - 1) * sp.log(x) - r * x + k * sp.log(r) - sp.loggamma(k),
        exponential_form=ExponentialFamilyForm(
            statistics=(sp.log(x), x), natural_symbols=(e1, e2), natural=(k - 1, -r),
            log_partition=sp.loggamma(e1 + 1) - (e1 + 1) * sp.log(-e2),
            log_base_measure=sp.Integer(0)),
        parameterizations=(Parameterization("shape_rate", "shape, rate", (shape, rate), (k, r)),),
        param="shape_rate",
    )


def _user_poisson() -> Family:
    x = sp.Symbol("x", integer=True, nonnegative=True)
    rate = Parameter("m", "m", "rate", lower=0.0)
    m = rate.symbol()
    e = sp.Symbol("e", real=True)
    return Family(
        name="user_poisson", title="user Poisson", size=(), variables=(x,),
        support=IntegerSupport(),
        log_density_reference=x * sp.log(m) - m - sp.log(sp.factorial(x)),
        exponential_form=ExponentialFamilyForm(
            statistics=(x,), natural_symbols=(e,), natural=(sp.log(m),),
            log_partition=sp.exp(e), log_base_measure=-sp.log(sp.factorial(x))),
        parameterizations=(Parameterization("rate", "rate", (rate,), (m,)),),
        param="rate",
    )


def _mp(expr: sp.Expr, values: dict) -> mpmath.mpf:
    return mpmath.mpf(str(sp.N(expr.xreplace({s: sp.Float(v, 50) for s, v in values.items()}), 50)))


def test_user_gamma_log_moment_kl_fisher_entropy_match_quadrature():
    family = _user_gamma()
    (x,) = family.variables
    k, r = family.symbols()
    a, b = mpmath.mpf("2.5"), mpmath.mpf("1.5")
    a2, b2 = mpmath.mpf("3.25"), mpmath.mpf("0.5")
    with mpmath.workdps(50):
        def pdf(v, a=a, b=b):
            return b**a * v ** (a - 1) * mpmath.exp(-b * v) / mpmath.gamma(a)

        def quad(f):
            return mpmath.quad(lambda v: pdf(v) * f(v), [0, mpmath.inf])

        e_log = expect(family, sp.log(x))
        assert abs(_mp(e_log, {k: a, r: b}) - quad(mpmath.log)) < TOL  # ψ(α) − log β, not 1
        kl = sg.kl(family).result
        reference = quad(lambda v: mpmath.log(pdf(v) / pdf(v, a2, b2)))
        (k1, r1), (k2, r2) = family.symbols(1), family.symbols(2)
        assert abs(_mp(kl, {k1: a, r1: b, k2: a2, r2: b2}) - reference) < TOL
        fisher = sg.fisher(family).result
        s = [lambda v: mpmath.log(b) - mpmath.digamma(a) + mpmath.log(v), lambda v: a / b - v]
        for i in range(2):
            for j in range(2):
                value = _mp(fisher[i, j], {k: a, r: b})
                assert abs(value - quad(lambda v, i=i, j=j: s[i](v) * s[j](v))) < TOL
        entropy = sg.entropy(family).result
        assert abs(_mp(entropy, {k: a, r: b}) - quad(lambda v: -mpmath.log(pdf(v)))) < TOL


def test_user_poisson_kl_fisher_match_summation_and_entropy_stays_explicit():
    family = _user_poisson()
    (m,) = family.symbols()
    lam, lam2 = mpmath.mpf("2.5"), mpmath.mpf("0.75")
    with mpmath.workdps(50):
        def pmf(n, rate=lam):
            return rate**n * mpmath.exp(-rate) / mpmath.factorial(n)

        def total(f):
            return mpmath.nsum(lambda n: pmf(int(n)) * f(int(n)), [0, mpmath.inf])

        (m1,), (m2,) = family.symbols(1), family.symbols(2)
        kl = _mp(sg.kl(family).result, {m1: lam, m2: lam2})
        assert abs(kl - total(lambda n: mpmath.log(pmf(n) / pmf(n, lam2)))) < TOL
        fisher = _mp(sg.fisher(family).result[0, 0], {m: lam})
        assert abs(fisher - total(lambda n: (n / lam - 1) ** 2)) < TOL
    entropy = sg.entropy(family).result
    assert entropy.has(sp.Sum)  # E[log x!]: no closed form, kept explicit, never a number
    with mpmath.workdps(30):
        value = mpmath.mpf(str(sp.N(entropy.xreplace({m: sp.Float("2.5", 30)}), 30)))
        assert abs(value - total(lambda n: -mpmath.log(pmf(n)))) < mpmath.mpf("1e-20")
    (x,) = family.variables
    with pytest.raises(NoClosedFormError, match="factorial"):
        expect(family, sp.log(sp.factorial(x)))


def test_real_support_alone_gives_no_gaussian_moments():
    """A family on ℝ that does not declare Gaussian moments is not handed Isserlis' theorem."""
    x = sp.Symbol("x", real=True)
    scale = Parameter("c", "c", "scale", lower=0.0)
    c = scale.symbol()
    logistic = Family(
        name="logistic", title="logistic", size=(), variables=(x,), support=RealSupport(1),
        log_density_reference=-x / c - 2 * sp.log(1 + sp.exp(-x / c)) - sp.log(c),
        exponential_form=None,
        parameterizations=(Parameterization("scale", "scale", (scale,), (c,)),), param="scale",
    )
    assert sg.routes("kl", logistic) == ("definition",)
    assert "log_partition" not in sg.routes("fisher", logistic)
    # taken by integrating against the density itself (it is 1), not from moments of x
    value = expect(logistic, sp.log(1 + sp.exp(-x / c)))
    with mpmath.workdps(30):
        cc = mpmath.mpf("1.3")

        def pdf(v):
            return mpmath.exp(-v / cc) / (cc * (1 + mpmath.exp(-v / cc)) ** 2)

        reference = mpmath.quad(lambda v: pdf(v) * mpmath.log(1 + mpmath.exp(-v / cc)),
                                [-mpmath.inf, 0, mpmath.inf])
        assert abs(mpmath.mpf(str(sp.N(value.xreplace({c: sp.Float("1.3", 30)}), 30))) - reference) \
            < mpmath.mpf("1e-20")
