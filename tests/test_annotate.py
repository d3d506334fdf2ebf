"""``check --annotate``: the copy keeps the input's kind (annotate.py).

A workbook with macros annotated as .xlsm stays a valid macro workbook (content type, VBA project
and its relationship kept, readable by openpyxl and by a real LibreOffice); as .xlsx it is an
ordinary workbook without macros; a workbook without macros cannot be written as .xlsm (Excel
would refuse to open it), nor can a copy take another extension. Refusals come before anything
is written; the input never changes.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

import tests.hostile_files as hostile

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
FINDINGS = SAMPLES / "annexe3-23-2024-depenses-ineligibles.xlsx"
MACRO_TYPE = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "budget_tool", *map(str, args)], capture_output=True, check=False
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def macro_workbook(tmp_path) -> Path:
    return hostile.edit_parts(FINDINGS, tmp_path / "bilan-macros.xlsm", hostile.add_macros)


def test_a_macro_workbook_annotated_as_xlsm_stays_a_macro_workbook(tmp_path, macro_workbook):
    before = digest(macro_workbook)
    target = tmp_path / "annotee.xlsm"
    result = run("check", macro_workbook, "--annotate", target)
    assert result.returncode == 1 and b"Traceback" not in result.stderr
    entries = hostile.read_entries(target)
    assert "xl/vbaProject.bin" in entries and MACRO_TYPE in entries["[Content_Types].xml"]
    assert b"vbaProject" in entries["xl/_rels/workbook.xml.rels"]
    from openpyxl import load_workbook

    book = load_workbook(target, keep_vba=True)
    assert any(c.comment for sheet in book for row in sheet.iter_rows() for c in row)
    assert digest(macro_workbook) == before


def test_a_macro_workbook_annotated_as_xlsx_has_no_macros(tmp_path, macro_workbook):
    target = tmp_path / "annotee.xlsx"
    result = run("check", macro_workbook, "--annotate", target)
    assert result.returncode == 1
    entries = hostile.read_entries(target)
    assert "xl/vbaProject.bin" not in entries and MACRO_TYPE not in entries["[Content_Types].xml"]


@pytest.mark.parametrize(
    "name, says",
    [("annotee.xlsm", "n'a pas de macros"), ("annotee.txt", "se termine par .xlsx")],
)
def test_a_copy_that_would_not_open_is_refused(tmp_path, name, says):
    source = tmp_path / FINDINGS.name
    source.write_bytes(FINDINGS.read_bytes())
    before = digest(source)
    result = run("check", source, "--annotate", tmp_path / name)
    err = result.stderr.decode("utf-8")
    assert result.returncode == 2 and says in err and name in err and "Traceback" not in err
    assert not (tmp_path / name).exists() and digest(source) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [FINDINGS.name]


@pytest.mark.libreoffice
def test_libreoffice_opens_the_annotated_macro_workbook(tmp_path, macro_workbook, libreoffice):
    from budget_tool.libreoffice import convert

    target = tmp_path / "annotee.xlsm"
    assert run("check", macro_workbook, "--annotate", target).returncode == 1
    (pdf,) = convert([target], tmp_path / "pdf", "pdf", recalc=False)
    assert pdf.stat().st_size > 1000
