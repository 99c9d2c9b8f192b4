"""Layout of a derivation as rows: chains of equalities, long sums and wide matrices broken up."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sympy as sp

from symgeom.render.printing import DerivationLatexPrinter
from symgeom.render.readable import readable

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


def break_sum(printer: DerivationLatexPrinter, expr: sp.Basic, width: float,
              breaker: _Breaker | None = None) -> tuple[str, ...]:
    """LaTeX of ``expr`` in lines of at most ``width``, broken by its structure.

    A sum is split between terms; a product with a wide sum factor prints the rest of the product
    and the sum in brackets over several lines (``c·(a + b + …)``, also for a fraction whose
    numerator is that sum); whatever still does not fit gets its widest sub-sum named
    (``where 𝒜₁ = …``), each definition laid out the same way.  Expressions of one step share a
    ``breaker``, so a name means one thing within the step and a repeated sub-sum is named once.
    """
    return (breaker or _Breaker(printer)).lines(expr, width)


class _Breaker:
    """One expression's layout: the lines and the sub-expressions named on the way."""

    def __init__(self, printer: DerivationLatexPrinter) -> None:
        self.printer = printer
        self.named: list[tuple[str, sp.Basic]] = []

    def lines(self, expr: sp.Basic, width: float) -> tuple[str, ...]:
        done = len(self.named)
        out = list(self._lay(expr, width))
        while done < len(self.named):
            name, sub = self.named[done]
            done += 1
            body = self._lay(sub, width - 6)
            out.append(rf"\text{{where }} {name} = {body[0]}")
            out.extend(rf"\phantom{{\text{{where }} {name}}} {line}" for line in body[1:])
        return tuple(out)

    def _print(self, expr: sp.Basic) -> str:
        return self.printer.doprint(expr)

    def _lay(self, expr: sp.Basic, width: float) -> tuple[str, ...]:
        full = self._print(expr)
        if visual_width(full) <= width:
            return (full,)
        if type(expr).__name__ == "Expect" and isinstance(expr.args[0], sp.Add):
            return _break_bracketed(
                rf"\mathbb{{E}}_{{{self._print(expr.args[1])}}}", self._lay(expr.args[0], width - 4)
            )
        if isinstance(expr, sp.Add):
            return self._lay_sum(expr, width)
        if isinstance(expr, sp.Mul | sp.Pow):
            product = self._lay_product(expr, width)
            if product is not None:
                return product
        return self._abbreviate(expr, width)

    def _lay_sum(self, expr: sp.Add, width: float) -> tuple[str, ...]:
        lines: list[str] = []
        current, current_width = "", 0.0
        for sign, tex, term in self.printer.signed_terms(expr):
            # Widths add up term by term, so a sum of n terms is laid out in O(n), not O(n²).
            piece_width = visual_width(tex) + 2.6
            lead = ("-" if sign == "-" else "") if not current and not lines else f"{sign} "
            if piece_width > width:
                sub = self._lay(term, width - 3)
                if current:
                    lines.append(current)
                lines.extend([lead + sub[0], *sub[1:-1]])
                current, current_width = sub[-1] if len(sub) > 1 else "", 0.0
                if len(sub) > 1:
                    current_width = visual_width(current)
                continue
            if current and current_width + piece_width > width:
                lines.append(current)
                current, current_width = f"{sign} {tex}", piece_width
            else:
                current = f"{current} {lead}{tex}".strip() if current else lead + tex
                current_width += piece_width
        if current:
            lines.append(current)
        return tuple(lines)

    def _lay_product(self, expr: sp.Basic, width: float) -> tuple[str, ...] | None:
        """``rest · (sum)`` with the sum broken in brackets; None if no factor is a sum."""
        factors = sp.Mul.make_args(expr)
        candidates = [
            f for f in factors
            if isinstance(f, sp.Add) or (isinstance(f, sp.Pow) and isinstance(f.base, sp.Add)
                                         and f.exp.is_Integer and f.exp > 0)
        ]
        if not candidates:
            return None
        widest = max(candidates, key=lambda f: visual_width(self._print(f)))
        rest = sp.Mul(*[f for f in factors if f is not widest], evaluate=False)
        base, power = (widest.base, int(widest.exp)) if isinstance(widest, sp.Pow) else (widest, 1)
        head = "" if rest == 1 else self._print(rest)
        if isinstance(rest, sp.Add):
            head = rf"\left({head}\right)"
        if head == "-1":
            head = "-"
        if visual_width(head) > width / 2:
            head = self._print(self._name(rest)) if rest.free_symbols else head
        inner = self._lay(base, width - visual_width(head) - 3)
        lines = _break_bracketed_round(head, inner)
        if power != 1:
            lines = (*lines[:-1], f"{lines[-1]}^{{{power}}}")
        return lines

    def _name(self, sub: sp.Basic) -> sp.Symbol:
        for name, known in self.named:
            if known == sub:
                return sp.Symbol(name)
        name = rf"\mathcal{{A}}_{{{len(self.named) + 1}}}"
        self.named.append((name, sub))
        return sp.Symbol(name)

    def _abbreviate(self, expr: sp.Basic, width: float) -> tuple[str, ...]:
        """Name the widest sum inside ``expr`` (``where A₁ = …``) until it fits."""
        sizes: dict[int, int] = {}
        widest = _largest_sum(expr, sizes, top=True)
        if widest is None or sizes[id(widest)] < 8:
            return (self._print(expr),)
        # Each call names one more sum, so the recursion ends when no sum is left.
        return self._lay(expr.xreplace({widest: self._name(widest)}), width)


