"""The summary workbook on paper (summary.py): every sheet at 8 points or more once LibreOffice
fits it to the page width, the long texts wrapped within their columns on rows high enough."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from budget_tool.consolidation import consolidate
from budget_tool.followup import by_code, read_followup
from budget_tool.libreoffice import convert
from budget_tool.summary import print_layout, write_summary

REGION = Path(__file__).resolve().parent.parent / "samples" / "region"
FOLLOWUP = REGION / "suivi-nouvelle-aquitaine-2024.csv"


@pytest.fixture(scope="module")
def summary(tmp_path_factory) -> Path:
    """The region's summary with the follow-up file: every sheet the workbook can have."""
    followup = by_code(read_followup(FOLLOWUP, 2024))
    result = consolidate([REGION], followup=followup, today=date(2025, 5, 15))
    return Path(write_summary(result, tmp_path_factory.mktemp("synthese") / "synthese.xlsx"))


def test_paper_and_pages_across_follow_the_table_width():
    assert print_layout([12.0] * 8) == ("A4", 1)  # a narrow table: A4, one page wide
    assert print_layout([12.0] * 16) == ("A3", 1)  # too wide for A4 at 8 points
    paper, across = print_layout([12.0] * 60)
    assert paper == "A3" and across >= 3  # a wide data table: several pages across, legible


def test_long_texts_wrap_on_rows_high_enough(summary):
    book = load_workbook(summary)
    sheet = book["Propositions de paiement"]
    headers = [c.value for c in sheet[1]]
    detail = headers.index("Détail par volet (contribution - avance = solde)") + 1
    rows = [r for r in range(2, sheet.max_row + 1) if sheet.cell(r, detail).value]
    assert rows
    for row in rows:
        cell = sheet.cell(row, detail)
        assert cell.alignment.wrap_text
        width = sheet.column_dimensions[cell.column_letter].width
        if len(cell.value) > width:  # more than a line: the row grows to show all of it
            assert sheet.row_dimensions[row].height >= 12 * (len(cell.value) // int(width * 1.1))


@pytest.mark.libreoffice
def test_every_printed_page_is_at_8_points_or_more(libreoffice, summary, tmp_path):
    pdfminer = pytest.importorskip("pdfminer")  # dev dependency
    assert pdfminer
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LTChar
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    (pdf,) = convert([summary], tmp_path, "pdf")
    manager = PDFResourceManager()
    device = PDFPageAggregator(manager, laparams=None)
    interpreter = PDFPageInterpreter(manager, device)
    sheets = set()
    with pdf.open("rb") as handle:
        for number, page in enumerate(PDFPage.get_pages(handle), start=1):
            interpreter.process_page(page)
            chars = [c for c in device.get_result() if isinstance(c, LTChar)]
            chars = [c for c in chars if c.get_text().strip()]
            smallest = min(chars, key=lambda c: c.size)
            assert smallest.size >= 7.99, f"page {number} : {smallest.size:.1f} points"
            sheets.add("".join(c.get_text() for c in chars[:12]))
    assert len(sheets) >= 8  # every sheet printed (Synthèse … Graphique)
