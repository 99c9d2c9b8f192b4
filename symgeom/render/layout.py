"""Layout of a derivation as rows: chains of equalities, long sums and wide matrices broken up."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sympy as sp

from symgeom.render.printing import DerivationLatexPrinter

if TYPE_CHECKING:
    from symgeom.derivation import Derivation

#: Visual width above which a line is broken: one unit ≈ 6.5pt of 10pt math (measured on the
#: pdflatex output), and an A4 page with 2cm margins leaves ≈ 58 units after the left column.
LINE_WIDTH = 58

RELATIONS_LATEX = {
    "=": "=", "≈": r"\approx", r"\approx": r"\approx", ":=": r"\mathrel{:}=", "≥": r"\geq",
    r"\geq": r"\geq", ">=": r"\geq", "≤": r"\leq", r"\leq": r"\leq", "<=": r"\leq", "→": r"\to",
    r"\to": r"\to", "->": r"\to", "≡": r"\equiv", r"\equiv": r"\equiv",
}
RELATIONS_TEXT = {
    "=": "=", "≈": "≈", r"\approx": "≈", ":=": ":=", "≥": "≥", r"\geq": "≥", ">=": "≥",
    "≤": "≤", r"\leq": "≤", "<=": "≤", "→": "→", r"\to": "→", "->": "→", "≡": "≡",
    r"\equiv": "≡",
}


@dataclass(frozen=True)
class Row:
    """One step as printed: ``lhs relation lines[0]``, continued by ``lines[1:]`` (each starting
    with its sign), then ``entries`` (label, lines) of a matrix printed entry by entry, then the
    ``facts`` the step uses, each as (lhs, relation, lines)."""

    lhs: str
    relation: str
    lines: tuple[str, ...]
    justification: str
    continuation: bool
    expression: sp.Basic
    lhs_expression: sp.Basic | None
    entries: tuple[tuple[str, tuple[str, ...]], ...] = ()
    facts: tuple[tuple[str, str, tuple[str, ...]], ...] = ()


def latex_names(derivation: Derivation) -> dict[sp.Symbol, str]:
    family = derivation.family
    return dict(family.latex_names()) if family is not None else {}


def visual_width(tex: str) -> float:
    """Rough rendered width in characters: a fraction counts its wider part, a script 0.7."""
    width = 0.0
    i = 0
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            match = re.match(r"\\([A-Za-z]+|.)", tex[i:])
            assert match is not None
            name = match.group(1)
            i += len(match.group(0))
            if name in ("frac", "dfrac", "tfrac"):
                num, i = _braced(tex, i)
                den, i = _braced(tex, i)
                width += max(visual_width(num), visual_width(den)) + 0.5
            elif name in ("left", "right", "begin", "end", "displaystyle", "mathbb", "mathrm",
                          "operatorname", "text", "mathcal", "quad", "qquad", "sqrt"):
                width += {"quad": 2.0, "qquad": 4.0, "sqrt": 1.0}.get(name, 0.0)
                if name in ("begin", "end"):
                    _, i = _braced(tex, i)
            elif name in (",", ";", "!"):
                width += 0.2
            else:
                width += 2.5 if name in ("log", "exp", "det", "sum", "int") else 1.0
        elif c in "_^":
            arg, i = _braced(tex, i + 1)
            width += 0.7 * visual_width(arg)
        elif c in "{} &":
            i += 1
        else:
            width += 1.6 if c in "+-=<>" else 1.0
            i += 1
    return width


def _braced(tex: str, start: int) -> tuple[str, int]:
    if start < len(tex) and tex[start] == "{":
        depth = 0
        for i in range(start, len(tex)):
            depth += {"{": 1, "}": -1}.get(tex[i], 0)
            if depth == 0:
                return tex[start + 1 : i], i + 1
    match = re.match(r"\\[A-Za-z]+|.", tex[start:])
    token = match.group(0) if match else ""
    return token, start + len(token)


def break_sum(printer: DerivationLatexPrinter, expr: sp.Basic, width: float) -> tuple[str, ...]:
    """LaTeX of ``expr`` in lines of at most ``width``; only a top-level sum is broken."""
    full = printer.doprint(expr)
    if visual_width(full) <= width:
        return (full,)
    if type(expr).__name__ == "Expect" and isinstance(expr.args[0], sp.Add):
        return _break_bracketed(
            rf"\mathbb{{E}}_{{{printer.doprint(expr.args[1])}}}",
            break_sum(printer, expr.args[0], width - 4),
        )
    if not isinstance(expr, sp.Add):
        return (full,)
    lines: list[str] = []
    current, current_width = "", 0.0
    for sign, tex in printer.add_terms(expr):
        # Widths add up term by term, so a sum of n terms is laid out in O(n), not O(n²).
        piece_width = visual_width(tex) + 2.6
        if not current and not lines:
            current = ("-" if sign == "-" else "") + tex
            current_width = piece_width
            continue
        if current and current_width + piece_width > width:
            lines.append(current)
            current, current_width = f"{sign} {tex}", piece_width
        else:
            current += f" {sign} {tex}"
            current_width += piece_width
    lines.append(current)
    return tuple(lines)


def _break_bracketed(head: str, lines: tuple[str, ...]) -> tuple[str, ...]:
    """``head[ line₁ … lineₙ ]`` over several lines: each line closes its own ``\\left``."""
    if len(lines) == 1:
        return (rf"{head}\left[{lines[0]}\right]",)
    first = rf"{head}\left[{lines[0]}\right."
    middle = tuple(rf"\left.{line}\right." for line in lines[1:-1])
    return (first, *middle, rf"\left.{lines[-1]}\right]")


def _entry_label(derivation: Derivation, names: dict[sp.Symbol, str], base: str | None,
                 i: int, j: int, shape: tuple[int, int]) -> str:
    """``F_{μσ}`` for a Fisher matrix over the arguments, else ``[lhs]_{ij}`` or ``M_{ij}``."""
    args = derivation.arguments
    if base is None and shape[0] == shape[1] == len(args):
        def name(k: int) -> str:
            return names.get(args[k], sp.latex(args[k]))

        return f"F_{{{name(i)}\\,{name(j)}}}"
    index = f"{j + 1}" if shape[0] == 1 else f"{i + 1}" if shape[1] == 1 else f"{i + 1}{j + 1}"
    head = f"\\left[{base}\\right]" if base is not None else "M"
    return f"{head}_{{{index}}}"


def matrix_rows(
    derivation: Derivation, printer: DerivationLatexPrinter, names: dict[sp.Symbol, str],
    matrix: sp.MatrixBase, width: float, base: str | None = None,
) -> tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    """A wide matrix as a matrix of entry names plus one (label, lines) per distinct entry.

    Symmetric matrices list the upper triangle only; zero entries print as 0 in place.
    """
    full = printer.doprint(matrix)
    if visual_width(full) <= width and matrix.rows * matrix.cols <= 16:
        return full, ()
    symmetric = matrix.is_square and all(
        matrix[i, j] == matrix[j, i] for i in range(matrix.rows) for j in range(i)
    )
    if base is not None:
        return base, tuple(
            (_entry_label(derivation, names, base, i, j, matrix.shape),
             break_sum(printer, matrix[i, j], width))
            for i in range(matrix.rows) for j in range(matrix.cols)
            if not (symmetric and j < i)
        )
    cells: list[list[str]] = []
    entries: list[tuple[str, tuple[str, ...]]] = []
    for i in range(matrix.rows):
        row = []
        for j in range(matrix.cols):
            value = matrix[i, j]
            if value == 0:
                row.append("0")
                continue
            a, b = (min(i, j), max(i, j)) if symmetric else (i, j)
            label = _entry_label(derivation, names, base, a, b, matrix.shape)
            row.append(label)
            if (a, b) == (i, j):
                entries.append((label, break_sum(printer, value, width)))
        cells.append(row)
    body = r"\\".join(" & ".join(row) for row in cells)
    return rf"\begin{{bmatrix}}{body}\end{{bmatrix}}", tuple(entries)


def _fact(derivation: Derivation, printer: DerivationLatexPrinter, names: dict[sp.Symbol, str],
          fact: sp.Basic, width: float) -> list[tuple[str, str, tuple[str, ...]]]:
    """A fact ``lhs = rhs`` as (lhs, relation, lines); a wide matrix right side entry by entry."""
    if not isinstance(fact, sp.Eq):
        return [("", "", break_sum(printer, fact, width))]
    lhs = printer.doprint(fact.lhs)
    if isinstance(fact.rhs, sp.MatrixBase):
        tex, entries = matrix_rows(derivation, printer, names, fact.rhs, width, base=lhs)
        if not entries:
            return [(lhs, "=", (tex,))]
        return [(label, "=", lines) for label, lines in entries]
    return [(lhs, "=", break_sum(printer, fact.rhs, width))]


def rows(derivation: Derivation, width: float = LINE_WIDTH) -> tuple[Row, ...]:
    """The derivation's steps as rows: the main chain starts at ``symbol_latex`` and is
    restated after auxiliary facts (steps with their own ``lhs``)."""
    names = latex_names(derivation)
    printer = DerivationLatexPrinter(names)
    out: list[Row] = []
    previous_was_main = False
    for step in derivation.steps:
        expression = step.expression
        entries: tuple[tuple[str, tuple[str, ...]], ...] = ()
        if isinstance(expression, sp.MatrixBase):
            tex, entries = matrix_rows(derivation, printer, names, expression, width)
            lines: tuple[str, ...] = (tex,)
        else:
            lines = break_sum(printer, expression, width)
        if step.lhs is None:
            lhs, continuation = derivation.symbol_latex, previous_was_main
            previous_was_main = True
        else:
            lhs, continuation = printer.doprint(step.lhs), False
            previous_was_main = False
        facts = tuple(
            item
            for fact in getattr(step, "facts", ())
            for item in _fact(derivation, printer, names, fact, width)
        )
        out.append(
            Row(
                lhs=lhs,
                relation=step.relation,
                lines=lines,
                justification=step.justification,
                continuation=continuation,
                expression=expression,
                lhs_expression=step.lhs,
                entries=entries,
                facts=facts,
            )
        )
    return tuple(out)
