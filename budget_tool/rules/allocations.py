"""Article 4.1 against the State's own list: the ceilings in a returned workbook are those the
State allocated (given with ``--allocations``), not ones a département typed over."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from budget_tool.findings import Finding, finding
from budget_tool.numbers import format_euros
from budget_tool.refs import CellRef
from budget_tool.rules.base import Context, rule


@rule("plafond-modifie", "departement-hors-allocations")
def ceilings_as_allocated(ctx: Context) -> Iterator[Finding]:
    if ctx.allocations is None:
        return
    params = ctx.plan.params
    allocation = ctx.allocations.get(params.code)
    if allocation is None:
        yield finding("departement-hors-allocations", None, params.code)
        return
    for number in sorted(set(params.ceilings) | set(allocation.ceilings)):
        found = params.ceilings.get(number)
        expected = allocation.ceilings.get(number)
        if found == expected:
            continue
        where = _ceiling_cell(ctx, number)
        yield finding(
            "plafond-modifie",
            where,
            _euros(found, number, "le classeur n'a pas de volet"),
            volet=number,
            expected=_euros(expected, number, "l'allocation n'a pas de volet"),
        )


def _euros(value: Decimal | None, number: int, missing: str) -> str:
    return f"aucun ({missing} {number})" if value is None else format_euros(value)


def _ceiling_cell(ctx: Context, number: int) -> CellRef | None:
    for sheet in ctx.plan.volet_sheets():
        if sheet.volet == number and "plafond" in sheet.anchors:
            return ctx.ref(sheet.name, *sheet.anchors["plafond"])
    return None


@rule("avance-differente")
def advance_as_paid(ctx: Context) -> Iterator[Finding]:
    """Art. 6: the advance a bilan shows is the one the State's follow-up file says it paid (a
    bilan generated before the payment shows 60 % of the ceiling). Only where the synthesis
    settles the balance (a ``ceiling_rate``: annexe 3); a plan's advance is a forecast."""
    checks = ctx.checks
    if ctx.allocations is None or checks is None or not checks.advance or not checks.ceiling_rate:
        return
    allocation = ctx.allocations.get(ctx.plan.params.code)
    if allocation is None or allocation.advance is None:
        return
    shown = ctx.synthesis_value(None, ctx.checks.advance)
    if not isinstance(shown, Decimal) or shown == allocation.advance:
        return
    synthesis = ctx.plan.synthesis
    row, col = synthesis.anchors[f"total.{ctx.checks.advance}"]
    when = allocation.advance_date
    yield finding(
        "avance-differente",
        ctx.ref(synthesis.name, row, col),
        format_euros(shown),
        expected=format_euros(allocation.advance),
        date=f"{when:%d/%m/%Y}" if when else "?",
    )
