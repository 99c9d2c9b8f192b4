"""The new families' closed forms against independent references: mpmath summation and
quadrature of the density at 50 digits (always), scipy.stats and torch.distributions (optional)."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

import symgeom as sg
from symgeom.derive.expectation import has_no_closed_form

DPS = 50
#: 50-digit sums and quadratures of smooth integrands agree with the closed forms to ~45 digits;
#: 1e-30 leaves a wide margin and still catches any wrong term (a wrong formula is off by O(1)).
TOL = mpmath.mpf("1e-30")

#: (family, θ₁, θ₂) in the reference chart; Gamma/Beta shapes > 1 keep quadrature smooth at 0.
POINTS = [
    (sg.Poisson(), (mpmath.mpf("2.5"),), (mpmath.mpf("0.75"),)),
    (sg.Exponential(), (mpmath.mpf("1.5"),), (mpmath.mpf("0.4"),)),
    (sg.Gamma(), (mpmath.mpf("2.5"), mpmath.mpf("1.5")), (mpmath.mpf("3.25"), mpmath.mpf("0.5"))),
    (sg.Beta(), (mpmath.mpf("2.5"), mpmath.mpf("1.5")), (mpmath.mpf("1.25"), mpmath.mpf("3.5"))),
    (sg.Binomial(4), (mpmath.mpf("0.3"),), (mpmath.mpf("0.65"),)),
    (sg.Geometric(), (mpmath.mpf("0.3"),), (mpmath.mpf("0.55"),)),
    (sg.NegativeBinomial(3), (mpmath.mpf("0.4"),), (mpmath.mpf("0.7"),)),
    (sg.Laplace(), (mpmath.mpf("0.5"), mpmath.mpf("1.5")), (mpmath.mpf("-0.75"), mpmath.mpf("0.8"))),
]
#: Laplace locations of both points: quadrature splits there, where the integrand has kinks.
KINKS = [mpmath.mpf("0.5"), mpmath.mpf("-0.75")]
IDS = [f.label for f, _, _ in POINTS]


def _support_expectation(family: sg.Family, theta: tuple, f) -> mpmath.mpf:
    """Σₓ p(x|θ) f(x) or ∫ p(x|θ) f(x) dx at DPS digits, from the density alone."""
    (x,) = family.variables
    log_p = sp.lambdify((x, *family.symbols()), family.log_density(), "mpmath")

    def weighted(v: mpmath.mpf) -> mpmath.mpf:
        return mpmath.exp(log_p(v, *theta)) * f(v)

    support = family.support
    if isinstance(support, sg.families.base.IntegerSupport):
        if support.upper is not None:
            return mpmath.fsum(weighted(mpmath.mpf(k)) for k in range(support.upper + 1))
        return mpmath.nsum(lambda k: weighted(mpmath.mpf(int(k))), [0, mpmath.inf])
    if isinstance(support, sg.families.base.RealSupport):
        return mpmath.quad(weighted, [-mpmath.inf, *sorted(KINKS), mpmath.inf])
    low, high = (mpmath.inf if b == sp.oo else mpmath.mpf(int(b)) for b in (support.lower, support.upper))
    return mpmath.quad(weighted, [low, high])


def _value(expr: sp.Expr, symbols: tuple, values: tuple) -> mpmath.mpf:
    at = {s: sp.Float(v, DPS) for s, v in zip(symbols, values)}
    return mpmath.mpf(str(sp.N(expr.xreplace(at), DPS)))


@pytest.mark.parametrize(("family", "theta1", "theta2"), POINTS, ids=IDS)
def test_kl_matches_density_sum_or_quadrature(family, theta1, theta2):
    with mpmath.workdps(DPS):
        (x,) = family.variables
        log_q = sp.lambdify((x, *family.symbols()), family.log_density(), "mpmath")
        log_p = sp.lambdify((x, *family.symbols()), family.log_density(), "mpmath")
        reference = _support_expectation(
            family, theta1, lambda v: log_p(v, *theta1) - log_q(v, *theta2))
        for route in sg.routes("kl", family):
            derived = _value(sg.kl(family, route).result,
                             family.symbols(1) + family.symbols(2), theta1 + theta2)
            assert abs(derived - reference) < TOL * (1 + abs(reference)), route


@pytest.mark.parametrize(("family", "theta1", "theta2"), POINTS, ids=IDS)
def test_fisher_matches_score_covariance_by_quadrature(family, theta1, theta2):
    with mpmath.workdps(DPS):
        (x,) = family.variables
        scores = [sp.lambdify((x, *family.symbols()), sp.diff(family.log_density(), t), "mpmath")
                  for t in family.symbols()]
        # E[sᵢsⱼ] once, for every route below (the quadrature is the cost of this test)
        references = [[_support_expectation(family, theta1,
                                            lambda v, i=i, j=j: scores[i](v, *theta1) * scores[j](v, *theta1))
                       for j in range(len(scores))] for i in range(len(scores))]
        for route in sg.routes("fisher", family):
            if route == "pullback":
                continue
            derived = sg.fisher(family, route).result
            for i in range(len(scores)):
                for j in range(len(scores)):
                    reference = references[i][j]
                    value = _value(derived[i, j], family.symbols(), theta1)
                    assert abs(value - reference) < TOL * (1 + abs(reference)), (route, i, j)


@pytest.mark.parametrize(("family", "theta1", "theta2"), POINTS, ids=IDS)
def test_entropy_matches_density_sum_or_quadrature(family, theta1, theta2):
    with mpmath.workdps(DPS):
        (x,) = family.variables
        log_p = sp.lambdify((x, *family.symbols()), family.log_density(), "mpmath")
        reference = _support_expectation(family, theta1, lambda v: -log_p(v, *theta1))
        for route in sg.routes("entropy", family):
            result = sg.entropy(family, route).result
            if has_no_closed_form(result):
                continue  # compared by its own test below
            value = _value(result, family.symbols(), theta1)
            assert abs(value - reference) < TOL * (1 + abs(reference)), route


@pytest.mark.parametrize("family", [sg.Poisson(), sg.NegativeBinomial(3)], ids=["poisson", "nbinom"])
def test_entropy_without_closed_form_keeps_the_expectation_explicit(family):
    """E[log x!] (Poisson), E[log C(x+r−1, x)] (negative binomial): no closed form, an explicit
    sum, whose value (summed by mpmath) is the entropy."""
    result = sg.entropy(family).result
    assert has_no_closed_form(result)
    theta = (mpmath.mpf("2.5"),) if family.name == "poisson" else (mpmath.mpf("0.4"),)
    with mpmath.workdps(30):
        (x,) = family.variables
        log_p = sp.lambdify((x, *family.symbols()), family.log_density(), "mpmath")
        reference = _support_expectation(family, theta, lambda v: -log_p(v, *theta))
        value = mpmath.mpf(str(sp.N(result.xreplace(dict(zip(family.symbols(), theta))), 30)))
        assert abs(value - reference) < mpmath.mpf("1e-20")


def test_refuses_an_expectation_without_closed_form():
    from symgeom.derive.expectation import NoClosedFormError, expect

    family = sg.Poisson()
    (x,) = family.variables
    with pytest.raises(NoClosedFormError, match="log"):
        expect(family, sp.log(sp.factorial(x)))
    assert isinstance(NoClosedFormError("e"), sg.SymgeomError)


# --- optional references: scipy.stats and torch.distributions (float64) ----------------------
#: float64 closed forms in scipy/torch: a few ulps times the number of terms, so 1e-10 relative.
FLOAT_TOL = 1e-10


def _scipy(family, theta):
    stats = pytest.importorskip("scipy.stats")
    name = family.name
    if name == "poisson":
        return stats.poisson(float(theta[0]))
    if name == "exponential":
        return stats.expon(scale=1 / float(theta[0]))
    if name == "gamma":
        return stats.gamma(float(theta[0]), scale=1 / float(theta[1]))
    if name == "beta":
        return stats.beta(float(theta[0]), float(theta[1]))
    if name == "binomial":
        return stats.binom(dict(family.size)["n"], float(theta[0]))
    if name == "laplace":
        return stats.laplace(float(theta[0]), float(theta[1]))
    if name == "geometric":
        return stats.geom(float(theta[0]), loc=-1)  # scipy counts trials; shift to failures
    return stats.nbinom(dict(family.size)["r"], float(theta[0]))


@pytest.mark.parametrize(("family", "theta1", "theta2"), POINTS, ids=IDS)
def test_entropy_matches_scipy(family, theta1, theta2):
    result = sg.entropy(family).result
    value = float(sp.N(result.xreplace(dict(zip(family.symbols(), theta1))), 20))
    expected = float(_scipy(family, theta1).entropy())
    assert value == pytest.approx(expected, rel=FLOAT_TOL, abs=FLOAT_TOL)


def _torch(family, theta):
    torch = pytest.importorskip("torch")
    dist = torch.distributions
    t = [torch.tensor(float(v), dtype=torch.float64) for v in theta]
    name = family.name
    if name == "poisson":
        return dist.Poisson(t[0])
    if name == "exponential":
        return dist.Exponential(t[0])
    if name == "gamma":
        return dist.Gamma(t[0], t[1])
    if name == "beta":
        return dist.Beta(t[0], t[1])
    if name == "binomial":
        return dist.Binomial(dict(family.size)["n"], probs=t[0])
    if name == "geometric":
        return dist.Geometric(probs=t[0])
    if name == "laplace":
        return dist.Laplace(t[0], t[1])
    return None  # torch's NegativeBinomial counts successes before r failures: another family


@pytest.mark.parametrize(("family", "theta1", "theta2"), POINTS, ids=IDS)
def test_kl_matches_torch(family, theta1, theta2):
    torch = pytest.importorskip("torch")
    p, q = _torch(family, theta1), _torch(family, theta2)
    if p is None:
        pytest.skip("no torch.distributions counterpart with the same convention")
    try:
        expected = float(torch.distributions.kl_divergence(p, q))
    except NotImplementedError:
        pytest.skip("torch has no KL for this pair")
    value = float(_value(sg.kl(family).result, family.symbols(1) + family.symbols(2),
                         theta1 + theta2))
    assert value == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_laplace_routes_that_do_not_apply_say_why():
    family = sg.Laplace()
    from symgeom.derive import not_applicable

    assert sg.routes("kl", family) == ("definition", "reflection")
    assert "exponential family" in not_applicable("kl", family)["bregman"]
    reasons = not_applicable("fisher", family)
    assert set(reasons) == {"negative_hessian", "log_partition", "kl_hessian", "pullback"}
    assert "twice differentiable" in reasons["negative_hessian"]
    with pytest.raises(sg.SymgeomError, match="does not apply"):
        sg.fisher(family, "negative_hessian")
    assert sg.kl(family).result.has(sp.Abs)
