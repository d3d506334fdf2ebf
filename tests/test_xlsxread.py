"""The lean reader sees exactly what openpyxl sees (formulas, cached results, dates, states),
on our workbooks, on files saved by LibreOffice, and on what Excel writes (shared formulas)."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from budget_tool.xlsxread import coordinate, read_xlsx

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _openpyxl_view(path: Path):
    formulas, values = load_workbook(path), load_workbook(path, data_only=True)
    view = {}
    for sheet in formulas.worksheets:
        for (row, col), cell in sheet._cells.items():
            raw = getattr(cell.value, "text", cell.value)
            cached = values[sheet.title]._cells.get((row, col))
            view[(sheet.title, row - 1, col - 1)] = (raw, cached.value if cached else None)
    return formulas, view


@pytest.mark.parametrize(
    "name",
    [
        "annexe2-23-2024-conforme.xlsx",
        "annexe3-23-2024-libreoffice.xlsx",
        "annexe3-23-2024-dates-hors-periode.xlsx",
        "annexe2-23-2024-cofinancement-ecrase.xlsx",
    ],
)
def test_reads_what_openpyxl_reads(name):
    path = SAMPLES / name
    formulas, view = _openpyxl_view(path)
    raw = read_xlsx(path.read_bytes())
    assert raw.sheetnames == formulas.sheetnames
    for sheet in formulas.worksheets:
        mine = raw.sheets[sheet.title]
        assert mine.state == sheet.sheet_state
        assert mine.protected == bool(sheet.protection.sheet)
        assert sorted(mine.merged) == sorted(
            (r.min_row - 1, r.min_col - 1, r.max_row - 1, r.max_col - 1)
            for r in sheet.merged_cells.ranges
        )
    compared = 0
    for (title, row, col), (value, cached) in view.items():
        cell = raw.sheets[title].cells.get((row, col))
        if value is None and cell is None:
            continue
        assert cell is not None, (title, row, col)
        is_formula = isinstance(value, str) and value.startswith("=")
        expected = (value, cached if is_formula else value)
        empty = (None, None)  # an empty string cell is an empty cell (openpyxl keeps "")
        assert (cell.raw, cell.cached) == (empty if expected == ("", "") else expected), (
            title,
            row,
            col,
        )
        compared += 1
    assert compared > 300


def _patched(data: bytes, part: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info, change(content) if info.filename == part else content)
    return out.getvalue()


def _small_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Feuille"
    for row in range(1, 5):
        sheet.cell(row=row, column=1, value=row)
        sheet.cell(row=row, column=2, value=f"=A{row}*2")
    sheet["C1"] = datetime(2024, 3, 15)
    sheet["D1"] = "texte"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_shared_formulas_are_translated_like_excel_writes_them():
    def share(xml: bytes) -> bytes:
        text = xml.decode()
        text = text.replace("<f>A1*2</f>", '<f t="shared" ref="B1:B4" si="0">A1*2</f>')
        for row in (2, 3, 4):
            text = text.replace(f"<f>A{row}*2</f>", '<f t="shared" si="0"/>')
        return text.encode()

    data = _patched(_small_workbook(), "xl/worksheets/sheet1.xml", share)
    cells = read_xlsx(data).sheets["Feuille"].cells
    assert [cells[(r, 1)].raw for r in range(4)] == ["=A1*2", "=A2*2", "=A3*2", "=A4*2"]


def test_dates_and_strings_keep_their_kind():
    cells = read_xlsx(_small_workbook()).sheets["Feuille"].cells
    assert cells[(0, 2)].raw == datetime(2024, 3, 15)
    assert cells[(0, 3)].raw == "texte"
    assert cells[(0, 0)].raw == 1


def test_references_beyond_the_sheet_are_refused():
    assert coordinate("XFD1048576") == (1_048_575, 16_383)
    for bad in ("XFE1", "A1048577", "A0", "1A"):
        with pytest.raises(ValueError):
            coordinate(bad)
