"""Reading numbers that people typed as text: ``1 234,56 €``, ``12,5``, ``1.234,56``.

Used by the checker to say which number a text cell probably meant, and by the CLI to read a
ceiling. It never accepts ``nan``, ``inf``, ``1_000`` or exponents; digits other than ASCII
(full-width, Arabic-Indic) are read for the *suggestion* only, the caller decides what to accept.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_SPACES = "\u0020\u00a0\u202f\u2009\u2007\t"
_CURRENCY = re.compile(r"(€|eur(os?)?)$", re.IGNORECASE)
_PLAIN = re.compile(r"-?\d+")
_ONE_SEP = re.compile(r"-?\d+[.,]\d+")
_GROUPED = re.compile(r"-?\d{1,3}(?:(?P<sep>[.,'])\d{3})+(?:(?P<dec>[.,])\d+)?")


def ascii_digits(text: str) -> str:
    """Full-width and other Unicode decimal digits turned into ASCII digits."""
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() else ch for ch in text)


def parse_amount(text: str) -> Decimal | None:
    """The number a French finance officer meant by ``text``, or None when it is not one.

    One comma is a decimal comma (``12,5``); a single dot is a decimal point (``1234.56``);
    with both, the last one is the decimal separator and the other groups thousands by three.
    """
    cleaned = _CURRENCY.sub("", text.strip()).strip()
    cleaned = "".join(ch for ch in cleaned if ch not in _SPACES)
    if not cleaned or not cleaned.isascii():
        return None
    if _PLAIN.fullmatch(cleaned) or _ONE_SEP.fullmatch(cleaned):
        return _decimal(cleaned.replace(",", "."))
    match = _GROUPED.fullmatch(cleaned)
    if match and match.group("sep") != match.group("dec"):
        digits = cleaned.replace(match.group("sep"), "")
        return _decimal(digits.replace(",", "."))
    return None


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def decimal_text(value: Decimal) -> str:
    """An exact amount for machines: "1234.50" (two decimals when it is in cents), never a
    float; very large values are written in full rather than failing to round."""
    try:
        if value == value.quantize(Decimal("0.01")):
            return f"{value:.2f}"
    except InvalidOperation:
        pass
    return f"{value.normalize():f}"


def round_half_up(value: Decimal, digits: int = 2) -> Decimal:
    """Round like the spreadsheet's ROUND and like a finance officer: halves away from zero.
    The tool's one rounding rule (the formula engine's ROUND, amounts to the cent)."""
    try:
        return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # beyond the context's precision: nothing left to round
        return value


def cents(value: Decimal) -> Decimal:
    """An amount rounded to the cent, halves away from zero: the spreadsheet's ROUND(x; 2) and
    the finance officer's rule, used by every figure the tool shows or writes."""
    return round_half_up(value, 2)


def money_text(value: Decimal) -> str:
    """An amount for machines (JSON, CSV): always two decimals, "1234.50", rounded half up."""
    rounded = cents(value)
    return decimal_text(abs(rounded) if rounded == 0 else rounded)  # no "-0.00"


def show_number(value: Decimal, value_type: str = "") -> str:
    """A number as the sheet shows it to a French reader: an amount in euros, a rate in
    percent (« 50 % »), anything else with a decimal comma (« 1,5 »)."""
    if value_type == "money":
        return format_euros(value)
    if value_type == "unit_price":  # to the ten-thousandth, as typed: « 0,603 € »
        return format_euros(value, exact=True)
    if value_type == "percent":
        return f"{(value * 100).normalize():f}".replace(".", ",") + "\u00a0%"
    return f"{value.normalize():f}".replace(".", ",")


def format_euros(value: Decimal, exact: bool = False) -> str:
    """``1 234,56 €`` with a narrow no-break space, as French finance documents write it,
    rounded to the cent half up; ``exact``: an amount beyond the cent keeps all its digits
    (« 30 000,005 € »), to show what was typed."""
    rounded = cents(value)
    if exact and rounded != value:
        digits = f"{abs(value).normalize():f}"
    else:
        value, digits = rounded, f"{abs(rounded):.2f}"
    whole, _, decimals = digits.partition(".")
    groups = f"{int(whole):,}".replace(",", "\u202f")
    return f"{'-' if value < 0 else ''}{groups},{decimals}\u00a0€"
