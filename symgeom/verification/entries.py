"""Catalog entries that name a family without building it, and each entry's rows cached whole.

A warm ``symgeom verify`` must not redo SymPy work that a cold run stored: building the catalog's
families costs about a second (the 3-d full Gaussian most of it), and keying each of ~1 100
verdicts by its family's srepr about another.  An entry is the family's name, chart and sizes,
``family(name, param, **sizes)`` rebuilds it, and its cache key is a few dozen characters.

The index of entries and every entry's rows are cached under the code fingerprint like every
derivation (symgeom.cache): the same source files and SymPy build the same families (the index
checks that each entry rebuilds exactly its catalog family) and reach the same verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from symgeom.cache import cached
from symgeom.errors import SymgeomError

if TYPE_CHECKING:
    from symgeom.families.base import Family
    from symgeom.verification.catalog import Row


@dataclass(frozen=True)
class Entry:
    """A catalog family before it is built: ``family(name, param, **dict(size))``."""

    name: str
    param: str
    size: tuple[tuple[str, int | str], ...]
    label: str
    #: The label of the family's reference chart: the charts of one family run as one task.
    group: str
    #: Number of parameters (the schedule starts the heaviest tasks first).
    parameters: int

    def family(self) -> Family:
        from symgeom.families import family

        return family(self.name, self.param, **dict(self.size))


def entry_of(family: Family) -> Entry:
    """The entry naming ``family``; SymgeomError when rebuilding it by name gives another family."""
    entry = Entry(family.name, family.param, family.size, family.label,
                  family.with_param(family.reference.name).label, len(family.parameters))
    if entry.family() != family:
        raise SymgeomError(f"catalog entry {family.label}: family(name, param, sizes) builds a "
                           "different family, so it cannot stand for it in the cache")
    return entry


@cached("catalog-index")
def catalog_index() -> tuple[Entry, ...]:
    """An entry for every family of the catalog (symgeom.verification.catalog.CATALOG), in order."""
    from symgeom.verification.catalog import catalog_families

    return tuple(entry_of(f) for f in catalog_families())


@cached("catalog-rows")
def entry_rows(entry: Entry) -> tuple[Row, ...]:
    """Every applicable identity's row for the entry's family (catalog.verdicts)."""
    from symgeom.verification.catalog import verdicts

    return tuple(verdicts(entry.family()))


@cached("catalog-rows")
def extra_rows(name: str) -> tuple[Row, ...]:
    """The rows beyond the family × identity grid named ``name`` (catalog._extra_rows)."""
    from symgeom.verification.catalog import _extra_rows

    return tuple(_extra_rows(name))
