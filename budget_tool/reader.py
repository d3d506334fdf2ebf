"""Read a returned workbook through the template: find which annexe it is, rebuild its plan
from its identification block, and read every planned cell (and only those, plus stray data).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from pathlib import Path

from budget_tool.departements import lookup
from budget_tool.errors import BudgetToolError, WorkbookRefused
from budget_tool.layout import build_plan
from budget_tool.model import CellRead, FilledWorkbook, SheetRead, to_value
from budget_tool.plan import Parameters
from budget_tool.refs import CellRef
from budget_tool.safeload import DEFAULT_LIMITS, Limits, load_both
from budget_tool.spec import Template
from budget_tool.templates import ANNEXES, load_template

_MODEL = re.compile(r"budget-tool (annexe-\d+) v(\S+)")
_PERIOD = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_CODE = re.compile(r"^\s*(\d{2,3}|2[AB])\s*-")
_MAX_ROW, _MAX_COL = 1_048_576, 16_384  # Excel's sheet: A1 to XFD1048576
# No amount or count of an annexe comes near ten billion; above it, products and sums of such
# numbers outgrow the exact decimals (28 digits) that reports and summaries round to the cent.
_MAX_NUMBER = 1e10


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
        if _is_worksheet(book, sheet_plan.name):  # a chart sheet of that name holds no cells
            sheets[sheet_plan.name] = _read_sheet(
                path, book[sheet_plan.name], values[sheet_plan.name], sheet_plan
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
    if not code_match or not year_match or int(year_match.group(3)) == 0:  # no year 0 in dates
        raise WorkbookRefused(path, "bloc d'identification illisible (département ou période).")
    try:
        departement = lookup(code_match.group(1))
    except BudgetToolError as exc:
        raise WorkbookRefused(path, str(exc)) from exc
    ceilings = _ceilings(path, template, book, values, probe)
    params = Parameters(
        departement.code,
        departement.nom,
        departement.region,
        int(year_match.group(3)),
        ident.get("convention", ""),
        ceilings,
    )
    return params, ident


def _ceilings(path: Path, template: Template, book, values, probe) -> dict[int, Decimal]:
    """Each present volet's PLAFOND DEPARTEMENT; volets are found by sheet or synthesis row."""
    ceilings: dict[int, Decimal] = {}
    row, col = probe.volet_sheets()[0].anchors["plafond"]
    labels = {template.synthesis.volet_label.format(volet=v.number): v for v in template.volets}
    synthesis_rows = {}
    if _is_worksheet(book, template.synthesis.sheet):
        for cells in values[template.synthesis.sheet].iter_rows(min_row=1, max_row=60, max_col=2):
            if isinstance(cells[0].value, str) and cells[0].value.strip() in labels:
                synthesis_rows[labels[cells[0].value.strip()].number] = cells[1]
    for volet in template.volets:
        name = template.sheet_name.format(volet=volet.number)
        if _is_worksheet(book, name):
            cell = values[name].cell(row=row + 1, column=col + 1)
        elif volet.number in synthesis_rows:
            cell = synthesis_rows[volet.number]
        else:
            continue
        raw = _number_checked(path, cell.parent.title, cell.row, cell.column, cell.value)
        value = to_value(raw)
        ceilings[volet.number] = value if isinstance(value, Decimal) else Decimal(0)
    return ceilings


def _probe_params(template: Template) -> Parameters:
    ceilings = {v.number: Decimal(0) for v in template.volets}
    return Parameters("01", "", "", 2024, "", ceilings)


def _read_sheet(path: Path, sheet, cached_sheet, sheet_plan) -> SheetRead:
    """Planned cells only (plus data outside them): a stray cell at XFD1048576 costs nothing."""
    read = SheetRead(sheet_plan.name, sheet.sheet_state, bool(sheet.protection.sheet))
    cells, cached_cells = sheet._cells, cached_sheet._cells  # read, never create cells
    for (row, col), found in cells.items():
        if not (1 <= row <= _MAX_ROW and 1 <= col <= _MAX_COL):  # openpyxl reads A0 or XFE1
            raise WorkbookRefused(
                path,
                f"la feuille « {sheet.title} » contient une cellule hors des limites d'une "
                f"feuille Excel (ligne {row}, colonne {col} ; la dernière est XFD1048576) : "
                "fichier fabriqué ou endommagé, demandez un nouvel envoi du classeur",
            )
        value = found.value
        cached = cached_cells.get((row, col))
        cached_value = cached.value if cached is not None else None
        if (row - 1, col - 1) in sheet_plan.cells:
            value = _number_checked(path, sheet.title, row, col, value)
            cached_value = _number_checked(path, sheet.title, row, col, cached_value)
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


def _is_worksheet(book, name: str) -> bool:
    """A sheet with cells of that name: a chart sheet has the name but no cells."""
    return name in book.sheetnames and hasattr(book[name], "_cells")


def _number_checked(path: Path, sheet: str, row: int, col: int, value: object) -> object:
    """A number the file holds in a planned cell, refused if infinite (1e999 is read as inf)
    or absurdly large; the message names the cell (row and col are 1-based)."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and not abs(value) < _MAX_NUMBER:  # also inf and nan; ints may be huge
        if isinstance(value, float):
            shown = "infini" if math.isinf(value) else "non numérique"
            shown = f"{value:g}" if math.isfinite(value) else shown
        else:
            shown = f"{len(str(abs(value)))} chiffres"
        raise WorkbookRefused(
            path,
            f"la cellule {CellRef(sheet, row - 1, col - 1)} contient un nombre démesuré "
            f"({shown}) : aucun montant ni aucune quantité d'une annexe n'atteint dix "
            "milliards ; corrigez la saisie puis renvoyez le classeur",
        )
    return value


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()
