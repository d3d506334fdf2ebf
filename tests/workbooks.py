"""Build the workbooks of ``tests/test_rules.py``: a clean annexe, then the mistake to check.

A clean annexe is written by the generator with ``sampledata`` inputs and correct cached
results, as if filled and saved by Excel. A mistake is then made the way it happens:

- ``write``: other inputs typed (text for a number, a date out of the period...), the file
  still carrying correct cached results;
- ``with_openpyxl``: the file opened and changed by a program or by hand (a formula typed over,
  rows inserted, protection removed); openpyxl keeps formulas but drops every cached result;
- ``with_parts``: the package edited piece by piece (a value typed over a cell, a forged cached
  value, an error value, an external link, macros, formulas rewritten by another spreadsheet),
  everything else untouched, as saved by a spreadsheet that did not recalculate.

No cell address is written here: every place comes from the plan (its lines and anchors).
"""

from __future__ import annotations

import html
import itertools
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

from xlsxwriter.utility import xl_rowcol_to_cell

from budget_tool import sampledata
from budget_tool.fill import LineValues
from budget_tool.generate import write_workbook
from budget_tool.layout import column_index
from budget_tool.plan import LABEL, Line, SheetPlan, WorkbookPlan
from budget_tool.refs import CellRef
from budget_tool.rules.formulas import outside_strings

ANNEXE2, ANNEXE3 = "annexe-2", "annexe-3"
Entries = dict[str, bytes]

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def clean_lines(plan: WorkbookPlan) -> dict[tuple[int, int], dict[str, object]]:
    """Realistic, clean inputs for the plan's annexe, as a mutable copy."""
    if plan.template.id == ANNEXE2:
        lines = sampledata.plan_lines(plan)
    else:
        lines = sampledata.bilan_lines(plan)
    return {key: dict(values) for key, values in lines.items()}


class Workbooks:
    """Makes the test workbooks of one test in its own folder."""

    def __init__(
        self, folder: Path, plans: Mapping[str, WorkbookPlan], clean: Mapping[str, Path]
    ) -> None:
        self.folder, self.plans, self._clean = folder, plans, clean
        self._names = itertools.count(1)

    # ------------------------------------------------------------ files
    def path(self, suffix: str = ".xlsx") -> Path:
        return self.folder / f"classeur-{next(self._names)}{suffix}"

    def clean(self, annexe: str) -> Path:
        """The shared clean workbook of ``annexe``: read it, never write it."""
        return self._clean[annexe]

    def lines(self, annexe: str) -> dict[tuple[int, int], dict[str, object]]:
        return clean_lines(self.plans[annexe])

    def write(self, annexe: str, lines: LineValues, plan: WorkbookPlan | None = None) -> Path:
        """The annexe with these inputs, every cached result matching them."""
        target = self.path()
        write_workbook(plan or self.plans[annexe], target, lines)
        return target

    def with_openpyxl(self, source: Path | str, edit: Callable, suffix: str = ".xlsx") -> Path:
        """``edit(book)`` applied by openpyxl to a copy of ``source`` (an annexe id or a path)."""
        from openpyxl import load_workbook

        book = load_workbook(self._source(source))
        edit(book)
        target = self.path(suffix)
        book.save(target)
        return target

    def with_parts(self, source: Path | str, edit: Callable[[Entries], None]) -> Path:
        """``edit(entries)`` applied to the zip parts of a copy of ``source``."""
        with zipfile.ZipFile(self._source(source)) as archive:
            entries = {name: archive.read(name) for name in archive.namelist()}
        edit(entries)
        target = self.path()
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries.items():
                archive.writestr(name, data)
        return target

    def _source(self, source: Path | str) -> Path:
        return self._clean[source] if isinstance(source, str) else source

    # ------------------------------------------------------------ places
    def volet_sheet(self, annexe: str, volet: int) -> SheetPlan:
        return next(s for s in self.plans[annexe].volet_sheets() if s.volet == volet)

    def line(self, annexe: str, volet: int, index: int) -> Line:
        return self.volet_sheet(annexe, volet).lines[index]

    def line_cell(self, annexe: str, volet: int, index: int, key: str) -> tuple[str, int, int]:
        """(sheet, row, col) of column ``key`` on line ``index`` of volet ``volet``."""
        sheet = self.volet_sheet(annexe, volet)
        column = column_index(self.plans[annexe].template.column(key))
        return sheet.name, sheet.lines[index].row, column

    def line_ref(self, annexe: str, volet: int, index: int, key: str) -> str:
        return str(CellRef(*self.line_cell(annexe, volet, index, key)))

    def anchor_cell(self, annexe: str, sheet: str, anchor: str) -> tuple[str, int, int]:
        return (sheet, *self.plans[annexe].sheet(sheet).anchors[anchor])

    def synthesis_cell(self, annexe: str, volet: int | None, key: str) -> tuple[str, int, int]:
        """The synthesis figure ``key`` of a volet's row, or of the total row (volet None)."""
        synthesis = self.plans[annexe].synthesis
        if volet is None:
            return (synthesis.name, *synthesis.anchors[f"total.{key}"])
        row = synthesis.anchors[f"volet{volet}.row"][0]
        keys = [c.key for c in self.plans[annexe].template.synthesis.columns]
        return synthesis.name, row, keys.index(key)

    def synthesis_ref(self, annexe: str, volet: int | None, key: str) -> str:
        return str(CellRef(*self.synthesis_cell(annexe, volet, key)))


