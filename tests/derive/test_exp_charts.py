"""Charts through exp (log σ, softmax logits) in factor-base arithmetic: the d ≥ 4 crash of issue 10."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symgeom as sg
from symgeom.derive.expansion import expansion_terms
from symgeom.derive.rational import RationalContext, is_rational_zero
from symgeom.derive.series import taylor, taylor_by_fractions
from symgeom.natural.natural_gradient import natural_gradient_at

s, x, t = sp.Symbol("s", real=True), sp.Symbol("x", positive=True), sp.Symbol("t")


def test_exp_atom_is_differentiated_by_the_chain_rule() -> None:
    expr = x * sp.exp(-2 * s) / (1 + sp.exp(s))
    context = RationalContext.for_expressions([expr], (s, x))
    derivative = context.convert(expr).diff(s).as_expr()
    assert is_rational_zero(derivative - sp.diff(expr, s))


def test_an_atom_that_depends_on_the_variable_is_refused() -> None:
    expr = x * sp.log(s**2 + 1)
    context = RationalContext.for_expressions([expr], (s, x))
    with pytest.raises(ValueError, match="cannot differentiate"):
        context.convert(expr).diff(s)


def test_series_through_exp_of_the_line() -> None:
    expr = sp.log(x + sp.exp(2 * (s + t))) - sp.exp(-2 * (s + t)) * x
    by_fractions = taylor_by_fractions(expr, t, 3)
    reference = taylor(expr, t, 3)
    assert all(sp.simplify(a - b) == 0 for a, b in zip(by_fractions, reference))


@pytest.fixture(scope="module")
def logstd4() -> sg.Family:
    return sg.MultivariateGaussian(4, "diagonal", "mean_logstd")


def test_every_fisher_route_of_the_4d_logstd_gaussian(logstd4: sg.Family) -> None:
    reference = sg.fisher(logstd4, "pullback").result
    for route in sg.routes("fisher", logstd4):
        result = sg.fisher(logstd4, route).result
        assert all(is_rational_zero(a - b) for a, b in zip(result, reference)), route
    sigma1 = logstd4.symbols()[4]
    assert is_rational_zero(reference[0, 0] - sp.exp(-2 * sigma1))
    assert reference[4, 4] == 2


def test_natural_gradient_and_expansion_of_the_4d_logstd_gaussian(logstd4: sg.Family) -> None:
    theta = np.array([0.1, -0.2, 0.3, 0.0, 0.2, -0.1, 0.4, 0.0])
    grad = np.arange(1.0, 9.0)
    step = natural_gradient_at(logstd4, theta, grad, method="solve")
    # F = diag(e^{-2 log σ}, …, 2, …): the natural gradient is σ²·g for μ and g/2 for log σ.
    expected = np.concatenate([np.exp(2 * theta[4:]) * grad[:4], grad[4:] / 2])
    np.testing.assert_allclose(step, expected, rtol=1e-12)
    assert sg.natural_gradient(logstd4).result is not None
    c0, c1, c2, _ = expansion_terms(logstd4).coefficients
    assert is_rational_zero(c0) and is_rational_zero(c1)
    delta = sp.Matrix(logstd4.delta_symbols())
    fisher = sg.fisher(logstd4).result
    assert is_rational_zero(c2 - (delta.T * fisher * delta)[0, 0] / 2)
