"""proofs/multivariate_gaussian: the general-d derivations (matrix notation for full covariance,
index notation for diagonal) lead the document; the concrete sizes follow as checks."""

from __future__ import annotations

import pytest
import sympy as sp
from latex_check import MIN_SCALE, OVERFULL_TOLERANCE_PT, compile_tex, needs_pdflatex, overfull, scales

import symgeom as sg
from symgeom import proofs


@pytest.fixture
def gaussian_document(monkeypatch: pytest.MonkeyPatch) -> proofs.Document:
    # verdicts need the whole catalog: left out here (test_proofs checks the committed tables)
    monkeypatch.setattr(proofs, "verdicts", lambda fam: ())
    monkeypatch.setattr(proofs, "general_verdicts", lambda labels: ())
    concrete = [sg.MultivariateGaussian(1, "full"), sg.MultivariateGaussian(1, "diagonal", "mean_logstd")]
    (doc,) = proofs.family_documents(concrete, proofs.general_families())
    return doc


def test_general_d_families_lead_the_multivariate_document() -> None:
    d = sp.Symbol("d", integer=True, positive=True)
    labels = {fam.label for fam in proofs.general_families()}
    assert sg.MultivariateGaussian(d).label in labels
    charts = ("mean_var", "mean_std", "mean_logstd", "natural")
    assert {f"multivariate_gaussian(d=d,diagonal)[{p}]" for p in charts} <= labels
    assert proofs.GENERAL_SIZE_DOCUMENTS == ()  # no separate multivariate_gaussian_general any more


@pytest.mark.slow
def test_the_general_results_come_first(gaussian_document) -> None:
    headings = [heading for heading, _ in gaussian_document.sections]
    assert headings[0] == "Results for every d"
    general = [h for h in headings if "(d=d," in h]
    checks = headings.index("Checks at concrete sizes: results (default routes)")
    assert len(general) == 20 and all(headings.index(h) < checks for h in general)
    assert "textbook" in gaussian_document.intro and "matrix notation" in gaussian_document.intro
    markdown = proofs.to_markdown(gaussian_document)
    assert r"\operatorname{tr}\left(\Sigma_{2}^{-1} \Sigma_{1}\right)" in markdown
    assert r"\sum_{i=1}^{d}" in markdown and r"\sigma^{2}_{2,i}" in markdown


@pytest.mark.slow
@needs_pdflatex
def test_the_gaussian_document_fits_the_page_at_full_size(gaussian_document, tmp_path) -> None:
    source = proofs.to_latex(gaussian_document)
    assert min(scales(source), default=1.0) >= MIN_SCALE
    log = compile_tex(tmp_path, "multivariate_gaussian", source)
    assert max(overfull(log), default=0.0) <= OVERFULL_TOLERANCE_PT, overfull(log)
