"""Lines: how each amount was entered, placeholders left as typed, "Pour info" rows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from budget_tool.findings import Finding, finding
from budget_tool.numbers import format_euros
from budget_tool.rules.base import Context, rule

_PLACEHOLDER = re.compile(r"\b(X{2,}|Z{2,})\b|…|\.\.\.")
_COLUMN_NAMES = {"nombre": "le nombre d'unités", "cout_unitaire": "le coût unitaire"}


def _number(value: object) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


@rule("montant-double-saisie", "unites-incompletes")
def units_or_lump(ctx: Context) -> Iterator[Finding]:
    checks = ctx.checks
    if checks is None or len(checks.units) != 2 or not checks.lump:
        return
    count_key, cost_key = checks.units
    for sheet in ctx.volet_sheets():
        for line in sheet.lines:
            count = _number(ctx.line_value(sheet, line, count_key))
            cost = _number(ctx.line_value(sheet, line, cost_key))
            lump = _number(ctx.line_value(sheet, line, checks.lump))
            if count is not None and cost is not None and lump:
                where = ctx.ref(sheet.name, line.row, ctx.col(checks.lump))
                yield finding("montant-double-saisie", where, format_euros(lump))
            elif (count is None) != (cost is None):
                given, missing = (
                    (count_key, cost_key) if count is not None else (cost_key, count_key)
                )
                where = ctx.ref(sheet.name, line.row, ctx.col(given))
                name = _COLUMN_NAMES.get(given, given)
                yield finding(
                    "unites-incompletes",
                    where,
                    name.capitalize(),
                    expected=_COLUMN_NAMES.get(missing, missing),
                )


@rule("libelle-a-completer")
def placeholders(ctx: Context) -> Iterator[Finding]:
    """The model's "Rémunération XX" left as is on a line that has an amount."""
    texts = [c for c in ctx.workbook.template.columns if c.prefill == "placeholder"]
    for sheet in ctx.volet_sheets():
        for line in sheet.lines:
            if not line.label or ctx.line_amount(sheet, line) == 0:
                continue
            for column in texts:
                value = ctx.line_value(sheet, line, column.key)
                if (
                    isinstance(value, str)
                    and value.strip() == line.label
                    and _PLACEHOLDER.search(value)
                ):
                    yield finding(
                        "libelle-a-completer",
                        ctx.ref(sheet.name, line.row, ctx.col(column.key)),
                        value,
                    )


@rule("pour-info-non-compte")
def info_rows(ctx: Context) -> Iterator[Finding]:
    """Said once per sheet where "Pour info" lines hold figures: shown, never counted."""
    numeric = [
        c.key for c in ctx.workbook.template.columns if c.input and c.type in ("money", "etp")
    ]
    for sheet in ctx.volet_sheets():
        for line in sheet.lines:
            if line.counted:
                continue
            if any(_number(ctx.line_value(sheet, line, key)) for key in numeric):
                yield finding("pour-info-non-compte", ctx.ref(sheet.name, line.row, 0), line.group)
                break


@rule("montant-delta-superieur")
def delta(ctx: Context) -> Iterator[Finding]:
    if ctx.checks is None or len(ctx.checks.delta) != 2:
        return
    asked_key, delta_key = ctx.checks.delta
    for sheet in ctx.volet_sheets():
        for line in sheet.lines:
            asked = _number(ctx.line_value(sheet, line, asked_key))
            gap = ctx.computed(sheet.name, line.row, ctx.col(delta_key))
            if asked and isinstance(gap, Decimal) and asked > gap:
                where = ctx.ref(sheet.name, line.row, ctx.col(asked_key))
                yield finding(
                    "montant-delta-superieur",
                    where,
                    format_euros(asked),
                    expected=format_euros(gap),
                )