def first_line(lines: Mapping[tuple[int, int], Mapping[str, object]], volet: int, key: str) -> int:
    """Index of the first line of ``volet`` where ``key`` was filled in."""
    return next(index for (v, index) in sorted(lines) if v == volet and key in lines[(v, index)])


def first_label_from(sheet: SheetPlan, row: int) -> tuple[int, int]:
    """The first template label at or below ``row``: where moved rows first show."""
    return min(rc for rc, cell in sheet.cells.items() if cell.kind == LABEL and rc[0] >= row)


def xl(row: int, col: int) -> str:
    return xl_rowcol_to_cell(row, col)


def cell_of(book, sheet: str, row: int, col: int):
    """openpyxl's cell for a 0-based plan position."""
    return book[sheet].cell(row=row + 1, column=col + 1)


def synthesis_money_cells(
    report, plan: WorkbookPlan
) -> dict[tuple[int, str], tuple[str, int, int]]:
    """(volet, money figure of the report) -> its cell on the synthesis sheet, from the plan."""
    keys = [c.key for c in plan.template.synthesis.columns]
    cells = {}
    for volet in report.volets:
        row = plan.synthesis.anchors[f"volet{volet.volet}.row"][0]
        for key, kind in volet.types.items():
            if kind == "money" and key in volet.figures:
                cells[(volet.volet, key)] = (plan.synthesis.name, row, keys.index(key))
    return cells


# ---------------------------------------------------------------- package parts
def sheet_part(entries: Entries, name: str) -> str:
    """The part holding sheet ``name``, found through the workbook and its relationships."""
    workbook = ElementTree.fromstring(entries["xl/workbook.xml"])
    rels = ElementTree.fromstring(entries["xl/_rels/workbook.xml.rels"])
    targets = {rel.get("Id"): rel.get("Target") for rel in rels}
    for sheet in workbook.iter(f"{{{_MAIN_NS}}}sheet"):
        if sheet.get("name") == name:
            target = targets[sheet.get(f"{{{_REL_NS}}}id")] or ""
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise KeyError(name)


def _cell_pattern(address: str) -> re.Pattern[str]:
    return re.compile(rf'<c r="{address}"(?P<attrs>[^>]*?)(?:/>|>(?P<body>.*?)</c>)', re.S)


def edit_cell(
    entries: Entries, sheet: str, row: int, col: int, make: Callable[[str, str], str]
) -> None:
    """Replace one ``<c>`` element: ``make(attributes, body)`` returns the new element."""
    part = sheet_part(entries, sheet)
    xml = entries[part].decode("utf-8")
    address = xl(row, col)
    xml, count = _cell_pattern(address).subn(
        lambda m: make(m.group("attrs"), m.group("body") or ""), xml, count=1
    )
    assert count == 1, f"{address} absent de {part}"
    entries[part] = xml.encode("utf-8")


def set_value(entries: Entries, sheet: str, row: int, col: int, value: object) -> None:
    """What a person types over a cell, saved without recalculation: a text, a number, a
    boolean, a formula (``"=..."``, saved with no result) or nothing (None)."""

    def make(attrs: str, _body: str) -> str:
        attrs = re.sub(r'\s+t="[^"]*"', "", attrs)
        head = f'<c r="{xl(row, col)}"{attrs}'
        if value is None:
            return head + "/>"
        if isinstance(value, bool):
            return f'{head} t="b"><v>{int(value)}</v></c>'
        if isinstance(value, int | float | Decimal):
            return f"{head}><v>{value}</v></c>"
        text = html.escape(str(value), quote=False)
        if text.startswith("="):
            return f"{head}><f>{text[1:]}</f></c>"
        return f'{head} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'

    edit_cell(entries, sheet, row, col, make)


