"""Formulas: each formula cell of the template still holds its formula, and what the file shows
agrees with what its inputs give."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import lru_cache

from budget_tool import expr
from budget_tool.findings import Finding, finding
from budget_tool.model import to_value
from budget_tool.numbers import show_number
from budget_tool.plan import FORMULA
from budget_tool.rules.base import Context, rule

_STRINGS = re.compile(r'"(?:[^"]|"")*"')
_MAX_PER_SHEET = 15


@lru_cache(maxsize=4096)
def normalise_formula(text: str) -> str:
    """What spreadsheets rewrite on saving does not count: $, quotes around sheet names, case,
    spaces outside strings, the ``_xlfn.`` prefix, a leading ``+``."""
    return outside_strings(text.strip().removeprefix("=").removeprefix("+"), _normalise_code)


def outside_strings(formula: str, change: Callable[[str], str]) -> str:
    """Apply ``change`` to a formula's code, leaving its "text between double quotes" alone."""
    parts, last = [], 0
    for match in _STRINGS.finditer(formula):
        parts.append(change(formula[last : match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(change(formula[last:]))
    return "".join(parts)


def _normalise_code(code: str) -> str:
    code = re.sub(r"\s+", "", code).replace("$", "").replace("_xlfn.", "").replace("_XLFN.", "")
    code = re.sub(r"\b(TRUE|FALSE)\(\)", r"\1", code, flags=re.IGNORECASE)  # LibreOffice
    code = re.sub(r"'((?:[^']|'')+)'!", lambda m: m.group(1).replace("''", "'") + "!", code)
    return code.upper()


@rule("formule-remplacee", "formule-modifiee")
def formulas(ctx: Context) -> Iterator[Finding]:
    for sheet in ctx.sheets():
        for (row, col), cell in sorted(sheet.cells.items()):
            if cell.kind != FORMULA:
                continue
            expected = cell.text
            read = ctx.workbook.read(sheet.name, row, col)
            where = ctx.ref(sheet.name, row, col)
            if not read.is_formula:
                typed = to_value(read.raw, read.is_error)
                shown = _show(typed, cell.type) if isinstance(typed, Decimal) else read.raw
                shown = "(vide)" if read.raw in (None, "") else shown
                yield finding("formule-remplacee", where, shown, expected=expected)
            elif normalise_formula(str(read.raw)) != normalise_formula(expected):
                yield finding("formule-modifiee", where, read.raw, expected=expected)


@rule("total-incoherent", "valeurs-non-recalculees")
def cached_values(ctx: Context) -> Iterator[Finding]:
    """Cached results against our own computation, for formulas that are still intact."""
    missing = 0
    for sheet in ctx.sheets():
        reported = 0
        for (row, col), cell in sorted(sheet.cells.items()):
            read = ctx.workbook.read(sheet.name, row, col)
            if cell.kind != FORMULA or not read.is_formula:
                continue
            if (sheet.name, row, col) in ctx.tainted:  # said once, at the typed formula
                continue
            mine = ctx.computed(sheet.name, row, col)
            if read.cached is None:  # an empty text result is saved as nothing at all
                missing += mine not in ("", None)
                continue
            shown = to_value(read.cached, read.is_error)
            if _agree(shown, mine) or reported >= _MAX_PER_SHEET:
                continue
            reported += 1
            yield finding(
                "total-incoherent",
                ctx.ref(sheet.name, row, col),
                _show(shown, cell.type),
                expected=_show(mine, cell.type),
            )
    if missing:
        yield finding("valeurs-non-recalculees", None, missing, count=missing)


def _agree(shown: expr.Value, mine: expr.Value) -> bool:
    if isinstance(mine, Decimal):
        return isinstance(shown, Decimal) and abs(shown - mine) < Decimal("0.005")
    if isinstance(mine, expr.ExcelError):
        return isinstance(shown, expr.ExcelError)
    return (shown or "") == (mine or "")


def _show(value: expr.Value, value_type: str) -> str:
    if isinstance(value, Decimal):
        return show_number(value, value_type)
    return "(vide)" if value in (None, "") else str(value)
