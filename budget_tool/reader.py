"""Read a returned workbook through the template: find which annexe it is, rebuild its plan
from its identification block, and read every planned cell (and only those, plus stray data).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from budget_tool.departements import lookup
from budget_tool.errors import BudgetToolError, WorkbookRefused
from budget_tool.layout import build_plan
from budget_tool.model import CellRead, FilledWorkbook, SheetRead, to_value
from budget_tool.plan import Parameters
from budget_tool.safeload import DEFAULT_LIMITS, Limits, load_both
from budget_tool.spec import Template
from budget_tool.templates import ANNEXES, load_template

_MODEL = re.compile(r"budget-tool (annexe-\d+) v(\S+)")
_PERIOD = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_CODE = re.compile(r"^\s*(\d{2,3}|2[AB])\s*-")


class NotOurWorkbook(WorkbookRefused):
    """Readable, but not a workbook budget-tool made (or of a version it does not know)."""

    def __init__(self, path: object, reason: str, code: str, found: str = "") -> None:
        super().__init__(path, reason)
        self.code, self.found = code, found


def read_workbook(path: Path, limits: Limits = DEFAULT_LIMITS) -> FilledWorkbook:
    book, values, precheck = load_both(path, limits)
    template, ident_sheet = _identify(path, book)
    params, ident = _parameters(path, template, book, values, ident_sheet)
    plan = build_plan(template, params)
    sheets = {}
    for sheet_plan in plan.sheets:
        if sheet_plan.name in book.sheetnames:
            sheets[sheet_plan.name] = _read_sheet(
                book[sheet_plan.name], values[sheet_plan.name], sheet_plan
            )
    planned = {s.name for s in plan.sheets}
    extra = [name for name in book.sheetnames if name not in planned]
    return FilledWorkbook(Path(path), template, plan, sheets, extra, precheck, ident)


def _identify(path: Path, book) -> tuple[Template, str]:
    """The template named in a sheet's identification block ("budget-tool annexe-2 v2024.1")."""
    known = {tid: load_template(tid) for tid in ANNEXES}
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=1, max_row=15, min_col=2, max_col=2, values_only=True):
            match = _MODEL.fullmatch(str(row[0]).strip()) if isinstance(row[0], str) else None
            if not match:
                continue
            template = known.get(match.group(1))
            if template is None or template.version != match.group(2):
                versions = ", ".join(t.label for t in known.values())
                raise NotOurWorkbook(
                    path,
                    f"modèle « {match.group(0)} » inconnu (modèles connus : {versions}).",
                    "version-inconnue",
                    match.group(0),
                )
            return template, sheet.title
    raise NotOurWorkbook(
        path,
        "ce classeur n'a pas été produit par budget-tool (aucun modèle d'annexe 2 ou 3 reconnu) : "
        "utilisez le classeur transmis par les services de l'État.",
        "classeur-non-reconnu",
    )


def _parameters(path, template: Template, book, values, ident_sheet: str):
    """Département, year, volets and ceilings, as the workbook's prefilled cells say."""
    probe = build_plan(template, _probe_params(template))
    anchors = probe.synthesis.anchors
    sheet = book[ident_sheet]
    ident = {
        key.removeprefix("ident."): _text(sheet.cell(row=r + 1, column=c + 1).value)
        for key, (r, c) in anchors.items()
        if key.startswith("ident.")
    }
    code_match = _CODE.match(ident.get("departement", ""))
    year_match = _PERIOD.search(ident.get("periode", ""))
    if not code_match or not year_match:
        raise WorkbookRefused(path, "bloc d'identification illisible (département ou période).")
    try:
        departement = lookup(code_match.group(1))
    except BudgetToolError as exc:
        raise WorkbookRefused(path, str(exc)) from exc
    ceilings = _ceilings(template, book, values, probe)
    params = Parameters(
        departement.code,
        departement.nom,
        departement.region,
        int(year_match.group(3)),
        ident.get("convention", ""),
        ceilings,
    )
    return params, ident


def _ceilings(template: Template, book, values, probe) -> dict[int, Decimal]:
    """Each present volet's PLAFOND DEPARTEMENT; volets are found by sheet or synthesis row."""
    ceilings: dict[int, Decimal] = {}
    row, col = probe.volet_sheets()[0].anchors["plafond"]
    labels = {template.synthesis.volet_label.format(volet=v.number): v for v in template.volets}
    synthesis_rows = {}
    if template.synthesis.sheet in book.sheetnames:
        for cells in values[template.synthesis.sheet].iter_rows(min_row=1, max_row=60, max_col=2):
            if isinstance(cells[0].value, str) and cells[0].value.strip() in labels:
                synthesis_rows[labels[cells[0].value.strip()].number] = cells[1].value
    for volet in template.volets:
        name = template.sheet_name.format(volet=volet.number)
        if name in book.sheetnames:
            raw = values[name].cell(row=row + 1, column=col + 1).value
        elif volet.number in synthesis_rows:
            raw = synthesis_rows[volet.number]
        else:
            continue
        value = to_value(raw)
        ceilings[volet.number] = value if isinstance(value, Decimal) else Decimal(0)
    return ceilings


def _probe_params(template: Template) -> Parameters:
    ceilings = {v.number: Decimal(0) for v in template.volets}
    return Parameters("01", "", "", 2024, "", ceilings)


def _read_sheet(sheet, cached_sheet, sheet_plan) -> SheetRead:
    """Planned cells only (plus data outside them): a stray cell at XFD1048576 costs nothing."""
    read = SheetRead(sheet_plan.name, sheet.sheet_state, bool(sheet.protection.sheet))
    cells, cached_cells = sheet._cells, cached_sheet._cells  # read, never create cells
    for (row, col), found in cells.items():
        value = found.value
        cached = cached_cells.get((row, col))
        cached_value = cached.value if cached is not None else None
        if (row - 1, col - 1) in sheet_plan.cells:
            is_error = found.data_type == "e" or (cached is not None and cached.data_type == "e")
            raw = getattr(value, "text", value)  # array formulas carry their text
            if isinstance(raw, str) and raw.startswith("=") is False and found.data_type == "f":
                raw = "=" + raw
            read.cells[(row - 1, col - 1)] = CellRead(raw, cached_value, is_error)
        elif value is not None and value != "":
            read.stray.append((row - 1, col - 1, value))
    read.merged = [
        (r.min_row - 1, r.min_col - 1, r.max_row - 1, r.max_col - 1)
        for r in sheet.merged_cells.ranges
    ]
    return read


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()
