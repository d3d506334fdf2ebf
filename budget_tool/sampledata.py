"""Realistic fillings of the annexes for a fictional département: samples, demo, tests, bench.

Deterministic for a given seed. Amounts are kept under the ceilings, as a careful finance
officer's would be; the faulty samples are derived from these by ``samples/make_samples.py``.
"""

from __future__ import annotations

import random
import re
from datetime import date
from decimal import Decimal

from budget_tool.fill import LineValues
from budget_tool.plan import Line, WorkbookPlan

CATEGORY_BY_WORD = (
    ("ETP", "Rémunération de personnel (ETP)"),
    ("Rémunération", "Rémunération de personnel (ETP)"),
    ("Ingénierie", "Rémunération de personnel (ETP)"),
    ("Accompagnement", "Action ou prestation d'accompagnement"),
    ("SI", "Développements informatiques répondant aux besoins du projet"),
    ("interfaçage", "Développements informatiques répondant aux besoins du projet"),
    ("Evolutions techniques", "Développements informatiques répondant aux besoins du projet"),
    ("remobilisation", "Solution de remobilisation"),
    ("Mobilité", "Levée des freins (mobilité, garde d'enfant, santé)"),
    ("Garde", "Levée des freins (mobilité, garde d'enfant, santé)"),
    ("Santé", "Levée des freins (mobilité, garde d'enfant, santé)"),
    ("freins", "Levée des freins (mobilité, garde d'enfant, santé)"),
    ("Structure", "Subvention à une structure du PDI"),
    ("PDI", "Subvention à une structure du PDI"),
    ("Référencement", "Référencement de l'offre (art. 3.5)"),
)
DEFAULT_CATEGORY = "Action ou prestation d'accompagnement"
NATURES = {
    "Rémunération XX": "Rémunération chargé de mission insertion",
    "Rémunération": "Rémunération assistante administrative",
    "Rémunération ZZZ": "Rémunération conseillère emploi",
    "Rémunération travailleur social XX": "Rémunération travailleur social",
    "Structure XXX": "Association Tremplin Creuse",
    "Action 3…": "Atelier collectif de retour à l'emploi",
    "Action2…": "Chantier de remobilisation",
    "Ex : développement d'un interfaçage avec XX": (
        "Développement d'un interfaçage avec la plateforme France Travail"
    ),
}


def category_for(*labels: str) -> str:
    """The category a careful officer would choose, from words of the line's labels."""
    for word, category in CATEGORY_BY_WORD:
        pattern = re.compile(rf"\b{re.escape(word)}", re.IGNORECASE)
        if any(pattern.search(label) for label in labels):
            return category
    return DEFAULT_CATEGORY


def plan_lines(plan: WorkbookPlan, seed: int = 23, use: Decimal = Decimal("0.9")) -> LineValues:
    """Inputs for annexe 2: each volet's State share at about ``use`` of its ceiling."""
    rng = random.Random(seed)
    values: dict[tuple[int, int], dict[str, object]] = {}
    for sheet in plan.volet_sheets():
        volet = plan.template.volet(sheet.volet or 0)
        counted = [(i, line) for i, line in enumerate(sheet.lines) if line.counted]
        budget = plan.params.ceilings[volet.number] * use / volet.state_rate
        weights = [Decimal(rng.randint(1, 5)) for _ in counted]
        for (index, line), weight in zip(counted, weights, strict=True):
            amount = (budget * weight / sum(weights)).quantize(Decimal("1"))
            values[(volet.number, index)] = _plan_line(rng, line, amount)
        for index, line in enumerate(sheet.lines):
            if not line.counted:
                values[(volet.number, index)] = {
                    "existant_etp": Decimal("1"),
                    "cible_etp": Decimal("2"),
                }
    return values


def _plan_line(rng: random.Random, line: Line, amount: Decimal) -> dict[str, object]:
    existing = Decimal(rng.randint(0, 3) * 10000)
    etp = Decimal(rng.randint(0, 4)) / 2
    return {
        "precisions": f"{line.label} : renforcement {line.group.lower()[:40]}",
        "existant_etp": etp,
        "existant_eur": existing,
        "cible_etp": etp + Decimal(rng.randint(1, 4)) / 2,
        "cible_eur": existing + amount + Decimal(rng.randint(0, 5) * 1000),
        "montant_delta": amount,
        "financement": rng.choice(["", "FSE+", "redéploiement interne", ""]),
        "categorie": category_for(line.group, line.label),
    }


def bilan_lines(plan: WorkbookPlan, seed: int = 23, use: Decimal = Decimal("0.85")) -> LineValues:
    """Inputs for annexe 3: expenses per block, some as units × unit cost, some as lump sums."""
    rng = random.Random(seed)
    values: dict[tuple[int, int], dict[str, object]] = {}
    year = plan.params.year
    for sheet in plan.volet_sheets():
        volet = plan.template.volet(sheet.volet or 0)
        chosen = [(i, line) for i, line in enumerate(sheet.lines) if line.label][:12]
        budget = plan.params.ceilings[volet.number] * use / volet.state_rate
        for index, line in chosen:
            share = (budget / len(chosen)).quantize(Decimal("0.01"))
            values[(volet.number, index)] = _bilan_line(rng, line, share, year)
    return values


def _bilan_line(rng: random.Random, line: Line, share: Decimal, year: int) -> dict[str, object]:
    nature = NATURES.get(line.label, line.label)
    common = {
        "nature": nature,
        "objet": f"{line.group or line.section}"[:60],
        "categorie": category_for(line.label, line.group, line.section),
    }
    if "Rémunération" in line.label:
        monthly = (share / 12).quantize(Decimal("0.01"))
        return {
            **common,
            "unite": "mois",
            "nombre": Decimal(12),
            "cout_unitaire": monthly,
            "date_debut": date(year, 1, 1),
            "date_fin": date(year, 12, 31),
        }
    month = rng.randint(2, 11)
    return {**common, "forfait": share, "date_debut": date(year, month, rng.randint(1, 28))}
