"""sg.Categorical(Symbol k): the general family at the front door, its four quantities, clear
refusals, and the printed (textbook) forms of its results."""

from __future__ import annotations

import pytest
import sympy as sp

import symgeom as sg
from symgeom.derive import derive
from symgeom.derive import general_categorical as general
from symgeom.families.general import IndexedFamily
from symgeom.render.printing import DerivationLatexPrinter
from symgeom.verification.identity import PROVED

K = sp.Symbol("k", integer=True, positive=True)


@pytest.mark.parametrize("param", ["probs", "logits"])
def test_a_symbolic_k_gives_the_general_family(param: str) -> None:
    family = sg.Categorical(K, param)
    assert isinstance(family, IndexedFamily) and family.param == param
    assert sg.family("categorical", param, k=K) == family
    assert sg.Categorical(sp.Symbol("k"), param) == family  # plain k: the same symbol k
    for quantity, route_of in (("kl", sg.kl), ("fisher", sg.fisher), ("entropy", sg.entropy),
                               ("expansion", sg.expansion)):
        derivation = route_of(family)
        assert derivation.quantity == quantity and derivation.result.has(sp.Sum)
        assert derivation.route == sg.routes(quantity, family)[0]
    assert sg.routes("entropy", family) == ("definition", "log_partition")


def test_the_printed_results_are_the_textbook_forms() -> None:
    """Σ p_{1,j} log(p_{1,j}/p_{2,j}) + p_{1,k} log(p_{1,k}/p_{2,k}); δ_ab/p_a + 1/p_k;
    δ_ab p_a − p_a p_b; −Σ pⱼ log pⱼ − p_k log p_k."""
    j, a, b = sp.symbols("j a b", integer=True, positive=True)
    p, p1, p2 = (sp.IndexedBase(name, positive=True) for name in ("p", "p_1", "p_2"))
    pk, p1k, p2k = (sp.Symbol(name, positive=True) for name in ("p_k", "p_{1,k}", "p_{2,k}"))
    limits = (j, 1, K - 1)
    kl = sp.Sum(p1[j] * sp.log(p1[j] / p2[j]), limits) + p1k * sp.log(p1k / p2k)
    entropy = -sp.Sum(p[j] * sp.log(p[j]), limits) - pk * sp.log(pk)
    expected = {
        ("probs", "kl"): kl, ("logits", "kl"): kl,
        ("probs", "entropy"): entropy, ("logits", "entropy"): entropy,
        ("probs", "fisher"): sp.KroneckerDelta(a, b) / p[a] + 1 / pk,
        ("logits", "fisher"): sp.KroneckerDelta(a, b) * p[a] - p[a] * p[b],
    }
    for (param, quantity), form in expected.items():
        for route in general.ROUTES_BY_QUANTITY[quantity]:
            derivation = derive(quantity, sg.Categorical(K, param), route)
            printed = derivation.steps[-1].expression
            assert sp.expand(printed - form) == 0, (param, quantity, route, printed)


@pytest.mark.parametrize("param", ["probs", "logits"])
def test_the_points_of_kl_are_the_first_subscript(param: str) -> None:
    """Issue 9's one notation: θ₁, θ₂ print as p_{1,j}, p_{2,j} (p_{1,k}, p_{2,k}; logits
    z_{1,j}, z_{2,j}) as every concrete family does; single-point quantities keep pⱼ, p_k."""
    family = sg.Categorical(K, param)
    kl = sg.kl(family)
    for text in (kl.latex(), kl.markdown()):
        assert "p_{1,j}" in text and "p_{2,j}" in text, text
        assert "p_{1,k}" in text and "p_{2,k}" in text, text
        assert "q_" not in text and "zeta" not in text, text
    printed = DerivationLatexPrinter().doprint(kl.steps[-1].expression)  # only θ₁, θ₂ in it
    assert "p_{1,j}" in printed and "{p}_{j}" not in printed and "p_{k}" not in printed, printed
    if param == "logits":
        assert "z_{1,j}" in kl.latex() and "z_{2,j}" in kl.latex()
    assert "log(p₁,ⱼ/p₂,ⱼ)" in kl.text() and "q" not in kl.text(), kl.text()
    entropy = sg.entropy(family).latex()
    assert "{p}_{j}" in entropy and "p_{k}" in entropy and "p_{1," not in entropy, entropy


def test_bad_symbolic_sizes_and_routes_are_refused() -> None:
    with pytest.raises(sg.SymgeomError, match="the symbol k"):
        sg.Categorical(sp.Symbol("n"))
    with pytest.raises(sg.SymgeomError, match="contradict"):
        sg.Categorical(sp.Symbol("k", negative=True))
    with pytest.raises(sg.SymgeomError, match="accepted: probs, logits"):
        sg.Categorical(K, "softmax")
    with pytest.raises(sg.SymgeomError, match=r"unknown route 'bogus'.*definition, bregman"):
        sg.kl(sg.Categorical(K), "bogus")
    with pytest.raises(sg.SymgeomError, match="no numeric function: its size is symbolic"):
        sg.kl(sg.Categorical(K)).numpy()


@pytest.mark.slow
def test_verify_of_the_general_family_lists_its_identities() -> None:
    report = sg.verify(sg.Categorical(K, "probs"))
    names = {row.identity for row in report}
    assert {"general/entropy_routes", "general/expansion_c2", "general/kl/definition/printed",
            "general/expansion/taylor@k=4"} <= names
    assert all(row.verdict.status == PROVED for row in report), report


def test_a_wrong_printed_form_fails_its_row(monkeypatch: pytest.MonkeyPatch) -> None:
    from symgeom.verification.general import printed_form_agrees

    original = general.textbook
    monkeypatch.setattr(general, "textbook", lambda family, expr: original(family, expr)
                        + sp.Symbol("p_k", positive=True) ** 2 / 100)
    # __wrapped__: the check itself, not the cached verdict of the real printed form
    verdict = printed_form_agrees.__wrapped__(sg.Categorical(K, "probs"), "entropy", "definition")
    assert verdict.status == "failed", verdict


def test_the_rational_cancellation_proves_only_true_identities() -> None:
    from symgeom.verification.general import _cancels

    z1, z2 = sp.symbols("z1 z2", real=True)
    softmax = sp.exp(z1) / (1 + sp.exp(z1) + sp.exp(z2))
    assert _cancels(softmax, 1 / (1 + sp.exp(-z1) + sp.exp(z2 - z1))).status == PROVED
    assert _cancels(softmax, sp.exp(z1) / (1 + sp.exp(z1) + sp.exp(2 * z2))) is None
    # not rational in the eᶻⁱ: no claim either way (the identity checker decides)
    assert _cancels(sp.log(1 + sp.exp(z1)), z1 + sp.log(1 + sp.exp(-z1))) is None
