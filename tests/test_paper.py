"""How the volet sheets print (paper.py): the scale that keeps 8 points, and page breaks that keep
the model's blocks whole and never leave a total alone at the top of a page."""

from __future__ import annotations

import pytest

from budget_tool.paper import PAPERS, fit_scale, page_breaks, row_points

CELL_FONT = 9.0  # points, styles.py


@pytest.mark.parametrize("annexe", ["annexe-2", "annexe-3"])
def test_every_sheet_fits_its_paper_width_at_8_points_or_more(plans, annexe):
    for sheet in plans[annexe].sheets:
        if sheet.hidden:
            continue
        assert sheet.paper in PAPERS
        assert CELL_FONT * fit_scale(sheet) >= 8.0, f"{annexe} {sheet.name} : {sheet.paper}"


@pytest.mark.parametrize("annexe", ["annexe-2", "annexe-3"])
def test_pages_start_with_a_block_or_a_line_never_with_a_total(plans, annexe):
    for sheet in plans[annexe].volet_sheets():
        lines = {line.row for line in sheet.lines}
        for row in page_breaks(sheet):
            assert row in sheet.blocks or row in lines, f"{sheet.name} ligne {row + 1}"


@pytest.mark.parametrize("annexe", ["annexe-2", "annexe-3"])
def test_no_page_is_longer_than_the_paper(plans, annexe):
    for sheet in plans[annexe].volet_sheets():
        _code, _width, height = PAPERS[sheet.paper]
        capacity = (height - 86.4) / fit_scale(sheet)  # top and bottom margins: 0.6 inch each
        first, last = sheet.header_rows
        repeated = sum(row_points(sheet, r) for r in range(first, last + 1))
        end = max(row for row, _col in sheet.cells) + 1
        starts = [0, *page_breaks(sheet), end]
        for page, (start, stop) in enumerate(zip(starts, starts[1:], strict=False)):
            used = sum(row_points(sheet, r) for r in range(start, stop))
            used += repeated if page else 0
            assert used <= capacity, f"{sheet.name}, page {page + 1} : {used:.0f} pt"


def test_a_short_block_that_does_not_fit_starts_the_next_page(plans):
    """Annexe 2, volet 2: « Référencement de l'offre… » is not cut from its total."""
    sheet = plans["annexe-2"].sheet("Volet 2")
    breaks = page_breaks(sheet)
    referencement = next(
        row
        for (row, col), cell in sheet.cells.items()
        if col == 0 and cell.style == "section" and str(cell.value).startswith("Référencement")
    )
    assert all(not referencement < row <= referencement + 3 for row in breaks)
