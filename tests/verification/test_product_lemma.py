"""The product lemma for every d (KL, H, cₙ add; F block diagonal), and that each step can fail."""

from __future__ import annotations

import pytest
import sympy as sp

import symgeom as sg
from symgeom.derive import indexed_product as product
from symgeom.families.indexed_product import INDEX
from symgeom.verification import product_lemma as pl
from symgeom.verification.identity import FAILED, PROVED
from symgeom.verification.indexed_product import diagonal_rows

D = sp.Symbol("d", integer=True, positive=True)
LEMMAS = ("log_density", "marginal", "kl", "entropy", "fisher", "expansion")


def _verdicts(family):
    return {
        "log_density": pl.log_density_lemma.__wrapped__(family),
        "marginal": pl.marginal_lemma.__wrapped__(family),
        "kl": pl.additive_lemma.__wrapped__(family, "kl"),
        "entropy": pl.additive_lemma.__wrapped__(family, "entropy"),
        "fisher": pl.fisher_lemma.__wrapped__(family),
        "expansion": pl.expansion_lemma.__wrapped__(family),
    }


@pytest.mark.parametrize("param", ["mean_var", "mean_logstd"])
def test_product_lemma_proved_for_every_d(param):
    verdicts = _verdicts(sg.MultivariateGaussian(D, "diagonal", param))
    for name, verdict in verdicts.items():
        assert verdict.status == PROVED, (name, verdict)
        assert "every d" in verdict.method
    assert "Fubini" in verdicts["kl"].method and "Fubini" in verdicts["fisher"].method


def test_rows_join_the_diagonal_table():
    rows = diagonal_rows(sizes=())
    for param in ("mean_var", "mean_std", "mean_logstd"):
        names = {r[0] for r in rows if r[2] == f"multivariate_gaussian(d=d,diagonal)[{param}]"}
        assert {f"lemma/product/{name}@d" for name in LEMMAS} <= names


FAMILY = sg.MultivariateGaussian(D, "diagonal", "mean_std")


def test_a_product_with_an_extra_factor_fails(monkeypatch):
    """Πᵢ 2p₁(xᵢ|θᵢ) is not a density of independent coordinates: log p ≠ Σᵢ log p₁."""
    original = pl._log_density_sum

    def doubled(family, point=None):
        return original(family, point) + sp.Sum(sp.log(2), (INDEX, 1, family.size))

    monkeypatch.setattr(pl, "_log_density_sum", doubled)
    assert pl.log_density_lemma.__wrapped__(FAMILY).status == FAILED
    assert pl.additive_lemma.__wrapped__(FAMILY, "entropy").status == FAILED


def test_coupled_coordinates_fail_the_fisher_step(monkeypatch):
    """A term μ₁μ₂ coupling two coordinates makes the Hessian not δ_ab times the coordinate's."""
    original = pl._log_density_sum
    mu = FAMILY.base(0)

    def coupled(family, point=None):
        return original(family, point) + sp.Sum(mu[INDEX] * mu[INDEX + 1], (INDEX, 1, family.size))

    monkeypatch.setattr(pl, "_log_density_sum", coupled)
    verdict = pl.fisher_lemma.__wrapped__(FAMILY)
    assert verdict.status == FAILED and "δ_ab" in verdict.method


def test_a_wrong_summand_fails(monkeypatch):
    """A general KL whose summand is twice the coordinate's KL is not Σᵢ KL₁."""
    original = product.general_result
    monkeypatch.setattr(product, "general_result",
                        lambda quantity, family, route: 2 * original(quantity, family, route))
    verdict = pl.additive_lemma.__wrapped__(FAMILY, "kl")
    assert verdict.status == FAILED and "summand" in verdict.method


def test_an_unnormalized_factor_fails(monkeypatch):
    monkeypatch.setattr(pl, "direct_expectation", lambda family, g: 2 * g)
    assert pl.marginal_lemma.__wrapped__(FAMILY).status == FAILED


def test_a_wrong_expansion_summand_fails(monkeypatch):
    """The moved log-density with Δ doubled in one place: dⁿ/dtⁿ no longer the coordinates' sum."""
    original = pl._log_density_sum
    mu, delta = FAMILY.base(0), FAMILY.delta_base(0)

    def shifted(family, point=None):
        return original(family, point).xreplace({mu[INDEX]: mu[INDEX] + delta[INDEX]})

    monkeypatch.setattr(pl, "_log_density_sum", shifted)
    assert pl.expansion_lemma.__wrapped__(FAMILY).status == FAILED
