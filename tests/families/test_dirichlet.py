"""Dirichlet(k) against references independent of symgeom's derivations: 50-digit mpmath
quadrature of the density over the simplex (k = 2, 3), scipy.stats.dirichlet and
torch.distributions.Dirichlet (optional), torch autograd for the Fisher matrix at k = 10; the
simplex expectation engine against the same quadrature; the front door's errors.

Tolerances: the 50-digit quadratures of these smooth integrands (all concentrations > 1) agree
with the closed forms to ~45 digits, so 1e-30 still catches any wrong term (a wrong formula is
off by O(1)).  Compiled float64 functions: 1e-12 relative to the largest entry against 50-digit
references (log Γ, ψ, ψ′ of SciPy are good to a few ulp, and no term here is more than ~10³ times
the result); torch and SciPy compute the same textbook formulas in float64, so they agree to the
same 1e-12.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import symgeom as sg
from symgeom.derive.expectation import NoClosedFormError, direct_expectation, expect
from symgeom.families.base import SimplexSupport

DPS = 50
TOL = mpmath.mpf("1e-30")
RTOL = 1e-12

#: (θ₁, θ₂) in the concentration chart, every αᵢ > 1 so the density is smooth up to the edges
POINTS = {2: ((2.5, 1.5), (1.25, 3.5)), 3: ((2.5, 1.5, 3.0), (1.25, 3.5, 1.75))}


def _chart_point(family: sg.Family, alpha: tuple[float, ...]) -> tuple[float, ...]:
    """α written in the family's chart (log α for log_concentration)."""
    return tuple(np.log(alpha)) if family.param == "log_concentration" else tuple(alpha)


class SimplexQuadrature:
    """E_θ[g] for several g at once, at DPS digits, from the family's log-density alone.

    k = 2: ∫₀¹ dx₁; k = 3: x₁ = u, x₂ = v(1 − u) on the unit square (Jacobian 1 − u).  The
    parameters are put in at DPS digits before lambdifying (log Γ and ψ of θ are constants of
    the integrand, not recomputed at each of the ~40k nodes), and the density and the scores are
    evaluated once per node (a memo), so the eight expectations of a point cost about one.
    """

    def __init__(self, family: sg.Family, theta: tuple[float, ...]) -> None:
        self.family = family
        self.theta = theta
        self.log_p = self._at(family.log_density(), theta)
        self.score = self._at([sp.diff(family.log_density(), s) for s in family.symbols()], theta)
        self.memo: dict[tuple, tuple] = {}

    def _at(self, expr: object, theta: tuple[float, ...]):
        at = {s: sp.Float(v, DPS) for s, v in zip(self.family.symbols(), theta)}
        numeric = [sp.N(e.xreplace(at), DPS) for e in expr] if isinstance(expr, list) else \
            sp.N(expr.xreplace(at), DPS)
        return sp.lambdify(self.family.variables, numeric, "mpmath")

    def _node(self, *uv: mpmath.mpf) -> tuple:
        if uv not in self.memo:
            if len(uv) == 1:
                x, jacobian = uv, 1
            else:
                u, v = uv
                x, jacobian = (u, v * (1 - u)), 1 - u
            log_p = self.log_p(*x)
            self.memo[uv] = (mpmath.exp(log_p) * jacobian, x, log_p, self.score(*x))
        return self.memo[uv]

    def _quad(self, term) -> mpmath.mpf:
        def integrand(*uv):
            node = self._node(*uv)
            # tanh-sinh nodes within one ulp of an edge make a coordinate 0: the density is 0
            # there (every α > 1) and p·log x → 0, where 0·(−∞) would be nan
            return mpmath.mpf(0) if node[0] == 0 else term(node)

        return mpmath.quad(integrand, *[[0, 1]] * len(self.family.variables))

    def expect(self, g) -> mpmath.mpf:
        """E[g(x)] with g a function of the k − 1 coordinates."""
        return self._quad(lambda node: node[0] * g(*node[1]))

    def kl(self, other: tuple[float, ...]) -> mpmath.mpf:
        log_q = self._at(self.family.log_density(), other)
        return self._quad(lambda node: node[0] * (node[2] - log_q(*node[1])))

    def entropy(self) -> mpmath.mpf:
        return -self._quad(lambda node: node[0] * node[2])

    def fisher(self) -> list[list[mpmath.mpf]]:
        n = len(self.theta)
        out = [[mpmath.mpf(0)] * n for _ in range(n)]
        for i in range(n):
            for j in range(i, n):
                out[i][j] = out[j][i] = self._quad(
                    lambda node, i=i, j=j: node[0] * node[3][i] * node[3][j])
        return out


