"""Catalog identities that can fail: a wrong chart and a wrong c₂/c₃ closed form are caught."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

import symgeom as sg
from symgeom.verification import catalog
from symgeom.verification.catalog import CATALOG, IDENTITIES, check_identity, proof_cover
from symgeom.verification.identity import FAILED, PROVED
from symgeom.verification.sampling import family_sampler


def _identity(name: str):
    return next(i for i in IDENTITIES if i.name == name)


def _verdict(name: str, family):
    lhs, rhs = _identity(name).sides(family)
    return check_identity(lhs, rhs, substitution=proof_cover(family),
                          sampler=family_sampler(family), time_limit=30.0)


def _with_chart(family, param: str, to_reference):
    charts = tuple(
        dataclasses.replace(c, to_reference=to_reference) if c.name == param else c
        for c in family.parameterizations
    )
    return dataclasses.replace(family, parameterizations=charts, param=param)


def test_every_non_reference_chart_states_its_meaning():
    for family in CATALOG:
        if family.param != family.reference.name:
            assert family.chart.from_reference is not None, family.label
            assert any(i.name == "chart/meaning" for i in catalog.identities_for(family))


def test_a_wrong_mean_var_chart_fails_the_catalog():
    good = sg.Gaussian("mean_var")
    mu, var = good.symbols()
    wrong = _with_chart(good, "mean_var", (mu, var))  # σ = σ² instead of σ = √σ²
    assert _verdict("chart/meaning", good).status == PROVED
    assert _verdict("chart/meaning", wrong).status == FAILED


@pytest.mark.parametrize("order", [2, 3])
def test_a_wrong_expansion_closed_form_fails(monkeypatch, order):
    field = {2: "quadratic_form", 3: "cubic_form"}[order]
    real = catalog.expansion_terms

    def broken(family):
        terms = real(family)
        return dataclasses.replace(terms, **{field: 2 * getattr(terms, field)})

    monkeypatch.setattr(catalog, "expansion_terms", broken)
    family = sg.Bernoulli()
    _lhs, rhs = _identity(f"expansion/c{order}").sides(family)
    assert rhs != sp.Integer(0)
    assert _verdict(f"expansion/c{order}", family).status == FAILED
