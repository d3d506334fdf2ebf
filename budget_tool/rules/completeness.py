"""A workbook with nothing declared: never « conforme », whatever else is right in it."""

from __future__ import annotations

from collections.abc import Iterator

from budget_tool.findings import Finding, finding
from budget_tool.plan import INPUT
from budget_tool.rules.base import Context, rule


@rule("classeur-vide")
def nothing_declared(ctx: Context) -> Iterator[Finding]:
    """No line of any volet holds an amount (not even one typed as text or as an error)."""
    sheets = [s for s in ctx.plan.volet_sheets() if s.name in ctx.workbook.sheets]
    if not sheets or any(s.name in ctx.broken for s in sheets):
        return  # a missing sheet or moved rows are said by the structure rules
    if any(ctx.has_amount(sheet, line) for sheet in sheets for line in sheet.lines):
        return
    typed = any(
        ctx.workbook.read(sheet.name, cell.row, cell.col).raw not in (None, "", cell.value)
        for sheet in sheets
        for cell in sheet.of_kind(INPUT)
    )
    detail = (
        "Seuls des textes (libellés, catégories, dates) ont été saisis"
        if typed
        else "Rien n'a été saisi : le classeur est tel qu'il a été généré, avec ses seuls plafonds"
    )
    yield finding(
        "classeur-vide",
        None,
        "aucun montant",
        detail=detail,
        consequence="les chiffres qui en découlent (part de l'État, solde à verser, trop-perçu "
        "à reverser) ne peuvent fonder ni paiement ni reversement : faites compléter le classeur.",
    )
