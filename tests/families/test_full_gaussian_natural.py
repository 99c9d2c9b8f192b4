"""The full-covariance Gaussian's natural coordinates, built by cancel's polynomial step alone, are
exactly (srepr) what ``sp.cancel`` of Σ⁻¹μ and −½Λᵢᵢ, −Λᵢⱼ gives: cache keys and printed forms
do not move."""

from __future__ import annotations

from itertools import combinations_with_replacement

import pytest
import sympy as sp

from symgeom.families import multivariate_gaussian as mg


def _by_cancel(d: int) -> tuple[sp.Expr, ...]:
    """The natural coordinates the way the family first wrote them: sp.cancel of each entry."""
    covs, means = mg._covariance_parameters(d), mg._mean_parameters(d)
    pairs = list(combinations_with_replacement(range(1, d + 1), 2))
    sigma = mg._symmetric(d, {pair: c.symbol() for pair, c in zip(pairs, covs)})
    precision = sigma.adjugate() / sigma.det(method="berkowitz").expand()
    h = precision * sp.Matrix([m.symbol() for m in means])
    return tuple(sp.cancel(e) for e in h) + tuple(
        sp.cancel(-precision[i - 1, j - 1] / 2 if i == j else -precision[i - 1, j - 1])
        for i, j in pairs)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_natural_coordinates_are_cancels_own_form(d):
    natural = mg.MultivariateGaussian(d, "full").exponential_form.natural
    assert [sp.srepr(e) for e in natural] == [sp.srepr(e) for e in _by_cancel(d)]


def test_lowest_terms_reduces_a_common_factor():
    x, y = sp.symbols("x y", positive=True)
    assert mg.lowest_terms(-(x**2 - y**2), 2 * (x + y)) == sp.cancel(-(x**2 - y**2) / (2 * (x + y)))
    assert sp.srepr(mg.lowest_terms(x**2 - y**2, x + y)) == sp.srepr(x - y)
