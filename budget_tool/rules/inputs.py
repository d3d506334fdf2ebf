"""Inputs: each typed value is of the kind its column expects (number, date, category)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from budget_tool.expr import ExcelError
from budget_tool.findings import Finding, finding
from budget_tool.numbers import ascii_digits, parse_amount, show_number
from budget_tool.plan import INPUT, Cell
from budget_tool.rules.base import Context, rule

NUMERIC = {
    "money": "montant",
    "unit_price": "coût unitaire",
    "etp": "nombre d'ETP",
    "count": "nombre",
}


@rule("nombre-en-texte", "type-inattendu", "montant-negatif", "valeur-erreur")
def numbers(ctx: Context) -> Iterator[Finding]:
    for sheet in ctx.volet_sheets():
        for _position, cell in sorted(sheet.cells.items()):
            if cell.kind == INPUT and cell.type in NUMERIC:
                yield from _number(ctx, sheet.name, cell)


def _number(ctx: Context, sheet: str, cell: Cell) -> Iterator[Finding]:
    read = ctx.workbook.read(sheet, cell.row, cell.col)
    # a typed formula: what budget-tool computed for it, never its saved result (rules/typed.py)
    value = ctx.workbook.input_value(sheet, cell.row, cell.col) if read.is_formula else read.raw
    where = ctx.ref(sheet, cell.row, cell.col)
    if isinstance(value, ExcelError) or (read.is_error and not read.is_formula):
        yield finding("valeur-erreur", where, value)
    elif isinstance(value, bool):
        yield finding(
            "type-inattendu",
            where,
            "VRAI" if value else "FAUX",
            expected=NUMERIC[cell.type],
            found=f"le booléen {'VRAI' if value else 'FAUX'}",
        )
    elif isinstance(value, datetime | date):
        yield finding(
            "type-inattendu",
            where,
            f"{value:%d/%m/%Y}",
            expected=NUMERIC[cell.type],
            found=f"la date {value:%d/%m/%Y}",
        )
    elif isinstance(value, str) and value.strip():
        yield finding("nombre-en-texte", where, value, hint=_hint(value, cell.type))
    elif isinstance(value, int | float | Decimal) and value < 0:
        number = value if isinstance(value, Decimal) else Decimal(repr(value))
        yield finding("montant-negatif", where, show_number(number, cell.type))


def _hint(text: str, value_type: str) -> str:
    """Which number the text probably meant, said so that the officer can retype it."""
    meant = parse_amount(text)
    converted = parse_amount(ascii_digits(text)) if meant is None else None
    guess = meant if meant is not None else converted
    if guess is None:
        return "Saisissez un nombre, sans texte."
    shown = show_number(guess, value_type)
    extra = " (chiffres non latins)" if converted is not None else ""
    return f"Nombre probable : {shown}{extra} ; ressaisissez-le comme un nombre."


@rule("date-hors-periode", "date-invalide", "periode-inversee")
def dates(ctx: Context) -> Iterator[Finding]:
    start, end = ctx.plan.params.period
    period: tuple[str, ...] = ctx.checks.period if ctx.checks else ()
    for sheet in ctx.volet_sheets():
        for line in sheet.lines:
            found: list[date | None] = []
            for key in period:
                col = ctx.col(key)
                read = ctx.workbook.read(sheet.name, line.row, col)
                value = read.cached if read.is_formula else read.raw
                where = ctx.ref(sheet.name, line.row, col)
                day = value.date() if isinstance(value, datetime) else value
                if isinstance(day, date):
                    found.append(day)
                    if not start <= day <= end:
                        yield finding(
                            "date-hors-periode",
                            where,
                            f"{day:%d/%m/%Y}",
                            start=f"{start:%d/%m/%Y}",
                            end=f"{end:%d/%m/%Y}",
                        )
                    continue
                found.append(None)
                if value not in (None, ""):
                    yield finding("date-invalide", where, value)
            if len(found) == 2 and found[0] and found[1] and found[1] < found[0]:
                where = ctx.ref(sheet.name, line.row, ctx.col(period[1]))
                yield finding(
                    "periode-inversee",
                    where,
                    f"{found[1]:%d/%m/%Y}",
                    expected=f"{found[0]:%d/%m/%Y}",
                )


@rule("categorie-inconnue", "montant-sans-categorie", "categorie-sans-montant")
def categories(ctx: Context) -> Iterator[Finding]:
    known = {label.casefold() for label in ctx.plan.eligibility}
    for sheet, line, text, amount, where in ctx.category_lines():
        if text and text.casefold() not in known:
            yield finding("categorie-inconnue", where, text)
        elif not text and amount != 0:
            yield finding("montant-sans-categorie", where, amount)
        elif text and not ctx.has_amount(sheet, line):
            yield finding("categorie-sans-montant", where, text)