def copy_style(entries: Entries, sheet: str, row: int, col: int, model_col: int) -> None:
    """Give a cell the style (number format) of another cell of its row: what Excel does to a
    cell where a date is typed, which then shows as a date."""
    part = sheet_part(entries, sheet)
    found = re.search(rf'<c r="{xl(row, model_col)}" s="(\d+)"', entries[part].decode("utf-8"))
    assert found is not None, xl(row, model_col)

    def make(attrs: str, body: str) -> str:
        attrs = re.sub(r'\s+s="\d+"', "", attrs)
        return f'<c r="{xl(row, col)}" s="{found.group(1)}"{attrs}>{body}</c>'

    edit_cell(entries, sheet, row, col, make)


def set_error(entries: Entries, sheet: str, row: int, col: int, code: str) -> None:
    """An error value such as ``#REF!`` in a cell, as Excel saves it."""

    def make(attrs: str, _body: str) -> str:
        attrs = re.sub(r'\s+t="[^"]*"', "", attrs)
        return f'<c r="{xl(row, col)}"{attrs} t="e"><v>{code}</v></c>'

    edit_cell(entries, sheet, row, col, make)


def set_cached(entries: Entries, sheet: str, row: int, col: int, value: Decimal) -> None:
    """Forge the result saved with a formula; the formula itself is left as it is."""

    def make(attrs: str, body: str) -> str:
        assert "<f" in body, f"{xl(row, col)} n'est pas une formule"
        body = re.sub(r"<v>[^<]*</v>", f"<v>{value}</v>", body)
        return f'<c r="{xl(row, col)}"{attrs}>{body}</c>'

    edit_cell(entries, sheet, row, col, make)


def cached_value(entries: Entries, sheet: str, row: int, col: int) -> Decimal:
    part = sheet_part(entries, sheet)
    match = _cell_pattern(xl(row, col)).search(entries[part].decode("utf-8"))
    assert match is not None
    found = re.search(r"<v>([^<]*)</v>", match.group("body") or "")
    assert found is not None
    return Decimal(found.group(1))


def rewrite_formulas(entries: Entries, rewrite: Callable[[str], str]) -> int:
    """Apply ``rewrite`` to the text of every formula of every sheet; returns how many."""
    total = 0
    for name in [n for n in entries if n.startswith("xl/worksheets/sheet")]:
        xml = entries[name].decode("utf-8")

        def one(match: re.Match[str]) -> str:
            text = rewrite(html.unescape(match.group(2)))
            return f"{match.group(1)}{html.escape(text, quote=False)}</f>"

        xml, count = re.subn(r"(<f(?:\s[^>]*)?>)([^<]*)</f>", one, xml)
        entries[name] = xml.encode("utf-8")
        total += count
    return total


def libreoffice_style(formula: str) -> str:
    """A formula as another spreadsheet may save it: no quotes around sheet names, ``$`` signs,
    lower case, spaces after commas, ``FALSE()``; text between double quotes kept as it is."""
    return outside_strings(formula, _restyle)


def _restyle(code: str) -> str:
    code = re.sub(r"'((?:[^']|'')+)'!", lambda m: m.group(1).replace("''", "'") + "!", code)
    code = re.sub(r"\b([A-Z]{1,3})([0-9]+)\b", r"$\1$\2", code)
    code = re.sub(r"\b(TRUE|FALSE)\b(?!\()", r"\1()", code)
    return code.replace(",", ", ").lower()


def share_formulas(entries: Entries, sheet: str, col: int, rows: Iterable[int], index: int) -> None:
    """Save the formulas of ``col`` on consecutive ``rows`` as one shared formula, the way Excel
    saves a formula filled down: the text on the first cell, a reference on the others."""
    rows = list(rows)
    assert rows == list(range(rows[0], rows[0] + len(rows))), "lignes non contiguës"
    span = f"{xl(rows[0], col)}:{xl(rows[-1], col)}"
    for position, row in enumerate(rows):

        def make(attrs: str, body: str, first: bool = position == 0, row: int = row) -> str:
            if first:
                shared = f'<f t="shared" ref="{span}" si="{index}">'
                body = re.sub(r"<f>", shared, body, count=1)
            else:
                body = re.sub(r"<f>[^<]*</f>", f'<f t="shared" si="{index}"/>', body, count=1)
            return f'<c r="{xl(row, col)}"{attrs}>{body}</c>'

        edit_cell(entries, sheet, row, col, make)


