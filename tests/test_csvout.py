"""CSV for French spreadsheets (csvout.py): « ; », decimal comma, UTF-8 with BOM, and no text of a
département that a spreadsheet would run as a formula, wherever a cell can start.

The decisive test opens the CSV in a real LibreOffice set up as a French user's (« ; »,
UTF-8, French language, formulas evaluated on import) and finds no formula; the same texts
written without neutralising do become formulas there, so the test can fail.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from budget_tool.csvout import BOM, csv_field, csv_text, write_csv_file

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
HOSTILE = [
    "=cmd|' /C calc'!A0",
    "+33 6 12 34 56 78",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    "Formation ; =1+1",  # the separator inside a text
    "Ligne 1\n=1+1",  # a formula after a line break inside the field
    "Ligne 1\r\n@SUM(2)",
    "Ligne 1\n\t-3",
    '=HYPERLINK("http://exemple.invalid";"cliquez")',
]
FRENCH_IMPORT = (
    "CSV:59,34,76,1,,1036,false,true,false,false,false,-1,true"  # ; " UTF-8 fr, evaluate
)


def rows_of(text: str, sep: str = ";") -> list[list[str]]:
    assert text.startswith(BOM) == (sep == ";")  # the BOM is for spreadsheets only
    text = text.removeprefix(BOM)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))


def test_semicolon_bom_and_crlf_by_default():
    text = csv_text(["nature", "montant"], [["Formation", Decimal("1234.5")]])
    assert text == BOM + "nature;montant\r\nFormation;1234,50\r\n"


def test_comma_option_gives_decimal_points_for_scripts():
    text = csv_text(["a", "b"], [[Decimal("-1234.5"), 3]], sep=",")
    # no BOM: a script's csv reader gets the header « a », not « \ufeffa »
    assert text == "a,b\r\n-1234.50,3\r\n"


@pytest.mark.parametrize("sep", [";", ","])
def test_negative_numbers_stay_numbers(sep):
    """A number column is not text: -150 is written -150, never '-150."""
    assert csv_field(Decimal("-150"), sep) == "-150.00".replace(".", "," if sep == ";" else ".")
    assert csv_field(-7, sep) == "-7"
    assert csv_field(-0.5, sep) == ("-0,50" if sep == ";" else "-0.50")


@pytest.mark.parametrize("text", HOSTILE)
def test_no_line_of_a_text_field_starts_like_a_formula(text):
    field = csv_field(text)
    for line in re.split(r"\r\n|\n|\r", field):
        assert not line.lstrip(" ").startswith(("=", "+", "-", "@", "\t")), field
    assert field.replace("'", "") == text.replace("'", "").replace("\t", " ").replace(
        "\r\n", "\n"
    ).replace("\r", "\n")


def test_the_separator_and_line_breaks_inside_a_text_do_not_split_the_record():
    text = csv_text(["nature", "montant"], [[t, -1] for t in HOSTILE])
    rows = rows_of(text)
    assert len(rows) == len(HOSTILE) + 1
    assert all(row[1] == "-1" for row in rows[1:])


def test_write_csv_file_writes_utf8_with_bom(tmp_path):
    target = tmp_path / "t.csv"
    write_csv_file(target, ["département"], [["Corrèze"]])
    assert target.read_bytes() == "\ufeffdépartement\r\nCorrèze\r\n".encode()


def test_consolidate_writes_french_csv_and_honours_the_comma_option(tmp_path):
    region = SAMPLES / "region"
    for sep, folder in ((";", "fr"), (",", "en")):
        result = subprocess.run(
            [sys.executable, "-m", "budget_tool", "consolidate", str(region), "-q",
             "-o", str(tmp_path / f"{folder}.xlsx"), "--csv", str(tmp_path / folder),
             "--csv-separateur", sep],
            capture_output=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
        data = (tmp_path / folder / "synthese.csv").read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") == (sep == ";")  # BOM for spreadsheets only
        rows = rows_of(data.decode("utf-8"), sep)
        header = rows[0]
        assert "departement" in header and len(header) > 5
        plafond = rows[1][header.index("plafond")]
        assert re.fullmatch(r"\d+" + ("," if sep == ";" else r"\.") + r"\d\d", plafond), plafond


# ---------------------------------------------------------------- a real LibreOffice
def _formulas_after_french_import(csv_path: Path, out: Path) -> tuple[list[str], list[str]]:
    """(formulas, numeric cells) of the sheet LibreOffice makes of the CSV."""
    from budget_tool.libreoffice import convert

    (converted,) = convert([csv_path], out, "xlsx", recalc=False, infilter=FRENCH_IMPORT)
    with zipfile.ZipFile(converted) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    formulas = re.findall(r"<f[^>]*>([^<]*)</f>", sheet)
    numbers = re.findall(r'<c r="([A-Z]+\d+)"[^>]*t="n"[^>]*><v>', sheet)
    return formulas, numbers


@pytest.mark.libreoffice
def test_libreoffice_in_french_finds_no_formula_in_our_csv(tmp_path, libreoffice):
    header = ["nature", "montant"]
    rows = [[text, Decimal("-1250.75")] for text in HOSTILE]
    ours = tmp_path / "ours" / "lignes.csv"
    ours.parent.mkdir()
    write_csv_file(ours, header, rows)
    formulas, numbers = _formulas_after_french_import(ours, tmp_path / "lo-ours")
    assert formulas == []
    assert numbers == [f"B{row}" for row in range(2, len(HOSTILE) + 2)]  # amounts stay numbers

    # the same texts, not neutralised: LibreOffice does run them (the test can fail)
    raw = tmp_path / "raw" / "lignes.csv"
    raw.parent.mkdir()
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([header, *[[t, "-1250,75"] for t in HOSTILE]])
    raw.write_text(BOM + buffer.getvalue(), encoding="utf-8")
    formulas, _ = _formulas_after_french_import(raw, tmp_path / "lo-raw")
    assert any("cmd" in f for f in formulas) and any("HYPERLINK" in f for f in formulas)
