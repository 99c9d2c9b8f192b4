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
