"""Amounts to the cent: an amount typed with more than two decimals (the cell's validation
refuses it; a copy-paste or another program does not)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from budget_tool.findings import Finding, finding
from budget_tool.numbers import cents, format_euros
from budget_tool.plan import INPUT
from budget_tool.rules.base import Context, rule


@rule("montant-centimes")
def sub_cent_amounts(ctx: Context) -> Iterator[Finding]:
    for sheet in ctx.volet_sheets():
        for (row, col), cell in sorted(sheet.cells.items()):
            if cell.kind != INPUT or cell.type != "money":
                continue
            value = ctx.workbook.input_value(sheet.name, row, col)
            if isinstance(value, Decimal) and value.is_finite() and cents(value) != value:
                yield finding(
                    "montant-centimes",
                    ctx.ref(sheet.name, row, col),
                    format_euros(value, exact=True),
                    expected=format_euros(value),
                )
