"""Fisher information: four independent routes, reparameterization, and the expansion theorem."""

from __future__ import annotations

import pytest
import sympy as sp

import symgeom as sg
from symgeom.derive.expansion import expansion_terms

CHEAP = [sg.Bernoulli(), sg.Bernoulli("logit"), sg.Categorical(3), sg.Categorical(3, "logits"),
         sg.Gaussian(), sg.Gaussian("mean_var"), sg.Gaussian("natural"), sg.Gaussian("mean_logstd"),
         sg.MultivariateGaussian(2, "diagonal", "mean_logstd")]


def test_gaussian_fisher_is_the_textbook_matrix():
    _mu, sigma = sg.Gaussian().symbols()
    assert sg.fisher(sg.Gaussian()).result == sp.ImmutableMatrix([[1 / sigma**2, 0], [0, 2 / sigma**2]])
    p = sg.Bernoulli().symbols()[0]
    assert sp.simplify(sg.fisher(sg.Bernoulli()).result[0, 0] - 1 / (p * (1 - p))) == 0


@pytest.mark.parametrize("family", CHEAP, ids=lambda f: f.label)
def test_every_route_gives_the_same_matrix(family):
    reference = sg.fisher(family).result
    for route in sg.routes("fisher", family)[1:]:
        other = sg.fisher(family, route).result
        assert sg.check_identity(reference, other).proved, route


@pytest.mark.parametrize("family", CHEAP, ids=lambda f: f.label)
def test_expansion_starts_at_the_fisher_quadratic_form(family):
    terms = expansion_terms(family)
    assert terms.coefficients[0] == 0
    assert sp.simplify(terms.coefficients[1]) == 0
    assert sg.check_identity(terms.coefficients[2], terms.quadratic_form).proved
    assert sg.check_identity(terms.coefficients[3], terms.cubic_form).proved


def test_bernoulli_cubic_term_matches_the_skewness_formula_by_hand():
    """c₃ = (3 F′ − T)/12 with F = 1/(p(1−p)), T = E[s³] = 1/p² − 1/(1−p)² (worked by hand)."""
    p = sg.Bernoulli().symbols()[0]
    (delta,) = sg.Bernoulli().delta_symbols()
    by_hand = (3 * sp.diff(1 / (p * (1 - p)), p) - (1 / p**2 - 1 / (1 - p) ** 2)) / 12 * delta**3
    assert sp.simplify(expansion_terms(sg.Bernoulli()).coefficients[3] - by_hand) == 0


def test_gaussian_natural_step_scales_with_the_variance():
    """F⁻¹ for the mean is σ²: wide Gaussians take big natural steps, narrow ones small."""
    _mu, sigma = sg.Gaussian().symbols()
    inverse = sg.fisher(sg.Gaussian()).result.inv()
    assert inverse[0, 0] == sigma**2
