"""Dirichlet for every k (index notation): routes proved equal for every k, specializations equal
the concrete k = 2, 3 derivations, the closed forms at k = 5 against SciPy, clear refusals."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy import special

import symgeom as sg
from symgeom.derive import general_dirichlet as gd
from symgeom.derive.indexed import A, B, J, K
from symgeom.errors import SymgeomError
from symgeom.families.dirichlet import Dirichlet
from symgeom.families.general_dirichlet import GeneralDirichlet, general_dirichlet
from symgeom.verification.general_dirichlet import (
    dirichlet_rows,
    expansion_agrees,
    routes_agree,
    specialization_agrees,
)
from symgeom.verification.identity import FAILED, PROVED

PARAMS = ("concentration", "log_concentration")


@pytest.mark.parametrize("param", PARAMS)
def test_every_route_is_proved_equal_to_the_first_for_every_k(param: str) -> None:
    family = general_dirichlet(param)
    for quantity, table in gd.ROUTES_BY_QUANTITY.items():
        assert len(table) >= 2, quantity
        for route in list(table)[1:]:
            assert routes_agree(family, quantity, route).status == PROVED, (quantity, route)
    for order in range(3):
        assert expansion_agrees(family, order).status == PROVED, order


@pytest.mark.parametrize("param", PARAMS)
@pytest.mark.parametrize("k", [2, 3])
def test_specializations_equal_the_concrete_derivations(param: str, k: int) -> None:
    family = general_dirichlet(param)
    for quantity in ("kl", "fisher", "entropy"):
        for route in gd.ROUTES_BY_QUANTITY[quantity]:
            verdict = specialization_agrees(family, quantity, route, k)
            assert verdict.status == PROVED, (quantity, route, verdict)


@pytest.mark.slow
@pytest.mark.parametrize("param", PARAMS)
@pytest.mark.parametrize("k", [2, 3])
def test_expansion_specializations_equal_the_concrete_derivations(param: str, k: int) -> None:
    for route in gd.ROUTES_BY_QUANTITY["expansion"]:
        verdict = specialization_agrees(general_dirichlet(param), "expansion", route, k)
        assert verdict.status == PROVED, (route, verdict)


def test_the_results_are_the_textbook_forms() -> None:
    """KL = lnΓ(α₀) − Σ lnΓ(αᵢ) − lnΓ(β₀) + Σ lnΓ(βᵢ) + Σ(αᵢ − βᵢ)(ψ(αᵢ) − ψ(α₀)) and
    F_ab = δ_ab ψ′(α_a) − ψ′(α₀), written here by hand and compared for every k."""
    family = general_dirichlet("concentration")
    alpha, a1, a2 = (sp.IndexedBase(n, positive=True) for n in ("alpha", "alpha_1", "alpha_2"))
    s1, s2, s = (sp.Sum(base[J], (J, 1, K)) for base in (a1, a2, alpha))
    kl = (sp.loggamma(s1) - sp.Sum(sp.loggamma(a1[J]), (J, 1, K)) - sp.loggamma(s2)
          + sp.Sum(sp.loggamma(a2[J]), (J, 1, K))
          + sp.Sum((a1[J] - a2[J]) * (sp.polygamma(0, a1[J]) - sp.polygamma(0, s1)), (J, 1, K)))
    fisher = sp.KroneckerDelta(A, B) * sp.polygamma(1, alpha[A]) - sp.polygamma(1, s)
    for route in gd.ROUTES_BY_QUANTITY["kl"]:
        assert gd.proved_equal(sg.kl(family, route).result, kl), route
    for route in gd.ROUTES_BY_QUANTITY["fisher"]:
        assert gd.proved_equal(sg.fisher(family, route).result, fisher), route
    assert not gd.proved_equal(sg.kl(family).result, kl + sp.polygamma(0, s1) / 100)


def test_wrong_formulas_are_not_proved(monkeypatch: pytest.MonkeyPatch) -> None:
    """A KL off by one term, a Fisher with the wrong sign of its rank-one part, and a wrong
    moment rule E[log xᵢ] = ψ(αᵢ) (routes built on it agree with each other for every k, so only
    the comparison with the concrete derivation can catch it)."""
    family = general_dirichlet("concentration")
    kl = gd.kl_definition(family).result
    a1 = family.chart.base(1)
    assert not gd.proved_equal(kl + sp.Sum(a1[J] ** 2, (J, 1, K)) / 100, gd.kl_bregman(family).result)
    fisher = gd.fisher_negative_hessian(family).result
    alpha = family.chart.base(None)
    flipped = fisher + 2 * sp.polygamma(1, sp.Sum(alpha[J], (J, 1, K)))
    assert not gd.proved_equal(flipped, gd.fisher_kl_hessian(family).result)

    original = gd.mean_log
    monkeypatch.setattr(gd, "mean_log", lambda fam, point, index: original(fam, point, index)
                        + sp.polygamma(0, sp.Sum(gd._alpha(fam, point, J), (J, 1, K))))
    gd.kl_definition.cache_clear()
    try:
        wrong = specialization_agrees.__wrapped__(family, "kl", "definition", 3)
    finally:
        gd.kl_definition.cache_clear()
    assert wrong.status == FAILED, wrong


@pytest.mark.parametrize("param", PARAMS)
def test_the_general_results_at_k_5_match_scipy(param: str) -> None:
    """The general KL, Fisher and entropy written out at k = 5 (past every concrete check) against
    the closed forms computed by SciPy (special functions to ~1e-15 relative)."""
    rng = np.random.default_rng(7)
    alpha, beta = rng.uniform(0.3, 4.0, 5), rng.uniform(0.3, 4.0, 5)
    family = general_dirichlet(param)
    chart = (lambda v: v) if param == "concentration" else np.log
    concrete = Dirichlet(5, param)

    def at(expr: sp.Basic, values: dict) -> np.ndarray:
        return np.array(sp.N(expr.xreplace({s: sp.Float(float(v), 30) for s, v in values.items()}), 20),
                        dtype=float)

    kl = gd.specialized(family, "kl", "definition", 5,
                        {1: concrete.symbols(1), 2: concrete.symbols(2)})
    values = {**dict(zip(concrete.symbols(1), chart(alpha))), **dict(zip(concrete.symbols(2), chart(beta)))}
    a0, b0 = alpha.sum(), beta.sum()
    reference = (special.gammaln(a0) - special.gammaln(alpha).sum() - special.gammaln(b0)
                 + special.gammaln(beta).sum()
                 + np.sum((alpha - beta) * (special.digamma(alpha) - special.digamma(a0))))
    assert float(at(kl, values)) == pytest.approx(reference, rel=1e-12)

    here = dict(zip(concrete.symbols(), chart(alpha)))
    fisher = gd.specialized(family, "fisher", "score_covariance", 5, {None: concrete.symbols()})
    expected = np.diag(special.polygamma(1, alpha)) - special.polygamma(1, a0)
    if param == "log_concentration":  # JᵀFJ with J = diag(α)
        expected = alpha[:, None] * expected * alpha[None, :]
    np.testing.assert_allclose(at(fisher, here), expected, rtol=1e-12)

    entropy = gd.specialized(family, "entropy", "log_partition", 5, {None: concrete.symbols()})
    reference = (special.gammaln(alpha).sum() - special.gammaln(a0) + (a0 - 5) * special.digamma(a0)
                 - np.sum((alpha - 1) * special.digamma(alpha)))
    assert float(at(entropy, here)) == pytest.approx(reference, rel=1e-12)


def test_the_front_door_and_its_refusals() -> None:
    k = sp.Symbol("k", integer=True, positive=True)
    family = Dirichlet(k, "log_concentration")
    assert isinstance(family, GeneralDirichlet) and family == Dirichlet(sp.Symbol("k"), "log_concentration")
    for quantity, route_of in (("kl", sg.kl), ("fisher", sg.fisher), ("entropy", sg.entropy),
                               ("expansion", sg.expansion)):
        derivation = route_of(family)
        assert derivation.quantity == quantity and derivation.result.has(sp.Sum)
        assert sg.routes(quantity, family)[0] == derivation.route
    assert "\\sum_{j=1}^{k}" in sg.kl(family).latex()
    with pytest.raises(SymgeomError, match="the symbol k"):
        Dirichlet(sp.Symbol("n"))
    with pytest.raises(SymgeomError, match="contradict"):
        Dirichlet(sp.Symbol("k", negative=True))
    with pytest.raises(SymgeomError, match="accepted: concentration, log_concentration"):
        Dirichlet(k, "probs")
    with pytest.raises(SymgeomError, match=r"unknown route 'bogus'.*definition, bregman"):
        sg.kl(family, "bogus")
    with pytest.raises(SymgeomError, match="no numeric function: its size is symbolic"):
        sg.kl(family).numpy()
    x = family.variable
    with pytest.raises(SymgeomError, match="degree ≤ 2 in log x"):
        gd.expect(family, sp.log(x[A]) ** 3, None)
    with pytest.raises(SymgeomError, match="degree 3 in log x"):
        gd.expect(family, sp.log(x[A]) ** 2 * sp.log(x[B]), None)
    from symgeom.families import FAMILY_NAMES
    from symgeom.families import family as by_name

    if "dirichlet" in FAMILY_NAMES:  # the public name, once sg.family knows it
        assert by_name("dirichlet", "log_concentration", k=k) == family


def test_verify_of_the_general_family_lists_its_rows() -> None:
    report = sg.verify(Dirichlet(sp.Symbol("k"), "concentration"))
    names = {row.identity for row in report}
    assert {"general/kl/bregman==definition", "general/fisher/kl_hessian==negative_hessian",
            "general/expansion_c2", "general/entropy/definition@k=3"} <= names
    assert len(report) == len(dirichlet_rows(("concentration",)))
    assert all(row.verdict.status == PROVED for row in report), report
