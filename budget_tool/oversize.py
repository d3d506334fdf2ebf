"""Absurdly large numbers in a returned workbook, and the French refusal that names them.

No amount or count of an annexe comes near ten billion; above it, products and sums of such
numbers outgrow the exact decimals (28 digits) that reports and summaries round to the cent, so
the reader refuses the workbook. One typed number also makes every total computed from it
absurd (a spreadsheet recalculates before it saves): the refusal names the cell the officer
typed, the only one they can correct, and says in a few words that totals are absurd too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from budget_tool.refs import CellRef

MAX_NUMBER = 1e10
_SHOWN_TYPED = 3  # other typed cells named in the refusal
_NO_SUCH_AMOUNT = "aucun montant ni aucune quantité d'une annexe n'atteint dix milliards"


@dataclass(frozen=True)
class Huge:
    """An absurd number found in a planned cell. ``typed``: an input cell, or any cell holding
    a number rather than a formula (what the officer typed); else a formula's saved result."""

    where: CellRef
    shown: str
    typed: bool


def shown(value: object) -> str | None:
    """How an absurd number is told in French ("1e+14", "infini", "31 chiffres"), or None
    when ``value`` is not a number or is within range."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if abs(value) < MAX_NUMBER:  # False for inf and nan too; ints may be huge
        return None
    if isinstance(value, int):
        return f"{len(str(abs(value)))} chiffres"
    if math.isfinite(value):
        return f"{value:g}"
    return "infini" if math.isinf(value) else "non numérique"


def reason(found: list[Huge]) -> str:
    """The refusal for absurd numbers (``found`` in reading order, not empty): the first typed
    cell, else the first formula; then, briefly, the other typed cells and the totals."""
    typed = [item for item in found if item.typed]
    computed = [item for item in found if not item.typed]
    if not typed:
        first = computed[0]
        return (
            f"la cellule {first.where}, calculée par une formule, contient un nombre démesuré "
            f"({first.shown}) : {_NO_SUCH_AMOUNT} ; corrigez les saisies dont elle dépend puis "
            "renvoyez le classeur"
        )
    first, others = typed[0], [str(item.where) for item in typed[1:]]
    text = f"la cellule {first.where} contient un nombre démesuré ({first.shown})"
    if others:
        more = f" et {len(others) - _SHOWN_TYPED} autre(s)" if len(others) > _SHOWN_TYPED else ""
        text += f" (autres saisies démesurées : {', '.join(others[:_SHOWN_TYPED])}{more})"
    entries = "la saisie" if not others else "les saisies"
    text += f" : {_NO_SUCH_AMOUNT} ; corrigez {entries} puis renvoyez le classeur"
    fixed = f"une fois {entries} corrigée" + "s" * bool(others)
    if len(computed) == 1:
        text += f" ; le total calculé {computed[0].where} est démesuré lui aussi : le tableur "
        text += f"le recalcule {fixed}"
    elif computed:
        text += f" ; {len(computed)} totaux calculés (dont {computed[0].where}) sont démesurés "
        text += f"eux aussi : le tableur les recalcule {fixed}"
    return text
