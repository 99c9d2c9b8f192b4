"""Markdown tables keep their columns on GitHub: no bare ``|`` in a cell, formulas as math."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from symgeom import proofs

PROOFS = Path(__file__).resolve().parents[2] / "proofs"


def cells(row: str) -> int:
    """Number of cells GitHub sees in a table row: split at every ``|`` not escaped by ``\\``."""
    return len(re.split(r"(?<!\\)\|", row.strip().strip("|")))


def tables(markdown: str) -> list[list[str]]:
    out: list[list[str]] = []
    current: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def test_identity_with_a_bar_keeps_its_verdict_column():
    doc = proofs.Document(
        "x", "X", (), verdicts=(("bernoulli[prob]", "normalization: Σₓ p(x|θ) = 1", "proved"),)
    )
    table = tables(proofs.to_markdown(doc))[0]
    assert [cells(row) for row in table] == [3, 3, 3]
    assert "p(x \\mid \\theta )" in table[-1] and "**proved**" in table[-1]


@pytest.mark.parametrize("md", sorted(PROOFS.glob("*.md")), ids=lambda p: p.name)
def test_every_table_row_of_proofs_has_the_header_column_count(md):
    for table in tables(md.read_text(encoding="utf-8")):
        header = cells(table[0])
        bad = [row for row in table if cells(row) != header]
        assert not bad, bad[:3]
