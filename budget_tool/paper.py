"""How a sheet prints: paper, the scale that fitting its width gives, and page breaks that keep
each block of the model (a section, a heading and its lines) on one page when it can.

The generator asks for "one page wide" and lets the spreadsheet compute the scale; the same scale
is estimated here from the column widths, to place the page breaks. The templates choose the paper
(``paper = "A3"``) and the column widths so that this scale keeps every text at 8 pt or more.
"""

from __future__ import annotations

from budget_tool.plan import SheetPlan

# xlsxwriter's paper codes, and the landscape page in points (width, height).
PAPERS = {"A4": (9, 841.89, 595.28), "A3": (8, 1190.55, 841.89)}
MARGINS = {"left": 0.3, "right": 0.3, "top": 0.6, "bottom": 0.6}  # inches
DEFAULT_WIDTH = 8.43  # characters, a column without a width of its own
DEFAULT_HEIGHT = 15.0  # points, a row without a height of its own
_PRINTED = 1.065
_SAFETY = 0.96  # the spreadsheet's own rounding of row heights and of the scale


def paper_code(sheet: SheetPlan) -> int:
    return PAPERS[sheet.paper][0]


def column_points(width: float) -> float:
    """A column's printed width in points: the screen width of a character width (7-pixel
    digits of Calibri 11 plus 5 pixels of padding, 96 pixels an inch), which LibreOffice prints
    about 6 % wider (measured on its PDFs)."""
    pixels = int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5)
    return pixels * 0.75 * _PRINTED


def table_points(sheet: SheetPlan) -> float:
    return sum(
        column_points(sheet.widths.get(col, DEFAULT_WIDTH)) for col in range(sheet.last_col + 1)
    )


def fit_scale(sheet: SheetPlan) -> float:
    """The scale (at most 1) at which the sheet's columns fill the printable width."""
    _code, width, _height = PAPERS[sheet.paper]
    printable = width - (MARGINS["left"] + MARGINS["right"]) * 72
    return min(1.0, printable / table_points(sheet))


def row_points(sheet: SheetPlan, row: int) -> float:
    return sheet.row_heights.get(row, DEFAULT_HEIGHT)


def page_breaks(sheet: SheetPlan) -> list[int]:
    """Rows that start a new page, every one of them (the spreadsheet then adds none).

    A block that does not fit on what is left of the page starts the next one when it is short
    (a quarter of a page at most: a group of labelled lines) or when not even its title and first
    lines would fit; a longer block is cut between two of its lines, never just before a total.
    """
    if not sheet.blocks:
        return []
    _code, _width, height = PAPERS[sheet.paper]
    capacity = (height - (MARGINS["top"] + MARGINS["bottom"]) * 72) / fit_scale(sheet) * _SAFETY
    first, last = sheet.header_rows
    repeated = sum(row_points(sheet, r) for r in range(first, last + 1)) if sheet.freeze_row else 0
    end = max(row for row, _col in sheet.cells) + 1
    lines = {line.row for line in sheet.lines}
    starts = _starts(sheet)
    used = sum(row_points(sheet, r) for r in range(starts[0]))
    breaks: list[int] = []
    for start, stop in zip(starts, [*starts[1:], end], strict=True):
        rows = list(range(start, stop))
        block = sum(row_points(sheet, r) for r in rows)
        head = sum(row_points(sheet, r) for r in rows[:4])
        room = capacity - used
        if block > room and used > repeated and (block <= capacity / 4 or head > room):
            breaks.append(start)
            used = repeated
        for index, row in enumerate(rows):
            if used + row_points(sheet, row) > capacity:
                cut = _cut(rows, index, lines)
                breaks.append(cut)
                used = repeated + sum(row_points(sheet, r) for r in range(cut, row))
            used += row_points(sheet, row)
    return breaks


def _cut(rows: list[int], index: int, lines: set[int]) -> int:
    """Where to cut a block whose row ``rows[index]`` does not fit: a total carries at least
    the line above it over to the next page."""
    while index > 1 and rows[index] not in lines:
        index -= 1
    return rows[index]


def _starts(sheet: SheetPlan) -> list[int]:
    """Block starts, a heading kept with what follows it: a start is dropped when the block
    before it holds no line (a section title and its first group's title go together)."""
    lines = {line.row for line in sheet.lines}
    starts: list[int] = []
    for start in sorted(set(sheet.blocks)):
        if starts and not any(starts[-1] <= row < start for row in lines):
            continue
        starts.append(start)
    return starts
