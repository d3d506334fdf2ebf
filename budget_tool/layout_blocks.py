"""Pieces that every sheet's layout uses: a template label filled in, a column's index, the
height a wrapped text needs, and the block of titles and identification at the top of a sheet."""

from __future__ import annotations

from xlsxwriter.utility import xl_cell_to_rowcol

from budget_tool.plan import LABEL, VALUE, Cell, Parameters, SheetPlan
from budget_tool.spec import Column, Template

IDENT_VALUE_COL = 1  # identification values stand in the column after their labels


def column_index(column: Column) -> int:
    return xl_cell_to_rowcol(f"{column.letter}1")[1]


def fill(template: Template, text: str, params: Parameters, volet: int | None = None) -> str:
    """Fill a template label: {volet}, {year} and {yy} (two-digit year)."""
    return text.format(volet=volet or "", year=params.year, yy=f"{params.year % 100:02d}")


def identification(template: Template, params: Parameters) -> dict[str, str]:
    start, end = params.period
    return {
        "departement": params.departement_label,
        "region": params.region,
        "convention": params.convention,
        "periode": f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}",
        "modele": template.label,
    }


def write_header_block(
    sheet: SheetPlan, template: Template, params: Parameters, titles: list[str]
) -> int:
    """Titles and identification rows; returns the next free row."""
    row = 0
    for index, title in enumerate(titles):
        sheet.add(Cell(row, 0, LABEL, style="title" if index == 0 else "subtitle", value=title))
        row += 1
    row += 1
    values = identification(template, params)
    for key, label in template.identification:
        sheet.add(Cell(row, 0, LABEL, style="ident_label", value=label))
        sheet.add(Cell(row, IDENT_VALUE_COL, VALUE, style="ident_value", value=values[key]))
        sheet.anchors[f"ident.{key}"] = (row, IDENT_VALUE_COL)
        row += 1
    return row


def text_height(text: str, width: float) -> float:
    """Points needed to show ``text`` wrapped in a column ``width`` characters wide (9 pt font)."""
    per_line = max(width * 1.2, 1.0)
    lines = sum(max(1, -(-len(part) // int(per_line))) for part in text.split("\n"))
    return 12.0 * lines
