"""Article 4.2: ineligible categories, and free text that reads like an ineligible expense."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from budget_tool.findings import Finding, finding
from budget_tool.numbers import format_euros
from budget_tool.rules.base import Context, rule

_HARDWARE_WORDS = r"equipements?|ordinateurs?|mobiliers?|materiels?|telephones?|vehicules?"
# Words of article 4.2, matched without case or accents, on whole words (regex on ASCII text).
SUSPECT_WORDS: tuple[tuple[str, str], ...] = (
    (r"hotels?|hebergements?|nuitees?", "des frais d'hébergement"),
    (
        r"trains?|billets?|sncf|deplacements?|kilometriques?|carburants?|peages?|taxis?|avions?",
        "des frais de déplacement",
    ),
    (
        r"repas|restaurations?|restaurants?|dejeuners?|diners?|traiteurs?|buffets?",
        "des frais de restauration",
    ),
    (r"locations? de salles?|salles? louees?", "une location de salle"),
    (r"fournitures?|papeteries?", "des fournitures"),
    (r"impressions?|imprimeries?|reprographies?|photocopies?", "de la reprographie"),
    (_HARDWARE_WORDS, "de l'équipement ou de l'investissement"),
    (r"evaluations?", "une prestation d'évaluation"),
    (
        r"formations? (du|des) personnels?|formations? des agents|formations? des equipes",
        "une formation du personnel",
    ),
    (
        r"(amo|assistance a maitrise d'ouvrage|gestion de projet)",
        "une prestation de gestion de projet",
    ),
)
# IT development the project needs stays eligible (art. 4.2): never flagged. "SI" (système
# d'information) only in capitals, as the acronym: the French "si" (if) says nothing of IT.
ELIGIBLE_WORDS = re.compile(
    r"\b(developpements?|interfacages?|parametrages?|logiciels?|applications?)\b"
)
_SI = re.compile(r"\bSI\b")
# Hardware stays investment even when bought for an application (art. 4.2).
_HARDWARE = re.compile(rf"\b(?:{_HARDWARE_WORDS})\b")
_COMPILED = [(re.compile(rf"\b(?:{pattern})\b"), what) for pattern, what in SUSPECT_WORDS]


def plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'").replace("\u02bc", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def suspicion(text: str) -> str | None:
    """What ineligible expense ``text`` evokes, or None; IT development is left alone."""
    simple = plain(text)
    it_work = ELIGIBLE_WORDS.search(simple) or _SI.search(text)
    if it_work and _HARDWARE.search(simple) is None:
        return None
    return next((what for pattern, what in _COMPILED if pattern.search(simple)), None)


@rule("depense-ineligible", "libelle-suspect")
def eligibility(ctx: Context) -> Iterator[Finding]:
    table = {label.casefold(): ok for label, ok in ctx.plan.eligibility.items()}
    for sheet, line, text, amount, where in ctx.category_lines():
        if table.get(text.casefold()) is False and amount:
            yield finding("depense-ineligible", where, text, amount=format_euros(amount))
        elif table.get(text.casefold()) and amount:
            yield from _suspect_texts(ctx, sheet, line)


def _suspect_texts(ctx: Context, sheet, line) -> Iterator[Finding]:
    for key in ctx.checks.line_texts:
        value = ctx.line_value(sheet, line, key)
        what = suspicion(value) if isinstance(value, str) else None
        if what:
            yield finding(
                "libelle-suspect", ctx.ref(sheet.name, line.row, ctx.col(key)), value, what=what
            )
            return
