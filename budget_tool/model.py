"""A filled workbook as read: for every planned cell, what the file holds and what it shows.

``raw`` is what was typed or written (a constant, or a formula as text), ``cached`` the value the
spreadsheet saved with it. Nothing here is trusted: the rules compare it with the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from budget_tool import expr
from budget_tool.plan import WorkbookPlan
from budget_tool.safeload import Precheck
from budget_tool.spec import Template


@dataclass(frozen=True)
class CellRead:
    raw: object  # constant, or formula text starting with "="
    cached: object  # saved result of a formula, or the constant again
    is_error: bool = False  # the cell holds an error value such as #REF!
    is_formula: bool = False  # as the file says (a text may start with "=" too)


EMPTY = CellRead(None, None)


@dataclass
class SheetRead:
    name: str
    state: str = "visible"  # visible, hidden or veryHidden
    protected: bool = True
    cells: dict[tuple[int, int], CellRead] = field(default_factory=dict)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # 0-based bounds
    stray: list[tuple[int, int, object]] = field(default_factory=list)  # data outside the plan

    def get(self, row: int, col: int) -> CellRead:
        return self.cells.get((row, col), EMPTY)


@dataclass
class FilledWorkbook:
    path: Path
    template: Template
    plan: WorkbookPlan
    sheets: dict[str, SheetRead]
    extra_sheets: list[str]
    precheck: Precheck
    identification: dict[str, str] = field(default_factory=dict)
    # formulas typed into input cells, as computed by budget-tool (None: not computed); their
    # saved results are never used (``typedformula.py``)
    typed_values: dict[tuple[str, int, int], expr.Value] = field(default_factory=dict)
    _strays: dict[str, dict[tuple[int, int], object]] = field(default_factory=dict, repr=False)

    def read(self, sheet: str, row: int, col: int) -> CellRead:
        found = self.sheets.get(sheet)
        return found.get(row, col) if found else EMPTY

    def input_value(self, sheet: str, row: int, col: int) -> expr.Value:
        """An input as the spreadsheet sees it in formulas: a typed formula gives the result
        budget-tool computed for it (never the one saved in the file), a date its serial number
        (days since 30/12/1899), as in Excel and LibreOffice."""
        cell = self.read(sheet, row, col)
        if cell.is_formula:
            return self.typed_values.get((sheet, row, col))
        value = cell.raw
        if isinstance(value, datetime | date):
            return excel_serial(value)
        return to_value(value, cell.is_error)

    def outside_value(self, sheet: str, row: int, col: int) -> expr.Value:
        """A cell the template does not plan (data typed beside the table), as a typed formula
        that refers to it sees it; a formula there is not computed and counts as empty."""
        if sheet not in self._strays:
            found = self.sheets.get(sheet)
            self._strays[sheet] = {(r, c): raw for r, c, raw in (found.stray if found else ())}
        raw = self._strays[sheet].get((row, col))
        if isinstance(raw, str) and raw.startswith("="):
            return None
        return to_value(excel_serial(raw) if isinstance(raw, datetime | date) else raw)


_EPOCH = datetime(1899, 12, 30)


def excel_serial(value: date | datetime) -> Decimal:
    """The spreadsheet's number for a date (and time): 45366 for 15/03/2024."""
    moment = value if isinstance(value, datetime) else datetime.combine(value, datetime.min.time())
    delta = moment - _EPOCH
    return Decimal(delta.days) + Decimal(delta.seconds) / Decimal(86400)


def to_value(value: object, is_error: bool = False) -> expr.Value:
    """openpyxl's Python values -> the formula language's values (exact decimals)."""
    if is_error:
        return expr.ExcelError(str(value))
    if value is None or isinstance(value, bool | str | Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, datetime | date):
        return value  # type: ignore[return-value]  # dates are never used in arithmetic here
    return str(value)
