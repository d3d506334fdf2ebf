"""The single loading path refuses broken and hostile workbooks with a French message.

Every hostile input is built by ``tests/hostile_files.py`` in a temporary folder.
"""

from __future__ import annotations

import hashlib
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budget_tool import safeload
from budget_tool.errors import WorkbookRefused
from budget_tool.safeload import Limits, assert_defused, load_raw, load_workbook, precheck
from budget_tool.zipscan import _CHUNK
from tests import hostile_files as hostile

ENGLISH_LEAKS = ("error", "exception", "traceback", "there is no item", "not a zip", "unable to")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_refused(path: Path, fragment: str, limits: Limits | None = None) -> WorkbookRefused:
    """Refused by load_workbook with a French message naming the file; bytes left unchanged."""
    before = sha256(path) if path.is_file() else None
    with pytest.raises(WorkbookRefused) as caught:
        load_workbook(path, limits or Limits())
    message = str(caught.value)
    assert path.name in message
    assert fragment in message
    assert not any(leak in message.lower() for leak in ENGLISH_LEAKS), message
    assert caught.value.exit_code == 3
    if before is not None:
        assert sha256(path) == before
    return caught.value


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 MB of spaces in a sheet, ~300 KB on disk; built once for the module (~0.6 s)."""
    return hostile.make_zip_bomb(tmp_path_factory.mktemp("bombe"))


# (maker, fragment expected in the French message)
REFUSED: list[tuple[Callable[[Path], Path], str]] = [
    (hostile.make_empty, "fichier vide"),
    (hostile.make_csv_renamed, "fichier texte (CSV ou HTML)"),
    (hostile.make_html_renamed, "fichier texte (CSV ou HTML)"),
    (hostile.make_truncated, "tronqué ou endommagé"),
    (hostile.make_flipped_byte, "tronqué ou endommagé"),
    (hostile.make_encrypted_ole, "protégé par un mot de passe"),
    (hostile.make_old_xls, "ancien format Excel 97-2003 (.xls)"),
    (hostile.make_ods, "classeur LibreOffice (.ods)"),
    (hostile.make_docx_renamed, "document Word/PowerPoint renommé en .xlsx"),
    (hostile.make_workbook_part_missing, "« xl/workbook.xml » absente"),
    (hostile.make_sheet_part_missing, "« xl/worksheets/sheet2.xml » est déclarée mais absente"),
    (hostile.make_malformed_sheet, "XML mal formé"),
    (hostile.make_billion_laughs, "DOCTYPE ou ENTITY"),
    (hostile.make_lying_size, "taille déclarée"),
    (hostile.make_duplicate_entries, "figure deux fois"),
    (hostile.make_padded_zip_bomb, "taux de compression anormal"),
]


@pytest.mark.parametrize(("maker", "fragment"), REFUSED, ids=[m.__name__ for m, _ in REFUSED])
def test_hostile_file_is_refused(
    tmp_path: Path, maker: Callable[[Path], Path], fragment: str
) -> None:
    assert_refused(maker(tmp_path), fragment)


def test_xxe_is_refused_without_leaking_the_local_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-7f3a-ne-doit-jamais-sortir")
    error = assert_refused(hostile.make_xxe(tmp_path, secret), "DOCTYPE ou ENTITY")
    assert "SECRET-7f3a" not in str(error)
    hostname = Path("/etc/hostname")
    if hostname.is_file() and hostname.read_text().strip():
        path = hostile.make_xxe(tmp_path, hostname)
        error = assert_refused(path, "DOCTYPE ou ENTITY")
        assert hostname.read_text().strip() not in str(error).replace(str(path), "")


@pytest.mark.parametrize("make", ["billion_laughs", "xxe"])
def test_defusedxml_still_refuses_when_precheck_is_bypassed(tmp_path: Path, make: str) -> None:
    """Second layer: even if the precheck missed a DTD, openpyxl (via defusedxml) refuses it."""
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-b4c1")
    path = (
        hostile.make_billion_laughs(tmp_path)
        if make == "billion_laughs"
        else (hostile.make_xxe(tmp_path, secret))
    )
    with pytest.raises(WorkbookRefused) as caught:
        safeload._openpyxl_load(path, path.read_bytes(), data_only=False)
    assert "DOCTYPE ou ENTITY" in str(caught.value)
    assert "SECRET-b4c1" not in str(caught.value)


def test_billion_laughs_refused_in_under_one_second(tmp_path: Path) -> None:
    path = hostile.make_billion_laughs(tmp_path)
    start = time.perf_counter()
    assert_refused(path, "DOCTYPE ou ENTITY")
    assert time.perf_counter() - start < 1.0


def test_zip_bomb_refused_in_under_one_second(bomb: Path) -> None:
    start = time.perf_counter()
    assert_refused(bomb, "bombe zip probable")
    assert time.perf_counter() - start < 1.0


def test_zip_bomb_with_lying_sizes_stops_streaming_in_under_one_second(
    tmp_path: Path, bomb: Path
) -> None:
    """Directory claims 1,000 bytes: only the real, streamed count can catch it, and it must
    stop at once instead of inflating 300 MB."""
    path = hostile.make_lying_zip_bomb(tmp_path, bomb)
    start = time.perf_counter()
    assert_refused(path, "taille déclarée")
    assert time.perf_counter() - start < 1.0


def test_macro_workbook_is_accepted_with_a_warning(tmp_path: Path) -> None:
    path = hostile.make_macro_workbook(tmp_path)
    before = sha256(path)
    wb, checked = load_workbook(path)
    assert checked.is_macro_enabled
    assert any("macros" in w and "jamais exécutées" in w for w in checked.warnings)
    assert wb.vba_archive is None  # keep_vba=False: the macros are not kept
    assert wb.sheetnames == ["Annexe 2", "Annexe 3"]
    assert sha256(path) == before


def test_macro_detected_from_content_type_alone(tmp_path: Path) -> None:
    path = hostile.make_macro_workbook(tmp_path)
    entries = hostile.read_entries(path)
    del entries["xl/vbaProject.bin"]
    stripped = hostile.write_zip(tmp_path / "sans-vba.xlsm", entries)
    assert precheck(stripped).is_macro_enabled


def test_external_link_is_accepted_and_reported(tmp_path: Path) -> None:
    path = hostile.make_external_link(tmp_path)
    before = sha256(path)
    wb, checked = load_workbook(path)
    assert checked.external_links == ("xl/externalLinks/externalLink1.xml",)
    assert any("liaison" in w for w in checked.warnings)
    assert not checked.is_macro_enabled
    assert len(wb._external_links) == 1  # keep_links=True
    assert sha256(path) == before


def test_valid_workbook_loads(tmp_path: Path) -> None:
    path = hostile.make_valid_workbook(tmp_path)
    before = sha256(path)
    wb, checked = load_workbook(path)
    assert wb.sheetnames == ["Annexe 2", "Annexe 3"]
    assert wb["Annexe 2"]["B2"].value == "Charges à caractère général"
    assert wb["Annexe 2"]["C4"].value == "=SUM(C2:C3)"
    assert checked.sha256 == before == sha256(path)
    assert checked.warnings == () and checked.external_links == ()
    assert not checked.is_macro_enabled


def test_valid_workbook_loads_whatever_its_extension(tmp_path: Path) -> None:
    """The kind of file is judged by its bytes: a real workbook named .XLSX or .tmp is fine."""
    source = hostile.make_valid_workbook(tmp_path)
    renamed = tmp_path / "RETOUR.tmp"
    renamed.write_bytes(source.read_bytes())
    wb, _ = load_workbook(renamed)
    assert wb.sheetnames == ["Annexe 2", "Annexe 3"]


def test_load_raw_gives_formulas_and_cached_values_in_one_pass(tmp_path: Path) -> None:
    path = hostile.make_valid_workbook(tmp_path)
    book, checked = load_raw(path, Limits())
    cells = book.sheets["Annexe 2"].cells
    assert cells[(3, 2)].raw == "=SUM(C2:C3)"
    assert cells[(3, 2)].cached is None  # openpyxl wrote it: no cached value
    assert cells[(2, 2)].raw == cells[(2, 2)].cached == 48000
    assert checked.sha256 == sha256(path)


def test_load_raw_refuses_hostile_file(tmp_path: Path) -> None:
    path = hostile.make_billion_laughs(tmp_path)
    with pytest.raises(WorkbookRefused, match="DOCTYPE ou ENTITY"):
        load_raw(path, Limits())


def test_assert_defused_passes() -> None:
    assert_defused()


def test_assert_defused_fails_when_openpyxl_is_not_defused(monkeypatch: pytest.MonkeyPatch) -> None:
    import xml.etree.ElementTree as unsafe

    from openpyxl.worksheet import _reader

    monkeypatch.setattr(_reader, "iterparse", unsafe.iterparse)
    with pytest.raises(RuntimeError, match="defusedxml"):
        assert_defused()


def test_missing_file_and_folder_are_refused(tmp_path: Path) -> None:
    assert_refused(tmp_path / "absent.xlsx", "fichier introuvable")
    folder = tmp_path / "dossier.xlsx"
    folder.mkdir()
    assert_refused(folder, "c'est un dossier")


def test_limits_are_enforced(tmp_path: Path) -> None:
    path = hostile.make_valid_workbook(tmp_path)
    assert_refused(path, "fichier trop volumineux", Limits(max_file_bytes=1000))
    assert_refused(path, "trop d'entrées internes", Limits(max_entries=5))
    assert_refused(path, "contenu décompressé trop volumineux", Limits(max_entry_bytes=5000))
    assert_refused(path, "contenu décompressé trop volumineux", Limits(max_total_bytes=10_000))
    assert_refused(path, "taux de compression", Limits(max_ratio=2, ratio_min_bytes=1000))


def test_default_limits_are_generous() -> None:
    limits = Limits()
    assert limits.max_file_bytes == 50 * 1024 * 1024
    assert limits.max_entries == 2000
    assert limits.max_entry_bytes == 100 * 1024 * 1024
    assert limits.max_total_bytes == 300 * 1024 * 1024
    assert limits.max_ratio == 200


def test_marker_cut_across_two_chunks_is_found(tmp_path: Path) -> None:
    """A DOCTYPE straddling the boundary between two decompressed chunks is still seen."""
    padding = b" " * (_CHUNK - 4)
    sheet = padding + b'<!DOCTYPE x [<!ENTITY a "b">]><worksheet/>'
    path = hostile.rewrite(tmp_path, "coupe.xlsx", {hostile.SHEET1: sheet})
    assert_refused(path, "DOCTYPE ou ENTITY")


def test_utf16_doctype_is_found(tmp_path: Path) -> None:
    sheet = '\ufeff<!DOCTYPE x [<!ENTITY a "b">]><worksheet/>'.encode("utf-16-le")
    path = hostile.rewrite(tmp_path, "utf16.xlsx", {hostile.SHEET1: sheet})
    assert_refused(path, "DOCTYPE ou ENTITY")


def test_stored_entries_are_checked_too(tmp_path: Path) -> None:
    entries = hostile.read_entries(hostile.make_valid_workbook(tmp_path))
    path = hostile.write_zip(tmp_path / "stocke.xlsx", entries, zipfile.ZIP_STORED)
    wb, _ = load_workbook(path)
    assert wb.sheetnames == ["Annexe 2", "Annexe 3"]
    entries[hostile.SHEET1] = b'<!DOCTYPE x [<!ENTITY a "b">]><worksheet/>'
    assert_refused(hostile.write_zip(tmp_path / "stocke-dtd.xlsx", entries, 0), "DOCTYPE")


@pytest.fixture(scope="module")
def valid_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return hostile.make_valid_workbook(tmp_path_factory.mktemp("fuzz")).read_bytes()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_damaged_workbooks_never_escape_as_tracebacks(
    tmp_path: Path, valid_bytes: bytes, data: st.DataObject
) -> None:
    """Random byte flips and cuts: either the workbook loads or it is refused, in French."""
    damaged = bytearray(valid_bytes)
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(damaged) - 1))
        damaged[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(damaged)))
    path = tmp_path / "abime.xlsx"
    path.write_bytes(bytes(damaged[:cut]))
    try:
        load_workbook(path)
    except WorkbookRefused as error:
        assert path.name in str(error)
