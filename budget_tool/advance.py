"""The advance of art. 6: 60 % of the amount of art. 4.1 at signature, or what was really paid.

One advance per convention; where a workbook or a table shows it per volet, it is split in
proportion to the volets' ceilings (as 60 % of each ceiling would be), to the cent, the last
volet taking the rest: the same split in the generated workbook, the checker and the proposals.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from budget_tool.numbers import round_half_up

ADVANCE_RATE = Decimal("0.6")


def computed(ceilings: Mapping[int, Decimal]) -> dict[int, Decimal]:
    """60 % of each volet's ceiling, rounded to the cent (the workbooks' own formula)."""
    return {n: round_half_up(c * ADVANCE_RATE) for n, c in ceilings.items()}


def split(total: Decimal, weights: Mapping[int, Decimal]) -> dict[int, Decimal]:
    """``total`` shared in proportion to ``weights``, to the cent; the last takes the rest."""
    keys = sorted(weights)
    whole = sum(weights.values(), Decimal(0))
    shares: dict[int, Decimal] = {}
    for key in keys[:-1]:
        shares[key] = round_half_up(total * weights[key] / whole) if whole else Decimal(0)
    if keys:
        shares[keys[-1]] = total - sum(shares.values(), Decimal(0))
    return shares


def origin(paid_on: date | None) -> str:
    """Where the advance shown comes from: paid on a date (the follow-up file), else computed."""
    return f"versée le {paid_on:%d/%m/%Y}" if paid_on else "calculée : 60 % du plafond (art. 6)"
