"""proofs/: a general (symbolic-size) family leads its family's document; concrete sizes follow
as checks; the document fits the page at full size."""

from __future__ import annotations

import pytest
from latex_check import MIN_SCALE, OVERFULL_TOLERANCE_PT, compile_tex, needs_pdflatex, overfull, scales

import symgeom as sg
from symgeom import proofs


@pytest.fixture
def categorical_document(monkeypatch: pytest.MonkeyPatch) -> proofs.Document:
    # verdicts need the whole catalog: left out here (test_proofs checks the committed tables)
    monkeypatch.setattr(proofs, "verdicts", lambda fam: ())
    monkeypatch.setattr(proofs, "general_verdicts", lambda labels: ())
    (doc,) = proofs.family_documents([sg.Categorical(2), sg.Categorical(2, "logits")],
                                     proofs.general_families())
    return doc


def test_a_general_family_only_joins_a_document_of_its_name(monkeypatch) -> None:
    monkeypatch.setattr(proofs, "verdicts", lambda fam: ())
    (doc,) = proofs.family_documents([sg.Bernoulli()], proofs.general_families())
    assert doc.stem == "bernoulli" and not doc.intro
    assert doc.sections[0][0] == "Results (default routes)"


@pytest.mark.slow
def test_the_general_results_come_first_and_the_sizes_are_checks(categorical_document) -> None:
    headings = [heading for heading, _ in categorical_document.sections]
    assert headings[0] == "Results for every k"
    general = [h for h in headings if "(k=k)" in h]
    checks = headings.index("Checks at concrete sizes: results (default routes)")
    assert len(general) == 8 and all(headings.index(h) < checks for h in general)
    assert "textbook" in categorical_document.intro
    markdown = proofs.to_markdown(categorical_document)
    assert r"\log{\left(\frac{{p}_{j}}{{q}_{j}} \right)}" in markdown  # Σ pⱼ log(pⱼ/qⱼ)
    assert r"\frac{\delta_{a b}}{{p}_{a}} + \frac{1}{p_{k}}" in markdown  # diag(1/p) + 11ᵀ/p_k


@pytest.mark.slow
@needs_pdflatex
def test_the_general_document_fits_the_page_at_full_size(categorical_document, tmp_path) -> None:
    source = proofs.to_latex(categorical_document)
    assert min(scales(source), default=1.0) >= MIN_SCALE
    log = compile_tex(tmp_path, "categorical", source)
    assert max(overfull(log), default=0.0) <= OVERFULL_TOLERANCE_PT, overfull(log)


@pytest.fixture
def dirichlet_document(monkeypatch: pytest.MonkeyPatch) -> proofs.Document:
    from symgeom.families.dirichlet import Dirichlet

    monkeypatch.setattr(proofs, "verdicts", lambda fam: ())
    monkeypatch.setattr(proofs, "general_verdicts", lambda labels: ())
    (doc,) = proofs.family_documents([Dirichlet(2), Dirichlet(2, "log_concentration")],
                                     proofs.general_families())
    return doc


def test_the_general_dirichlet_leads_its_document(dirichlet_document) -> None:
    headings = [heading for heading, _ in dirichlet_document.sections]
    assert headings[0] == "Results for every k"
    general = [h for h in headings if "(k=k)" in h]
    assert len(general) == 8 and "digamma" in dirichlet_document.intro
    assert all(headings.index(h) < headings.index("Checks at concrete sizes: results (default routes)")
               for h in general)


@pytest.mark.slow
@needs_pdflatex
def test_the_general_dirichlet_document_fits_the_page(dirichlet_document, tmp_path) -> None:
    source = proofs.to_latex(dirichlet_document)
    assert min(scales(source), default=1.0) >= MIN_SCALE
    log = compile_tex(tmp_path, "dirichlet", source)
    assert max(overfull(log), default=0.0) <= OVERFULL_TOLERANCE_PT, overfull(log)
