"""``check(path) -> Report``: read a workbook through its template, recompute, run every rule."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from budget_tool.errors import WorkbookRefused
from budget_tool.findings import Finding, finding
from budget_tool.layout import advance_paid_label
from budget_tool.numbers import cents
from budget_tool.plan import Parameters, compute
from budget_tool.reader import NotOurWorkbook, read_workbook
from budget_tool.report import Report, VoletFigures
from budget_tool.rules import RULES, Context
from budget_tool.safeload import DEFAULT_LIMITS, Limits
from budget_tool.taint import uncomputed_dependents
from budget_tool.templates import known_labels
from budget_tool.typedformula import SPREADSHEET_DIGITS, typed_formulas


def check(
    path: str | Path,
    limits: Limits = DEFAULT_LIMITS,
    allocations: Mapping[str, Parameters] | None = None,
    templates: Path | None = None,
) -> Report:
    """Check one workbook; a file that cannot be read gives a refused report, never an exception.

    ``allocations`` (département code -> parameters, see ``params.read_allocations``) are the
    State's ceilings: the workbook's own are then compared with them. ``templates`` is the
    templates folder (default ``templates_dir()``); the version is the one the workbook names.
    """
    path = Path(path)
    try:
        workbook = read_workbook(path, limits, templates)
    except NotOurWorkbook as exc:
        known = known_labels(templates)
        return Report.refused_file(
            path, exc.reason, finding(exc.code, None, exc.found, known=known)
        )
    except WorkbookRefused as exc:
        return Report.refused_file(path, exc.reason, finding("fichier-refuse", None, exc.reason))
    typed = typed_formulas(workbook)
    nodes = {key: formula.node for key, formula in typed.items() if formula.node is not None}
    values = compute(
        workbook.plan, workbook.input_value, nodes, workbook.outside_value, SPREADSHEET_DIGITS
    )
    workbook.typed_values = {key: values.get(key) for key in nodes}
    tainted = uncomputed_dependents(workbook, typed, values)
    context = Context(workbook, values, allocations=allocations, typed=typed, tainted=tainted)
    findings: list[Finding] = []
    for _codes, rule in RULES:
        findings.extend(rule(context))
    return Report(
        path=path,
        annexe=workbook.template.id,
        template_version=workbook.template.version,
        templates=templates,
        departement=workbook.plan.params.code,
        departement_nom=workbook.plan.params.nom,
        region=workbook.plan.params.region,
        year=workbook.plan.params.year,
        sha256=workbook.precheck.sha256,
        findings=findings,
        volets=_figures(context),
        totals=_totals(context),
        figures=[
            (_figure_label(context, figure.key, figure.label), _money(context, figure.key))
            for figure in workbook.template.synthesis.figures
        ],
        lines=_lines(context),
    )


def _money(ctx: Context, anchor: str) -> object:
    """A figure under the synthesis table, to the cent as every amount the report gives."""
    synthesis = ctx.plan.synthesis
    value = ctx.values.get((synthesis.name, *synthesis.anchors[anchor]))
    return cents(value) if isinstance(value, Decimal) else value


def _figures(ctx: Context) -> list[VoletFigures]:
    columns = [c for c in ctx.workbook.template.synthesis.columns if c.formula]
    labels = {c.key: c.header for c in columns}
    paid = advance_paid_label(ctx.workbook.template, ctx.plan.params)
    if paid and ctx.checks is not None:  # the advance actually paid (art. 6), not 60 %
        labels[ctx.checks.advance] = paid
    types = {c.key: c.type for c in columns}
    result = []
    for number, ceiling in sorted(ctx.plan.params.ceilings.items()):
        figures = {c.key: ctx.synthesis_value(number, c.key) for c in columns}
        numbers = {
            k: cents(v) if types[k] == "money" else v
            for k, v in figures.items()
            if isinstance(v, Decimal)
        }
        result.append(VoletFigures(number, ceiling, numbers, labels, types))
    return result


def _figure_label(ctx: Context, key: str, label: str) -> str:
    paid = advance_paid_label(ctx.workbook.template, ctx.plan.params)
    checks = ctx.checks
    return paid if paid and checks is not None and key == checks.advance_figure else label


def _totals(ctx: Context) -> dict[str, Decimal]:
    synthesis = ctx.plan.synthesis
    totals = {}
    for key, (row, col) in synthesis.anchors.items():
        value = ctx.values.get((synthesis.name, row, col))
        if isinstance(value, Decimal) and not key.startswith("ident."):
            totals[key] = cents(value)  # every figure of the synthesis is an amount
    return totals


def _lines(ctx: Context) -> list[dict[str, object]]:
    """Every line that holds an amount, in long format (for pivot tables and consolidation)."""
    template = ctx.workbook.template
    result = []
    for sheet in ctx.plan.volet_sheets():
        if sheet.name not in ctx.workbook.sheets:
            continue
        for line in sheet.lines:
            amount = ctx.line_amount(sheet, line)
            if not amount:
                continue
            row = {
                "volet": sheet.volet,
                "feuille": sheet.name,
                "ligne": line.row + 1,
                "section": line.section,
                "groupe": line.group,
                "libelle": line.label,
                "compte": line.counted,
            }
            for column in template.columns:
                if column.type == "date":  # as typed: formulas see a serial number, people a date
                    value = ctx.workbook.read(sheet.name, line.row, ctx.col(column.key)).raw
                    value = value.date() if isinstance(value, datetime) else value
                else:
                    value = ctx.values.get((sheet.name, line.row, ctx.col(column.key)))
                if column.type == "money" and isinstance(value, Decimal):
                    value = cents(value)  # as the text report, the JSON and the workbook show it
                row[column.key] = value if not hasattr(value, "code") else str(value)
            result.append(row)
    return result
