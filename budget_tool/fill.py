"""Fill a generated workbook's input cells, as a finance officer would, without touching formulas.

Used by the samples, the tests and the benchmark. Values are written with openpyxl into a copy;
openpyxl keeps formulas but drops their cached results, so the copy is what a program that does
not recalculate would leave (``libreoffice.convert`` recalculates it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

from budget_tool.layout import column_index
from budget_tool.output import ensure_folder, output_path
from budget_tool.plan import INPUT, WorkbookPlan

# (volet number, index of the line in its sheet) -> {column key: value}
LineValues = Mapping[tuple[int, int], Mapping[str, object]]


def fill_workbook(plan: WorkbookPlan, source: Path, target: Path, lines: LineValues) -> None:
    """Write ``lines`` into the input cells of a copy of ``source``; refuses non-input cells."""
    from openpyxl import load_workbook

    book = load_workbook(source)
    for (volet, index), values in lines.items():
        sheet_plan = next(s for s in plan.volet_sheets() if s.volet == volet)
        line = sheet_plan.lines[index]
        for key, value in values.items():
            col = column_index(plan.template.column(key))
            cell = sheet_plan.cells.get((line.row, col))
            if cell is None or cell.kind != INPUT:
                raise ValueError(
                    f"{sheet_plan.name} ligne {line.row + 1} : {key} n'est pas une saisie"
                )
            target_cell = book[sheet_plan.name].cell(row=line.row + 1, column=col + 1)
            target_cell.value = float(value) if isinstance(value, Decimal) else value
            if isinstance(value, date):
                target_cell.number_format = "DD/MM/YYYY"
    ensure_folder(Path(target).parent)  # a test or sample folder not made yet
    with output_path(target) as temporary:
        book.save(temporary)


def input_getter(plan: WorkbookPlan, lines: LineValues):
    """The same values as ``fill_workbook`` writes, as a getter for ``plan.compute``."""
    by_cell: dict[tuple[str, int, int], object] = {}
    for sheet_plan in plan.volet_sheets():
        for index, line in enumerate(sheet_plan.lines):
            for key, value in lines.get((sheet_plan.volet or 0, index), {}).items():
                col = column_index(plan.template.column(key))
                by_cell[(sheet_plan.name, line.row, col)] = value

    def get(sheet: str, row: int, col: int):
        cell = plan.sheet(sheet).cells[(row, col)]
        if (sheet, row, col) in by_cell:
            value = by_cell[(sheet, row, col)]
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            return Decimal(repr(value)) if numeric else value
        return cell.value if isinstance(cell.value, str) else None

    return get
