"""LaTeX rendering of a Derivation: an ``align*`` block, a standalone document, or Jupyter math."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from symgeom.render.layout import LINE_WIDTH, RELATIONS_LATEX, Row, latex_names, rows, visual_width
from symgeom.render.printing import DerivationLatexPrinter
from symgeom.render.texescape import text_in_math, text_to_latex

if TYPE_CHECKING:
    from symgeom.derivation import Derivation

#: Text widths in inches: a 6.5 in text column (letter paper, 1 in margins), and one column of a
#: two-column paper (NeurIPS/ICML-like, 3.25 in).
WIDTHS = {"textwidth": 6.5, "columnwidth": 3.25}
#: ``visual_width`` units per inch: one unit ≈ 6.5 pt of 10 pt math (measured on pdflatex output).
UNITS_PER_INCH = 72.27 / 6.5
#: Smallest scale a line may be shrunk to; anything wider is broken by its structure instead.
MIN_SCALE = 0.8
#: Widest line (in ``visual_width`` units) of the document's formula column at full size.
FIT_WIDTH = LINE_WIDTH + 4

#: The packages every ``d.latex()`` snippet needs (see :func:`latex_preamble`).
PACKAGES = ("amsmath", "amssymb")

PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[letterpaper,margin=1in]{geometry}
\usepackage{amsmath}
\usepackage{amssymb}
\usepackage{graphicx}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{4pt}
"""


def latex_preamble() -> str:
    r"""The preamble lines every ``Derivation.latex()`` snippet compiles with.

    ``\usepackage{amsmath}`` (``align``, ``\text``, ``bmatrix``) and ``\usepackage{amssymb}``
    (``\mathbb{E}``); nothing else.  Paste them before ``\begin{document}``.
    """
    return "".join(f"\\usepackage{{{name}}}\n" for name in PACKAGES)


def units(width: str | float) -> float:
    """A width (``"textwidth"``, ``"columnwidth"`` or inches) in ``visual_width`` units."""
    from symgeom.errors import SymgeomError

    if isinstance(width, str):
        if width not in WIDTHS:
            raise SymgeomError(
                f"width must be one of {', '.join(sorted(WIDTHS))} or a number of inches; got {width!r}"
            )
        width = WIDTHS[width]
    if not isinstance(width, int | float) or not 1.0 <= float(width) <= 20.0:
        raise SymgeomError(f"width must be between 1 and 20 inches; got {width!r}")
    return float(width) * UNITS_PER_INCH


def relation(row: Row) -> str:
    return RELATIONS_LATEX.get(row.relation, row.relation)


def fit(line: str, fit_width: float | None) -> str:
    """``line`` scaled down (graphicx ``\\scalebox``, never below ``MIN_SCALE``) when it is a little
    wider than ``fit_width``; lines far wider were already broken by :mod:`layout`."""
    width = visual_width(line)
    if fit_width is None or width <= fit_width:
        return line
    scale = max(fit_width / width, MIN_SCALE)
    return rf"\scalebox{{{scale:.2f}}}{{$\displaystyle {{}}{line}$}}"


def _lines(row: Row, fit_width: float | None = None) -> list[str]:
    """One row as align lines (without justification): ``lhs &= first``, then continuations."""
    lhs = "" if row.continuation else row.lhs
    out = [f"{lhs} &{relation(row)} {fit(row.lines[0], fit_width)}"]
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


def _justified(row: Row, fit_width: float | None, total: float | None) -> list[tuple[str, bool]]:
    """The row's lines as (line, numbered): the justification follows the step's first line when
    both fit ``total``, else it gets its own line under the relation (never a ``\\tag``, so every
    equation line can still carry a number or ``\\label``)."""
    lines = _lines(row, fit_width)
    out = [(line, index == 0) for index, line in enumerate(lines)]
    if not row.justification:
        return out
    note = rf"\qquad {text_in_math('(' + row.justification + ')')}"
    if total is None or (
        len(lines) == 1 and visual_width(lines[0]) + visual_width(note) <= total
    ):
        out[0] = (f"{out[0][0]} {note}", True)
    else:
        out.insert(1 if len(lines) == 1 else len(out), (f"&{note}", False))
    return out


def align_block(rows_: Iterable[Row], fit_width: float | None = None, total: float | None = None,
                numbered: bool = False) -> str:
    """``align*`` (``align`` when ``numbered``: one number per step, ``\\notag`` elsewhere) with
    each justification as ``\\text{…}`` math-mode prose after or under its step."""
    lines: list[str] = []
    for row in rows_:
        for line, is_step in _justified(row, fit_width, total):
            lines.append(line if is_step or not numbered else f"{line} \\notag")
    env = "align" if numbered else "align*"
    body = " \\\\\n".join(lines)
    return f"\\begin{{{env}}}\n{body}\n\\end{{{env}}}"


def render_block(derivation: Derivation, fit_width: float | None = None,
                 width: str | float = "textwidth", numbered: bool = False) -> str:
    """The derivation's steps as one ``align*`` environment laid out for ``width``; lines a
    little wider than ``fit_width`` (a document with graphicx) are scaled, never below 80 %."""
    total = units(width)
    formula = total - _left_width(derivation) - 4
    return align_block(rows(derivation, width=formula), fit_width and formula, total, numbered)


def _left_width(derivation: Derivation) -> float:
    """Width of the left column: the widest step left-hand side (the chain's symbol included)."""
    printer = DerivationLatexPrinter(latex_names(derivation))
    return max(
        visual_width(derivation.symbol_latex if step.lhs is None else printer.doprint(step.lhs))
        for step in derivation.steps
    )


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


def render_derivation(derivation: Derivation, standalone: bool = False,
                      width: str | float = "textwidth", numbered: bool = False) -> str:
    """``align*`` block, or with ``standalone=True`` a whole document compilable by pdflatex."""
    if not standalone:
        return render_block(derivation, width=width, numbered=numbered)
    block = render_block(derivation, fit_width=FIT_WIDTH, width=width, numbered=numbered)
    return document(f"{describe(derivation)}\n\n{block}", heading(derivation))


def render_for_jupyter(derivation: Derivation) -> str:
    """MathJax display: ``aligned``, justifications in their own column after ``&&`` (browsers
    scroll wide math)."""
    lines: list[str] = []
    for row in rows(derivation, width=LINE_WIDTH * 1.5):
        row_lines = _lines(row)
        if row.justification:
            row_lines[0] += f" && {text_in_math(row.justification)}"
        lines.extend(row_lines)
    return "$$\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}$$"
