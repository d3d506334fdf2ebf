"""Read a returned workbook through the template: find which annexe it is, rebuild its plan
from its identification block, and read every planned cell (and only those, plus stray data).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from budget_tool import oversize
from budget_tool.departements import lookup
from budget_tool.errors import BudgetToolError, WorkbookRefused
from budget_tool.layout import build_plan
from budget_tool.model import CellRead, FilledWorkbook, SheetRead, to_value
from budget_tool.plan import INPUT, Parameters, WorkbookPlan
from budget_tool.refs import CellRef
from budget_tool.safeload import DEFAULT_LIMITS, Limits, load_raw
from budget_tool.spec import Template
from budget_tool.templates import ANNEXES, known_labels, load_template, templates_dir
from budget_tool.versions import available_versions, is_version, version_key, version_year
from budget_tool.xlsxread import RawSheet, RawWorkbook

_MODEL = re.compile(r"budget-tool (annexe-\d+) v(\S+)")
_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")  # JJ/MM/AAAA: the period, the advance paid
_CODE = re.compile(r"^\s*(\d{2,3}|2[AB])\s*-")


class NotOurWorkbook(WorkbookRefused):
    """Readable, but not a workbook budget-tool made (or of a version it does not know)."""

    def __init__(self, path: object, reason: str, code: str, found: str = "") -> None:
        super().__init__(path, reason)
        self.code, self.found = code, found


def read_workbook(
    path: Path, limits: Limits = DEFAULT_LIMITS, templates: Path | None = None
) -> FilledWorkbook:
    """``templates``: the templates folder (default ``templates_dir()``), where the version the
    workbook names is looked for."""
    book, precheck = load_raw(path, limits)
    template, ident_sheet = _identify(path, book, templates or templates_dir())
    params, ident = _parameters(path, template, book, ident_sheet)
    plan = build_plan(template, params)
    sheets: dict[str, SheetRead] = {}
    huge: list[oversize.Huge] = []
    for sheet_plan in plan.sheets:
        if _is_worksheet(book, sheet_plan.name):  # a chart sheet of that name holds no cells
            sheets[sheet_plan.name] = _read_sheet(book.sheets[sheet_plan.name], sheet_plan, huge)
    if huge:
        raise WorkbookRefused(path, oversize.reason(huge))
    planned = {s.name for s in plan.sheets}
    extra = [name for name in book.sheetnames if name not in planned]
    return FilledWorkbook(Path(path), template, plan, sheets, extra, precheck, ident)


def _identify(path: Path, book: RawWorkbook, folder: Path) -> tuple[Template, str]:
    """The template, in the version named in a sheet's identification block
    ("budget-tool annexe-2 v2024.2"): each workbook is read with the template it was made from.
    Sheets are found by name, not position: a synthesis sheet (where the identification is
    read) is looked at first, wherever the user moved it."""
    synthesis = {load_template(tid, None, folder).synthesis.sheet for tid in ANNEXES}
    ordered = sorted(book.sheets.values(), key=lambda sheet: sheet.name not in synthesis)
    for sheet in ordered:
        for row in range(15):
            value = sheet.cells[(row, 1)].raw if (row, 1) in sheet.cells else None
            match = _MODEL.fullmatch(value.strip()) if isinstance(value, str) else None
            if not match:
                continue
            template_id, version = match.group(1), match.group(2)
            if template_id not in ANNEXES or version not in available_versions(folder):
                raise NotOurWorkbook(
                    path,
                    f"modèle « {match.group(0)} » inconnu (modèles connus : "
                    f"{known_labels(folder)}).{_replaced_by(version, folder)}",
                    "version-inconnue",
                    match.group(0),
                )
            return load_template(template_id, version, folder), sheet.name
    raise NotOurWorkbook(
        path,
        "ce classeur n'a pas été produit par budget-tool (aucun modèle d'annexe 2 ou 3 reconnu) : "
        "utilisez le classeur transmis par les services de l'État.",
        "classeur-non-reconnu",
    )


def _replaced_by(version: str, folder: Path) -> str:
    """What to do with a workbook of a withdrawn revision (2024.1 when 2024.2 serves 2024)."""
    if not is_version(version):
        return ""
    newer = [v for v in available_versions(folder) if version_year(v) == version_year(version)]
    newer = [v for v in newer if version_key(v) > version_key(version)]
    if not newer:
        return ""
    return (
        f" Ce classeur a été fait avec la version {version}, remplacée par la version "
        f"{newer[-1]} : demandez un classeur du modèle {newer[-1]} et reportez-y les saisies."
    )


def _parameters(path, template: Template, book: RawWorkbook, ident_sheet: str):
    """Département, year, volets and ceilings, as the workbook's prefilled cells say."""
    probe = _probe_plan(template)
    cells = book.sheets[ident_sheet].cells
    ident = {
        key.removeprefix("ident."): _text(cells[(r, c)].raw if (r, c) in cells else None)
        for key, (r, c) in probe.synthesis.anchors.items()
        if key.startswith("ident.")
    }
    code_match = _CODE.match(ident.get("departement", ""))
    year_match = _DATE.search(ident.get("periode", ""))
    if not code_match or not year_match or int(year_match.group(3)) == 0:  # no year 0 in dates
        key = "departement" if not code_match else "periode"
        where = CellRef(ident_sheet, *probe.synthesis.anchors[f"ident.{key}"])
        what = "le département (« 23 - Creuse »)" if key == "departement" else "la période"
        raise WorkbookRefused(
            path,
            f"bloc d'identification illisible : la cellule {where} devrait contenir {what} "
            "tel que le classeur transmis l'indiquait.",
        )
    try:
        departement = lookup(code_match.group(1))
    except BudgetToolError as exc:
        raise WorkbookRefused(path, str(exc)) from exc
    ceilings = _ceilings(path, template, book, probe)
    params = Parameters(
        departement.code,
        departement.nom,
        departement.region,
        int(year_match.group(3)),
        ident.get("convention", ""),
        ceilings,
        *_advance(path, template, book, probe, ceilings),
    )
    return params, ident


