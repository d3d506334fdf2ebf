"""A lean, single-pass reader of the parts of an .xlsx that the checker needs.

openpyxl builds a full object model (styles, every cell) and must be run twice to get both the
formulas and their cached results; for ``check`` that costs more than all the rules together.
This reader streams each sheet's XML once with defusedxml and keeps, per cell, the formula (or
constant) and the cached result, plus the sheet states, protection and merged ranges. It runs
only on bytes that ``safeload.precheck`` has accepted; any exception it raises is turned into a
French refusal by ``safeload``.

Parsing safety: the pre-check has read every XML part of these very bytes and refused any
DOCTYPE or ENTITY declaration, so no entity can be declared, expanded or fetched; the parts are
then parsed with the standard library's C parser (several times faster than defusedxml's
pure-Python handlers). A part the pre-check did not scan as XML is never parsed here.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from xml.etree.ElementTree import iterparse as _c_iterparse

from budget_tool.precheck import scanned_as_xml

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_COORD = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
MAX_ROW, MAX_COL = 1_048_576, 16_384


class OutOfSheet(ValueError):
    """A cell reference beyond A1:XFD1048576 (a forged or damaged file)."""


@dataclass
class RawCell:
    raw: object  # constant, or the formula with its leading "="
    cached: object  # the saved result of a formula (the constant again otherwise)
    is_error: bool = False
    is_formula: bool = False  # a text constant may start with "=" too


@dataclass
class RawSheet:
    name: str
    state: str = "visible"
    protected: bool = False
    is_chart: bool = False  # a chart sheet: it has a name but no cells
    cells: dict[tuple[int, int], RawCell] = field(default_factory=dict)  # 0-based
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # 0-based bounds


@dataclass
class RawWorkbook:
    sheets: dict[str, RawSheet]  # in workbook order

    @property
    def sheetnames(self) -> list[str]:
        return list(self.sheets)


def iterparse(source, name: str):
    """Stream a part already scanned by the pre-check (see the module's docstring)."""
    if not scanned_as_xml(name):
        raise ValueError(f"partie {name[:60]} : pas une partie XML contrôlée")
    return _c_iterparse(source, events=("end",))


def coordinate(ref: str) -> tuple[int, int]:
    """'B10' -> (9, 1), 0-based; a reference beyond the sheet's limits is a ValueError."""
    match = _COORD.match(ref)
    if not match:
        raise OutOfSheet(f"une référence de cellule invalide (« {ref[:20]} »")
    letters, digits = match.groups()
    col = 0
    for letter in letters:
        col = col * 26 + ord(letter) - 64
    row = int(digits)
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
        raise OutOfSheet(
            f"une cellule hors des limites d'une feuille Excel (ligne {row}, colonne {col}"
        )
    return row - 1, col - 1


def read_xlsx(data: bytes) -> RawWorkbook:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = _Parts(archive)
        sheets = {}
        for name, state, target in parts.sheet_entries():
            sheet = RawSheet(name, state, is_chart=target.startswith("xl/chartsheets/"))
            try:
                _read_sheet(archive.open(target), target, sheet, parts)
            except OutOfSheet as exc:
                raise OutOfSheet(f"la feuille « {name} » contient {exc}") from exc
            sheets[name] = sheet
        return RawWorkbook(sheets)


class _Parts:
    """The workbook-level parts: sheet list, shared strings, which styles are dates."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.names = set(archive.namelist())
        self.date1904 = False
        self.strings = self._shared_strings()
        self.date_styles = self._date_styles()

    def _root(self, name: str):
        root = None
        for _event, element in iterparse(self.archive.open(name), name):
            root = element
        return root

    def sheet_entries(self) -> list[tuple[str, str, str]]:
        workbook = self._root("xl/workbook.xml")
        properties = workbook.find(f"{MAIN}workbookPr")
        if properties is not None:
            self.date1904 = properties.get("date1904") in ("1", "true")
        rels = self._root("xl/_rels/workbook.xml.rels")
        targets = {
            rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{PKG_REL}Relationship")
        }
        entries = []
        for sheet in workbook.iter(f"{MAIN}sheet"):
            target = targets.get(sheet.get(f"{REL}id"), "")
            path = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
            if path in self.names:
                entries.append((sheet.get("name", ""), sheet.get("state", "visible"), path))
        return entries

    def _shared_strings(self) -> list[str]:
        if "xl/sharedStrings.xml" not in self.names:
            return []
        strings = []
        name = "xl/sharedStrings.xml"
        for _event, element in iterparse(self.archive.open(name), name):
            if element.tag == f"{MAIN}si":
                strings.append(_text_of(element))
                element.clear()
        return strings

    def _date_styles(self) -> set[int]:
        """Indexes of cell formats whose number format shows a date."""
        if "xl/styles.xml" not in self.names:
            return set()
        styles = self._root("xl/styles.xml")
        custom = {
            int(f.get("numFmtId", "0")): f.get("formatCode", "")
            for f in styles.iter(f"{MAIN}numFmt")
        }
        cell_xfs = styles.find(f"{MAIN}cellXfs")
        dates = set()
        for index, xf in enumerate(cell_xfs if cell_xfs is not None else []):
            number = int(xf.get("numFmtId", "0"))
            if (
                number in custom
                and is_date_format(custom[number])
                or number in BUILTIN_DATE_FORMATS
            ):
                dates.add(index)
        return dates


# Built-in number formats that show dates or times (ECMA-376, 18.8.30).
BUILTIN_DATE_FORMATS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47})
_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')  # quoted text, escaped characters, [colours]


def is_date_format(code: str) -> bool:
    """A custom number format that shows a date or a time (d, m, y, h, s outside literals)."""
    section = _LITERALS.sub("", code.split(";")[0])
    return re.search(r"[dmyhs]", section, re.IGNORECASE) is not None and "General" not in section


def _text_of(element) -> str:
    """The text of a shared or inline string: plain <t>, or the runs of rich text."""
    return "".join(t.text or "" for t in element.iter(f"{MAIN}t"))


def _read_sheet(source, name: str, sheet: RawSheet, parts: _Parts) -> None:
    shared: dict[str, tuple[str, str]] = {}  # shared formula index -> (formula, origin)
    for _event, element in iterparse(source, name):
        tag = element.tag
        if tag == f"{MAIN}c":
            ref = element.get("r")
            if ref:
                sheet.cells[coordinate(ref)] = _cell(element, ref, parts, shared)
            element.clear()
        elif tag == f"{MAIN}row":
            element.clear()
        elif tag == f"{MAIN}sheetProtection":
            sheet.protected = element.get("sheet") in ("1", "true")
        elif tag == f"{MAIN}mergeCell":
            first, _, last = (element.get("ref") or "").partition(":")
            (r1, c1), (r2, c2) = coordinate(first), coordinate(last or first)
            sheet.merged.append((r1, c1, r2, c2))


def _cell(element, ref: str, parts: _Parts, shared: dict[str, tuple[str, str]]) -> RawCell:
    kind = element.get("t", "n")
    formula = _formula(element.find(f"{MAIN}f"), ref, shared)
    value_element = element.find(f"{MAIN}v")
    text = value_element.text if value_element is not None else None
    if kind == "inlineStr":
        inline = element.find(f"{MAIN}is")
        value: object = _text_of(inline) if inline is not None else ""
    elif text is None:
        value = None
    elif kind == "s":
        value = parts.strings[int(text)]
    elif kind in ("str", "e"):
        value = text
    elif kind == "b":
        value = text in ("1", "true")
    else:
        value = _number(text, int(element.get("s", "0")), parts)
    if formula is not None:
        return RawCell(formula, value, kind == "e", is_formula=True)
    value = None if value == "" else value  # an empty string is an empty cell, as for openpyxl
    return RawCell(value, value, kind == "e")


def _formula(element, ref: str, shared: dict[str, tuple[str, str]]) -> str | None:
    if element is None:
        return None
    text = element.text or ""
    if element.get("t") == "shared":
        index = element.get("si", "")
        if text:
            shared[index] = (text, ref)
        elif index in shared:
            from openpyxl.formula.translate import Translator

            master, origin = shared[index]
            return Translator("=" + master, origin).translate_formula(ref)
    return "=" + text if text or element.get("t") != "shared" else None


def _number(text: str, style: int, parts: _Parts) -> object:
    number: int | float = float(text) if any(ch in text for ch in ".eE") else int(text)
    if style in parts.date_styles:
        return _from_serial(float(number), parts.date1904)
    return number


def _from_serial(serial: float, date1904: bool) -> datetime:
    epoch = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
    return epoch + timedelta(days=serial)
