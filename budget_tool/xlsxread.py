"""A lean, single-pass reader of the parts of an .xlsx that the checker needs.

openpyxl builds a full object model (styles, every cell) and must be run twice to get both the
formulas and their cached results; for ``check`` that costs more than all the rules together.
This reader streams each sheet's XML once and keeps, per cell, the formula (or constant) and the
cached result, plus the sheet states, protection and merged ranges. It runs only on bytes that
``safeload.precheck`` has accepted; any exception it raises is turned into a French refusal by
``safeload`` (:class:`CellProblem` naming its cell).

Parts are found by relationships (``package.py``), never by assumed names. Every valid encoding
of a cell is read: numbers, booleans, errors, shared, inline and rich strings (phonetic runs
``rPh`` are not text), ISO dates (``t="d"``), and cells or rows without their ``r`` attribute
(then the next column, or the next row, as the standard says).

Parsing safety: the pre-check has read every XML part of these very bytes and refused any
DOCTYPE or ENTITY declaration, so no entity can be declared, expanded or fetched; the parts are
then parsed with the standard library's C parser (several times faster than defusedxml's
pure-Python handlers). A part the pre-check did not scan as XML is never parsed here.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from xml.etree.ElementTree import iterparse as _c_iterparse

from xlsxwriter.utility import xl_rowcol_to_cell

from budget_tool.package import Package, locate
from budget_tool.precheck import scanned_as_xml

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_COORD = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
MAX_ROW, MAX_COL = 1_048_576, 16_384


class OutOfSheet(ValueError):
    """A cell reference beyond A1:XFD1048576 (a forged or damaged file)."""


class CellProblem(ValueError):
    """One cell cannot be read; ``safeload`` names it ('Volet 1'!D12) in the refusal."""

    def __init__(self, reason: str, sheet: str = "", row: int = 0, col: int = 0) -> None:
        super().__init__(reason)
        self.reason, self.sheet, self.row, self.col = reason, sheet, row, col


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


def iterparse(source, name: str, events: tuple[Literal["start", "end"], ...] = ("end",)):
    """Stream a part already scanned by the pre-check (see the module's docstring)."""
    if not scanned_as_xml(name):
        raise ValueError(f"partie {name[:60]} : pas une partie XML contrôlée")
    return _c_iterparse(source, events=events)


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
        parts = _Parts(archive, locate(archive))
        sheets = {}
        for name, state, target, is_chart in parts.package.sheets:
            sheet = RawSheet(name, state, is_chart=is_chart)
            try:
                _read_sheet(archive.open(target), target, sheet, parts)
            except OutOfSheet as exc:
                raise OutOfSheet(f"la feuille « {name} » contient {exc}") from exc
            except CellProblem as exc:
                raise CellProblem(exc.reason, name, exc.row, exc.col) from exc
            sheets[name] = sheet
        return RawWorkbook(sheets)


class _Parts:
    """The workbook-level parts, found by relationships: shared strings, date styles."""

    def __init__(self, archive: zipfile.ZipFile, package: Package) -> None:
        self.archive = archive
        self.package = package
        self.date1904 = package.date1904
        self.strings = self._shared_strings()
        self.style_count = 1  # openpyxl's default when there is no styles part
        self.date_styles = self._date_styles()

    def _root(self, name: str):
        root = None
        for _event, element in iterparse(self.archive.open(name), name):
            root = element
        return root

    def _shared_strings(self) -> list[str]:
        name = self.package.shared_strings
        if name is None:
            return []
        strings = []
        for _event, element in iterparse(self.archive.open(name), name):
            if element.tag == f"{MAIN}si":
                strings.append(_text_of(element))
                element.clear()
        return strings

    def _date_styles(self) -> set[int]:
        """Indexes of cell formats whose number format shows a date."""
        if self.package.styles is None:
            return set()
        styles = self._root(self.package.styles)
        custom = {
            int(f.get("numFmtId", "0")): f.get("formatCode", "")
            for f in styles.iter(f"{MAIN}numFmt")
        }
        found = styles.find(f"{MAIN}cellXfs")
        cell_xfs = list(found) if found is not None else []
        self.style_count = max(len(cell_xfs), 1)
        dates = set()
        for index, xf in enumerate(cell_xfs):
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
    """The text of a shared or inline string: its <t>, or the <t> of its rich-text runs <r>;
    never the phonetic runs <rPh> (furigana: a reading aid, not the cell's text)."""
    plain = element.find(f"{MAIN}t")
    if plain is not None:
        return plain.text or ""
    return "".join(run.findtext(f"{MAIN}t") or "" for run in element.iterfind(f"{MAIN}r"))


def _read_sheet(source, name: str, sheet: RawSheet, parts: _Parts) -> None:
    shared: dict[str, tuple[str, str]] = {}  # shared formula index -> (formula, origin)
    row, col = -1, -1  # the last row and cell seen: a <row> or <c> without r comes next
    for event, element in iterparse(source, name, ("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == f"{MAIN}row":
                number = element.get("r")
                row, col = (int(number) - 1 if number else row + 1), -1
            continue
        if tag == f"{MAIN}c":
            ref = element.get("r")
            if ref:
                row, col = coordinate(ref)
            else:  # the next column; checked as a written reference would be
                col += 1
                ref = _ref(row, col)
            try:
                sheet.cells[(row, col)] = _cell(element, ref, parts, shared)
            except CellProblem as exc:
                raise CellProblem(exc.reason, "", row, col) from exc
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
    style = _style(element, parts)
    formula = _formula(element.find(f"{MAIN}f"), ref, shared)
    value_element = element.find(f"{MAIN}v")
    text = value_element.text if value_element is not None else None
    if kind == "inlineStr":
        inline = element.find(f"{MAIN}is")
        value: object = _text_of(inline) if inline is not None else ""
    elif text is None:
        value = None
    elif kind == "s":
        value = _shared_string(text, parts)
    elif kind in ("str", "e"):
        value = text
    elif kind == "b":
        value = text in ("1", "true")
    elif kind == "d":
        value = _iso_date(text)
    else:
        value = _number(text, style, parts)
    if formula is not None:
        return RawCell(formula, value, kind == "e", is_formula=True)
    value = None if value == "" else value  # an empty string is an empty cell, as for openpyxl
    return RawCell(value, value, kind == "e")


def _style(element, parts: _Parts) -> int:
    """The cell's format number; one the workbook does not define is a damaged file (Excel
    repairs it, openpyxl cannot open it: the annotated copy would fail)."""
    text = element.get("s")
    if text is None:
        return 0
    try:
        index = int(text)
    except ValueError:
        raise CellProblem(f"a un format invalide (« {text[:20]} »)") from None
    if not 0 <= index < parts.style_count:
        raise CellProblem(
            f"a le format n° {index}, absent du classeur ({parts.style_count} formats)"
        )
    return index


def _shared_string(text: str, parts: _Parts) -> str:
    """Shared string number ``text``; an index out of the table would read another text."""
    try:
        index = int(text)
    except ValueError:
        raise CellProblem(f"renvoie à un texte partagé invalide (« {text[:20]} »)") from None
    if not 0 <= index < len(parts.strings):
        raise CellProblem(
            f"renvoie au texte partagé n° {index}, absent du classeur ({len(parts.strings)} textes)"
        )
    return parts.strings[index]


def _iso_date(text: str) -> datetime:
    """A cell of type d: an ISO 8601 date or date and time (« 2024-03-15T00:00:00Z »)."""
    try:
        found = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CellProblem(f"contient une date illisible (« {text[:30]} »)") from None
    return found.replace(tzinfo=None)


def _ref(row: int, col: int) -> str:
    """(9, 1) -> 'B10'; beyond A1:XFD1048576, OutOfSheet."""
    if not (0 <= row < MAX_ROW and 0 <= col < MAX_COL):
        raise OutOfSheet(
            f"une cellule hors des limites d'une feuille Excel (ligne {row + 1}, colonne {col + 1}"
        )
    return xl_rowcol_to_cell(row, col)


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
