"""Symbol names are unique by construction: one SymPy symbol never means two things."""

from __future__ import annotations

from dataclasses import replace

import pytest

import symgeom as sg
from symgeom.errors import InvalidParameterizationError
from symgeom.families.base import Parameter, Parameterization
from symgeom.verification.catalog import CATALOG


@pytest.mark.parametrize("family", CATALOG, ids=lambda f: f.label)
def test_every_symbol_of_every_chart_and_point_has_one_meaning(family):
    meaning: dict[str, tuple[str, str, object]] = {}
    for chart in family.parameterizations:
        for par in chart.parameters:
            for point in (None, 1, 2):
                name = par.symbol(point).name
                assert meaning.setdefault(name, (par.name, par.description, point)) == (
                    par.name, par.description, point
                ), name


@pytest.mark.parametrize("name", ["sigma2_1", "x_2", "Delta_mu", "not an identifier"])
def test_parameter_names_that_look_like_point_symbols_are_refused(name):
    with pytest.raises(InvalidParameterizationError, match="parameter name"):
        Parameter(name, "x", "something")


def test_two_charts_giving_one_name_two_meanings_is_a_clear_error():
    fam = sg.Gaussian()
    clash = Parameterization(
        "clash", "a chart whose μ is not the mean",
        (Parameter("mu", r"\mu", "median of log x"), fam.chart.parameters[1]),
        fam.chart.to_reference,
    )
    with pytest.raises(InvalidParameterizationError, match="symbol name 'mu' means both"):
        replace(fam, parameterizations=(*fam.parameterizations, clash))


def test_diagonal_gaussian_variance_is_not_a_standard_deviation_at_a_point():
    """The issue's case: σ of x₂ at θ₁ (mean_std) and the variance of x₁ (mean_var) were both
    the symbol ``sigma2_1``, so F printed as diag(1/σ_{1,2}, …)."""
    var = sg.MultivariateGaussian(2, covariance="diagonal", param="mean_var")
    std_at_1 = var.with_param("mean_std").symbols(1)[3]
    assert std_at_1 not in set(var.symbols())
    names = var.latex_names()
    assert names[var.symbols()[2]] == r"\sigma_{1}^{2}" and names[std_at_1] == r"\sigma_{1,2}"
    tex = sg.fisher(var).latex()
    assert r"\sigma_{1,2}" not in tex and r"\sigma_{1}^{2}" in tex
