"""Hostile and broken files through ``check`` and ``consolidate``: refused fast and clearly,
nothing lost, nothing inside them trusted (items numbered as in the issue).

Every input is made here by code (``tests/hostile_files.py``), in a temporary folder: no binary is
committed.  Files 1-16 are refused before anything is read: exit code 3, a French message naming
the file, the input's bytes unchanged, no output written.  Files 17-29 are workbooks of ours,
tampered with: ``check`` reports the right code at the right cell.  30 is a folder as a DREETS
receives it.  The property test at the end writes any text of a département into the summary.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.chart import BarChart, Reference

from budget_tool import sampledata
from budget_tool.checker import check
from budget_tool.cli import main
from budget_tool.consolidation import consolidate
from budget_tool.errors import WorkbookRefused
from budget_tool.generate import output_name, write_workbook
from budget_tool.layout import column_index
from budget_tool.libreoffice import convert
from budget_tool.oversize import Huge
from budget_tool.oversize import reason as oversize_reason
from budget_tool.plan import FORMULA
from budget_tool.refs import CellRef
from budget_tool.safeload import DEFAULT_LIMITS, Limits, precheck
from budget_tool.sanitize import clean_text, neutralised
from budget_tool.summary import write_csv, write_summary
from budget_tool.tables import build_tables
from tests import hostile_files as hostile

ANNEXE2, ANNEXE3 = "annexe-2", "annexe-3"
SECRET = "SECRET-d41c-ne-doit-jamais-sortir"
ENGLISH_LEAKS = ("traceback", "error", "exception", "unable to", "not a zip", "there is no item")


# ---------------------------------------------------------------- helpers and fixtures
def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def invoke(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_clean_run(result: Result, *names: str) -> str:
    """No traceback, no English, and the output names every file given; returns the output."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    output = result.output
    assert "Traceback" not in output
    for name in names:
        assert name in output, output
    readable = output
    for name in names:
        readable = readable.replace(name, "")
    assert not any(leak in readable.lower() for leak in ENGLISH_LEAKS), output
    return output


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, plans) -> dict[str, Path]:
    """Both annexes of the Creuse, filled with realistic inputs and correct cached results."""
    folder = tmp_path_factory.mktemp("propres")
    made = {}
    for annexe, lines in ((ANNEXE2, sampledata.plan_lines), (ANNEXE3, sampledata.bilan_lines)):
        plan = plans[annexe]
        made[annexe] = folder / output_name(plan.template, plan.params)
        write_workbook(plan, made[annexe], lines(plan))
    return made


@pytest.fixture(scope="module")
def clean_reports(clean) -> dict[str, object]:
    return {annexe: check(path) for annexe, path in clean.items()}


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 MB of spaces in a sheet, ~300 KB on disk; built once for the module."""
    return hostile.make_zip_bomb(tmp_path_factory.mktemp("bombe"))


def records(path: Path, sheet: str) -> list[dict[str, object]]:
    """The rows of a summary sheet, keyed by the tables' keys (the sheet shows French headers)."""
    from budget_tool.summary import column_headers

    keys = {header: key for key, header in column_headers().items()}
    rows = list(load_workbook(path)[sheet].iter_rows(values_only=True))
    return [dict(zip([keys.get(h, h) for h in rows[0]], row, strict=True)) for row in rows[1:]]


def copy_to(source: Path, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(source, folder / (name or source.name)))


def bilan_lines(plan) -> dict[tuple[int, int], dict[str, object]]:
    return {key: dict(values) for key, values in sampledata.bilan_lines(plan).items()}


def lump_line(plan, lines) -> tuple[tuple[int, int], str, int]:
    """A volet 1 line of annexe 3 whose amount is a lump sum: (key, sheet, 0-based row)."""
    key = min(k for k in lines if k[0] == 1 and "forfait" in lines[k])
    sheet = next(s for s in plan.volet_sheets() if s.volet == 1)
    return key, sheet.name, sheet.lines[key[1]].row


def ref(plan, sheet: str, row: int, key: str) -> CellRef:
    return CellRef(sheet, row, column_index(plan.template.column(key)))


def checked(path: Path, exit_code: int):
    """check() a tampered workbook: read (not refused), the expected exit code, bytes kept."""
    before = digest(path)
    report = check(path)
    assert report.refused is None, report.refused
    assert report.exit_code() == exit_code, report.flatten()
    assert digest(path) == before
    return report


# ---------------------------------------------------------------- 1-16: refused containers
def _xxe(folder: Path, clean: dict[str, Path], bomb: Path) -> Path:
    secret = folder / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    return hostile.make_xxe(folder, secret)


def _rows_400k(folder: Path, clean: dict[str, Path], bomb: Path) -> Path:
    target = folder / "annexe3-400000-lignes.xlsx"
    return hostile.add_rows_streamed(clean[ANNEXE3], target, "Volet 2", 400_000)


def _simple(maker: Callable[[Path], Path]) -> Callable[[Path, dict, Path], Path]:
    return lambda folder, clean, bomb: maker(folder)