def _ceilings(path: Path, template: Template, book: RawWorkbook, probe) -> dict[int, Decimal]:
    """Each present volet's PLAFOND DEPARTEMENT; volets are found by sheet or synthesis row."""
    ceilings: dict[int, Decimal] = {}
    row, col = probe.volet_sheets()[0].anchors["plafond"]
    labels = {template.synthesis.volet_label.format(volet=v.number): v for v in template.volets}
    synthesis_rows: dict[int, tuple[str, int, int]] = {}
    if _is_worksheet(book, template.synthesis.sheet):
        cells = book.sheets[template.synthesis.sheet].cells
        for r in range(60):
            label = cells[(r, 0)].cached if (r, 0) in cells else None
            if isinstance(label, str) and label.strip() in labels:
                synthesis_rows[labels[label.strip()].number] = (template.synthesis.sheet, r, 1)
    for volet in template.volets:
        name = template.sheet_name.format(volet=volet.number)
        if _is_worksheet(book, name):
            place = (name, row, col)
        elif volet.number in synthesis_rows:
            place = synthesis_rows[volet.number]
        else:
            continue
        found = book.sheets[place[0]].cells.get((place[1], place[2]))
        raw = _number_checked(path, CellRef(*place), found.cached if found else None)
        value = to_value(raw)
        ceilings[volet.number] = value if isinstance(value, Decimal) else Decimal(0)
    return ceilings


def _advance(path: Path, template: Template, book: RawWorkbook, probe, ceilings) -> tuple:
    """The advance paid and its date, when the synthesis says « versée le JJ/MM/AAAA » in the
    header of its advance column (a workbook generated with the follow-up file); else None."""
    from budget_tool.layout import advance_cells

    name = template.synthesis.sheet
    (row, col), _, column = advance_cells(template, probe.synthesis)
    if column < 0 or not _is_worksheet(book, name) or template.checks is None:
        return None, None
    cells = book.sheets[name].cells
    header = _text(cells[(row, col)].raw if (row, col) in cells else None)
    prefix = template.checks.advance_paid_label.split("{date}")[0]
    match = _DATE.search(header) if prefix and header.startswith(prefix) else None
    if match is None:
        return None, None
    try:
        when = date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return None, None
    labels = {template.synthesis.volet_label.format(volet=n): n for n in ceilings}
    total = Decimal(0)
    for r in range(row + 1, row + 1 + len(template.volets) + 1):
        label = cells[(r, 0)].cached if (r, 0) in cells else None
        if isinstance(label, str) and label.strip() in labels and (r, column) in cells:
            number = _number_checked(path, CellRef(name, r, column), cells[(r, column)].raw)
            value = to_value(number)
            total += value if isinstance(value, Decimal) else Decimal(0)
    return total, when


def _probe_plan(template: Template) -> WorkbookPlan:
    """A plan of the template, to find where the identification and ceilings stand; made once
    per template version (templates are loaded once, so their identity names the version)."""
    if id(template) not in _PROBES:
        ceilings = {v.number: Decimal(0) for v in template.volets}
        plan = build_plan(template, Parameters("01", "", "", 2024, "", ceilings))
        _PROBES[id(template)] = (template, plan)
    return _PROBES[id(template)][1]


_PROBES: dict[int, tuple[Template, WorkbookPlan]] = {}


def _read_sheet(sheet: RawSheet, sheet_plan, huge: list[oversize.Huge]) -> SheetRead:
    """Planned cells only (plus data outside them): a stray cell at XFD1048576 costs nothing.
    Absurd numbers are gathered in ``huge`` (every sheet is read before one is named)."""
    read = SheetRead(sheet_plan.name, sheet.state, sheet.protected, merged=list(sheet.merged))
    for (row, col), found in sheet.cells.items():
        if (row, col) in sheet_plan.cells:
            typed = sheet_plan.cells[(row, col)].kind == INPUT or not found.is_formula
            for value in (found.raw, found.cached):
                shown = oversize.shown(value)
                if shown is not None:
                    huge.append(oversize.Huge(CellRef(sheet.name, row, col), shown, typed))
                    break
            read.cells[(row, col)] = CellRead(
                found.raw, found.cached, found.is_error, found.is_formula
            )
        elif found.raw is not None and found.raw != "":
            read.stray.append((row, col, found.raw))
    return read


def _is_worksheet(book: RawWorkbook, name: str) -> bool:
    """A sheet with cells of that name: a chart sheet has the name but no cells."""
    return name in book.sheets and not book.sheets[name].is_chart


def _number_checked(path: Path, where: CellRef, value: object) -> object:
    """A number the file holds in a prefilled cell read before the plan exists, refused if
    infinite (1e999 is read as inf) or absurdly large."""
    shown = oversize.shown(value)
    if shown is not None:
        raise WorkbookRefused(path, oversize.reason([oversize.Huge(where, shown, True)]))
    return value


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()
