"""Articles 4.1 and 3.3: ceilings per volet and in all, the volet 2 cofinancing at 50 %."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from budget_tool.findings import Finding, finding
from budget_tool.model import to_value
from budget_tool.numbers import format_euros, round_half_up, show_number
from budget_tool.rules.base import Context, rule


def _dec(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(0)


@rule("plafond-depasse", "contribution-plafonnee")
def per_volet(ctx: Context) -> Iterator[Finding]:
    checks = ctx.checks
    if checks is None or not checks.ceiling_amount:
        return
    synthesis = ctx.plan.synthesis
    col = [c.key for c in ctx.workbook.template.synthesis.columns].index(checks.ceiling_amount)
    for number, ceiling in sorted(ctx.plan.params.ceilings.items()):
        row = synthesis.anchors[f"volet{number}.row"][0]
        where = ctx.ref(synthesis.name, row, col)
        amount = _dec(ctx.synthesis_value(number, checks.ceiling_amount))
        if checks.ceiling_rate:  # annexe 3: capped by its formula; the file may show otherwise
            read = ctx.workbook.read(synthesis.name, row, col)
            amount = _dec(to_value(read.cached))
            uncapped = round_half_up(
                _dec(ctx.synthesis_value(number, checks.ceiling_base))
                * _dec(ctx.synthesis_value(number, checks.ceiling_rate))
            )
            if uncapped > ceiling:
                yield finding(
                    "contribution-plafonnee",
                    where,
                    format_euros(uncapped),
                    volet=number,
                    expected=format_euros(ceiling),
                )
        if amount > ceiling:
            what = (
                "La contribution de l'État affichée"
                if checks.ceiling_rate
                else "La part État demandée"
            )
            yield finding(
                "plafond-depasse",
                where,
                format_euros(amount),
                what=what,
                volet=number,
                expected=format_euros(ceiling),
                gap=format_euros(amount - ceiling),
            )


@rule("allocation-totale-depassee")
def in_all(ctx: Context) -> Iterator[Finding]:
    checks = ctx.checks
    if checks is None or not checks.ceiling_amount or checks.ceiling_rate:
        return
    total = sum(
        (_dec(ctx.synthesis_value(v, checks.ceiling_amount)) for v in ctx.plan.params.ceilings),
        Decimal(0),
    )
    allocated = sum(ctx.plan.params.ceilings.values(), Decimal(0))
    if total > allocated:
        synthesis = ctx.plan.synthesis
        row, col = synthesis.anchors[f"total.{checks.ceiling_amount}"]
        yield finding(
            "allocation-totale-depassee",
            ctx.ref(synthesis.name, row, col),
            format_euros(total),
            expected=format_euros(allocated),
        )


@rule("cofinancement-volet2")
def cofinancing(ctx: Context) -> Iterator[Finding]:
    """The State share shown on the volet sheet is at most the volet's rate (50 %) of the cost
    the template names as its base (the eligible cost, art. 3.3 and 4.2)."""
    checks = ctx.checks
    if checks is None or not checks.cofinancing_volet:
        return
    for sheet in ctx.volet_sheets():
        if sheet.volet != checks.cofinancing_volet or checks.cofinancing_share not in sheet.anchors:
            continue
        row, col = sheet.anchors[checks.cofinancing_share]
        read = ctx.workbook.read(sheet.name, row, col)
        shown = _dec(to_value(read.cached if read.is_formula else read.raw))
        cost = _dec(ctx.computed(sheet.name, *sheet.anchors[checks.cofinancing_cost]))
        rate = ctx.workbook.template.volet(checks.cofinancing_volet).state_rate
        limit = round_half_up(cost * rate)
        if shown > limit:
            yield finding(
                "cofinancement-volet2",
                ctx.ref(sheet.name, row, col),
                format_euros(shown),
                expected=format_euros(limit),
                rate=show_number(rate, "percent"),
                cost=format_euros(cost),
            )
