"""LaTeX rendering of a Derivation: an ``align*`` block, a standalone document, or Jupyter math."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from symgeom.render.layout import LINE_WIDTH, RELATIONS_LATEX, Row, latex_names, rows, visual_width
from symgeom.render.printing import DerivationLatexPrinter
from symgeom.render.prose import words
from symgeom.render.texescape import code_to_latex, text_in_math, text_to_latex

if TYPE_CHECKING:
    from symgeom.derivation import Derivation

#: Text widths in inches: a 6.5 in text column (letter paper, 1 in margins), and one column of a
#: two-column paper (NeurIPS/ICML-like, 3.25 in).
WIDTHS = {"textwidth": 6.5, "columnwidth": 3.25}
#: ``visual_width`` units per inch: one unit is 5.2–6.5 pt of 10 pt math (median 5.4, measured with
#: pdflatex on the displays of tests/render/representative.py); 6.8 pt leaves a margin for the rest.
UNITS_PER_INCH = 72.27 / 6.8
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
\setlength{\emergencystretch}{2em}
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


def _lines(row: Row, fit_width: float | None = None, narrow: bool = False) -> list[str]:
    """One row as align lines (without justification): ``lhs &= first``, then continuations.

    ``narrow`` (a left-hand side too wide for the column) puts the left-hand side on a line of
    its own and the relation under it, so the formulas get the whole column.
    """
    lhs = "" if row.continuation else row.lhs
    if narrow:
        out = [f"&{lhs}"] if lhs else []
        out.append(rf"&\quad {relation(row)} {fit(row.lines[0], fit_width)}")
    else:
        out = [f"{lhs} &{relation(row)} {fit(row.lines[0], fit_width)}"]
    out.extend(rf"&\quad {fit(line, fit_width)}" for line in row.lines[1:])
    for label, entry_lines in row.entries:
        out.append(f"&{label} = " if narrow else f"{label} &= ")
        out[-1] += fit(entry_lines[0], fit_width)
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


def wrap(justification: str, width: float | None) -> list[str]:
    """The justification as math-mode text lines of at most ``width`` (words kept whole)."""
    text = f"({justification})"
    if width is None or visual_width(text_in_math(text)) <= width:
        return [text_in_math(text)]
    lines: list[str] = []
    current = ""
    for word in (w for w in words(text) if w and not w.isspace()):
        candidate = f"{current} {word}" if current else word
        if current and visual_width(text_in_math(candidate)) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    return [text_in_math(line) for line in lines]


def _justified(row: Row, fit_width: float | None, column: float | None,
               narrow: bool = False) -> list[tuple[str, bool]]:
    """The row's lines as (line, numbered): the justification follows the step's only line when
    both fit the formula ``column``, else it gets its own lines under the relation, wrapped to
    the column (never a ``\\tag``, so every equation line can carry a number or ``\\label``)."""
    lines = _lines(row, fit_width, narrow)
    out = [(line, index == 0) for index, line in enumerate(lines)]
    if not row.justification:
        return out
    notes = wrap(row.justification, None if column is None else column - 4)
    first = lines[0].split("&", 1)[1]
    if len(lines) == 1 and len(notes) == 1 and (
        column is None or visual_width(first) + 4 + visual_width(notes[0]) <= column
    ):
        out[0] = (rf"{out[0][0]} \qquad {notes[0]}", True)
        return out
    at = 1 if len(lines) == 1 else len(out)
    out[at:at] = [(rf"&\qquad {note}", False) for note in notes]
    return out


def align_block(rows_: Iterable[Row], fit_width: float | None = None,
                column: float | None = None, numbered: bool = False, narrow: bool = False) -> str:
    """``align*`` (``align`` when ``numbered``: one number per step, ``\\notag`` elsewhere) with
    each justification as ``\\text{…}`` math-mode prose after or under its step."""
    lines: list[str] = []
    for row in rows_:
        for line, is_step in _justified(row, fit_width, column, narrow):
            lines.append(line if is_step or not numbered else f"{line} \\notag")
    env = "align" if numbered else "align*"
    body = " \\\\\n".join(lines)
    return f"\\begin{{{env}}}\n{body}\n\\end{{{env}}}"


def render_block(derivation: Derivation, fit_width: float | None = None,
                 width: str | float = "textwidth", numbered: bool = False) -> str:
    """The derivation's steps as one ``align*`` environment laid out for ``width``; lines a
    little wider than ``fit_width`` (a document with graphicx) are scaled, never below 80 %."""
    total = units(width)
    left = _left_width(derivation)
    narrow = left > total / 4
    formula = total - 6 if narrow else total - left - 4
    laid = rows(derivation, width=formula)
    labels = max((visual_width(label) for row in laid for label, _ in row.entries), default=0.0)
    if not narrow and labels > left:
        # Matrix entry labels (F_{μσ} = …) share the left column: lay out again, narrower.
        narrow = labels > total / 4
        formula = total - 6 if narrow else total - labels - 4
        laid = rows(derivation, width=formula)
    return align_block(laid, fit_width and formula, formula, numbered, narrow)


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
            f"\\texttt{{{code_to_latex(family.param)}}} "
            f"({text_to_latex(family.chart.description)})."
        )
    parts.append(f"Route: \\texttt{{{code_to_latex(derivation.route)}}}.")
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
