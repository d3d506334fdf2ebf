"""One cell-location type, rendered as people read it: 'Volet 2'!G14 (1-based, sheet quoted)."""

from __future__ import annotations

from dataclasses import dataclass

from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell


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
        quoted = f"'{self.sheet}'" if self.sheet and not self.sheet.startswith("'") else self.sheet
        if not self.address:
            return quoted
        return f"{quote_sheetname(self.sheet)}!{self.address}" if self.sheet else self.address
