"""LaTeX rendering of a Derivation: an ``align*`` block, a standalone document, or Jupyter math."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from symgeom.render.layout import LINE_WIDTH, RELATIONS_LATEX, Row, rows, visual_width
from symgeom.render.texescape import text_in_math, text_to_latex

if TYPE_CHECKING:
    from symgeom.derivation import Derivation

#: Widest line (in ``visual_width`` units) printed at full size in a document; wider ones shrink.
FIT_WIDTH = LINE_WIDTH + 4

PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[a4paper,margin=2cm]{geometry}
\usepackage{amsmath}
\usepackage{amssymb}
\usepackage{graphicx}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{4pt}
"""


def relation(row: Row) -> str:
    return RELATIONS_LATEX.get(row.relation, row.relation)


def fit(line: str, fit_width: float | None) -> str:
    """``line`` scaled down (graphicx ``\\scalebox``) when wider than ``fit_width``; None: never."""
    width = visual_width(line)
    if fit_width is None or width <= fit_width:
        return line
    scale = max(fit_width / width, 0.3)
    return rf"\scalebox{{{scale:.2f}}}{{$\displaystyle {{}}{line}$}}"


def _align_lines(row: Row, tag: str, fit_width: float | None = None) -> list[str]:
    """One row as align* lines: ``lhs &= first \\tag*{…}``, then ``&\\quad + …`` continuations."""
    lhs = "" if row.continuation else row.lhs
    out = [f"{lhs} &{relation(row)} {fit(row.lines[0], fit_width)}{tag}"]
    out.extend(rf"&\quad {fit(line, fit_width)}" for line in row.lines[1:])
    for label, entry_lines in row.entries:
        out.append(f"{label} &= {fit(entry_lines[0], fit_width)}")
        out.extend(rf"&\quad {fit(line, fit_width)}" for line in entry_lines[1:])
    for index, (lhs, rel, lines) in enumerate(row.facts):
        lead = r"\text{with }" if index == 0 else r"\phantom{\text{with }}"
        first = fit(f"{lhs} {rel} {lines[0]}", fit_width)
        out.append(rf"&\qquad {lead} {first}")
        out.extend(
            rf"&\qquad \phantom{{\text{{with }}}} \quad {fit(line, fit_width)}"
            for line in lines[1:]
        )
    return out


def align_block(rows_: Iterable[Row], fit_width: float | None = None) -> str:
    """``align*`` with each justification as a right-flush ``\\tag*{\\text{…}}``.

    A tag is the one place in align* whose position does not depend on the other lines'
    widths, and amsmath moves it below a line it would overlap, so long formulas stay readable.
    """
    lines: list[str] = []
    for row in rows_:
        tag = rf" \tag*{{\text{{{text_to_latex(row.justification)}}}}}" if row.justification else ""
        lines.extend(_align_lines(row, tag, fit_width))
    body = " \\\\\n".join(lines)
    return f"\\begin{{align*}}\n{body}\n\\end{{align*}}"


def render_block(derivation: Derivation, fit_width: float | None = None) -> str:
    """The derivation's steps as one ``align*`` environment; lines wider than ``fit_width``
    (a document with graphicx) are scaled to fit."""
    return align_block(rows(derivation), fit_width)


def heading(derivation: Derivation) -> str:
    return text_to_latex(derivation.title)


def describe(derivation: Derivation) -> str:
    """One paragraph: family, parameterization, route, result symbol."""
    family = derivation.family
    parts = []
    if family is not None:
        parts.append(
            f"Family: {text_to_latex(family.title)}, parameterization "
            f"\\texttt{{{text_to_latex(family.param)}}} "
            f"({text_to_latex(family.chart.description)})."
        )
    parts.append(f"Route: \\texttt{{{text_to_latex(derivation.route)}}}.")
    return " ".join(parts)


def document(body: str, title: str) -> str:
    """A complete pdflatex document (amsmath and amssymb only) around ``body``."""
    return (
        f"{PREAMBLE}\\begin{{document}}\n\\section*{{{title}}}\n{body}\n\\end{{document}}\n"
    )


def render_derivation(derivation: Derivation, standalone: bool = False) -> str:
    """``align*`` block, or with ``standalone=True`` a whole document compilable by pdflatex."""
    if not standalone:
        return render_block(derivation)
    block = render_block(derivation, fit_width=FIT_WIDTH)
    return document(f"{describe(derivation)}\n\n{block}", heading(derivation))


def render_for_jupyter(derivation: Derivation) -> str:
    """MathJax display: ``aligned``, ``&&\\text{…}`` justifications (browsers scroll wide math)."""
    lines: list[str] = []
    for row in rows(derivation, width=LINE_WIDTH * 1.5):
        just = f" && {text_in_math(row.justification)}" if row.justification else ""
        lines.extend(_align_lines(row, just))
    return "$$\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}$$"
