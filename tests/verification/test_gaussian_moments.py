"""The Gaussian moment lemmas for every d (Stein's identity, Isserlis), and that each can fail."""

from __future__ import annotations

from symgeom.derive import general_gaussian as gg
from symgeom.derive import matrix_calculus as mc
from symgeom.verification import gaussian_moments as gm
from symgeom.verification.general_gaussian import gaussian_rows
from symgeom.verification.identity import FAILED, PROVED


def test_moment_lemmas_proved_for_every_d():
    rows = {identity: verdict for identity, _, _, verdict in gm.moment_rows()}
    assert set(rows) == {"lemma/normalization@d", "lemma/stein@d", "lemma/isserlis@d", "lemma/expectations@d"}
    for verdict in (gm.normalization.__wrapped__(), gm.stein_score.__wrapped__(),
                    gm.isserlis_closed_forms.__wrapped__(), gm.derivation_expectations.__wrapped__()):
        assert verdict.status == PROVED, verdict
        assert "every d" in verdict.method


def test_rows_join_the_general_gaussian_table():
    identities = [row[0] for row in gaussian_rows(sizes=())]
    assert {"lemma/stein@d", "lemma/isserlis@d", "lemma/expectations@d"} <= set(identities)


def test_stein_recursion_values():
    """E[zᵀPz·zᵀQz] by the recursion, term by term, and a sixth moment (15 pairings of 6 vectors)."""
    four = gm.stein_expect(gm._zpz("P") * gm._zpz("Q"), "z", "Sigma")
    assert mc.proved_equal(four, gm._tr("P", "Sigma") * gm._tr("Q", "Sigma")
                           + gm._tr("P", "Sigma", "Q", "Sigma") * 2)
    six = gm._zf("u") * gm._zf("v") * gm._zf("w") * gm._zf("x") * gm._zf("y") * gm._zf("r")
    by_stein = gm.stein_expect(six, "z", "Sigma")
    assert len(by_stein.terms) == 15
    assert mc.proved_equal(by_stein, mc.expect(six, "z", "Sigma"))
    assert gm.stein_expect(gm._zf("u") * gm._zpz("P") * gm._zpz("Q"), "z", "Sigma").is_zero()


def test_the_derivations_use_moments_up_to_order_four():
    orders = {name: gm.max_z_ends(gg.integrand(name)[0], "z") for name in gg.EXPECTATIONS}
    assert orders["fisher/score_covariance"] == 4 and max(orders.values()) == 4


def _stein_without_trace(poly, z, covariance):
    """Stein's recursion with the tr(ΣW) term dropped (a broken rule)."""
    def one(mono):
        k = next((k for k, f in enumerate(mono) if f[0] == "bil" and z in (f[1], f[3])), None)
        if k is None:
            return mc.Poly.of([(1, mono)])
        _, u, word, v = mono[k]
        if u != z:
            u, word, v = v, tuple(reversed(word)), u
        rest = mc.Poly.of([(1, mono[:k] + mono[k + 1:])])
        moved = mc.substitute(mc.derivative(rest, {z: "w'"}),
                              vectors={"w'": {(((covariance, 1), *word), v): 1}})
        return _stein_without_trace(moved, z, covariance)
    return poly.map_terms(one)


def test_a_broken_stein_rule_fails():
    assert gm.isserlis_closed_forms.__wrapped__(rule=_stein_without_trace).status == FAILED
    assert gm.derivation_expectations.__wrapped__(rule=_stein_without_trace).status == FAILED


def test_a_broken_wick_pairing_fails(monkeypatch):
    """Wick's pairing with only the first matching: the fourth moments differ from Stein's."""
    original = mc._matchings
    monkeypatch.setattr(mc, "_matchings", lambda items: original(items)[:1])
    closed = gm.isserlis_closed_forms.__wrapped__()
    used = gm.derivation_expectations.__wrapped__()
    assert closed.status == FAILED and "Wick = Stein" in closed.method
    assert used.status == FAILED and "score_covariance" in used.method


def test_a_wrong_closed_form_fails(monkeypatch):
    """Isserlis with 1·tr(PΣQΣ) instead of 2·tr(PΣQΣ) is refused."""
    original = gm.closed_forms

    def wrong():
        *rest, (statement, integrand, stated) = original()
        return [*rest, (statement, integrand, stated - gm._tr("P", "Sigma", "Q", "Sigma"))]

    monkeypatch.setattr(gm, "closed_forms", wrong)
    verdict = gm.isserlis_closed_forms.__wrapped__()
    assert verdict.status == FAILED and "2tr(PΣQΣ)" in verdict.method


def test_a_wrong_score_fails(monkeypatch):
    """A log-density with the quadratic form through Σ (not Σ⁻¹) has another score."""
    original = gg.log_density

    def wrong(point, x):
        return mc.substitute(original(point, x), {("Sigma", -1): mc.mat(("Sigma", 1))})

    monkeypatch.setattr(gg, "log_density", wrong)
    assert gm.stein_score.__wrapped__().status == FAILED


def test_a_wrong_normalizing_constant_fails(monkeypatch):
    """(2π)^(−d) instead of (2π)^(−d/2), or ln det Σ without its ½: ∫p ≠ 1."""
    original = gg.log_density
    monkeypatch.setattr(gg, "log_density", lambda point, x: original(point, x)
                        + mc.Poly.scalar(-mc.D * gm.sp.log(2 * gm.sp.pi) / 2))
    assert gm.normalization.__wrapped__().status == FAILED
    monkeypatch.setattr(gg, "log_density", lambda point, x: original(point, x) - mc.logdet("Sigma") * gg.HALF)
    assert gm.normalization.__wrapped__().status == FAILED
