"""Displays fit the page: pdflatex reports no overfull line, nothing is shrunk below 80 %,
and every snippet compiles with only ``sg.latex_preamble()``."""

from __future__ import annotations

from pathlib import Path

import pytest
from latex_check import (
    MIN_SCALE,
    OVERFULL_TOLERANCE_PT,
    article,
    compile_tex,
    needs_pdflatex,
    overfull,
    scales,
)
from representative import REPRESENTATIVE, WIDE, derivation

import symgeom as sg

PROOFS = Path(__file__).resolve().parents[2] / "proofs"


def test_latex_preamble_lists_the_packages():
    preamble = sg.latex_preamble()
    assert "\\usepackage{amsmath}" in preamble and "\\usepackage{amssymb}" in preamble
    assert "graphicx" not in preamble  # snippets never scale, only documents do


@needs_pdflatex
@pytest.mark.parametrize("name", sorted(REPRESENTATIVE))
def test_snippet_compiles_with_the_documented_preamble_and_fits(tmp_path, name):
    """``d.latex()`` in an article with ONLY ``sg.latex_preamble()``: compiles, fits 6.5 in."""
    tex = derivation(name).latex()
    assert "\\scalebox" not in tex
    log = compile_tex(tmp_path, "snippet", article(tex, sg.latex_preamble()))
    assert max(overfull(log), default=0.0) <= OVERFULL_TOLERANCE_PT, overfull(log)


@needs_pdflatex
@pytest.mark.parametrize("name", sorted(REPRESENTATIVE))
def test_two_column_option_fits_a_column(tmp_path, name):
    """``d.latex(width="columnwidth")`` fits a 3.25 in column (NeurIPS-like two-column paper)."""
    tex = derivation(name).latex(width="columnwidth", numbered=True)
    log = compile_tex(tmp_path, "column", article(tex, sg.latex_preamble(), width_in=3.25))
    assert max(overfull(log), default=0.0) <= OVERFULL_TOLERANCE_PT, overfull(log)


@needs_pdflatex
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(WIDE))
def test_widest_derivations_fit_the_text_column(tmp_path, name):
    tex = derivation(name).latex()
    log = compile_tex(tmp_path, "wide", article(tex, sg.latex_preamble()))
    assert max(overfull(log), default=0.0) <= OVERFULL_TOLERANCE_PT, overfull(log)


@needs_pdflatex
@pytest.mark.parametrize("tex", sorted(PROOFS.glob("*.tex")), ids=lambda p: p.name)
def test_committed_proofs_fit_the_page(tmp_path, tex):
    """Every display of proofs/*.tex fits its 6.5 in column at 80 % size or more."""
    source = tex.read_text(encoding="utf-8")
    assert "margin=1in" in source and "letterpaper" in source  # 8.5 in − 2 in = 6.5 in
    assert min(scales(source), default=1.0) >= MIN_SCALE
    log = compile_tex(tmp_path, tex.stem, source)
    assert max(overfull(log), default=0.0) <= OVERFULL_TOLERANCE_PT, overfull(log)
