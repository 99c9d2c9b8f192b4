"""proofs/: deterministic generation, freshness against the committed files, pdflatex runs."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from symgeom import proofs

PROOFS = Path(__file__).resolve().parent.parent / "proofs"
has_catalog = importlib.util.find_spec("symgeom.verification.catalog") is not None
needs_catalog = pytest.mark.skipif(not has_catalog, reason="symgeom.verification.catalog not landed")


def test_general_document_is_deterministic():
    doc = proofs.general_document()
    assert proofs.to_latex(doc) == proofs.to_latex(proofs.general_document())
    assert doc.sections[0][0].startswith("Fisher information")
    assert proofs.to_latex(doc).isascii()


def test_index_lists_every_document():
    docs = (proofs.general_document(),)
    text = proofs.index(docs)
    assert "[general.tex](general.tex)" in text and "[general.md](general.md)" in text


@pytest.mark.slow
@needs_catalog
def test_proofs_directory_is_fresh():
    """Run `symgeom proofs` when this fails: proofs/ must equal a fresh generation byte for byte.

    Slow on a cold derivation cache (it derives and verifies the catalog); .ci/run runs the same
    check as `symgeom proofs --check` right after `symgeom verify` has filled the cache.
    """
    assert proofs.stale_files(PROOFS) == ()


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_general_document_compiles(tmp_path):
    (tmp_path / "general.tex").write_text(proofs.to_latex(proofs.general_document()))
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "general.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:]


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
@pytest.mark.parametrize("tex", sorted(PROOFS.glob("*.tex")), ids=lambda p: p.name)
def test_committed_proofs_compile(tmp_path, tex):
    shutil.copy(tex, tmp_path / tex.name)
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout[-2000:]


def _has_derive() -> bool:
    import symgeom

    try:
        symgeom.kl  # noqa: B018
    except AttributeError:
        return False
    return True


@pytest.mark.skipif(not _has_derive(), reason="sg.kl not available yet")
def test_check_detects_a_stale_file(tmp_path, monkeypatch, capsys):
    import symgeom
    from symgeom.cli import main

    monkeypatch.setattr(proofs, "catalog", lambda: (symgeom.Bernoulli(),))
    monkeypatch.setattr(proofs, "verdicts", lambda fam: ())
    monkeypatch.setattr(proofs, "GENERAL_SIZE_DOCUMENTS", ())
    assert main(["proofs", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "README.md", "bernoulli.md", "bernoulli.tex", "general.md", "general.tex",
    ]
    assert main(["proofs", "--out", str(tmp_path), "--check"]) == 0
    (tmp_path / "bernoulli.md").write_text("edited by hand\n")
    (tmp_path / "extra.tex").write_text("")
    assert main(["proofs", "--out", str(tmp_path), "--check"]) == 1
    err = capsys.readouterr().err
    assert "bernoulli.md" in err and "extra.tex" in err


def test_identity_names_in_markdown_tables_are_code_not_math():
    """An identity's name (``chart/meaning``, ``kl/routes``) is an identifier: in the Markdown
    identity tables it is a code span, never ``$chart/meaning$`` (italic letters run together)."""
    proofs = Path(__file__).resolve().parents[1] / "proofs"
    rows = [line for path in sorted(proofs.glob("*.md")) for line in path.read_text().splitlines()
            if line.startswith("| `") and line.endswith("** |")]
    assert rows, "no identity rows found in proofs/*.md"
    for row in rows:
        identity_cell = row.split(" | ")[1]
        assert re.match(r"`[a-z0-9_/@=,.]+`: ", identity_cell), row
