"""Build broken and hostile inputs with code, in a temporary folder (no binary is committed).

Each ``make_*`` function takes a folder and returns the path of the file it wrote.  Most start
from a small valid workbook written by openpyxl and rewrite one thing in it.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import warnings
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
from openpyxl.utils import get_column_letter

SHEET1 = "xl/worksheets/sheet1.xml"
SHEET2 = "xl/worksheets/sheet2.xml"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_OLE_HEADER = bytes.fromhex("D0CF11E0A1B11AE1")
_CELL_A1 = '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{}</t></is></c></row></sheetData>'


def make_valid_workbook(directory: Path, name: str = "valide.xlsx") -> Path:
    """Two sheets, text, numbers and a formula: a small but real annexe-like workbook."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Annexe 2"
    ws.append(["Chapitre", "Libellé", "Montant"])
    ws.append(["011", "Charges à caractère général", 12500.5])
    ws.append(["012", "Charges de personnel", 48000])
    ws["C4"] = "=SUM(C2:C3)"
    wb.create_sheet("Annexe 3")["A1"] = "Recettes"
    path = directory / name
    wb.save(path)
    return path


def read_entries(path: Path) -> dict[str, bytes]:
    """All entries of a zip, in order."""
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def zip_bytes(entries: Mapping[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``entries`` (in order), as bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def write_zip(path: Path, entries: Mapping[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    """Write entries (in order) to a new zip."""
    path.write_bytes(zip_bytes(entries, method))
    return path


def rewrite(directory: Path, name: str, changes: Mapping[str, bytes | None]) -> Path:
    """Valid workbook with some entries replaced (bytes), removed (None) or added."""
    entries = read_entries(make_valid_workbook(directory, "base-" + name))
    for entry, data in changes.items():
        if data is None:
            entries.pop(entry, None)
        else:
            entries[entry] = data
    return write_zip(directory / name, entries)


def _sheet(body: str, prolog: str = "") -> bytes:
    return f'{prolog}<worksheet xmlns="{_MAIN_NS}">{body}</worksheet>'.encode()


def make_empty(directory: Path) -> Path:
    path = directory / "vide.xlsx"
    path.write_bytes(b"")
    return path


def make_csv_renamed(directory: Path) -> Path:
    path = directory / "export.xlsx"
    path.write_text(
        "Chapitre;Libellé;Montant\n011;Charges à caractère général;12 500,50\n", encoding="utf-8"
    )
    return path


def make_html_renamed(directory: Path) -> Path:
    path = directory / "export-html.xlsx"
    path.write_text(
        "<html><head><meta charset='utf-8'></head><body><table><tr><td>Chapitre</td>"
        "<td>Montant</td></tr><tr><td>011</td><td>12500</td></tr></table></body></html>",
        encoding="utf-8",
    )
    return path


def make_truncated(directory: Path) -> Path:
    data = make_valid_workbook(directory, "base-tronque.xlsx").read_bytes()
    path = directory / "tronque.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def make_flipped_byte(directory: Path) -> Path:
    """One byte inverted in the middle of the compressed data of the first sheet."""
    source = make_valid_workbook(directory, "base-octet.xlsx")
    data = bytearray(source.read_bytes())
    start, size = compressed_span(bytes(data), SHEET1)
    data[start + size // 2] ^= 0xFF
    path = directory / "octet-inverse.xlsx"
    path.write_bytes(bytes(data))
    return path


def compressed_span(data: bytes, name: str) -> tuple[int, int]:
    """(offset, length) of an entry's compressed bytes, found through its local header."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    offset = info.header_offset
    name_len = int.from_bytes(data[offset + 26 : offset + 28], "little")
    extra_len = int.from_bytes(data[offset + 28 : offset + 30], "little")
    return offset + 30 + name_len + extra_len, info.compress_size


def make_encrypted_ole(directory: Path) -> Path:
    """Minimal fake OLE container with an "EncryptedPackage" stream name (password-protected)."""
    path = directory / "protege.xlsx"
    body = b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 480
    path.write_bytes(_OLE_HEADER + body)
    return path


def make_old_xls(directory: Path) -> Path:
    """Minimal fake OLE container with a "Workbook" stream name: an Excel 97-2003 file."""
    path = directory / "ancien.xlsx"
    path.write_bytes(_OLE_HEADER + b"\x00" * 504 + "Workbook".encode("utf-16-le") + b"\x00" * 496)
    return path


def make_ods(directory: Path) -> Path:
    path = directory / "libreoffice.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "mimetype",
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
    return path


def make_docx_renamed(directory: Path) -> Path:
    return write_zip(
        directory / "rapport.xlsx",
        {
            "[Content_Types].xml": b"<Types/>",
            "_rels/.rels": b"<Relationships/>",
            "word/document.xml": b"<w:document/>",
        },
    )


def make_workbook_part_missing(directory: Path) -> Path:
    return rewrite(directory, "sans-workbook.xlsx", {"xl/workbook.xml": None})


def make_sheet_part_missing(directory: Path) -> Path:
    return rewrite(directory, "sans-feuille.xlsx", {SHEET2: None})


def make_malformed_sheet(directory: Path) -> Path:
    bad = f'<worksheet xmlns="{_MAIN_NS}"><sheetData><row r="1"><c r="A1"'.encode()
    return rewrite(directory, "xml-casse.xlsx", {SHEET1: bad})


def make_xxe(directory: Path, secret_file: Path) -> Path:
    """External entity pointing to a local file (XXE), used in cell A1 of the first sheet."""
    prolog = f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file://{secret_file}">]>'
    return rewrite(directory, "xxe.xlsx", {SHEET1: _sheet(_CELL_A1.format("&xxe;"), prolog)})


def make_billion_laughs(directory: Path) -> Path:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    prolog = "<!DOCTYPE worksheet [" + "".join(entities) + "]>"
    return rewrite(
        directory, "milliard-de-rires.xlsx", {SHEET1: _sheet(_CELL_A1.format("&lol9;"), prolog)}
    )


def make_zip_bomb(directory: Path, megabytes: int = 300) -> Path:
    """First sheet padded with `megabytes` MB of spaces, streamed so that memory stays small."""
    entries = read_entries(make_valid_workbook(directory, "base-bombe.xlsx"))
    path = directory / "bombe.xlsx"
    chunk = b" " * (1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in entries.items():
            if name != SHEET1:
                archive.writestr(name, data)
                continue
            with archive.open(name, "w") as handle:
                handle.write(f'<worksheet xmlns="{_MAIN_NS}"><sheetData>'.encode())
                for _ in range(megabytes):
                    handle.write(chunk)
                handle.write(b"</sheetData></worksheet>")
    return path


def patch_declared_size(source: Path, target: Path, name: str, declared: int) -> Path:
    """Copy a zip, rewriting the uncompressed size of one entry (central and local headers)."""
    data = bytearray(source.read_bytes())
    encoded = name.encode()
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = int.from_bytes(data[pos + 28 : pos + 30], "little")
        if bytes(data[pos + 46 : pos + 46 + name_len]) == encoded:
            local = int.from_bytes(data[pos + 42 : pos + 46], "little")
            data[pos + 24 : pos + 28] = declared.to_bytes(4, "little")
            data[local + 22 : local + 26] = declared.to_bytes(4, "little")
            target.write_bytes(bytes(data))
            return target
        pos = data.find(b"PK\x01\x02", pos + 46)
    raise KeyError(name)


def make_lying_size(directory: Path) -> Path:
    """The first sheet declares 100 bytes but really holds more."""
    source = make_valid_workbook(directory, "base-taille.xlsx")
    return patch_declared_size(source, directory / "taille-menteuse.xlsx", SHEET1, 100)


def make_lying_zip_bomb(directory: Path, bomb: Path) -> Path:
    """A zip bomb whose directory declares a 1,000-byte sheet: only streaming can catch it."""
    return patch_declared_size(bomb, directory / "bombe-menteuse.xlsx", SHEET1, 1000)


def make_duplicate_entries(directory: Path) -> Path:
    path = rewrite(directory, "doublon.xlsx", {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns "Duplicate name", which is the point
        with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(SHEET1, _sheet(_CELL_A1.format("autre contenu")))
    return path


def make_macro_workbook(directory: Path) -> Path:
    """An .xlsm: macro-enabled content type, a (fake) xl/vbaProject.bin and its relationship."""
    entries = read_entries(make_valid_workbook(directory, "base-macro.xlsx"))
    return write_zip(directory / "macros.xlsm", add_macros(entries))


def add_macros(entries: dict[str, bytes]) -> dict[str, bytes]:
    """Make any workbook's entries an .xlsm's: content type, vbaProject.bin, relationship."""
    entries["[Content_Types].xml"] = (
        entries["[Content_Types].xml"]
        .replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        )
        .replace(
            b"<Default ",
            b'<Default Extension="bin" ContentType="application/vnd.ms-office.'
            b'vbaProject"/><Default ',
            1,
        )
    )
    entries["xl/_rels/workbook.xml.rels"] = _add_relationship(
        entries["xl/_rels/workbook.xml.rels"],
        "rId90",
        "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
        "vbaProject.bin",
    )
    entries["xl/vbaProject.bin"] = _OLE_HEADER + b"\x00" * 504 + "VBA".encode("utf-16-le")
    return entries


def make_external_link(directory: Path) -> Path:
    """A workbook linked to another workbook (xl/externalLinks/externalLink1.xml)."""
    entries = read_entries(make_valid_workbook(directory, "base-liaison.xlsx"))
    return write_zip(directory / "liaison.xlsx", add_external_link(entries))


def add_external_link(entries: dict[str, bytes]) -> dict[str, bytes]:
    """Link any workbook's entries to another workbook (xl/externalLinks/externalLink1.xml)."""
    link = "xl/externalLinks/externalLink1.xml"
    entries[link] = (
        f'<externalLink xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><externalBook r:id="rId1">'
        '<sheetNames><sheetName val="Feuil1"/></sheetNames><sheetDataSet><sheetData sheetId="0">'
        '<row r="1"><cell r="A1"><v>42</v></cell></row></sheetData></sheetDataSet>'
        "</externalBook></externalLink>"
    ).encode()
    entries["xl/externalLinks/_rels/externalLink1.xml.rels"] = _add_relationship(
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b"</Relationships>",
        "rId1",
        _REL_NS + "/externalLinkPath",
        "file:///C:/budget/autre-collectivite.xlsx",
        external=True,
    )
    entries["xl/_rels/workbook.xml.rels"] = _add_relationship(
        entries["xl/_rels/workbook.xml.rels"],
        "rId91",
        _REL_NS + "/externalLink",
        "externalLinks/externalLink1.xml",
    )
    entries["xl/workbook.xml"] = entries["xl/workbook.xml"].replace(
        b"<definedNames",
        b'<externalReferences><externalReference r:id="rId91"/></externalReferences><definedNames',
        1,
    )
    entries["[Content_Types].xml"] = entries["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/' + link.encode() + b'" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>',
    )
    return entries


def _add_relationship(
    rels: bytes, rel_id: str, kind: str, target: str, external: bool = False
) -> bytes:
    mode = ' TargetMode="External"' if external else ""
    rel = f'<Relationship Id="{rel_id}" Type="{kind}" Target="{target}"{mode}/>'
    return rels.replace(b"</Relationships>", rel.encode() + b"</Relationships>")


def make_padded_zip_bomb(directory: Path, megabytes: int = 50, padding: int = 1024 * 1024) -> Path:
    """Bomb hidden behind padding: garbage after its deflate stream inflates the declared
    compressed size, so the *declared* ratio looks normal; only the streamed ratio shows it."""
    entries = read_entries(make_valid_workbook(directory, "base-rembourree.xlsx"))
    path = directory / "bombe-rembourree.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        with archive.open("customXml/item9.xml", "w") as handle:
            for _ in range(megabytes):
                handle.write(b" " * (1024 * 1024))
    data = bytearray(path.read_bytes())
    eocd = data.rfind(b"PK\x05\x06")
    central = int.from_bytes(data[eocd + 16 : eocd + 20], "little")
    last = data.rfind(b"PK\x01\x02", central, eocd)
    local = int.from_bytes(data[last + 42 : last + 46], "little")
    for field in (last + 20, local + 18):  # compressed size, central then local header
        size = int.from_bytes(data[field : field + 4], "little") + padding
        data[field : field + 4] = size.to_bytes(4, "little")
    data[eocd + 16 : eocd + 20] = (central + padding).to_bytes(4, "little")
    data[central:central] = b"\x00" * padding
    path.write_bytes(bytes(data))
    return path


# ---------------------------------------------------------------- workbooks of ours, tampered with
# These start from a workbook written by budget-tool and change one thing in its parts, the way a
# person, another spreadsheet or a forger would.  Places come from the plan, never hard-coded.

_SHEET_REL = re.compile(r"/(work|chart)sheet$")


def sheet_parts(entries: Mapping[str, bytes]) -> dict[str, str]:
    """Sheet title -> its part ("Volet 1" -> "xl/worksheets/sheet2.xml")."""
    rels = ElementTree.fromstring(entries["xl/_rels/workbook.xml.rels"])
    targets = {
        rel.get("Id"): posixpath.normpath("xl/" + rel.get("Target", "").lstrip("/"))
        for rel in rels
        if _SHEET_REL.search(rel.get("Type", ""))
    }
    book = ElementTree.fromstring(entries["xl/workbook.xml"])
    return {
        sheet.get("name", ""): targets[sheet.get(f"{{{_REL_NS}}}id", "")]
        for sheet in book.iter(f"{{{_MAIN_NS}}}sheet")
    }


def _cell_pattern(ref: str) -> re.Pattern[bytes]:
    return re.compile(rb'<c r="' + ref.encode() + rb'"([^>]*?)(?:/>|>.*?</c>)', re.DOTALL)


def put_cell(
    xml: bytes, ref: str, content: str, cell_type: str | None = None, style: str | None = None
) -> bytes:
    """Replace the cell ``ref`` (which must exist) by ``<c r=ref s=.. t=..>content</c>``; its
    style is kept unless ``style`` (an index in styles.xml) is given, its type replaced."""
    match = _cell_pattern(ref).search(xml)
    if match is None:
        raise KeyError(ref)
    if style is None:
        found = re.search(rb' s="(\d+)"', match.group(1))
        style = found.group(1).decode() if found else None
    attributes = (f' s="{style}"' if style else "") + (f' t="{cell_type}"' if cell_type else "")
    new = f'<c r="{ref}"{attributes}>{content}</c>'
    return xml[: match.start()] + new.encode() + xml[match.end() :]


def cell_style(xml: bytes, ref: str) -> str | None:
    """The style index of a cell (its ``s`` attribute), to give another cell the same format."""
    found = re.search(rb' s="(\d+)"', _cell_pattern(ref).search(xml).group(1))
    return found.group(1).decode() if found else None


def cell_xml(xml: bytes, ref: str) -> bytes:
    match = _cell_pattern(ref).search(xml)
    if match is None:
        raise KeyError(ref)
    return match.group(0)


def inline_text(text: str) -> str:
    return f'<is><t xml:space="preserve">{html.escape(text, quote=False)}</t></is>'


def append_row(xml: bytes, row_xml: str) -> bytes:
    """A row added at the end of sheetData (its number must be above every other row's)."""
    return xml.replace(b"</sheetData>", row_xml.encode() + b"</sheetData>", 1)


def set_dimension(xml: bytes, ref: str) -> bytes:
    return re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>'.encode(), xml, count=1)


def edit_parts(source: Path, target: Path, edit: Callable[[dict[str, bytes]], object]) -> Path:
    """Copy a workbook, letting ``edit`` change its entries (a dict, changed in place)."""
    entries = read_entries(source)
    edit(entries)
    return write_zip(target, entries)


def edit_sheet(source: Path, target: Path, sheet: str, edit: Callable[[bytes], bytes]) -> Path:
    """Copy a workbook with the XML of one sheet (by title) rewritten by ``edit``."""

    def change(entries: dict[str, bytes]) -> None:
        part = sheet_parts(entries)[sheet]
        entries[part] = edit(entries[part])

    return edit_parts(source, target, change)


def edit_with_openpyxl(source: Path, target: Path, edit: Callable[[object], object]) -> Path:
    """Open with openpyxl, change, save: formulas kept, cached results dropped (as a program)."""
    book = openpyxl.load_workbook(source)
    edit(book)
    book.save(target)
    return target


def add_rows_streamed(
    source: Path, target: Path, sheet: str, count: int, cells_per_row: int = 1
) -> Path:
    """``count`` rows appended to one sheet, streamed into the zip entry (memory stays small):
    a sheet of hundreds of thousands of rows in a file of a few MB."""
    with zipfile.ZipFile(source) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    part = sheet_parts(entries)[sheet]
    head, _, tail = entries[part].partition(b"</sheetData>")
    first = max(int(r) for r in re.findall(rb'<row r="(\d+)"', head)) + 1
    letters = [get_column_letter(c) for c in range(1, cells_per_row + 1)]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            if name != part:
                archive.writestr(name, data)
                continue
            with archive.open(name, "w") as handle:
                handle.write(head)
                for start in range(first, first + count, 10_000):
                    rows = "".join(
                        f'<row r="{r}">'
                        + "".join(f'<c r="{c}{r}"><v>1</v></c>' for c in letters)
                        + "</row>"
                        for r in range(start, min(start + 10_000, first + count))
                    )
                    handle.write(rows.encode())
                handle.write(b"</sheetData>" + tail)
    return target


def set_first_merge(xml: bytes, ref: str) -> bytes:
    """The sheet's first merged range made ``ref`` (A1:XFD1048576: 17 billion cells)."""
    changed, count = re.subn(
        rb'<mergeCell ref="[^"]*"/>', f'<mergeCell ref="{ref}"/>'.encode(), xml, count=1
    )
    if not count:
        raise KeyError("mergeCell")
    return changed


def add_hyperlink(xml: bytes, ref: str) -> bytes:
    """A hyperlink on the range ``ref`` (openpyxl gives a copy of it to every cell of it)."""
    link = f'<hyperlinks><hyperlink ref="{ref}" location="A1" display="lien"/></hyperlinks>'
    return xml.replace(b"<pageMargins", link.encode() + b"<pageMargins", 1)


def add_comment(entries: dict[str, bytes], sheet: str, ref: str) -> dict[str, bytes]:
    """A comment part on ``sheet`` with one comment on ``ref`` (openpyxl reads ws[ref])."""
    part = sheet_parts(entries)[sheet]
    folder, name = posixpath.split(part)
    entries["xl/comments9.xml"] = (
        f'<comments xmlns="{_MAIN_NS}"><authors><author>x</author></authors><commentList>'
        f'<comment ref="{ref}" authorId="0"><text><t>note</t></text></comment>'
        "</commentList></comments>"
    ).encode()
    entries[f"{folder}/_rels/{name}.rels"] = _add_relationship(
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b"</Relationships>",
        "rId1",
        _REL_NS + "/comments",
        "../comments9.xml",
    )
    entries["[Content_Types].xml"] = entries["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/comments9.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"/></Types>',
    )
    return entries


def add_shared_strings(entries: dict[str, bytes], count: int) -> dict[str, bytes]:
    """``count`` distinct shared strings more (distinct: the compression ratio stays normal)."""
    strings = "".join(f"<si><t>{i * 7919 % 1_000_003}</t></si>" for i in range(count))
    entries["xl/sharedStrings.xml"] = entries["xl/sharedStrings.xml"].replace(
        b"</sst>", strings.encode() + b"</sst>"
    )
    return entries
