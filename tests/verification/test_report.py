"""``sg.verify`` returns a report that prints as a table; a Derivation's repr is one line."""

from __future__ import annotations

import sympy as sp

import symgeom as sg
from symgeom.verification.catalog import Row
from symgeom.verification.identity import FAILED, PROVED, Verdict
from symgeom.verification.report import Report


def _report() -> Report:
    return Report((
        Row("normalization", "Σₓ p(x|θ) = 1", "bernoulli[prob]", Verdict(PROVED, "simplify", 0.01)),
        Row("kl_self", "KL(θ‖θ) = 0", "bernoulli[prob]", Verdict(FAILED, "numeric", 0.02)),
    ))


def test_report_prints_as_a_table_and_still_behaves_as_rows():
    report = _report()
    text = repr(report)
    assert text.splitlines()[0].split() == ["identity", "family", "verdict", "seconds"]
    assert "normalization" in text and "2 identities: 1 proved" in text and "1 failed" in text
    assert "Row(" not in text and "Verdict(" not in text
    assert len(report) == 2 and report[0].identity == "normalization"
    assert [row.identity for row in report] == ["normalization", "kl_self"]
    assert isinstance(report[:1], Report) and len(report[:1]) == 1
    assert not report.ok and not report.all_proved
    assert report[:1].ok and report[:1].all_proved


def test_report_renders_for_jupyter():
    report = _report()
    markdown = report._repr_markdown_()
    assert markdown.splitlines()[0] == "| identity | family | verdict | seconds |"
    assert "**failed**" in markdown
    assert "<table>" in report._repr_html_() and "&lt;" not in report._repr_html_()


def test_verify_returns_a_report():
    report = sg.verify(sg.Bernoulli())
    assert isinstance(report, Report) and len(report) > 3
    assert report.ok
    assert "identities:" in repr(report)


def test_derivation_repr_is_a_short_summary():
    d = sg.kl(sg.Gaussian())
    text = repr(d)
    assert len(text) < 200 and "\n" not in text
    assert text.startswith("<Derivation kl of gaussian[mean_std], route definition:")
    assert "σ₂" in text and f"({len(d.steps)} steps)>" in text
    assert "Step(" not in text and "Family(" not in text


def test_derivation_repr_abbreviates_a_long_result():
    d = sg.fisher(sg.MultivariateGaussian(d=2))
    text = repr(d)
    assert len(text) < 250 and "…" in text
    assert isinstance(d.result, sp.MatrixBase)
