"""The catalog: every entry's identities hold, verdicts are honest, and `symgeom verify` reports them."""

from __future__ import annotations

import io

import pytest

import symgeom as sg
from symgeom import cache
from symgeom.verification import catalog
from symgeom.verification.identity import FAILED, PROVED, Verdict

LIGHT = [f for f in catalog.CATALOG if len(f.parameters) <= 4]
HEAVY = [f for f in catalog.CATALOG if len(f.parameters) > 4]


def test_catalog_covers_every_family_and_chart():
    labels = {f.label for f in catalog.CATALOG}
    for family in (sg.Bernoulli(), sg.Categorical(2, "logits"), sg.Categorical(4), sg.Gaussian("natural"),
                   sg.MultivariateGaussian(3), sg.MultivariateGaussian(3, "diagonal", "mean_logstd"),
                   sg.Poisson("log_rate"), sg.Exponential("scale"), sg.Gamma("natural"),
                   sg.Beta("mean_precision"), sg.Binomial(4, "logit"), sg.Geometric("logit"),
                   sg.NegativeBinomial(3), sg.Laplace("loc_logscale"),
                   sg.Categorical(5, "logits"), sg.MultivariateGaussian(4, "diagonal", "mean_logstd"),
                   sg.MultivariateGaussian(4, "diagonal", "natural"),
                   sg.Dirichlet(2), sg.Dirichlet(3, "log_concentration")):
        assert family.label in labels
    assert len(catalog.CATALOG) == len(labels) == 52


@pytest.mark.parametrize("family", LIGHT, ids=lambda f: f.label)
def test_light_entries_are_all_proved(family):
    rows = catalog.verdicts(family)
    if family.exponential_form is not None:
        assert {r.identity for r in rows} >= {"kl/routes", "fisher/hessian", "fisher/kl_hessian",
                                               "expansion/c2", "expansion/c3", "entropy/routes"}
    assert [r for r in rows if r.status != PROVED] == []


@pytest.mark.slow
@pytest.mark.parametrize("family", HEAVY, ids=lambda f: f.label)
def test_heavy_entries_hold(family):
    rows = catalog.verdicts(family)
    assert [r for r in rows if r.status == FAILED] == []
    # Every family gets the Fisher routes and the second-order theorem, the 3-d one included.
    assert {r.identity for r in rows} >= {"fisher/hessian", "fisher/log_partition", "fisher/kl_hessian",
                                           "expansion/c2", "expansion/c3"}
    assert {r.identity: r.status for r in rows}["expansion/c2"] == PROVED


def test_run_verify_prints_a_table_and_exits_zero():
    out = io.StringIO()
    assert catalog.run_verify("bernoulli", jobs=1, stream=out) == 0
    text = out.getvalue()
    assert "identity" in text and "verdict" in text and "bernoulli[logit]" in text
    assert "0 failed" in text


def test_run_verify_exits_nonzero_when_an_identity_fails(monkeypatch, tmp_path):
    def broken(identity_name, family):
        return Verdict(FAILED, "mpmath, 50 digits", 0.0, (("p", "0.5"),), "0.1")

    monkeypatch.setattr(catalog, "check", broken)
    # An empty cache: rows stored whole (symgeom.verification.entries) would not ask `check`.
    monkeypatch.setattr(cache, "_memory", {})
    monkeypatch.setenv("SYMGEOM_CACHE_DIR", str(tmp_path))
    out = io.StringIO()
    assert catalog.run_verify("bernoulli", jobs=1, stream=out) == 1
    assert "FAILED kl/routes for bernoulli[prob]" in out.getvalue()


def test_unknown_family_is_a_clear_error():
    with pytest.raises(sg.SymgeomError, match="unknown family 'weibull'"):
        catalog.select("weibull")


def test_verify_api_returns_rows_with_verdicts():
    rows = sg.verify(sg.Bernoulli("logit"))
    assert all(r.family == "bernoulli[logit]" and r.verdict.proved for r in rows)
