"""Family constructors: parameterizations, symbols with assumptions, and clear errors for bad input."""

from __future__ import annotations

import random

import pytest
import sympy as sp

import symgeom as sg
from symgeom.verification.catalog import CATALOG
from symgeom.verification.sampling import draw_point


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: sg.family("weibull"), "unknown family 'weibull'; accepted: bernoulli, categorical"),
        (lambda: sg.family("binomial"), "Binomial n must be an integer >= 1, got n=None"),
        (lambda: sg.family("poisson", n=3), "family 'poisson' takes no n=3"),
        (lambda: sg.Gaussian(param="mean_precision"), "unknown parameterization 'mean_precision'"),
        (lambda: sg.Categorical(k=1), "k must be an integer >= 2, got k=1"),
        (lambda: sg.Categorical(k=2.5), "k must be an integer >= 2, got 2.5"),
        (lambda: sg.Categorical(k=True), "k must be an integer >= 2"),
        (lambda: sg.MultivariateGaussian(d=0), "d must be an integer >= 1, got d=0"),
        (lambda: sg.MultivariateGaussian(d=2, covariance="banded"), "unknown covariance 'banded'"),
        (lambda: sg.family("gaussian", k=3), "family 'gaussian' takes no k=3"),
    ],
)
def test_bad_input_names_the_value_and_what_is_accepted(build, message):
    with pytest.raises(sg.SymgeomError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build()


def test_every_parameterization_of_the_design_exists():
    assert sg.Bernoulli().parameterization_names == ("prob", "logit")
    assert sg.Categorical(5).parameterization_names == ("probs", "logits")
    assert sg.Gaussian().parameterization_names == ("mean_std", "mean_var", "natural", "mean_logstd")
    assert sg.MultivariateGaussian(3, "diagonal").parameterization_names == (
        "mean_var", "mean_std", "mean_logstd", "natural")
    assert len(sg.Categorical(7, "logits").parameters) == 6
    assert len(sg.MultivariateGaussian(3).parameters) == 3 + 6


def test_symbols_carry_the_domain_as_assumptions():
    mu, sigma = sg.Gaussian().symbols()
    assert mu.is_real and sigma.is_positive
    (eta1, eta2) = sg.Gaussian("natural").symbols(1)
    assert eta1.is_real and eta2.is_negative
    assert all(p.is_positive for p in sg.Categorical(4).symbols(2))


def test_family_by_name_matches_the_constructors():
    assert sg.family("categorical", "logits", k=3) == sg.Categorical(3, "logits")
    assert sg.family("mvn", d=2, covariance="diagonal") == sg.MultivariateGaussian(2, "diagonal")
    assert sg.family("normal", "natural") == sg.Gaussian("natural")


@pytest.mark.parametrize("family", CATALOG, ids=lambda f: f.label)
def test_cover_lands_inside_the_domain(family):
    """The proof substitution (pᵢ = aᵢ/Σa, Σ = LLᵀ) maps auxiliary values onto valid points."""
    cover = family.chart.cover_at(None)
    if not cover:
        pytest.skip("no cover needed")
    rng = random.Random(1)
    auxiliary = sorted(set().union(*[e.free_symbols for e in cover.values()]), key=lambda s: s.name)
    for _ in range(20):
        values = {a: rng.uniform(0.1, 2) if a.is_positive else rng.uniform(-2, 2) for a in auxiliary}
        point = [float(cover.get(s, s).xreplace(values)) for s in family.symbols()]
        for relation, _ in family.chart.constraints:
            assert bool(relation.xreplace(dict(zip(family.symbols(), point))))
        for value, parameter in zip(point, family.parameters):
            assert parameter.lower is None or value > parameter.lower
            assert parameter.upper is None or value < parameter.upper


@pytest.mark.parametrize("family", CATALOG, ids=lambda f: f.label)
def test_sampled_points_are_valid(family):
    point = draw_point(family, random.Random(0))
    for relation, _ in family.chart.constraints:
        assert bool(relation.xreplace(dict(zip(family.symbols(), point))))


def test_families_are_hashable_values():
    assert hash(sg.Gaussian()) == hash(sg.Gaussian())
    assert sg.Gaussian() != sg.Gaussian("natural")
    assert sg.Gaussian().with_param("natural") == sg.Gaussian("natural")
    assert isinstance(sg.Gaussian().log_density(1), sp.Expr)