Maker = Callable[[Path, dict[str, Path], Path], Path]
REFUSED: list[tuple[str, Maker, str]] = [
    ("01-vide", _simple(hostile.make_empty), "fichier vide"),
    ("02-csv-renomme", _simple(hostile.make_csv_renamed), "fichier texte (CSV ou HTML) renommé"),
    ("02-html-renomme", _simple(hostile.make_html_renamed), "fichier texte (CSV ou HTML) renommé"),
    ("03-zip-tronque", _simple(hostile.make_truncated), "tronqué ou endommagé"),
    ("04-octet-inverse", _simple(hostile.make_flipped_byte), "tronqué ou endommagé"),
    ("05-mot-de-passe", _simple(hostile.make_encrypted_ole), "protégé par un mot de passe"),
    ("06-ancien-xls", _simple(hostile.make_old_xls), "Excel 97-2003 (.xls) : ouvrez-le et "),
    ("07-ods", _simple(hostile.make_ods), "LibreOffice (.ods) : enregistrez-le au format"),
    ("08-docx-renomme", _simple(hostile.make_docx_renamed), "document Word/PowerPoint renommé"),
    (
        "09-sans-workbook",
        _simple(hostile.make_workbook_part_missing),
        "« xl/workbook.xml » absente",
    ),
    ("09-sans-feuille", _simple(hostile.make_sheet_part_missing), "déclarée mais absente"),
    ("10-xml-mal-forme", _simple(hostile.make_malformed_sheet), "XML mal formé"),
    ("11-entite-externe", _xxe, "DOCTYPE ou ENTITY"),
    ("12-milliard-de-rires", _simple(hostile.make_billion_laughs), "DOCTYPE ou ENTITY"),
    ("13-bombe-zip", lambda folder, clean, bomb: copy_to(bomb, folder), "bombe zip probable"),
    ("13-bombe-rembourree", _simple(hostile.make_padded_zip_bomb), "bombe zip probable"),
    (
        "13-bombe-menteuse",
        lambda folder, clean, bomb: hostile.make_lying_zip_bomb(folder, bomb),
        "taille déclarée",
    ),
    ("14-400000-lignes", _rows_400k, "« Volet 2 » contient plus de 100\u202f000 lignes"),
    ("15-taille-menteuse", _simple(hostile.make_lying_size), "taille déclarée"),
    ("16-entree-en-double", _simple(hostile.make_duplicate_entries), "figure deux fois"),
]
SAVE_AS = "enregistrez-le au format « Classeur Excel (.xlsx) »"


