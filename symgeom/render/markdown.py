"""Markdown of a Derivation for GitHub: one ``$$`` display per step, justification above."""

from __future__ import annotations

from typing import TYPE_CHECKING

from symgeom.render.latex import relation
from symgeom.render.layout import Row, rows
from symgeom.render.texescape import text_to_markdown

if TYPE_CHECKING:
    from symgeom.derivation import Derivation


def _display(row: Row) -> str:
    """The step as its own ``aligned`` display, the left-hand side restated so it reads alone."""
    lines = [f"{row.lhs} &{relation(row)} {row.lines[0]}"]
    lines.extend(rf"&\quad {line}" for line in row.lines[1:])
    for label, entry_lines in row.entries:
        lines.append(f"{label} &= {entry_lines[0]}")
        lines.extend(rf"&\quad {line}" for line in entry_lines[1:])
    if len(lines) == 1:
        return f"$$\n{lines[0].replace(' &', ' ', 1)}\n$$"
    body = " \\\\\n".join(lines)
    return f"$$\n\\begin{{aligned}}\n{body}\n\\end{{aligned}}\n$$"


def _facts(row: Row) -> str:
    lines = []
    for lhs, rel, body in row.facts:
        lines.append(f"{lhs} &{rel} {body[0]}" if rel else f"& {body[0]}")
        lines.extend(rf"&\quad {line}" for line in body[1:])
    return "$$\n\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}\n$$"


def describe(derivation: Derivation) -> str:
    family = derivation.family
    route = f"route `{derivation.route}`"
    if family is None:
        return f"Quantity `{derivation.quantity}`, {route}."
    return (
        f"Family: {family.title}, parameterization `{family.param}` "
        f"({family.chart.description}); {route}."
    )


def render_steps(derivation: Derivation) -> str:
    """The numbered steps: justification as text, then the display."""
    parts = []
    for number, row in enumerate(rows(derivation), start=1):
        justification = text_to_markdown(row.justification or "(no justification given)")
        parts.append(f"**{number}.** {justification}\n\n{_display(row)}")
        if row.facts:
            parts.append(f"using\n\n{_facts(row)}")
    return "\n\n".join(parts)


def render_result(derivation: Derivation) -> str:
    """Only the last step, under the derivation's title in bold (for summaries)."""
    return f"**{derivation.title}**\n\n{_display(rows(derivation)[-1])}"


def render_derivation(derivation: Derivation, level: int = 3) -> str:
    """A heading, one line of context, and the steps; ``level`` is the heading depth."""
    return (
        f"{'#' * level} {derivation.title}\n\n{describe(derivation)}\n\n"
        f"{render_steps(derivation)}\n"
    )