def _largest_sum(expr: sp.Basic, sizes: dict[int, int], top: bool = False,
                 best_in: dict[int, sp.Basic | None] | None = None) -> sp.Basic | None:
    """The proper sub-sum of ``expr`` with the most leaves (one bottom-up pass, shared
    sub-expressions visited once, so O(n))."""
    best_in = {} if best_in is None else best_in
    key = id(expr)
    if key in sizes and not top:
        return best_in[key]
    best: sp.Basic | None = None
    size = 1
    for arg in expr.args:
        candidate = _largest_sum(arg, sizes, best_in=best_in)
        size += sizes[id(arg)]
        if candidate is not None and (best is None or sizes[id(candidate)] > sizes[id(best)]):
            best = candidate
    sizes[key] = size if expr.args else len(str(expr))
    if isinstance(expr, sp.Add) and not top:
        best = expr
    best_in[key] = best
    return best


def _break_bracketed_round(head: str, lines: tuple[str, ...]) -> tuple[str, ...]:
    """``head ( line₁ … lineₙ )`` over several lines: each line closes its own ``\\left``."""
    if len(lines) == 1:
        return (rf"{head}\left({lines[0]}\right)",)
    first = rf"{head}\left({lines[0]}\right."
    middle = tuple(rf"\left.{line}\right." for line in lines[1:-1])
    return (first, *middle, rf"\left.{lines[-1]}\right)")


def _break_bracketed(head: str, lines: tuple[str, ...]) -> tuple[str, ...]:
    """``head[ line₁ … lineₙ ]`` over several lines: each line closes its own ``\\left``."""
    if len(lines) == 1:
        return (rf"{head}\left[{lines[0]}\right]",)
    first = rf"{head}\left[{lines[0]}\right."
    middle = tuple(rf"\left.{line}\right." for line in lines[1:-1])
    return (first, *middle, rf"\left.{lines[-1]}\right]")


def _entry_label(derivation: Derivation, names: dict[sp.Symbol, str], base: str | None,
                 i: int, j: int, shape: tuple[int, int], numeric: bool = False) -> str:
    """``F_{μσ}`` for a Fisher matrix over the arguments (``F_{ij}`` when ``numeric``: the
    matrix of named labels would not fit), else ``[lhs]_{ij}`` or ``M_{ij}``."""
    args = derivation.arguments
    if base is None and shape[0] == shape[1] == len(args) and numeric:
        return f"F_{{{i + 1}{j + 1}}}"
    if base is None and shape[0] == shape[1] == len(args):
        def name(k: int) -> str:
            return names.get(args[k], sp.latex(args[k]))

        return f"F_{{{name(i)}\\,{name(j)}}}"
    index = f"{j + 1}" if shape[0] == 1 else f"{i + 1}" if shape[1] == 1 else f"{i + 1}{j + 1}"
    head = f"\\left[{base}\\right]" if base is not None else "M"
    return f"{head}_{{{index}}}"


