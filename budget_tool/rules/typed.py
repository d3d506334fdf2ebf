"""Formulas typed into input cells (``=1200*12``): computed by budget-tool, never taken at their
saved result (``typedformula.py``). Said here: a saved result that disagrees or is missing, a
formula the tool cannot compute, a formula that reaches outside the workbook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from budget_tool import expr
from budget_tool.findings import Finding, finding
from budget_tool.model import CellRead, excel_serial, to_value
from budget_tool.numbers import format_euros, show_number
from budget_tool.plan import CIRCULAR
from budget_tool.rules.base import Context, rule
from budget_tool.typedformula import saved_result_agrees


@rule("formule-saisie-incoherente", "formule-saisie-non-calculee", "formule-saisie-interdite")
def typed_formulas(ctx: Context) -> Iterator[Finding]:
    present = {sheet.name: sheet for sheet in ctx.sheets()}
    for key, formula in sorted(ctx.typed.items()):
        sheet_name, row, col = key
        if sheet_name not in present:
            continue  # a sheet whose rows moved: its inputs are not where the plan says
        value_type = present[sheet_name].cells[(row, col)].type
        read = ctx.workbook.read(*key)
        where = ctx.ref(*key)
        saved = _saved(read)
        shown = _show(saved, value_type) if read.cached is not None else "aucune"
        if formula.node is None:
            code = (
                "formule-saisie-interdite" if formula.forbidden else "formule-saisie-non-calculee"
            )
            yield finding(code, where, formula.text, what=formula.problem, saved=shown)
            continue
        mine = ctx.computed(*key)
        if mine == CIRCULAR:
            yield finding(
                "formule-saisie-non-calculee",
                where,
                formula.text,
                what="une référence circulaire (la formule dépend de sa propre cellule)",
                saved=shown,
            )
        elif key in ctx.tainted:
            continue  # reads a typed formula not computed, said at that formula's cell
        elif read.cached is None or not saved_result_agrees(saved, mine):
            yield finding(
                "formule-saisie-incoherente",
                where,
                formula.text,
                expected=_show(mine, value_type),
                saved="le classeur n'a enregistré aucun résultat"
                if read.cached is None
                else f"le classeur a enregistré {shown}",
            )


def _saved(read: CellRead) -> expr.Value:
    """The saved result as the formula language sees it (a date as its serial number)."""
    if isinstance(read.cached, datetime | date):
        return excel_serial(read.cached)
    return to_value(read.cached, read.is_error)


def _show(value: expr.Value, value_type: str) -> str:
    if isinstance(value, Decimal) and value_type == "money":
        return format_euros(value, exact=True)  # every digit: a sub-cent gap must show
    if isinstance(value, Decimal):
        return show_number(value, value_type if value_type in ("money", "percent") else "")
    return "(vide)" if value in (None, "") else str(value)
