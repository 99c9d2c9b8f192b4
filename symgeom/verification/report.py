"""The result of ``sg.verify``: the catalog rows of one family, printed as a table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, overload

from symgeom.verification.identity import CHECKED_NUMERICALLY, FAILED, PROVED

if TYPE_CHECKING:
    from symgeom.verification.catalog import Row


@dataclass(frozen=True)
class Report(Sequence["Row"]):
    """Verdict rows (identity, statement, family, verdict) that print as a table.

    Still a sequence of rows (``report[0].verdict``, ``for row in report``, ``len(report)``);
    ``ok`` is False when any identity failed, ``all_proved`` when every one was proved.
    """

    rows: tuple[Row, ...]

    @overload
    def __getitem__(self, index: int) -> Row: ...
    @overload
    def __getitem__(self, index: slice) -> Report: ...
    def __getitem__(self, index: int | slice) -> Row | Report:
        if isinstance(index, slice):
            return Report(self.rows[index])
        return self.rows[index]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def number(self, status: str) -> int:
        """Number of rows with verdict ``status`` (proved / checked numerically / failed)."""
        return sum(row.verdict.status == status for row in self.rows)

    @property
    def ok(self) -> bool:
        return self.number(FAILED) == 0

    @property
    def all_proved(self) -> bool:
        return self.number(PROVED) == len(self.rows)

    def summary(self) -> str:
        return (
            f"{len(self.rows)} identities: {self.number(PROVED)} proved, "
            f"{self.number(CHECKED_NUMERICALLY)} checked numerically, {self.number(FAILED)} failed"
        )

    def __repr__(self) -> str:
        from symgeom.verification.catalog import format_table

        return format_table(self.rows) if self.rows else "no identities"

    __str__ = __repr__

    def _repr_markdown_(self) -> str:
        lines = ["| identity | family | verdict | seconds |", "|---|---|---|---:|"]
        lines += [
            f"| {row.identity} | `{row.family}` | **{row.verdict.status}** | "
            f"{row.verdict.seconds:.2f} |"
            for row in self.rows
        ]
        return "\n".join(lines) + f"\n\n{self.summary()}\n"

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><td>{escape(row.identity)}</td><td><code>{escape(row.family)}</code></td>"
            f"<td><b>{escape(row.verdict.status)}</b></td><td>{row.verdict.seconds:.2f}</td></tr>"
            for row in self.rows
        )
        return (
            "<table><thead><tr><th>identity</th><th>family</th><th>verdict</th>"
            f"<th>seconds</th></tr></thead><tbody>{cells}</tbody></table>"
            f"<p>{escape(self.summary())}</p>"
        )