def _value(expr: sp.Basic, symbols: tuple, values: tuple) -> sp.Basic:
    at = {s: sp.Float(v, DPS) for s, v in zip(symbols, values)}
    return sp.N(sp.sympify(expr).xreplace(at), DPS)


def _mp(expr: sp.Basic) -> mpmath.mpf:
    return mpmath.mpf(str(expr))


CASES = [
    pytest.param(2, "concentration", id="k=2-concentration"),
    pytest.param(2, "log_concentration", id="k=2-log_concentration"),
    # a two-dimensional 50-digit quadrature: ~40k density evaluations, tens of seconds
    pytest.param(3, "concentration", id="k=3-concentration", marks=pytest.mark.slow),
    pytest.param(3, "log_concentration", id="k=3-log_concentration", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("k", "param"), CASES)
def test_every_route_and_the_compiled_functions_match_quadrature(k, param):
    family = sg.Dirichlet(k, param)
    a, b = (_chart_point(family, alpha) for alpha in POINTS[k])
    one, two = family.symbols(1) + family.symbols(2), family.symbols()
    with mpmath.workdps(DPS):
        reference = SimplexQuadrature(family, a)
        kl_ref, entropy_ref, fisher_ref = reference.kl(b), reference.entropy(), reference.fisher()
        assert abs(reference.expect(lambda *x: 1) - 1) < TOL
        for route in sg.routes("kl", family):
            derived = _mp(_value(sg.kl(family, route).result, one, a + b))
            assert abs(derived - kl_ref) < TOL * (1 + abs(kl_ref)), route
        for route in sg.routes("entropy", family):
            derived = _mp(_value(sg.entropy(family, route).result, two, a))
            assert abs(derived - entropy_ref) < TOL * (1 + abs(entropy_ref)), route
        for route in sg.routes("fisher", family):
            derived = _value(sg.fisher(family, route).result, two, a)
            for i, row in enumerate(fisher_ref):
                for j, entry in enumerate(row):
                    assert abs(_mp(derived[i, j]) - entry) < TOL * (1 + abs(entry)), (route, i, j)
    kl = sg.kl(family).numpy()(*a, *b)
    assert abs(kl - float(kl_ref)) <= RTOL * float(kl_ref)
    assert abs(sg.entropy(family).numpy()(*a) - float(entropy_ref)) <= RTOL * abs(float(entropy_ref))
    fisher = np.asarray(sg.fisher(family).numpy()(*a))
    expected = np.array(fisher_ref, dtype=float)
    assert np.max(np.abs(fisher - expected)) <= RTOL * np.max(np.abs(expected))


@pytest.mark.parametrize("k", [2, pytest.param(3, marks=pytest.mark.slow)])
def test_the_simplex_engine_integrates_log_moments_like_quadrature(k):
    """E[log xᵢ] and E[log x₁ log x_k] by the engine's own exact integration over the simplex
    (change of variables and the Beta integral, not ∇A) against quadrature of the density."""
    family = sg.Dirichlet(k)
    alpha = POINTS[k][0]
    statistics = family.exponential_form.statistics
    wanted = [*statistics, statistics[0] * statistics[-1]]
    with mpmath.workdps(DPS):
        reference = SimplexQuadrature(family, alpha)
        functions = [sp.lambdify(family.variables, g, "mpmath") for g in wanted]
        for g, function in zip(wanted, functions):
            exact = direct_expectation(family, g)
            assert exact is not None and not exact.has(sp.Integral), g
            quadrature = reference.expect(function)
            assert abs(_mp(_value(exact, family.symbols(), alpha)) - quadrature) < TOL, g


def test_the_simplex_engine_refuses_what_is_not_a_beta_integral():
    family = sg.Dirichlet(3)
    x1, x2 = family.variables
    assert direct_expectation(family, sp.exp(x1)) is None
    with pytest.raises(NoClosedFormError, match="exp"):
        expect(family, sp.exp(x1 * x2))
    assert expect(family, sp.exp(x1), explicit=True).has(sp.Integral)


def _torch_dirichlet(alpha: np.ndarray):
    torch = pytest.importorskip("torch")
    return torch.distributions.Dirichlet(torch.tensor(alpha, dtype=torch.float64))


#: concentration points at k = 2, 3, 10, from 0.3 to 7 (the compiled functions at k = 10 take
#: ~30 s to derive cold, hence slow)
SIZES = [2, 3, pytest.param(10, marks=pytest.mark.slow)]


def _alphas(k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.linspace(0.3, 7.0, k), np.geomspace(4.0, 0.5, k)


@pytest.mark.parametrize("k", SIZES)
@pytest.mark.parametrize("param", ["concentration", "log_concentration"])
def test_compiled_kl_and_entropy_match_torch_and_scipy(k, param):
    torch = pytest.importorskip("torch")
    family = sg.Dirichlet(k, param)
    a, b = _alphas(k)
    p, q = _torch_dirichlet(a), _torch_dirichlet(b)
    kl = sg.kl(family).numpy()(*_chart_point(family, a), *_chart_point(family, b))
    expected = float(torch.distributions.kl_divergence(p, q))
    assert abs(kl - expected) <= RTOL * expected
    entropy = sg.entropy(family).numpy()(*_chart_point(family, a))
    assert abs(entropy - float(p.entropy())) <= RTOL * abs(entropy)
    scipy_stats = pytest.importorskip("scipy.stats")
    assert abs(entropy - scipy_stats.dirichlet(a).entropy()) <= RTOL * abs(entropy)


@pytest.mark.parametrize("k", SIZES)
@pytest.mark.parametrize("param", ["concentration", "log_concentration"])
def test_compiled_fisher_matches_torch_autograd(k, param):
    """−∇²_α log p(x|α) does not depend on x for a Dirichlet (log p is affine in α but for the
    normalizer), so torch's Hessian of its own log_prob at any x is F(α); the log chart is
    F(log α) = diag(α) F(α) diag(α)."""
    torch = pytest.importorskip("torch")
    family = sg.Dirichlet(k, param)
    a, _ = _alphas(k)
    x = torch.tensor(np.full(k, 1.0 / k), dtype=torch.float64)

    def log_prob(alpha):
        return torch.distributions.Dirichlet(alpha).log_prob(x)

    hessian = torch.autograd.functional.hessian(log_prob, torch.tensor(a, dtype=torch.float64))
    expected = -hessian.numpy()
    if param == "log_concentration":
        expected = np.diag(a) @ expected @ np.diag(a)
    got = np.asarray(sg.fisher(family).numpy()(*_chart_point(family, a)))
    # torch's float64 trigamma (in the Hessian of its lgamma) is good to ~6e-10 relative
    # (see tests/numeric/test_numeric_new_families.py); 1e-8 is that with a margin
    assert np.max(np.abs(got - expected)) <= 1e-8 * np.max(np.abs(expected))


@pytest.mark.parametrize("k", SIZES)
def test_compiled_fisher_matches_the_hessian_of_the_density_at_40_digits(k):
    """The same fact, −∇²_α log p(x|α) = F(α) at any x, with mpmath's 40-digit differentiation
    of the family's log-density (in place of torch's trigamma)."""
    family = sg.Dirichlet(k)
    a, _ = _alphas(k)
    x = [mpmath.mpf(1) / k] * (k - 1)
    log_p = sp.lambdify((*family.variables, *family.symbols()), family.log_density(), "mpmath")
    got = np.asarray(sg.fisher(family).numpy()(*a))
    with mpmath.workdps(40):
        point = [mpmath.mpf(v) for v in a]
        for i in range(k):
            for j in range(i, k):
                order = [int(n == i) + int(n == j) for n in range(k)]
                entry = -mpmath.diff(lambda *alpha: log_p(*x, *alpha), point, order)
                assert abs(got[i, j] - float(entry)) <= RTOL * np.max(np.abs(got)), (i, j)


@pytest.mark.parametrize("k", SIZES)
def test_compiled_kl_is_stable_for_near_equal_pairs(k):
    """KL(α‖α(1+δr)) for δ = 1e-2 … 1e-13: never negative, and within 1e-10 relative of the
    derived closed form evaluated at 60 digits (there the textbook float64 formula, whose terms
    are O(1) while KL is O(δ²), keeps no digit at all below δ ≈ 1e-8)."""
    family = sg.Dirichlet(k)
    kl = sg.kl(family).numpy()
    closed = sp.lambdify(family.symbols(1) + family.symbols(2), sg.kl(family).result, "mpmath")
    a, _ = _alphas(k)
    r = np.random.default_rng(k).uniform(-1, 1, k)
    for exponent in range(2, 14):
        b = a * (1 + 10.0**-exponent * r)
        got = kl(*a, *b)
        with mpmath.workdps(60):
            expected = float(closed(*[mpmath.mpf(v) for v in (*a, *b)]))
        assert got >= 0
        assert abs(got - expected) <= 1e-10 * expected, (exponent, got, expected)
    assert kl(*a, *a) == 0


def test_front_door():
    assert sg.Dirichlet(3).label == sg.family("dirichlet", k=3).label == "dirichlet(k=3)[concentration]"
    assert sg.family("Dirichlet", "log_concentration", k=2) == sg.Dirichlet(2, "log_concentration")
    assert isinstance(sg.Dirichlet(2).support, SimplexSupport)
    for bad in (1, 0, 2.5, True, "3", None):
        with pytest.raises(sg.InvalidSizeError, match="integer >= 2"):
            sg.Dirichlet(bad)
    with pytest.raises(sg.InvalidSizeError, match="k"):
        sg.family("dirichlet")
    with pytest.raises(sg.InvalidParameterizationError, match="concentration, log_concentration"):
        sg.Dirichlet(3, "probs")
    with pytest.raises(sg.UnknownFamilyError, match="n=4"):
        sg.family("dirichlet", k=3, n=4)


def test_a_negative_concentration_is_refused_by_name():
    family = sg.Dirichlet(3)
    with pytest.raises(sg.InvalidParameterError, match=r"alpha2_1 must be > 0"):
        sg.kl(family).numpy()(1.0, -1.0, 2.0, 1.0, 1.0, 1.0)
    with pytest.raises(sg.InvalidParameterError, match=r"alpha3 must be > 0"):
        sg.entropy(family).numpy()(1.0, 1.0, 0.0)
    with pytest.raises(sg.InvalidParameterError, match=r"alpha1 must be finite"):
        sg.fisher(family).numpy()(np.nan, 1.0, 1.0)


def test_cli_evaluates_and_refuses_by_name(capsys):
    from symgeom.cli import main

    assert main(["eval", "kl", "dirichlet", "--k", "3", "--p", "2.5,1.5,3", "--q", "1.25,3.5,1.75"]) == 0
    printed = float(capsys.readouterr().out)
    expected = sg.kl(sg.Dirichlet(3)).numpy()(2.5, 1.5, 3.0, 1.25, 3.5, 1.75)
    assert abs(printed - expected) <= RTOL * expected
    assert main(["eval", "entropy", "dirichlet", "--k", "3", "--p", "2.5,-1.5,3"]) != 0
    assert "alpha2 must be > 0" in capsys.readouterr().err
