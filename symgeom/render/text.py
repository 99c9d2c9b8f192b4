"""Plain text of a Derivation: one step a line, Unicode symbols, justification at the end."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from symgeom.render.layout import RELATIONS_TEXT, latex_names
from symgeom.render.printing import DerivationTextPrinter, latex_to_unicode
from symgeom.render.readable import readable

if TYPE_CHECKING:
    from symgeom.derivation import Derivation


def justification_text(justification: str) -> str:
    """Inline ``$…$`` math turned into Unicode, the dollars dropped."""
    return re.sub(r"\$([^$]*)\$", lambda m: latex_to_unicode(m.group(1)), justification)


def render_derivation(derivation: Derivation) -> str:
    """The title, then ``lhs = expression    [justification]`` per step (``=`` continues)."""
    printer = DerivationTextPrinter(latex_names(derivation))
    main = latex_to_unicode(derivation.symbol_latex)
    lines = [derivation.title.replace("`", "")]
    previous_was_main = False
    for step in derivation.steps:
        relation = RELATIONS_TEXT.get(step.relation, step.relation)
        if step.lhs is None:
            lhs = " " * len(main) if previous_was_main else main
            previous_was_main = True
        else:
            lhs = printer.doprint(readable(step.lhs, derivation.family))
            previous_was_main = False
        line = f"  {lhs} {relation} {printer.doprint(readable(step.expression, derivation.family))}"
        if step.justification:
            line += f"    [{justification_text(step.justification)}]"
        lines.append(line)
        for index, fact in enumerate(getattr(step, "facts", ())):
            lead = "with " if index == 0 else "     "
            shown = printer.doprint(readable(fact, derivation.family))
            lines.append(f"  {' ' * len(main)}     {lead}{shown}")
    return "\n".join(lines) + "\n"


def summary(derivation: Derivation, width: int = 100) -> str:
    """One line for ``repr``: quantity, family label, route, the result abbreviated, step count."""
    printer = DerivationTextPrinter(latex_names(derivation))
    result = printer.doprint(derivation.result)
    if len(result) > width:
        result = result[: width - 1] + "…"
    family = derivation.family.label if derivation.family is not None else "general"
    steps = len(derivation.steps)
    return (
        f"<Derivation {derivation.quantity} of {family}, route {derivation.route}: "
        f"{result} ({steps} step{'s' if steps != 1 else ''})>"
    )
