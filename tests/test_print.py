"""The annexes as printed by LibreOffice (PDF): no text below 8 points, and every expense category
whole within its cell (LibreOffice draws the whole text of a cell and clips it to the cell: a cut
text is found by its size, not by missing letters).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from budget_tool.fill import fill_workbook
from budget_tool.libreoffice import convert
from budget_tool.paper import column_points
from budget_tool.plan import WorkbookPlan

pdfminer = pytest.importorskip("pdfminer")  # dev dependency

from pdfminer.converter import PDFPageAggregator  # noqa: E402
from pdfminer.layout import LTChar  # noqa: E402
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager  # noqa: E402
from pdfminer.pdfpage import PDFPage  # noqa: E402

pytestmark = pytest.mark.libreoffice
SMALLEST = 8.0  # points
CELL_FONT = 9.0  # points, the size of every line cell (styles.py)


def _pages(pdf: Path) -> list[list[LTChar]]:
    """Every page's characters, in the order the PDF draws them (one cell after another)."""
    manager = PDFResourceManager()
    device = PDFPageAggregator(manager, laparams=None)
    interpreter = PDFPageInterpreter(manager, device)
    pages = []
    with pdf.open("rb") as handle:
        for page in PDFPage.get_pages(handle):
            interpreter.process_page(page)
            pages.append([c for c in device.get_result() if isinstance(c, LTChar)])
    return pages


def _every_category_on_a_line(plan: WorkbookPlan):
    """Each category of art. 4.2 chosen once, on successive counted lines, with an amount."""
    template = plan.template
    amount = template.checks.lump or template.checks.line_amount
    labels = [c.label for c in template.categories]
    lines, placed = {}, []
    slots = [
        (sheet, index, line)
        for sheet in plan.volet_sheets()
        for index, line in enumerate(sheet.lines)
        if line.counted
    ]
    assert len(slots) >= len(labels)
    for label, (sheet, index, line) in zip(labels, slots, strict=False):
        lines[(sheet.volet, index)] = {"categorie": label, amount: Decimal("1000")}
        placed.append((sheet, line.row, label))
    return lines, placed


@pytest.fixture(scope="module")
def printed(libreoffice, plans, generated, tmp_path_factory):
    out = tmp_path_factory.mktemp("print")
    result = {}
    for annexe, plan in plans.items():
        lines, placed = _every_category_on_a_line(plan)
        filled = out / f"{annexe}.xlsx"
        fill_workbook(plan, generated[annexe], filled, lines)
        (pdf,) = convert([filled], out / "pdf", "pdf")
        result[annexe] = (plan, placed, _pages(pdf))
    return result


@pytest.mark.parametrize("annexe", ["annexe-2", "annexe-3"])
def test_no_text_prints_below_8_points(printed, annexe):
    plan, _placed, pages = printed[annexe]
    assert len(pages) >= len(plan.sheets) - 1  # every visible sheet printed
    for number, chars in enumerate(pages, start=1):
        smallest = min((c for c in chars if c.get_text().strip()), key=lambda c: c.size)
        assert smallest.size >= SMALLEST - 0.01, (
            f"{annexe}, page {number} : « {smallest.get_text()} » imprimé en "
            f"{smallest.size:.1f} points"
        )


@pytest.mark.parametrize("annexe", ["annexe-2", "annexe-3"])
def test_every_category_prints_whole_within_its_cell(printed, annexe):
    plan, placed, pages = printed[annexe]
    drawn = []
    for chars in pages:
        visible = [c for c in chars if c.get_text().strip()]
        drawn.append((visible, "".join(c.get_text() for c in visible)))
    column = next(c for c in plan.template.columns if c.type == "category")
    for sheet, row, label in placed:
        key = label.replace(" ", "")
        where = [(chars, text.index(key)) for chars, text in drawn if key in text]
        assert where, f"{annexe} {sheet.name} : « {label} » n'est pas imprimée"
        chars, start = where[0]
        block = chars[start : start + len(key)]
        scale = block[0].size / CELL_FONT
        height = max(c.y1 for c in block) - min(c.y0 for c in block)
        width = max(c.x1 for c in block) - min(c.x0 for c in block)
        room = sheet.row_heights[row] * scale
        assert height <= room, (
            f"{annexe} {sheet.name} ligne {row + 1} : « {label} » haute de {height:.0f} pt "
            f"dans une ligne de {room:.0f} pt : coupée"
        )
        assert width <= column_points(column.width) * scale, (
            f"{annexe} {sheet.name} ligne {row + 1} : « {label} » plus large que sa colonne"
        )
