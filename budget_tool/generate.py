"""Write a ``WorkbookPlan`` as an .xlsx with xlsxwriter: formulas locked, inputs open and checked.

Every formula carries its computed result as cached value (xlsxwriter would cache 0), so that a
LibreOffice that does not recalculate on loading, a previewer or pandas see the right figures.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from xlsxwriter.utility import xl_rowcol_to_cell

from budget_tool import expr
from budget_tool.errors import UsageError
from budget_tool.fill import LineValues, input_getter
from budget_tool.layout import build_plan, column_index
from budget_tool.names import shown
from budget_tool.output import check_target, ensure_folder, output_path, staged
from budget_tool.paper import MARGINS, page_breaks, paper_code
from budget_tool.plan import FORMULA, INPUT, Cell, Parameters, SheetPlan, WorkbookPlan, compute
from budget_tool.spec import Template
from budget_tool.styles import (
    BAND_STYLES,
    CEILING_ALERT,
    FLAG_COLOURS,
    PLACEHOLDER_FONT,
    format_properties,
)
from budget_tool.templates import ANNEXES, load_template_for_year

# A fixed creation date keeps generated files comparable byte for byte (golden files).
CREATED = dt.datetime(2024, 1, 1, 0, 0, 0)


def output_name(template: Template, params: Parameters) -> str:
    """Predictable file names, one per département and annexe: annexe2-…-23-2024.xlsx."""
    return f"{template.file_stem}-{params.code}-{params.year}.xlsx"


def generate(
    params: Parameters,
    out_dir: Path,
    *,
    force: bool = False,
    version: str | None = None,
    templates: Path | None = None,
) -> list[Path]:
    """Both annexes for one département; returns the files written."""
    return generate_many([params], out_dir, force=force, version=version, templates=templates)


def generate_many(
    all_params: list[Parameters],
    out_dir: Path,
    *,
    force: bool = False,
    version: str | None = None,
    templates: Path | None = None,
) -> list[Path]:
    """Every département's pair. Plans are all laid out, and the targets checked, before the
    first file is written: a template mistake or a file in the way leaves nothing half done.

    ``version``: the template version (``2025.1``); by default the newest that serves each
    workbook's year (see ``versions.version_for_year``). ``templates``: the templates folder
    (default ``templates_dir()``).
    """
    jobs = []
    for params in all_params:
        for template_id in ANNEXES:
            template = load_template_for_year(template_id, params.year, templates, version)
            jobs.append(
                (build_plan(template, params), Path(out_dir) / output_name(template, params))
            )
    if Path(out_dir).is_dir():  # a missing folder is created below
        for _plan, target in jobs:
            check_target(target)  # a device, FIFO or link in the way: refused before writing
    existing = [shown(target) for _plan, target in jobs if target.exists()]
    if existing and not force:
        listed = ", ".join(existing[:3]) + (" …" if len(existing) > 3 else "")
        raise UsageError(
            f"fichier(s) déjà présent(s) : {listed} ; un classeur rempli ne doit pas être écrasé "
            "(choisissez un autre dossier, ou --force pour remplacer)."
        )
    ensure_folder(out_dir)
    with staged():  # every file or none (a full disk half-way leaves no pair incomplete)
        for plan, target in jobs:
            write_workbook(plan, target)
    return [target for _plan, target in jobs]


def write_workbook(plan: WorkbookPlan, target: Path, lines: LineValues | None = None) -> None:
    """Write the plan; ``lines`` fills input cells, as if typed and saved by a spreadsheet
    (every cached result then matches the inputs)."""
    inputs = input_getter(plan, lines or {})
    values = compute(plan, inputs)
    with output_path(target) as temporary:
        _Writer(plan, values, temporary, inputs).write()


class _Writer:
    def __init__(self, plan: WorkbookPlan, values: dict, path: Path, inputs) -> None:
        import xlsxwriter

        self.plan, self.values, self.inputs = plan, values, inputs
        self.book = xlsxwriter.Workbook(
            str(path), {"strings_to_formulas": False, "strings_to_urls": False}
        )
        self.formats: dict[tuple[str, str], object] = {}

    def write(self) -> None:
        template, params = self.plan.template, self.plan.params
        self.book.set_properties(
            {
                "title": f"{template.name} - {params.departement_label} - {params.year}",
                "subject": "Convention départementale pour l'insertion et l'emploi",
                "author": "budget-tool",
                "company": "Services de l'État",
                "created": CREATED,
                "comments": template.label,
            }
        )
        for name, value in (
            ("budget_tool.template", template.id),
            ("budget_tool.version", template.version),
            ("budget_tool.departement", params.code),
            ("budget_tool.annee", str(params.year)),
        ):
            self.book.set_custom_property(name, value)
        for name, ref in self.plan.defined_names.items():
            self.book.define_name(name, ref)
        for sheet in self.plan.sheets:
            self._sheet(sheet)
        self.book.close()

    def _format(self, style: str, value_type: str):
        key = (style, value_type)
        if key not in self.formats:
            self.formats[key] = self.book.add_format(format_properties(style, value_type))
        return self.formats[key]

    def _sheet(self, plan: SheetPlan) -> None:
        sheet = self.book.add_worksheet(plan.name)
        merged = {(r1, c1): (r1, c1, r2, c2) for r1, c1, r2, c2 in plan.merges}
        self._bands(sheet, plan)
        for (row, col), cell in sorted(plan.cells.items()):
            if (row, col) in merged:
                self._merged(sheet, cell, merged[(row, col)])
            else:
                self._cell(sheet, plan, cell)
        for r1, c1, r2, c2 in plan.merges:
            if (r1, c1) not in plan.cells:
                sheet.merge_range(r1, c1, r2, c2, "", self._format("header", "text"))
        for col, width in plan.widths.items():
            sheet.set_column(col, col, width)
        for row, height in plan.row_heights.items():
            sheet.set_row(row, height)
        self._validations(sheet, plan)
        self._flags(sheet, plan)
        self._placeholders(sheet, plan)
        self._ceiling_alert(sheet, plan)
        self._page_setup(sheet, plan)

    def _bands(self, sheet, plan: SheetPlan) -> None:
        for (row, _col), cell in plan.cells.items():
            if cell.col == 0 and cell.style in BAND_STYLES:
                for col in range(1, plan.last_col + 1):
                    if (row, col) not in plan.cells:
                        sheet.write_blank(row, col, None, self._format(cell.style, "text"))

    def _merged(self, sheet, cell: Cell, bounds: tuple[int, int, int, int]) -> None:
        fmt = self._format(cell.style, cell.type)
        sheet.merge_range(*bounds, "", fmt)
        self._cell(sheet, None, cell)

    def _cell(self, sheet, plan: SheetPlan | None, cell: Cell) -> None:
        fmt = self._format(cell.style, cell.type)
        value = self.inputs(sheet.name, cell.row, cell.col) if cell.kind == INPUT else cell.value
        if isinstance(value, dt.date):
            sheet.write_datetime(cell.row, cell.col, dt.datetime.combine(value, dt.time()), fmt)
        elif cell.kind == FORMULA:
            cached = self.values[(sheet.name, cell.row, cell.col)]
            sheet.write_formula(cell.row, cell.col, cell.text, fmt, _cached(cached))
        elif value is None or value == "":
            sheet.write_blank(cell.row, cell.col, None, fmt)
        elif isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            sheet.write_number(cell.row, cell.col, float(value), fmt)
        else:
            sheet.write_string(cell.row, cell.col, str(value), fmt)

    def _validations(self, sheet, plan: SheetPlan) -> None:
        runs: dict[tuple[int, str], list[int]] = defaultdict(list)
        for cell in plan.of_kind(INPUT):
            runs[(cell.col, cell.type)].append(cell.row)
        for (col, value_type), rows in runs.items():
            options = self._validation(value_type)
            if options is None:
                continue
            for first, last in _contiguous(sorted(rows)):
                sheet.data_validation(first, col, last, col, _for_range(options, first, col))

    def _validation(self, value_type: str) -> dict | None:
        start, end = self.plan.params.period
        if value_type == "money":  # to the cent: what ROUND(x; 2) leaves unchanged
            return {
                "validate": "custom",
                "value": "=AND(ISNUMBER({cell}),{cell}>=0,ROUND({cell},2)={cell})",
                "error_title": "Valeur refusée",
                "error_message": "Saisissez un montant en euros positif ou nul, au centime "
                "près (deux décimales au plus), sans texte ni symbole (ex. 12500,50).",
            }
        if value_type == "unit_price":  # a price per unit: 0,603 €/km is a real one
            return {
                "validate": "custom",
                "value": "=AND(ISNUMBER({cell}),{cell}>=0,ROUND({cell},4)={cell})",
                "error_title": "Valeur refusée",
                "error_message": "Saisissez un coût unitaire en euros positif ou nul, quatre "
                "décimales au plus, sans texte ni symbole (ex. 0,603). Le montant de la ligne "
                "est arrondi au centime.",
            }
        if value_type in ("etp", "count"):
            what = {"etp": "un nombre d'ETP", "count": "un nombre"}
            return {
                "validate": "decimal",
                "criteria": ">=",
                "value": 0,
                "error_title": "Valeur refusée",
                "error_message": f"Saisissez {what[value_type]} positif ou nul, "
                "sans texte ni symbole (ex. 12500,50).",
            }
        if value_type == "date":
            return {
                "validate": "date",
                "criteria": "between",
                "minimum": start,
                "maximum": end,
                "error_title": "Date hors période",
                "error_message": f"La date doit être comprise entre le {start:%d/%m/%Y} "
                f"et le {end:%d/%m/%Y} (art. 2).",
            }
        if value_type == "category":
            return {
                "validate": "list",
                "source": f"={expr.CATEGORY_LIST}",
                "error_title": "Catégorie inconnue",
                "error_message": "Choisissez une catégorie de dépense dans la liste (art. 4.2).",
                "input_title": "Catégorie (art. 4.2)",
                "input_message": "Choisissez dans la liste : l'éligibilité en découle.",
            }
        return None

    def _flags(self, sheet, plan: SheetPlan) -> None:
        """Flag cells coloured by what they say, run by run of a column (never an input)."""
        runs: dict[int, list[int]] = defaultdict(list)
        for cell in plan.cells.values():
            if cell.type == "flag" and cell.kind != INPUT:
                runs[cell.col].append(cell.row)
        for col, rows in sorted(runs.items()):
            for first, last in _contiguous(sorted(rows)):
                for text, props in FLAG_COLOURS.items():
                    sheet.conditional_format(
                        first,
                        col,
                        last,
                        col,
                        {
                            "type": "cell",
                            "criteria": "==",
                            "value": f'"{text}"',
                            "format": self._conditional(text, props),
                        },
                    )

    def _conditional(self, name: str, props: Mapping[str, object]):
        key = ("conditional", name)
        if key not in self.formats:
            self.formats[key] = self.book.add_format(dict(props))
        return self.formats[key]

    def _placeholders(self, sheet, plan: SheetPlan) -> None:
        """The model's example label of a line, grey and italic while the officer has neither
        changed it nor given the line an amount."""
        checks = self.plan.template.checks
        if plan.volet is None or checks is None:
            return
        amount_col = column_index(self.plan.template.column(checks.line_amount))
        for cell in plan.of_kind(INPUT):
            if not isinstance(cell.value, str) or not cell.value:
                continue
            here = xl_rowcol_to_cell(cell.row, cell.col)
            amount = xl_rowcol_to_cell(cell.row, amount_col)
            text = cell.value.replace('"', '""')
            sheet.conditional_format(
                cell.row,
                cell.col,
                cell.row,
                cell.col,
                {
                    "type": "formula",
                    "criteria": f'=AND(EXACT({here},"{text}"),N({amount})=0)',
                    "format": self._conditional("placeholder", PLACEHOLDER_FONT),
                },
            )

    def _ceiling_alert(self, sheet, plan: SheetPlan) -> None:
        """PLAFOND DEPARTEMENT turns red on the volet sheet when a check beside it is not OK."""
        if plan.volet is None or "plafond" not in plan.anchors:
            return
        row, col = plan.anchors["plafond"]
        for check in self.plan.template.ceiling_checks:
            if check.type != "flag":
                continue
            flag = xl_rowcol_to_cell(*plan.anchors[check.key], row_abs=True, col_abs=True)
            sheet.conditional_format(
                row,
                col,
                row,
                col,
                {
                    "type": "formula",
                    "criteria": f'=AND({flag}<>"OK",{flag}<>"")',
                    "format": self._conditional("ceiling", CEILING_ALERT),
                },
            )

    def _page_setup(self, sheet, plan: SheetPlan) -> None:
        if plan.hidden:
            sheet.hide()
        sheet.protect("", {"format_columns": True, "format_rows": True})
        sheet.set_landscape()
        sheet.set_paper(paper_code(plan))
        sheet.fit_to_pages(1, 0)  # the templates' widths and paper keep the scale near 100 %
        sheet.set_margins(**MARGINS)
        sheet.set_footer("&L&9&A&R&9Page &P / &N")
        if plan.freeze_row:
            sheet.freeze_panes(plan.freeze_row, 0)
            first, last = plan.header_rows
            sheet.repeat_rows(first, last)
        breaks = page_breaks(plan)
        if breaks:
            sheet.set_h_pagebreaks(breaks)
        sheet.hide_gridlines(2 if not plan.hidden else 0)


def _cached(value: expr.Value) -> float | str:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return "" if value is None else str(value)


def _for_range(options: dict, first_row: int, col: int) -> dict:
    """A custom validation's formula is written for the range's first cell (the spreadsheet
    moves its relative references down the range)."""
    if options.get("validate") != "custom":
        return options
    cell = xl_rowcol_to_cell(first_row, col)
    return {**options, "value": options["value"].replace("{cell}", cell)}


def _contiguous(rows: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] + 1 == row:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
