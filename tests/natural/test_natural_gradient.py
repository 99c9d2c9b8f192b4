"""Natural gradient F⁻¹∇J: the seed's σ² fact exactly, CG = Cholesky, chart invariance."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from natural_catalog import CATALOG, IDS, sample_point

import symgeom as sg
from symgeom.errors import InvalidParameterError
from symgeom.natural import (
    gradient_symbols,
    natural_gradient,
    natural_gradient_at,
    solve_fisher,
)
from symgeom.natural.charts import chart_jacobian, chart_map


def proved(lhs: sp.MatrixBase, rhs: sp.MatrixBase) -> bool:
    """lhs = rhs by exact simplification in symgeom's identity checker (not a numeric check)."""
    return sg.check_identity(sp.Matrix(lhs), sp.Matrix(rhs)).status == "proved"


def test_gaussian_mean_natural_step_is_sigma_squared_times_gradient() -> None:
    fam = sg.Gaussian("mean_std")
    _, sigma = fam.symbols(None)
    g_mu, g_sigma = gradient_symbols(fam)
    step = natural_gradient(fam).result
    assert proved(step, sp.Matrix([sigma**2 * g_mu, sigma**2 / 2 * g_sigma]))
    # The seed's two Gaussians: the same ∂J/∂μ = 1 gives steps 100 and 0.01, a 10⁴ ratio.
    wide = natural_gradient_at(fam, [0.0, 10.0], [1.0, 0.0])
    narrow = natural_gradient_at(fam, [0.0, 0.1], [1.0, 0.0])
    assert wide[0] == pytest.approx(100.0, rel=1e-14)
    assert narrow[0] == pytest.approx(0.01, rel=1e-14)


def test_multivariate_gaussian_mean_natural_step_is_sigma_times_gradient() -> None:
    fam = sg.MultivariateGaussian(2)
    s11, s12, s22 = fam.symbols(None)[2:]
    g = gradient_symbols(fam)
    step = natural_gradient(fam).result
    sigma = sp.Matrix([[s11, s12], [s12, s22]])
    assert proved(step[:2, :], sigma * sp.Matrix(g[:2]))


@pytest.mark.parametrize("fam", CATALOG, ids=IDS)
def test_symbolic_natural_gradient_solves_fisher_system(fam: sg.Family) -> None:
    d = natural_gradient(fam)
    fisher = sp.Matrix(sg.fisher(fam).result)
    g = sp.Matrix(gradient_symbols(fam))
    assert proved(fisher * sp.Matrix(d.result), g)
    assert d.arguments == fam.symbols(None) + tuple(g)


@pytest.mark.parametrize("fam", CATALOG, ids=IDS)
def test_cg_on_fvp_matches_cholesky_on_formed_fisher(fam: sg.Family) -> None:
    rng = np.random.default_rng(5)
    theta = sample_point(fam, rng)
    g = rng.normal(size=len(theta))
    cg = natural_gradient_at(fam, theta, g, method="cg")
    direct = natural_gradient_at(fam, theta, g, method="solve")
    assert np.linalg.norm(cg - direct) <= 1e-10 * np.linalg.norm(direct)


CHART_PAIRS = [
    (sg.Gaussian("mean_std"), sg.Gaussian("natural")),
    (sg.Gaussian("mean_std"), sg.Gaussian("mean_logstd")),
    (sg.Gaussian("mean_var"), sg.Gaussian("mean_std")),
    (sg.Bernoulli("prob"), sg.Bernoulli("logit")),
    (sg.Categorical(3, "probs"), sg.Categorical(3, "logits")),
]
PAIR_IDS = [f"{a.param}->{b.param}:{a.name}" for a, b in CHART_PAIRS]


@pytest.mark.parametrize(("a", "b"), CHART_PAIRS, ids=PAIR_IDS)
def test_natural_step_is_chart_invariant_exactly(a: sg.Family, b: sg.Family) -> None:
    # With g_B = J⁻ᵀg_A (chain rule), F_B⁻¹g_B evaluated at θ_B(θ_A) equals J·F_A⁻¹g_A.
    jac = sp.Matrix(chart_jacobian(a, b))
    g_a = sp.Matrix(gradient_symbols(a))
    g_b = jac.T.inv() * g_a
    at = dict(zip(b.symbols(None), chart_map(a, b), strict=True))
    in_b = sp.Matrix(natural_gradient(b, list(g_b)).result).xreplace(at)
    pushed = jac * sp.Matrix(natural_gradient(a).result)
    assert proved(in_b, pushed)


def _reference(fam: sg.Family, theta: np.ndarray) -> np.ndarray:
    """θ_ref(θ): the distribution itself, in the family's reference chart."""
    expr = sp.lambdify(fam.symbols(None), list(fam.chart.to_reference), "numpy")
    return np.array(expr(*theta), dtype=float)


@pytest.mark.parametrize(("a", "b"), CHART_PAIRS, ids=PAIR_IDS)
def test_small_natural_steps_land_on_the_same_distribution_to_second_order(
    a: sg.Family, b: sg.Family
) -> None:
    rng = np.random.default_rng(3)
    theta_a = sample_point(a, rng)
    to_b = sp.lambdify(a.symbols(None), list(chart_map(a, b)), "numpy")
    jac = np.array(sp.lambdify(a.symbols(None), chart_jacobian(a, b), "numpy")(*theta_a), float)
    theta_b = np.array(to_b(*theta_a), dtype=float)
    g_a = rng.normal(size=len(theta_a))
    g_b = np.linalg.solve(jac.T, g_a)
    nat_a = natural_gradient_at(a, theta_a, g_a)
    nat_b = natural_gradient_at(b, theta_b, g_b)
    euc_b = jac @ g_a  # the Euclidean step of chart A, pushed to B, against B's own Euclidean step
    eps = np.geomspace(1e-4, 1e-2, 5)
    natural_gap = [np.linalg.norm(_reference(a, theta_a + e * nat_a)
                                  - _reference(b, theta_b + e * nat_b)) for e in eps]
    euclid_gap = [np.linalg.norm(_reference(b, theta_b + e * euc_b)
                                 - _reference(b, theta_b + e * g_b)) for e in eps]
    # Natural steps differ by the charts' curvature, O(ε²); Euclidean ones already at O(ε).
    # Over ε ∈ [1e-4, 1e-2] the next order shifts the fitted slope by O(ε) ≤ 0.1.
    assert abs(np.polyfit(np.log(eps), np.log(natural_gap), 1)[0] - 2) < 0.1
    assert abs(np.polyfit(np.log(eps), np.log(euclid_gap), 1)[0] - 1) < 0.1


def test_bad_input() -> None:
    with pytest.raises(InvalidParameterError, match="not positive definite"):
        solve_fisher(np.diag([1.0, -2.0]), [1.0, 1.0])
    with pytest.raises(InvalidParameterError, match="symmetric"):
        solve_fisher(np.array([[1.0, 0.5], [0.0, 1.0]]), [1.0, 1.0])
    with pytest.raises(InvalidParameterError, match="shape"):
        solve_fisher(np.eye(2), [1.0, 1.0, 1.0])
    with pytest.raises(InvalidParameterError, match="components"):
        natural_gradient(sg.Gaussian(), [sp.Symbol("a")])
    with pytest.raises(InvalidParameterError, match="method"):
        natural_gradient_at(sg.Gaussian(), [0.0, 1.0], [1.0, 1.0], method="qr")
    with pytest.raises(InvalidParameterError, match="sigma"):
        natural_gradient_at(sg.Gaussian(), [0.0, 0.0], [1.0, 1.0])