def matrix_rows(
    derivation: Derivation, printer: DerivationLatexPrinter, names: dict[sp.Symbol, str],
    matrix: sp.MatrixBase, width: float, base: str | None = None, breaker: _Breaker | None = None,
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
             break_sum(printer, matrix[i, j], width, breaker))
            for i in range(matrix.rows) for j in range(matrix.cols)
            if not (symmetric and j < i)
        )
    # A bmatrix column is its widest label plus 10 pt (2\arraycolsep ≈ 1.6 units) of separation.
    numeric = sum(
        max(visual_width(_entry_label(derivation, names, None, i, j, matrix.shape))
            for i in range(matrix.rows)) + 1.6
        for j in range(matrix.cols)
    ) > width
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
            label = _entry_label(derivation, names, base, a, b, matrix.shape, numeric)
            row.append(label)
            if (a, b) == (i, j):
                entries.append((label, break_sum(printer, value, width, breaker)))
        cells.append(row)
    body = r"\\".join(" & ".join(row) for row in cells)
    return rf"\begin{{bmatrix}}{body}\end{{bmatrix}}", tuple(entries)


def _fact(derivation: Derivation, printer: DerivationLatexPrinter, names: dict[sp.Symbol, str],
          fact: sp.Basic, width: float, breaker: _Breaker) -> list[tuple[str, str, tuple[str, ...]]]:
    """A fact ``lhs = rhs`` as (lhs, relation, lines); a wide matrix right side entry by entry."""
    if not isinstance(fact, sp.Eq):
        return [("", "", break_sum(printer, fact, width - 8, breaker))]
    lhs = printer.doprint(fact.lhs)
    if visual_width(lhs) > width / 3 and not isinstance(fact.rhs, sp.MatrixBase):
        # A wide left side gets its own line; the right side starts under it.
        return [(lhs, "=", ("", *break_sum(printer, fact.rhs, width - 12, breaker)))]
    width -= visual_width(lhs) + 12  # "with lhs =" and an indent before the right side
    if isinstance(fact.rhs, sp.MatrixBase):
        tex, entries = matrix_rows(derivation, printer, names, fact.rhs, width, lhs, breaker)
        if not entries:
            return [(lhs, "=", (tex,))]
        return [(label, "=", lines) for label, lines in entries]
    return [(lhs, "=", break_sum(printer, fact.rhs, width, breaker))]


def rows(derivation: Derivation, width: float = LINE_WIDTH) -> tuple[Row, ...]:
    """The derivation's steps as rows: the main chain starts at ``symbol_latex`` and is
    restated after auxiliary facts (steps with their own ``lhs``)."""
    names = latex_names(derivation)
    printer = DerivationLatexPrinter(names)
    out: list[Row] = []
    previous_was_main = False
    family = derivation.family
    for step in derivation.steps:
        breaker = _Breaker(printer)
        expression = readable(step.expression, family)
        entries: tuple[tuple[str, tuple[str, ...]], ...] = ()
        if isinstance(expression, sp.MatrixBase):
            tex, entries = matrix_rows(derivation, printer, names, expression, width, None, breaker)
            lines: tuple[str, ...] = (tex,)
        else:
            lines = break_sum(printer, expression, width, breaker)
        if step.lhs is None:
            lhs, continuation = derivation.symbol_latex, previous_was_main
            previous_was_main = True
        else:
            lhs, continuation = printer.doprint(readable(step.lhs, family)), False
            previous_was_main = False
        facts = tuple(
            item
            for fact in getattr(step, "facts", ())
            for item in _fact(derivation, printer, names, readable(fact, family), width, breaker)
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
