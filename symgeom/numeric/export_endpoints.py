"""The endpoint limits of an exported module: the same printed limit functions ``.numpy()`` runs.

At an included endpoint (a Binomial's p = 0) ``.numpy()`` replaces the form's nan by the one-sided
limit of the derived closed form (:mod:`symgeom.numeric.endpoint_limits`).  An exported module
carries, for every endpoint pattern π of its arguments (−1 lower end, +1 upper end, 0 inside),

    def _limit_k(x0, x1, …): return [entries of lim f at π]      (printed NumPy/SciPy source)
    ENDPOINT_LIMITS = {π: _limit_k, …}   (None where SymPy found no limit)
    ENDPOINT_BOUNDS = ((lower, included, upper, included), …)

and the NumPy routine that selects them (:func:`symgeom.numeric.endpoint_limits.fill_with`: the
entries that are nan on an endpoint pattern take that pattern's limit), so the module's values
there are ``.numpy()``'s, bit for bit.  The text is deterministic: patterns in a fixed order,
limits from the disk cache, printed with fully qualified names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from symgeom.numeric import endpoint_limits
from symgeom.numeric.inputs import Input

if TYPE_CHECKING:
    from symgeom.families.base import Family

#: the names an exported module's limit functions use
IMPORTS = "import numpy\nimport scipy.special\n"


def endpoint_parts(family: Family, quantity: str, spec: tuple[Input, ...]
                   ) -> tuple[list[tuple[Callable[..., Any], str | None]], dict[str, Any], str] | None:
    """(bundle roots, constants, source of the limit functions and their table) for ``quantity`` of
    ``family`` with arguments ``spec`` (every argument: both points of a KL); None when no
    argument has an included endpoint."""
    if not endpoint_limits.applies(spec):
        return None
    lines = []
    table = []
    for n, pattern in enumerate(endpoint_limits.all_patterns(spec)):
        source = endpoint_limits.limit_source(family, quantity, pattern, f"_limit_{n}")
        if source is None:
            table.append(f"    {pattern!r}: None,")
            continue
        lines.append(source)
        table.append(f"    {pattern!r}: _limit_{n},")
    text = "\n".join([IMPORTS, "\n\n".join(lines), "", "ENDPOINT_LIMITS = {", *table, "}", ""])
    constants = {"ENDPOINT_BOUNDS": endpoint_limits.bounds(spec)}
    return [(endpoint_limits.fill_with, None)], constants, text


#: How the public function finishes: the form's nan on an endpoint take the limit there.
FINISH = "fill_with(ENDPOINT_LIMITS.get, ENDPOINT_BOUNDS, {out}, {arrays})"
