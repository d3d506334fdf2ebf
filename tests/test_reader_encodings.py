"""Every valid way a spreadsheet may save the cells the template needs is read as the same
workbook (xlsxread.py, package.py, reader.py).

Each file is built from a clean annexe the way another writer saves it: ISO dates (``t="d"``),
cells and rows without ``r``, phonetic runs in shared strings, rich and inline strings, the
synthesis sheet moved after the volet sheets, parts under other names found by relationships.
Each must give exactly the report of the original; ``--annotate`` accepts it too. A shared-string
index out of range is refused naming its cell; a Strict Open XML workbook is refused with advice;
a part that no relationship reaches is never read. The input's bytes never change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tests.hostile_files as hostile
from budget_tool.checker import check
from budget_tool.safeload import load_raw

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
ANNEXE2 = SAMPLES / "annexe2-23-2024-conforme.xlsx"
ANNEXE3 = SAMPLES / "annexe3-23-2024-dates-hors-periode.xlsx"  # dates, and findings to compare
EPOCH = dt.datetime(1899, 12, 30)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def same_report(original: Path, variant: Path) -> None:
    expected, got = check(original), check(variant)
    assert got.refused is None, got.refused
    assert got.flatten() == expected.flatten() and got.status() == expected.status()
    assert got.totals == expected.totals


def annotate_accepts(variant: Path, tmp_path: Path) -> None:
    before = digest(variant)
    result = subprocess.run(
        [sys.executable, "-m", "budget_tool", "check", str(variant), "--annotate",
         str(tmp_path / "annotee.xlsx")],
        capture_output=True, check=False,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr.decode()
    assert b"Traceback" not in result.stderr and (tmp_path / "annotee.xlsx").stat().st_size
    assert digest(variant) == before


def sheets_edited(source: Path, target: Path, edit) -> Path:
    def change(entries: dict[str, bytes]) -> None:
        for title, part in hostile.sheet_parts(entries).items():
            entries[part] = edit(entries[part], title)

    return hostile.edit_parts(source, target, change)


# ---------------------------------------------------------------- cell encodings
def _date_styles(source: Path) -> set[bytes]:
    """Indices of the cell formats that show a date (their number format has a year)."""
    styles = hostile.read_entries(source)["xl/styles.xml"]
    formats = re.findall(rb'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"', styles)
    dates = {number for number, code in formats if b"yy" in code.lower()}
    cell_xfs = re.search(rb"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.DOTALL)
    assert cell_xfs is not None
    xfs = re.findall(rb'<xf [^>]*numFmtId="(\d+)"', cell_xfs.group(1))
    return {str(index).encode() for index, number in enumerate(xfs) if number in dates}


def _iso_dates(styles: set[bytes]):
    def edit(xml: bytes, _title: str) -> bytes:
        def iso(match: re.Match[bytes]) -> bytes:
            if match.group(3) not in styles:
                return match.group(0)
            when = EPOCH + dt.timedelta(days=int(match.group(4)))
            return match.group(1) + b' t="d"><v>' + when.isoformat().encode() + b"</v></c>"

        return re.sub(rb'(<c r="([A-Z]+\d+)" s="(\d+)")><v>(\d+)</v></c>', iso, xml)

    return edit


def test_iso_date_cells_read_as_dates(tmp_path):
    variant = sheets_edited(ANNEXE3, tmp_path / "dates-iso.xlsx", _iso_dates(_date_styles(ANNEXE3)))
    xml = hostile.read_entries(variant)["xl/worksheets/sheet2.xml"]
    first = re.search(rb'<c r="([A-Z]+)(\d+)" s="\d+" t="d">', xml)
    assert first is not None  # dates were rewritten as ISO text
    same_report(ANNEXE3, variant)
    book, _ = load_raw(variant)
    where = (int(first.group(2)) - 1, ord(first.group(1)) - ord(b"A"))
    assert isinstance(book.sheets["Volet 1"].cells[where].raw, dt.datetime)
    annotate_accepts(variant, tmp_path)


def _without_r(xml: bytes, _title: str) -> bytes:
    """Drop r where it can be inferred: a cell right after the previous one, a row right after
    the previous row (as some writers save)."""
    text = xml.decode("utf-8")
    out, last_row = [], 0

    def row(match: re.Match[str]) -> str:
        nonlocal last_row
        number = int(match.group(2))
        keep = number != last_row + 1
        last_row = number
        body = _cells_without_r(match.group(4))
        return f"<row{match.group(1) if keep else ''}{match.group(3)}>{body}</row>"

    out.append(re.sub(r'<row( r="(\d+)")([^>]*)>(.*?)</row>', row, text, flags=re.DOTALL))
    return out[0].encode("utf-8")


def _cells_without_r(body: str) -> str:
    last = -1

    def cell(match: re.Match[str]) -> str:
        nonlocal last
        col = 0
        for letter in match.group(2):
            col = col * 26 + ord(letter) - 64
        keep = col != last + 1
        last = col
        return "<c" + (match.group(1) if keep else "")

    return re.sub(r'<c( r="([A-Z]+)\d+")', cell, body)


def test_cells_and_rows_without_r_are_placed_as_the_standard_says(tmp_path):
    variant = sheets_edited(ANNEXE3, tmp_path / "sans-r.xlsx", _without_r)
    xml = hostile.read_entries(variant)["xl/worksheets/sheet2.xml"]
    assert xml.count(b"<c ") > 5 * xml.count(b'<c r="')  # most cells lost their r
    same_report(ANNEXE3, variant)
    annotate_accepts(variant, tmp_path)


def _strings_edited(source: Path, target: Path, edit) -> Path:
    def change(entries: dict[str, bytes]) -> None:
        entries["xl/sharedStrings.xml"] = edit(entries["xl/sharedStrings.xml"])

    return hostile.edit_parts(source, target, change)


def test_phonetic_runs_are_not_read_as_text(tmp_path):
    def furigana(xml: bytes) -> bytes:
        reading = '<rPh sb="0" eb="1"><t>フリガナ</t></rPh><phoneticPr fontId="1"/>'
        text = re.sub(r"(<si><t[^>]*>[^<]*</t>)(</si>)", r"\1" + reading + r"\2", xml.decode())
        return text.encode("utf-8")

    variant = _strings_edited(ANNEXE3, tmp_path / "phonetique.xlsx", furigana)
    assert b"<rPh" in hostile.read_entries(variant)["xl/sharedStrings.xml"]
    same_report(ANNEXE3, variant)
    annotate_accepts(variant, tmp_path)


def test_rich_text_strings_are_read_as_their_runs(tmp_path):
    def rich(xml: bytes) -> bytes:
        def runs(match: re.Match[str]) -> str:
            text, half = match.group(2), len(match.group(2)) // 2
            return (
                f"<si><r><t{match.group(1)}>{text[:half]}</t></r>"
                f'<r><rPr><b/><sz val="11"/></rPr><t xml:space="preserve">{text[half:]}</t></r></si>'
            )

        return re.sub(r"<si><t([^>]*)>([^<&]*)</t></si>", runs, xml.decode()).encode("utf-8")

    variant = _strings_edited(ANNEXE3, tmp_path / "riche.xlsx", rich)
    assert b"<r><rPr>" in hostile.read_entries(variant)["xl/sharedStrings.xml"]
    same_report(ANNEXE3, variant)
    annotate_accepts(variant, tmp_path)


def test_inline_strings_are_read_like_shared_ones(tmp_path):
    def inline(entries: dict[str, bytes]) -> None:
        from xml.etree import ElementTree

        ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
        root = ElementTree.fromstring(entries["xl/sharedStrings.xml"])
        strings = ["".join(t.text or "" for t in si.iter(f"{ns}t")) for si in root]
        for part in hostile.sheet_parts(entries).values():
            entries[part] = re.sub(
                rb'(<c r="[A-Z]+\d+"(?: s="\d+")?) t="s"><v>(\d+)</v></c>',
                lambda m: m.group(1) + b' t="inlineStr">'
                + hostile.inline_text(strings[int(m.group(2))]).encode() + b"</c>",
                entries[part],
            )  # fmt: skip

    variant = hostile.edit_parts(ANNEXE3, tmp_path / "en-ligne.xlsx", inline)
    assert (
        b'<c r="A12" s="4" t="s">' not in hostile.read_entries(variant)["xl/worksheets/sheet2.xml"]
    )
    same_report(ANNEXE3, variant)
    annotate_accepts(variant, tmp_path)


def test_a_shared_string_index_out_of_range_is_refused_naming_the_cell(tmp_path):
    variant = hostile.edit_sheet(
        ANNEXE3, tmp_path / "indice.xlsx", "Volet 1",
        lambda xml: hostile.put_cell(xml, "B17", "<v>99999</v>", "s"),
    )  # fmt: skip
    before = digest(variant)
    for command in (["check", str(variant)], ["check", str(variant), "--annotate",
                                               str(tmp_path / "a.xlsx")]):  # fmt: skip
        result = subprocess.run(
            [sys.executable, "-m", "budget_tool", *command], capture_output=True, check=False
        )
        out = (result.stdout + result.stderr).decode("utf-8")
        assert result.returncode == 3 and "Traceback" not in out
        assert "'Volet 1'!B17" in out and "texte partagé n° 99999" in out
    assert digest(variant) == before and not (tmp_path / "a.xlsx").exists()


def test_a_format_the_workbook_does_not_define_is_refused_naming_the_cell(tmp_path):
    """openpyxl (the annotated copy) cannot open such a file: check refuses it as well."""
    pattern = rb'<c r="(A1\d)" s="\d+"'  # a labelled cell of the header rows
    sheet = hostile.read_entries(ANNEXE3)["xl/worksheets/sheet2.xml"]
    found = re.search(pattern, sheet)
    assert found is not None
    cell = found.group(1).decode()
    variant = hostile.edit_sheet(
        ANNEXE3, tmp_path / "format.xlsx", "Volet 1",
        lambda xml: re.sub(pattern, rb'<c r="\1" s="999"', xml, count=1),
    )  # fmt: skip
    for extra in ([], ["--annotate", str(tmp_path / "a.xlsx")]):
        result = subprocess.run(
            [sys.executable, "-m", "budget_tool", "check", str(variant), *extra],
            capture_output=True, check=False,
        )  # fmt: skip
        out = (result.stdout + result.stderr).decode("utf-8")
        assert result.returncode == 3 and f"'Volet 1'!{cell}" in out and "format n° 999" in out
    assert not (tmp_path / "a.xlsx").exists()


def test_an_unreadable_iso_date_is_refused_naming_the_cell(tmp_path):
    variant = hostile.edit_sheet(
        ANNEXE3, tmp_path / "date.xlsx", "Volet 1",
        lambda xml: hostile.put_cell(xml, "E17", "<v>15 mars</v>", "d"),
    )  # fmt: skip
    report = check(variant)
    assert (
        report.refused and "'Volet 1'!E17" in report.refused and "date illisible" in report.refused
    )


# ---------------------------------------------------------------- sheets and parts
def _synthesis_moved_last(entries: dict[str, bytes]) -> None:
    xml = entries["xl/workbook.xml"].decode("utf-8")
    sheets = re.findall(r"<sheet [^>]*/>", xml)
    moved = [s for s in sheets if "Synth" not in s] + [s for s in sheets if "Synth" in s]
    entries["xl/workbook.xml"] = xml.replace("".join(sheets), "".join(moved)).encode("utf-8")


@pytest.mark.parametrize("source", [ANNEXE2, ANNEXE3], ids=["annexe2", "annexe3"])
def test_the_synthesis_sheet_moved_after_the_volets_is_still_read(tmp_path, source):
    variant = hostile.edit_parts(source, tmp_path / "deplacee.xlsx", _synthesis_moved_last)
    book, _ = load_raw(variant)
    assert book.sheetnames[0] != "Synthèse" and "Synthèse" in book.sheetnames
    same_report(source, variant)
    annotate_accepts(variant, tmp_path)


RENAMED = {
    "xl/workbook.xml": "classeur/principal.xml",
    "xl/worksheets/sheet1.xml": "classeur/feuilles/synthese.xml",
    "xl/worksheets/sheet2.xml": "classeur/feuilles/v1.xml",
    "xl/worksheets/sheet3.xml": "classeur/feuilles/v2.xml",
    "xl/worksheets/sheet4.xml": "classeur/feuilles/v3.xml",
    "xl/worksheets/sheet5.xml": "classeur/feuilles/listes.xml",
    "xl/sharedStrings.xml": "classeur/textes.xml",
    "xl/styles.xml": "classeur/styles.xml",
    "xl/theme/theme1.xml": "classeur/theme.xml",
}


def _parts_renamed(entries: dict[str, bytes]) -> None:
    """Every part under another name, the relationships and content types saying where."""
    for old, new in RENAMED.items():
        entries[new] = entries.pop(old)
    rels = entries.pop("xl/_rels/workbook.xml.rels").decode("utf-8")
    for old, new in RENAMED.items():
        if old != "xl/workbook.xml":
            rels = rels.replace(f'Target="{old[3:]}"', f'Target="{new[9:]}"')
    entries["classeur/_rels/principal.xml.rels"] = rels.encode("utf-8")
    for name in ("_rels/.rels", "[Content_Types].xml"):
        text = entries[name].decode("utf-8")
        for old, new in RENAMED.items():
            text = text.replace(f"/{old}", f"/{new}").replace(f'"{old}"', f'"{new}"')
        entries[name] = text.encode("utf-8")


def test_parts_under_other_names_are_found_by_relationships(tmp_path):
    variant = hostile.edit_parts(ANNEXE3, tmp_path / "renomme.xlsx", _parts_renamed)
    names = set(hostile.read_entries(variant))
    assert "xl/workbook.xml" not in names and "classeur/principal.xml" in names
    same_report(ANNEXE3, variant)
    annotate_accepts(variant, tmp_path)  # openpyxl reads styles from one name only


def test_a_part_no_relationship_reaches_is_never_read(tmp_path):
    """A sheet part left in the zip but reached by no relationship: a spreadsheet ignores it,
    so does the checker (here, a stale copy of the volet with every amount doubled)."""

    def stale(entries: dict[str, bytes]) -> None:
        sheet = entries["xl/worksheets/sheet2.xml"]
        entries["xl/worksheets/sheet9.xml"] = re.sub(rb"<v>(\d+)", rb"<v>9\1", sheet)

    variant = hostile.edit_parts(ANNEXE3, tmp_path / "orpheline.xlsx", stale)
    same_report(ANNEXE3, variant)


def test_a_relationship_to_another_sheet_part_is_followed(tmp_path):
    """The relationship, not the part name, says which XML a sheet is: point Volet 1 at a
    doctored copy and the checker sees the doctored one, as Excel would."""

    def redirected(entries: dict[str, bytes]) -> None:
        sheet = entries["xl/worksheets/sheet2.xml"]
        entries["xl/worksheets/autre.xml"] = hostile.put_cell(sheet, "D17", "<v>0</v>")
        rels = entries["xl/_rels/workbook.xml.rels"]
        entries["xl/_rels/workbook.xml.rels"] = rels.replace(
            b'Target="worksheets/sheet2.xml"', b'Target="worksheets/autre.xml"'
        )

    variant = hostile.edit_parts(ANNEXE3, tmp_path / "redirige.xlsx", redirected)
    assert check(variant).flatten() != check(ANNEXE3).flatten()


def _strict(entries: dict[str, bytes]) -> None:
    """What Excel's « Classeur Strict Open XML » changes first: the ISO namespaces."""
    for name in list(entries):
        if name.endswith((".xml", ".rels")):
            entries[name] = (
                entries[name]
                .replace(
                    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                    b"http://purl.oclc.org/ooxml/officeDocument/relationships",
                )
                .replace(
                    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                    b"http://purl.oclc.org/ooxml/spreadsheetml/main",
                )
            )