def set_sheet_state(entries: Entries, sheet: str, state: str) -> None:
    """Hide a sheet (``hidden``, or ``veryHidden``: only a macro or the XML can show it again)."""
    xml = entries["xl/workbook.xml"].decode("utf-8")
    pattern = re.compile(rf'<sheet name="{re.escape(html.escape(sheet))}"(?P<rest>[^>]*)/>')
    xml, count = pattern.subn(
        lambda m: f'<sheet name="{html.escape(sheet)}" state="{state}"{m.group("rest")}/>', xml
    )
    assert count == 1, sheet
    entries["xl/workbook.xml"] = xml.encode("utf-8")


def add_external_link(entries: Entries, sheet: str, row: int, col: int, book: str) -> None:
    """Link an input cell to another workbook (``=[1]Feuil1!$B$4``), as Excel saves it: an
    ``externalLink`` part, its relationship to the file, a reference in the workbook."""
    link = "xl/externalLinks/externalLink1.xml"
    entries[link] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<externalLink xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><externalBook r:id="rId1">'
        '<sheetNames><sheetName val="Feuil1"/></sheetNames><sheetDataSet><sheetData sheetId="0">'
        '<row r="4"><cell r="B4"><v>12500</v></cell></row></sheetData></sheetDataSet>'
        "</externalBook></externalLink>"
    ).encode()
    entries["xl/externalLinks/_rels/externalLink1.xml.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{_REL_NS}/externalLinkPath" Target="{book}" '
        'TargetMode="External"/></Relationships>'
    ).encode()
    _add_relationship(entries, f"{_REL_NS}/externalLink", "externalLinks/externalLink1.xml")
    workbook = entries["xl/workbook.xml"].decode("utf-8")
    rid = _last_relationship(entries)
    workbook = workbook.replace(
        "</sheets>",
        f'</sheets><externalReferences><externalReference r:id="{rid}"/></externalReferences>',
    )
    entries["xl/workbook.xml"] = workbook.encode("utf-8")
    _add_override(
        entries,
        "/" + link,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml",
    )

    def make(attrs: str, _body: str) -> str:
        attrs = re.sub(r'\s+t="[^"]*"', "", attrs)
        return f'<c r="{xl(row, col)}"{attrs}><f>[1]Feuil1!$B$4</f><v>12500</v></c>'

    edit_cell(entries, sheet, row, col, make)


def add_macros(entries: Entries) -> None:
    """What Excel writes for a macro-enabled workbook (.xlsm): a VBA project and its type."""
    entries["xl/vbaProject.bin"] = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504
    _add_relationship(
        entries,
        "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
        "vbaProject.bin",
    )
    types = entries["[Content_Types].xml"].decode("utf-8")
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    types = types.replace(
        '<Default Extension="xml"',
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        '<Default Extension="xml"',
    )
    entries["[Content_Types].xml"] = types.encode("utf-8")


def _add_relationship(entries: Entries, kind: str, target: str) -> None:
    rels = entries["xl/_rels/workbook.xml.rels"].decode("utf-8")
    number = 1 + max(int(n) for n in re.findall(r'Id="rId(\d+)"', rels))
    rels = rels.replace(
        "</Relationships>",
        f'<Relationship Id="rId{number}" Type="{kind}" Target="{target}"/></Relationships>',
    )
    entries["xl/_rels/workbook.xml.rels"] = rels.encode("utf-8")


def _last_relationship(entries: Entries) -> str:
    rels = entries["xl/_rels/workbook.xml.rels"].decode("utf-8")
    return "rId" + str(max(int(n) for n in re.findall(r'Id="rId(\d+)"', rels)))


def _add_override(entries: Entries, part: str, content_type: str) -> None:
    types = entries["[Content_Types].xml"].decode("utf-8")
    types = types.replace(
        "</Types>", f'<Override PartName="{part}" ContentType="{content_type}"/></Types>'
    )
    entries["[Content_Types].xml"] = types.encode("utf-8")


def cells_found(path: Path) -> dict[str, str]:
    """Code -> cell (``J17``) of what ``budget-tool check`` finds in ``path``: pages and copies
    that show findings are compared with it rather than with addresses written in a test."""
    from budget_tool.checker import check

    return {code: ref.rsplit("!", 1)[1] for code, ref in check(path).flatten() if "!" in ref}