@pytest.mark.parametrize(
    ("maker", "fragment"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_refused_by_check_and_consolidate(tmp_path, clean, bomb, maker, fragment):
    (tmp_path / "recu").mkdir()
    path = maker(tmp_path / "recu", clean, bomb)
    before = digest(path)

    result = invoke("check", path)
    assert result.exit_code == 3
    output = assert_clean_run(result, path.name)
    assert "REFUSÉ" in output and fragment in output
    if fragment.startswith(("Excel 97", "LibreOffice")):
        assert SAVE_AS in output  # told to save as .xlsx

    out = tmp_path / "sortie" / "synthese.xlsx"
    out.parent.mkdir()  # outputs go into an existing folder (output.py)
    result = invoke("consolidate", path, "-o", out)
    assert result.exit_code == 3
    output = assert_clean_run(result, path.name)
    assert fragment in output and "Rien n'a été écrit" in output
    assert list(out.parent.iterdir()) == []
    assert digest(path) == before


@pytest.mark.parametrize("maker", [c[1] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_folder_with_one_refused_file_writes_nothing_without_keep_going(
    tmp_path, clean, bomb, maker
):
    folder, made = tmp_path / "retours", tmp_path / "fabrique"
    made.mkdir()
    good = copy_to(clean[ANNEXE3], folder)
    bad = copy_to(maker(made, clean, bomb), folder)
    digests = {p: digest(p) for p in (good, bad)}
    out = tmp_path / "sortie" / "synthese.xlsx"
    out.parent.mkdir()  # outputs go into an existing folder (output.py)

    result = invoke("consolidate", folder, "-o", out, "--csv", tmp_path / "csv")
    assert result.exit_code == 3
    assert "Rien n'a été écrit" in assert_clean_run(result, bad.name)
    assert list(out.parent.iterdir()) == [] and not (tmp_path / "csv").exists()

    result = invoke("consolidate", folder, "-o", out, "--keep-going", "-q")
    assert result.exit_code == 3, result.output
    status = {row["fichier"]: row["statut"] for row in records(out, "Fichiers")}
    assert status == {bad.name: "refusé", good.name: "retenu"}
    assert {p: digest(p) for p in digests} == digests


def test_11_external_entity_content_appears_in_no_output(tmp_path, clean):
    folder, made = tmp_path / "retours", tmp_path / "fabrique"
    made.mkdir()
    copy_to(clean[ANNEXE3], folder)
    path = copy_to(_xxe(made, clean, tmp_path), folder)
    check_output = invoke("check", "--format", "json", path).output
    out = tmp_path / "sortie"
    out.mkdir()  # outputs go into an existing folder (output.py)
    result = invoke(
        "consolidate",
        folder,
        "-o",
        out / "s.xlsx",
        "--csv",
        out / "csv",
        "--json",
        out / "s.json",
        "--keep-going",
    )
    assert result.exit_code == 3 and "DOCTYPE ou ENTITY" in result.output
    assert SECRET not in check_output + result.output
    written = sorted(p for p in out.rglob("*") if p.is_file())
    assert len(written) == 9  # workbook, JSON, seven CSV (four tables and the follow-up's three)
    for item in written:  # the .xlsx is a zip: look inside every part too
        blobs = (
            hostile.read_entries(item).values() if item.suffix == ".xlsx" else [item.read_bytes()]
        )
        assert not any(SECRET.encode() in blob for blob in blobs), item


@pytest.mark.parametrize("kind", ["billion_laughs", "bomb", "lying_bomb", "padded_bomb"])
def test_12_13_refused_in_under_one_second(tmp_path, bomb, kind):
    path = {
        "billion_laughs": lambda: hostile.make_billion_laughs(tmp_path),
        "bomb": lambda: bomb,
        "lying_bomb": lambda: hostile.make_lying_zip_bomb(tmp_path, bomb),
        "padded_bomb": lambda: hostile.make_padded_zip_bomb(tmp_path),
    }[kind]()
    start = time.perf_counter()
    report = check(path)
    elapsed = time.perf_counter() - start
    assert report.refused is not None and report.exit_code() == 3
    assert elapsed < 1.0, f"{elapsed:.2f} s"


def test_14_huge_sheet_is_refused_quickly_in_little_memory(tmp_path, clean):
    path = _rows_400k(tmp_path, clean, tmp_path)
    assert path.stat().st_size < 5 * 1024 * 1024  # 400,000 rows, streamed into the entry
    tracemalloc.start()
    try:
        start = time.perf_counter()
        report = check(path)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.refused is not None and "Volet 2" in report.refused
    assert elapsed < 10.0, f"{elapsed:.2f} s"  # about 0.3 s; openpyxl would take ~15 s and 500 MB
    assert peak < 64 * 1024 * 1024, f"{peak / 1e6:.0f} Mo"


def test_our_workbooks_pass_the_row_and_cell_limits_with_a_wide_margin(clean):
    """Under 200 rows and 2,000 cells per sheet, against defaults of 100,000 and 500,000."""
    tight = Limits(max_rows_per_sheet=200, max_cells_per_sheet=2_000)
    for path in clean.values():
        precheck(path, tight)
    assert DEFAULT_LIMITS.max_rows_per_sheet >= 100 * tight.max_rows_per_sheet
    assert DEFAULT_LIMITS.max_cells_per_sheet >= 100 * tight.max_cells_per_sheet


def _sheet_of_rows(count: int, encoding: str, padding: int, tag: str) -> bytes:
    """A sheet of ``count`` rows of one cell, written with ``tag`` (``row`` or ``x:row``), after
    ``padding`` spaces: moving the padding moves where the 256 KiB chunks cut the tags."""
    ns = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    cell = tag.replace("row", "c")
    rows = "".join(
        f'<{tag} r="{r}"><{cell} r="A{r}"><x:v>1</x:v></{cell}></{tag}>'
        for r in range(1, count + 1)
    )
    text = f"<x:worksheet {ns}>{' ' * padding}<x:sheetData>{rows}</x:sheetData></x:worksheet>"
    return (("\ufeff" if "16" in encoding else "") + text).encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("tag", ["row", "x:row"])
def test_rows_and_cells_are_counted_exactly_across_chunks(tmp_path, encoding, tag):
    """Stored entries: the inflater's chunks are exactly 256 KiB.  The padding moves one
    character at a time, so that the chunk boundary cuts the tags at every place in turn."""
    count, width, boundary = 2_000, 2 if "16" in encoding else 1, 262_144
    entries = hostile.read_entries(hostile.make_valid_workbook(tmp_path, "base.xlsx"))
    tags = re.compile(f"<{tag}[ >]|<{tag.replace('row', 'c')}[ >]".encode(encoding))
    cut = 0
    for shift in range(48):  # longer than the XML of one row
        sheet = _sheet_of_rows(count, encoding, boundary // width - 3_000 + shift, tag)
        cut += any(m.start() < boundary < m.end() for m in tags.finditer(sheet))
        entries[hostile.SHEET1] = sheet
        path = hostile.write_zip(tmp_path / f"lignes-{shift}.xlsx", entries, zipfile.ZIP_STORED)
        precheck(path, Limits(max_rows_per_sheet=count, max_cells_per_sheet=count))
        with pytest.raises(WorkbookRefused, match="plus de 1\u202f999 lignes") as caught:
            precheck(path, Limits(max_rows_per_sheet=count - 1))
        assert "« Annexe 2 »" in str(caught.value)  # the sheet named by its title
        with pytest.raises(WorkbookRefused, match="plus de 1\u202f999 cellules"):
            precheck(path, Limits(max_cells_per_sheet=count - 1))
    assert cut >= 5  # the boundary did fall inside tags


RANGE_BOMBS = {  # one tag that openpyxl would turn into 17 billion cells
    "fusion": lambda src, dst: hostile.edit_sheet(
        src, dst, "Volet 1", lambda xml: hostile.set_first_merge(xml, "A1:XFD1048576")
    ),
    "lien": lambda src, dst: hostile.edit_sheet(
        src, dst, "Volet 1", lambda xml: hostile.add_hyperlink(xml, "A:XFD")
    ),
    "commentaire": lambda src, dst: hostile.edit_parts(
        src, dst, lambda entries: hostile.add_comment(entries, "Volet 1", "A1:XFD1048576")
    ),
}


@pytest.mark.parametrize("kind", sorted(RANGE_BOMBS))
def test_range_that_openpyxl_would_expand_is_refused_at_once(tmp_path, clean, kind):
    """A 30 KB file whose merged range, hyperlink or comment covers the whole sheet: openpyxl
    makes one object per cell of it (memory exhausted); refused before, in French."""
    path = RANGE_BOMBS[kind](clean[ANNEXE3], tmp_path / f"plage-{kind}.xlsx")
    assert path.stat().st_size < 100_000
    start = time.perf_counter()
    report = check(path)
    assert time.perf_counter() - start < 1.0
    where = "la partie « xl/comments9.xml »" if kind == "commentaire" else "la feuille « Volet 1 »"
    assert report.refused.startswith(f"{where} contient plus de 200\u202f000 cellules")
    result = invoke("check", path)
    assert result.exit_code == 3 and where in assert_clean_run(result, path.name)


def test_small_ranges_are_read(tmp_path, clean):
    path = hostile.edit_parts(
        clean[ANNEXE3],
        tmp_path / "commentaire.xlsx",
        lambda entries: hostile.add_comment(entries, "Volet 1", "A1:B3"),
    )
    assert checked(path, 0).refused is None


def test_too_many_xml_elements_are_refused_at_once(tmp_path, clean):
    """300,000 distinct shared strings (1 MB compressed): openpyxl would build them all."""
    path = hostile.edit_parts(
        clean[ANNEXE3],
        tmp_path / "textes.xlsx",
        lambda entries: hostile.add_shared_strings(entries, 300_000),
    )
    report = check(path)
    assert report.refused is not None and "plus de 500\u202f000 éléments" in report.refused
    assert DEFAULT_LIMITS.max_xml_elements >= 50 * 10_000  # an annexe has under 10,000


# ---------------------------------------------------------------- 17-19: cells at the edges
def test_17_stray_cell_at_xfd1048576_is_reported_and_costs_nothing(tmp_path, clean):
    def add(xml: bytes) -> bytes:
        cell = '<c r="XFD1048576" t="inlineStr"><is><t>oubli</t></is></c>'
        return hostile.append_row(xml, f'<row r="1048576">{cell}</row>')

    path = hostile.edit_sheet(clean[ANNEXE3], tmp_path / "xfd.xlsx", "Volet 1", add)
    start = time.perf_counter()
    report = checked(path, 0)
    assert time.perf_counter() - start < 10.0  # about 0.3 s: only planned cells are read
    assert report.flatten() == [("donnee-hors-modele", "'Volet 1'!XFD1048576")]

    def styled(xml: bytes) -> bytes:  # formatted but empty: nothing to report
        return hostile.append_row(xml, '<row r="1048576"><c r="XFD1048576" s="1"/></row>')

    path = hostile.edit_sheet(clean[ANNEXE3], tmp_path / "xfd-vide.xlsx", "Volet 1", styled)
    assert checked(path, 0).flatten() == []


def test_18_dimension_smaller_than_the_data_drops_no_row(tmp_path, clean, clean_reports):
    def shrink(entries: dict[str, bytes]) -> None:
        for part in hostile.sheet_parts(entries).values():
            entries[part] = hostile.set_dimension(entries[part], "A1:B2")

    path = hostile.edit_parts(clean[ANNEXE3], tmp_path / "dimension.xlsx", shrink)
    assert all(
        b'<dimension ref="A1:B2"/>' in data
        for name, data in hostile.read_entries(path).items()
        if name.startswith("xl/worksheets/")
    )
    report, reference = checked(path, 0), clean_reports[ANNEXE3]
    assert len(report.lines) == len(reference.lines) > 20
    assert report.lines == reference.lines
    assert report.totals == reference.totals and report.flatten() == reference.flatten()
    assert [v.figures for v in report.volets] == [v.figures for v in reference.volets]


@pytest.mark.parametrize(
    ("row", "cell", "shown"),
    [
        ("1000", "XFE1000", "ligne 1000, colonne 16385"),
        ("1048577", "A1048577", "ligne 1048577, colonne 1"),
        ("0", "A0", "ligne 0, colonne 1"),
    ],
)
def test_19_cell_beyond_the_sheet_limits_is_refused_in_french(tmp_path, clean, row, cell, shown):
    def add(xml: bytes) -> bytes:
        return hostile.append_row(xml, f'<row r="{row}"><c r="{cell}"><v>1</v></c></row>')

    path = hostile.edit_sheet(clean[ANNEXE3], tmp_path / "hors-limites.xlsx", "Volet 1", add)
    before = digest(path)
    result = invoke("check", path)
    assert result.exit_code == 3
    output = assert_clean_run(result, path.name)
    assert "« Volet 1 »" in output and "hors des limites" in output and shown in output
    assert digest(path) == before


# ---------------------------------------------------------------- 20-21: macros, links
def test_20_macros_are_accepted_with_a_warning_never_run_nor_kept(tmp_path, clean):
    path = hostile.edit_parts(
        clean[ANNEXE3], tmp_path / "annexe3-macros.xlsm", lambda e: hostile.add_macros(e)
    )
    report = checked(path, 0)
    assert report.flatten() == [("macros-ignorees", "")]
    annotated = tmp_path / "annotee.xlsx"
    result = invoke("check", path, "--annotate", annotated)
    assert result.exit_code == 0
    assert "macros" in assert_clean_run(result, path.name)
    entries = hostile.read_entries(annotated)
    assert "xl/vbaProject.bin" not in entries
    assert b"macroEnabled" not in entries["[Content_Types].xml"]


def test_21_link_to_an_external_workbook_is_an_error(tmp_path, clean):
    path = hostile.edit_parts(
        clean[ANNEXE2], tmp_path / "liaison.xlsx", lambda e: hostile.add_external_link(e)
    )
    report = checked(path, 1)
    assert ("lien-externe", "") in report.flatten()
    (link,) = [f for f in report.findings if f.code == "lien-externe"]
    assert link.value == "xl/externalLinks/externalLink1.xml"


# ---------------------------------------------------------------- 22-26: inputs and formulas
def test_22_merged_input_cells(tmp_path, clean, plans):
    plan = plans[ANNEXE3]
    _, sheet, row = lump_line(plan, bilan_lines(plan))
    first, second = ref(plan, sheet, row, "nature"), ref(plan, sheet, row, "unite")

    def merge(book) -> None:
        book[sheet].merge_cells(f"{first.address}:{second.address}")

    path = hostile.edit_with_openpyxl(clean[ANNEXE3], tmp_path / "fusion.xlsx", merge)
    report = checked(path, 1)
    assert ("cellules-fusionnees", str(first)) in report.flatten()


TYPED = [  # (value typed where an amount is expected, code, words of the message)
    ("1 234,56 €", "nombre-en-texte", "Nombre probable : 1\u202f234,56\u00a0€"),
    ("12,5", "nombre-en-texte", "Nombre probable : 12,50\u00a0€"),
    ("nan", "nombre-en-texte", "Saisissez un nombre, sans texte."),
    ("inf", "nombre-en-texte", "Saisissez un nombre, sans texte."),
    ("1_000", "nombre-en-texte", "Saisissez un nombre, sans texte."),
    ("１２３４", "nombre-en-texte", "(chiffres non latins)"),  # full-width digits
    ("١٢٣٤", "nombre-en-texte", "(chiffres non latins)"),  # Arabic-Indic digits
]


@pytest.mark.parametrize(("typed", "code", "words"), TYPED, ids=[str(t[0]) for t in TYPED])
def test_23_text_typed_as_an_amount(tmp_path, plans, typed, code, words):
    plan = plans[ANNEXE3]
    lines = bilan_lines(plan)
    key, sheet, row = lump_line(plan, lines)
    lines[key]["forfait"] = typed
    path = tmp_path / "saisie.xlsx"
    write_workbook(plan, path, lines)
    report = checked(path, 1)
    where = str(ref(plan, sheet, row, "forfait"))
    assert (code, where) in report.flatten()
    (found,) = [f for f in report.findings if f.code == code and str(f.where) == where]
    assert words in found.message
    assert not any(  # the text is never counted as a number
        line["feuille"] == sheet and line["ligne"] == row + 1 for line in report.lines
    )


@pytest.mark.parametrize(
    ("content", "cell_type", "like", "words"),
    [
        ("<v>1</v>", "b", None, "le booléen VRAI"),
        ("<v>45352</v>", None, "date_debut", "la date 01/03/2024"),  # as Excel stores a date
    ],
    ids=["booleen", "date"],
)
def test_23_boolean_or_date_typed_as_an_amount(
    tmp_path, clean, plans, content, cell_type, like, words
):
    plan = plans[ANNEXE3]
    _, sheet, row = lump_line(plan, bilan_lines(plan))
    where = ref(plan, sheet, row, "forfait")

    def edit(xml: bytes) -> bytes:
        style = hostile.cell_style(xml, ref(plan, sheet, row, like).address) if like else None
        return hostile.put_cell(xml, where.address, content, cell_type, style)

    path = hostile.edit_sheet(clean[ANNEXE3], tmp_path / "type.xlsx", sheet, edit)
    report = checked(path, 1)
    assert ("type-inattendu", str(where)) in report.flatten()
    assert words in next(f.message for f in report.findings if f.code == "type-inattendu")


def test_24_formula_replaced_by_a_value(tmp_path, clean, plans):
    plan = plans[ANNEXE3]
    _, sheet, row = lump_line(plan, bilan_lines(plan))
    where = ref(plan, sheet, row, "montant")
    path = hostile.edit_sheet(
        clean[ANNEXE3],
        tmp_path / "valeur.xlsx",
        sheet,
        lambda xml: hostile.put_cell(xml, where.address, "<v>999</v>"),
    )
    report = checked(path, 1)
    assert ("formule-remplacee", str(where)) in report.flatten()


def test_25_cached_value_contradicting_its_formula(tmp_path, clean, plans):
    plan = plans[ANNEXE3]
    sheet = plan.sheet("Volet 1")
    where = CellRef("Volet 1", *sheet.anchors["total.montant"])

    def forge(xml: bytes) -> bytes:
        cell = hostile.cell_xml(xml, where.address)
        forged = re.sub(
            rb"<v>([^<]*)</v>", lambda m: b"<v>%.2f</v>" % (float(m.group(1)) + 5000), cell
        )
        assert forged != cell and b"<f>" in forged
        return xml.replace(cell, forged)

    path = hostile.edit_sheet(clean[ANNEXE3], tmp_path / "falsifie.xlsx", "Volet 1", forge)
    report = checked(path, 1)
    assert ("total-incoherent", str(where)) in report.flatten()


def test_26_error_values(tmp_path, clean, plans):
    plan = plans[ANNEXE3]
    _, sheet, row = lump_line(plan, bilan_lines(plan))
    other = plan.sheet(sheet).lines[0].row  # a line paid by units, not by a lump sum
    lump, amount = ref(plan, sheet, row, "forfait"), ref(plan, sheet, other, "montant")

    def errors(xml: bytes) -> bytes:
        xml = hostile.put_cell(xml, lump.address, "<v>#DIV/0!</v>", "e")
        return hostile.put_cell(xml, amount.address, "<f>#REF!</f><v>#REF!</v>", "e")

    path = hostile.edit_sheet(clean[ANNEXE3], tmp_path / "erreurs.xlsx", sheet, errors)
    report = checked(path, 1)
    assert ("valeur-erreur", str(lump)) in report.flatten()
    assert ("formule-modifiee", str(amount)) in report.flatten()
    assert "#DIV/0!" in next(f.message for f in report.findings if f.code == "valeur-erreur")


# ---------------------------------------------------------------- 27-29: structure
def _state(name: str, state: str) -> Callable[[dict[str, bytes]], None]:
    def edit(entries: dict[str, bytes]) -> None:
        old = f'<sheet name="{name}" '.encode()
        assert old in entries["xl/workbook.xml"]
        entries["xl/workbook.xml"] = entries["xl/workbook.xml"].replace(
            old, old + f'state="{state}" '.encode()
        )

    return edit


def _rename(entries: dict[str, bytes]) -> None:
    entries["xl/workbook.xml"] = entries["xl/workbook.xml"].replace(
        b'<sheet name="Volet 2" ', b'<sheet name="Volet 2 (2)" '
    )


SHEET_CHANGES = [
    ("renommee", lambda p, t: hostile.edit_parts(p, t, _rename), 1,
     [("feuille-manquante", "'Volet 2'"), ("feuille-inattendue", "'Volet 2 (2)'")]),
    ("supprimee", lambda p, t: hostile.edit_with_openpyxl(p, t, lambda b: b.remove(b["Volet 3"])), 1,
     [("feuille-manquante", "'Volet 3'")]),
    ("ajoutee", lambda p, t: hostile.edit_with_openpyxl(p, t, lambda b: b.create_sheet("Notes")), 0,
     [("feuille-inattendue", "'Notes'")]),
    ("masquee", lambda p, t: hostile.edit_parts(p, t, _state("Volet 1", "hidden")), 0,
     [("feuille-masquee", "'Volet 1'")]),
    ("tres-masquee", lambda p, t: hostile.edit_parts(p, t, _state("Synthèse", "veryHidden")), 0,
     [("feuille-masquee", "'Synthèse'")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "exit_code", "expected"),
    [c[1:] for c in SHEET_CHANGES],
    ids=[c[0] for c in SHEET_CHANGES],
)
def test_27_sheet_renamed_deleted_added_hidden(tmp_path, clean, edit, exit_code, expected):
    path = edit(clean[ANNEXE3], tmp_path / "feuilles.xlsx")
    flat = checked(path, exit_code).flatten()
    assert all(item in flat for item in expected), flat


def test_27_chart_sheet_in_place_of_a_volet_is_a_missing_sheet(tmp_path, clean):
    """A chart sheet has the volet's name but no cells: reported missing, never a traceback."""

    def swap(book) -> None:
        book.remove(book["Volet 3"])
        chart = BarChart()
        chart.add_data(Reference(book["Volet 1"], min_col=9, min_row=17, max_row=24))
        book.create_chartsheet("Volet 3").add_chart(chart)

    path = hostile.edit_with_openpyxl(clean[ANNEXE3], tmp_path / "graphique.xlsx", swap)
    assert ("feuille-manquante", "'Volet 3'") in checked(path, 1).flatten()


def _first_label_from(plan, sheet: str, row: int) -> str:
    labels = sorted(
        (r, c) for (r, c), cell in plan.sheet(sheet).cells.items() if cell.kind == "label"
    )
    return str(CellRef(sheet, *next((r, c) for r, c in labels if r >= row)))


@pytest.mark.parametrize("change", ["inserted", "deleted"])
def test_28_rows_inserted_or_deleted(tmp_path, clean, plans, change):
    plan = plans[ANNEXE3]
    sheet = plan.sheet("Volet 1")
    first = sheet.lines[0].row  # 0-based: openpyxl's row first + 1

    def edit(book) -> None:
        if change == "inserted":
            book["Volet 1"].insert_rows(first + 1, 2)
        else:
            book["Volet 1"].delete_rows(first + 1, 2)

    path = hostile.edit_with_openpyxl(clean[ANNEXE3], tmp_path / f"lignes-{change}.xlsx", edit)
    flat = checked(path, 1).flatten()
    moved = [where for code, where in flat if code == "libelle-deplace"]
    assert moved == [_first_label_from(plan, "Volet 1", first)], flat


def test_29_protection_removed_and_formula_edited(tmp_path, clean, plans):
    plan = plans[ANNEXE3]
    _, sheet, row = lump_line(plan, bilan_lines(plan))
    amount, lump = ref(plan, sheet, row, "montant"), ref(plan, sheet, row, "forfait")

    def edit(book) -> None:
        book[sheet].protection.sheet = False
        book[sheet][amount.address] = f"={lump.address}*2"

    path = hostile.edit_with_openpyxl(clean[ANNEXE3], tmp_path / "deprotege.xlsx", edit)
    flat = checked(path, 1).flatten()
    assert ("protection-retiree", f"'{sheet}'") in flat
    assert ("formule-modifiee", str(amount)) in flat


# ---------------------------------------------------------------- numbers and identification
@pytest.mark.parametrize(
    ("value", "shown"), [("1e999", "infini"), ("-1E400", "infini"), ("1e12", "1e+12")]
)
def test_absurd_number_in_a_planned_cell_is_refused_naming_the_cell(
    tmp_path, clean, plans, value, shown
):
    """1e999 is read as infinity; numbers past ten billion overflow the cent arithmetic."""
    plan = plans[ANNEXE3]
    _, sheet, row = lump_line(plan, bilan_lines(plan))
    where = ref(plan, sheet, row, "forfait")
    path = hostile.edit_sheet(
        clean[ANNEXE3],
        tmp_path / "demesure.xlsx",
        sheet,
        lambda xml: hostile.put_cell(xml, where.address, f"<v>{value}</v>"),
    )
    for args in (
        ["check", "--format", "json", path],
        ["consolidate", path, "-o", tmp_path / "s.xlsx"],
    ):
        result = invoke(*args)
        assert result.exit_code == 3
        output = assert_clean_run(result, path.name)
        assert str(where) in output and f"nombre démesuré ({shown})" in output
    assert not (tmp_path / "s.xlsx").exists()


def _with_cached(xml: bytes, address: str, value: str) -> bytes:
    """The formula of a cell kept, its saved result replaced (what a recalculation leaves)."""
    cell = hostile.cell_xml(xml, address)
    return xml.replace(cell, re.sub(rb"<v>[^<]*</v>", f"<v>{value}</v>".encode(), cell), 1)


def _totals_of_column(plan, sheet: str, key: str) -> list[CellRef]:
    """The synthesis formulas that copy a total of ``key``'s column of ``sheet`` ('Synthèse'!C10
    is ='Volet 1'!I35): what a spreadsheet recalculates from a typed amount."""
    letter = ref(plan, sheet, 0, key).address.rstrip("0123456789")
    column = f"'{sheet}'!{letter}"
    synthesis = plan.synthesis
    cells = sorted(synthesis.of_kind(FORMULA), key=lambda cell: (cell.row, cell.col))
    return [CellRef(synthesis.name, c.row, c.col) for c in cells if c.text.startswith(f"={column}")]


def test_absurd_amount_typed_is_named_before_the_totals_computed_from_it(tmp_path, clean, plans):
    """A spreadsheet recalculates before saving: 1E14 typed in a line makes its line amount and
    the synthesis totals 1E14 too, and the synthesis is read first; the refusal names the cell
    typed, the only one the officer can correct, then says that totals follow."""
    plan = plans[ANNEXE3]
    _, sheet, row = lump_line(plan, bilan_lines(plan))
    typed, amount = ref(plan, sheet, row, "forfait"), ref(plan, sheet, row, "montant")
    totals = _totals_of_column(plan, sheet, "montant")
    assert totals and totals[0].sheet != sheet  # read before the volet sheet

    def recalculated(entries: dict[str, bytes]) -> None:
        parts = hostile.sheet_parts(entries)
        volet = hostile.put_cell(entries[parts[sheet]], typed.address, "<v>1E14</v>")
        entries[parts[sheet]] = _with_cached(volet, amount.address, "1E14")
        for total in totals:
            part = parts[total.sheet]
            entries[part] = _with_cached(entries[part], total.address, "1E14")

    path = hostile.edit_parts(clean[ANNEXE3], tmp_path / "enorme.xlsx", recalculated)
    refused = check(path).refused
    assert refused is not None
    assert refused.startswith(f"la cellule {typed} contient un nombre démesuré (1e+14) : ")
    assert "corrigez la saisie puis renvoyez le classeur" in refused
    assert f"{len(totals) + 1} totaux calculés (dont {totals[0]}) sont démesurés" in refused
    result = invoke("check", path)
    assert result.exit_code == 3
    assert f"la cellule {typed} contient" in assert_clean_run(result, path.name)


def test_absurd_result_of_a_formula_alone_is_still_refused_naming_it(tmp_path, clean, plans):
    """A saved result no typed cell explains (a file written by a program): still refused,
    naming the formula's cell and saying that it is computed."""
    plan = plans[ANNEXE3]
    _, sheet, _ = lump_line(plan, bilan_lines(plan))
    total = _totals_of_column(plan, sheet, "montant")[0]
    path = hostile.edit_sheet(
        clean[ANNEXE3],
        tmp_path / "resultat.xlsx",
        total.sheet,
        lambda xml: _with_cached(xml, total.address, "1e999"),
    )
    refused = check(path).refused
    assert refused is not None
    assert refused.startswith(
        f"la cellule {total}, calculée par une formule, contient un nombre démesuré (infini)"
    )
    assert "corrigez les saisies dont elle dépend" in refused


def test_several_absurd_amounts_typed_are_listed_briefly():
    typed = [Huge(CellRef("Volet 1", row, 7), "1e+14", True) for row in range(17, 23)]
    computed = [Huge(CellRef("Synthèse", 9, 2), "1e+15", False)]
    text = oversize_reason(computed + typed)
    assert text.startswith("la cellule 'Volet 1'!H18 contient un nombre démesuré (1e+14) ")
    assert "(autres saisies démesurées : 'Volet 1'!H19, 'Volet 1'!H20, 'Volet 1'!H21 et 2 " in text
    assert "corrigez les saisies puis renvoyez le classeur" in text
    assert "le total calculé 'Synthèse'!C10 est démesuré lui aussi" in text


@pytest.mark.libreoffice
def test_absurd_amount_saved_by_libreoffice_names_the_cell_typed(
    generated, plans, tmp_path, libreoffice
):
    """1E14 typed in an annexe 3 saved through LibreOffice, which writes the recalculated totals
    (the synthesis's among them) into the file: the refusal names the cell typed."""
    plan, sheet = plans[ANNEXE3], "Volet 1"
    row = plan.sheet(sheet).lines[0].row
    typed = ref(plan, sheet, row, "forfait")
    total = _totals_of_column(plan, sheet, "montant")[0]

    def fill(book) -> None:
        book[sheet][ref(plan, sheet, row, "nature").address] = "Chef de projet"
        book[sheet][typed.address] = 100_000_000_000_000
        book[sheet][ref(plan, sheet, row, "categorie").address] = "Rémunération de personnel (ETP)"

    filled = hostile.edit_with_openpyxl(generated[ANNEXE3], tmp_path / "enorme.xlsx", fill)
    (recalculated,) = convert([filled], tmp_path / "lo")
    refused = check(recalculated).refused
    assert refused is not None
    assert refused.startswith(f"la cellule {typed} contient un nombre démesuré (15 chiffres) : ")
    assert f"totaux calculés (dont {total}) sont démesurés eux aussi" in refused
    result = invoke("check", recalculated)
    assert result.exit_code == 3
    assert f"la cellule {typed} contient" in assert_clean_run(result, recalculated.name)


def test_year_zero_in_the_identification_block_is_refused(tmp_path, clean, plans):
    synthesis = plans[ANNEXE3].synthesis
    where = CellRef(synthesis.name, *synthesis.anchors["ident.periode"])
    text = hostile.inline_text("du 01/01/0000 au 31/12/0000")
    path = hostile.edit_sheet(
        clean[ANNEXE3],
        tmp_path / "an-zero.xlsx",
        synthesis.name,
        lambda xml: hostile.put_cell(xml, where.address, text, "inlineStr"),
    )
    result = invoke("check", path)
    assert result.exit_code == 3
    assert "bloc d'identification illisible" in assert_clean_run(result, path.name)


# ---------------------------------------------------------------- 30: a real folder
def test_30_folder_with_lock_hidden_own_output_and_two_files_for_one_departement(tmp_path, clean):
    folder = tmp_path / "retours"
    annexe2 = copy_to(clean[ANNEXE2], folder)
    annexe3 = copy_to(clean[ANNEXE3], folder)
    older = copy_to(clean[ANNEXE3], folder, f"{annexe3.stem} (copie).xlsx")
    past = time.time() - 3600
    os.utime(older, (past, past))
    (folder / f"~${annexe3.name}").write_bytes(b"\x00verrou Excel")
    (folder / f".~lock.{annexe2.name}#").write_text("verrou LibreOffice", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    copy_to(hostile.make_empty(tmp_path), folder / ".brouillons")  # refused, were it read
    summary = folder / "synthese.xlsx"
    digests = {p: digest(p) for p in folder.rglob("*") if p.is_file()}

    first = invoke("consolidate", folder, "-o", summary, "-q")
    assert first.exit_code == 0, first.output
    again = invoke("consolidate", folder, "-o", summary)  # our earlier output: skipped, replaced
    assert again.exit_code == 0, again.output
    assert "écarté" in assert_clean_run(again, older.name)

    status = {row["fichier"]: row["statut"] for row in records(summary, "Fichiers")}
    assert status == {
        annexe2.name: "retenu",
        annexe3.name: "retenu",
        older.name: "écarté",
        f"~${annexe3.name}": "ignoré",
        f".~lock.{annexe2.name}#": "ignoré",
        ".DS_Store": "ignoré",
        "vide.xlsx": "ignoré",
        "synthese.xlsx": "ignoré",
    }
    (duplicate,) = [r for r in records(summary, "Anomalies") if r["code"] == "doublon-departement"]
    assert older.name in duplicate["message"]
    assert {p: digest(p) for p in digests} == digests


# ---------------------------------------------------------------- text of a département, written out
@pytest.fixture(scope="module")
def consolidation(tmp_path_factory, clean):
    folder = tmp_path_factory.mktemp("texte")
    copy_to(clean[ANNEXE3], folder)
    result = consolidate([folder])
    (item,) = [f for f in result.files if f.status == "retenu"]
    assert len(item.report.lines) > 10
    return result, item, tmp_path_factory.mktemp("sorties")


# Text that can come out of a workbook: any character XML 1.0 can carry, and the C0 controls
# that arrive as _x0001_ escapes; surrogates and U+FFFE/U+FFFF cannot be in a cell.  Excel
# holds at most 32,767 characters in a cell.
CELL_TEXT = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\ufffe\uffff"), max_size=300
)
FORMULA_START = ("=", "+", "-", "@")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(nature=CELL_TEXT, objet=CELL_TEXT)
def test_any_text_of_a_departement_comes_back_as_the_same_text(consolidation, nature, objet):
    """Typed in a line of an annexe, the text goes through the consolidation's tables into the
    summary workbook (same text once control characters are removed) and the CSV (the same,
    behind an apostrophe when a spreadsheet would take it for a formula)."""
    result, item, out = consolidation
    item.report.lines[0]["nature"] = nature
    item.report.lines[1]["objet"] = objet
    chosen = {(item.report.departement, item.report.annexe): item}
    build_tables(result, chosen)

    sheet = load_workbook(write_summary(result, out / "synthese.xlsx"))["Lignes"]
    from budget_tool.summary import column_headers

    columns = [c.value for c in sheet[1]]
    for row, key, text in ((2, "nature", nature), (3, "objet", objet)):
        cell = sheet.cell(row=row, column=columns.index(column_headers()[key]) + 1)
        assert (cell.value or "") == clean_text(text)
        assert cell.data_type != "f" and cell.hyperlink is None

    write_csv(result, out / "csv")
    with open(out / "csv" / "lignes.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert len(rows) == len(result.lignes) + 1  # no text split a record
    header = rows[0]
    for row, key, text in ((rows[1], "nature", nature), (rows[2], "objet", objet)):
        got, plain = row[header.index(key)], clean_text(text)
        # the same text, with an apostrophe where a line starts like a formula
        assert not any(line.startswith(FORMULA_START) for line in got.split("\n")), got
        assert got == neutralised(plain) and got.replace("'", "") == plain.replace("'", "")
