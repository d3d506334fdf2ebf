"""Structure: sheets missing, added or hidden, rows moved, protection removed, prefilled data
changed, data outside the template, external links, macros, merged input cells."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache

from budget_tool.findings import Finding, finding
from budget_tool.model import to_value
from budget_tool.numbers import show_number
from budget_tool.plan import INPUT, LABEL, VALUE
from budget_tool.refs import CellRef
from budget_tool.rules.base import Context, rule


@lru_cache(maxsize=8192)
def normalise_label(value: object) -> str:
    """Labels compared as a person reads them: case, accents and spacing do not matter."""
    text = unicodedata.normalize("NFKD", "" if value is None else str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text).strip().casefold()


@rule("feuille-manquante", "feuille-inattendue", "feuille-masquee")
def sheets(ctx: Context) -> Iterator[Finding]:
    for sheet in ctx.plan.sheets:
        read = ctx.workbook.sheets.get(sheet.name)
        if read is None:
            yield finding("feuille-manquante", CellRef(sheet.name), sheet=sheet.name)
        elif read.state != "visible" and not sheet.hidden:
            state = (
                "masquage simple" if read.state == "hidden" else "masquage renforcé (veryHidden)"
            )
            yield finding(
                "feuille-masquee", CellRef(sheet.name), read.state, sheet=sheet.name, state=state
            )
    for name in ctx.workbook.extra_sheets:
        yield finding("feuille-inattendue", CellRef(name), sheet=name)


@rule("libelle-deplace")
def labels(ctx: Context) -> Iterator[Finding]:
    """The first label out of place on a sheet: its rows were inserted, deleted or rewritten."""
    for sheet in list(ctx.sheets()):
        labels = [cell for _position, cell in sorted(sheet.cells.items()) if cell.kind == LABEL]
        for index, cell in enumerate(labels):
            found = ctx.workbook.read(sheet.name, cell.row, cell.col).raw
            if normalise_label(found) != normalise_label(cell.value):
                ctx.broken.add(sheet.name)
                yield finding(
                    "libelle-deplace",
                    ctx.ref(sheet.name, cell.row, cell.col),
                    found or "(vide)",
                    expected=cell.value,
                    detail=_shift(ctx, sheet.name, labels[index : index + 4]),
                )
                break


def _shift(ctx: Context, sheet: str, labels: list) -> str:
    """Say how many rows were inserted or deleted, when the next labels all moved by as many."""
    read = ctx.workbook.sheets[sheet]
    stray = {(row, col): value for row, col, value in read.stray}  # moved beyond the plan

    def text_at(row: int, col: int) -> str:
        return normalise_label(stray.get((row, col), read.get(row, col).raw))

    for shift in sorted(range(-30, 31), key=abs):
        if shift and all(
            text_at(c.row + shift, c.col) == normalise_label(c.value) for c in labels if c.value
        ):
            count, row = abs(shift), labels[0].row + 1
            plural = "s" if count > 1 else ""
            done = f"insérée{plural} au-dessus de" if shift > 0 else f"supprimée{plural} avant"
            return f"{count} ligne{plural} {done} la ligne {row}"
    return "des lignes ont été insérées, supprimées ou modifiées"


@rule("protection-retiree")
def protection(ctx: Context) -> Iterator[Finding]:
    for sheet in ctx.plan.sheets:
        read = ctx.workbook.sheets.get(sheet.name)
        if read is not None and not read.protected:
            yield finding("protection-retiree", CellRef(sheet.name))


@rule("valeur-fixe-modifiee")
def prefilled(ctx: Context) -> Iterator[Finding]:
    """Values the State prefilled (identification, volet labels, rates) are still the same.

    The ceilings are read from the workbook itself: ``--allocations`` (of check or consolidate)
    compares them with the State's own file (``rules/allocations.py``).
    """
    for sheet in ctx.sheets():
        for (row, col), cell in sorted(sheet.cells.items()):
            if cell.kind != VALUE or (row, col) == sheet.anchors.get("plafond"):
                continue
            found = ctx.workbook.read(sheet.name, row, col).raw
            if not _same_value(found, cell.value):
                yield finding(
                    "valeur-fixe-modifiee",
                    ctx.ref(sheet.name, row, col),
                    _shown(found, cell.type),
                    expected=_shown(cell.value, cell.type),
                )


def _shown(value: object, value_type: str) -> object:
    """A prefilled number as the sheet shows it: a rate in percent, an amount in euros."""
    number = to_value(value)
    return show_number(number, value_type) if isinstance(number, Decimal) else value


def _same_value(found: object, expected: object) -> bool:
    if isinstance(expected, Decimal):
        value = to_value(found)
        return isinstance(value, Decimal) and abs(value - expected) < Decimal("0.005")
    return normalise_label(found) == normalise_label(expected)


@rule("donnee-hors-modele")
def stray(ctx: Context) -> Iterator[Finding]:
    for sheet in ctx.sheets():
        for row, col, value in ctx.workbook.sheets[sheet.name].stray[:20]:
            yield finding("donnee-hors-modele", ctx.ref(sheet.name, row, col), str(value)[:80])


@rule("lien-externe", "macros-ignorees")
def package(ctx: Context) -> Iterator[Finding]:
    precheck = ctx.workbook.precheck
    for link in precheck.external_links:
        yield finding("lien-externe", None, link)
    if precheck.is_macro_enabled:
        yield finding("macros-ignorees", None)


@rule("cellules-fusionnees")
def merged_inputs(ctx: Context) -> Iterator[Finding]:
    for sheet in ctx.sheets():
        inputs = [(cell.row, cell.col) for cell in sheet.of_kind(INPUT)]
        for r1, c1, r2, c2 in ctx.workbook.sheets[sheet.name].merged:
            if any(r1 <= r <= r2 and c1 <= c <= c2 for r, c in inputs):
                first, last = ctx.ref(sheet.name, r1, c1), ctx.ref(sheet.name, r2, c2)
                yield finding("cellules-fusionnees", first, f"{first.address}:{last.address}")
