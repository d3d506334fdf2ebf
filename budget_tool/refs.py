"""One cell-location type, rendered as people read it: 'Volet 2'!G14 (1-based, sheet quoted)."""

from __future__ import annotations

from dataclasses import dataclass

from xlsxwriter.utility import xl_rowcol_to_cell


@dataclass(frozen=True, order=True)
class CellRef:
    """A cell of a sheet; ``row`` and ``col`` are 0-based like the plan, ``str()`` is 1-based."""

    sheet: str
    row: int | None = None
    col: int | None = None

    @property
    def address(self) -> str:
        if self.row is None or self.col is None:
            return ""
        return xl_rowcol_to_cell(self.row, self.col)

    def __str__(self) -> str:
        """Always quoted, as people copy it into a formula: 'Volet 2'!G14, or 'Volet 2'."""
        quoted = "'" + self.sheet.replace("'", "''") + "'" if self.sheet else ""
        if not self.address:
            return quoted
        return f"{quoted}!{self.address}" if quoted else self.address