def test_a_strict_open_xml_workbook_is_refused_with_advice(tmp_path):
    variant = hostile.edit_parts(ANNEXE3, tmp_path / "strict.xlsx", _strict)
    before = digest(variant)
    for extra in ([], ["--annotate", str(tmp_path / "a.xlsx")]):
        result = subprocess.run(
            [sys.executable, "-m", "budget_tool", "check", str(variant), *extra],
            capture_output=True, check=False,
        )  # fmt: skip
        out = (result.stdout + result.stderr).decode("utf-8")
        assert result.returncode == 3 and "Traceback" not in out
        assert "Strict Open XML" in out and "Classeur Excel (*.xlsx)" in out
    assert digest(variant) == before and not (tmp_path / "a.xlsx").exists()


@pytest.mark.libreoffice
def test_a_workbook_saved_by_libreoffice_reads_like_the_original(tmp_path, libreoffice):
    """LibreOffice rewrites every part (its own names, styles, shared strings, no cached
    formula results unless recalculated): the report is the same."""
    from budget_tool.libreoffice import convert

    source = tmp_path / "source" / ANNEXE3.name
    source.parent.mkdir()
    shutil.copy(ANNEXE3, source)
    (saved,) = convert([source], tmp_path / "lo", "xlsx")
    same_report(ANNEXE3, saved)
    annotate_accepts(saved, tmp_path)
