"""proofs/ documents list the routes that do not apply, with the reason sg.derive.not_applicable gives."""

from __future__ import annotations

import symgeom as sg
from symgeom.derive import not_applicable
from symgeom.proofs import family_documents, to_latex, to_markdown


def test_laplace_document_lists_the_routes_that_do_not_apply():
    (doc,) = family_documents([sg.Laplace(), sg.Laplace("loc_logscale")])
    listed = {(q, r): why for q, r, _, why in doc.not_applicable}
    assert listed[("kl", "bregman")] == not_applicable("kl", sg.Laplace())["bregman"]
    assert "twice differentiable" in listed[("fisher", "negative_hessian")]
    assert ("kl", "reflection") not in listed
    md = to_markdown(doc)
    assert "## Routes that do not apply" in md and "`negative_hessian`" in md
    assert "Routes that do not apply" in to_latex(doc)


def test_an_exponential_family_has_the_bregman_route():
    (doc,) = family_documents([sg.Exponential()])
    assert ("kl", "bregman") not in {(q, r) for q, r, _, _ in doc.not_applicable}


def test_a_smooth_family_does_not_list_the_reflection_route():
    """Reflection is a route for densities with kinks |x − c|; a smooth family lacks it for a
    reason nobody needs told, so its document does not list it (general routes still are)."""
    for family in (sg.Gaussian(), sg.Beta(), sg.Dirichlet(2), sg.Poisson("log_rate")):
        assert "reflection" not in not_applicable("kl", family)
        assert "reflection" not in sg.routes("kl", family)
    (doc,) = family_documents([sg.Beta(), sg.Beta("mean_precision")])
    assert {(q, r) for q, r, _, _ in doc.not_applicable} == {("fisher", "pullback")}


def test_a_family_with_kinks_where_reflection_does_not_apply_lists_it():
    """The same kinks on a support reflection cannot use (here (0, ∞)): the route is expected
    and absent, so the reason is given."""
    import dataclasses

    import sympy as sp

    from symgeom.families.base import IntervalSupport

    kinked = dataclasses.replace(sg.Laplace(), support=IntervalSupport(sp.Integer(0), sp.oo))
    assert "one-dimensional densities on ℝ" in not_applicable("kl", kinked)["reflection"]


def test_each_chart_is_named_once_across_sizes():
    (doc,) = family_documents([sg.Categorical(k, p) for k in (2, 3) for p in ("probs", "logits")])
    assert [charts for q, r, charts, _ in doc.not_applicable if r == "pullback"] == ["probs"]
