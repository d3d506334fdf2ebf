"""Plan against actual, action by action (art. 8 « inexécution des dépenses prévues »).

Each section or group of a template may carry a ``pair`` key (``workbook_templates/*.toml``); the
annexe 2 lines and the annexe 3 lines of one volet whose blocks share a key are the plan and the
spending of one action. No label is written here: renaming a line or adding a block is a change
of the templates only. A block without a key is an action of its own, on its own side.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from budget_tool.numbers import round_half_up
from budget_tool.spec import Template
from budget_tool.templates import load_template

PLAN, BILAN = "annexe-2", "annexe-3"
PAIRED, PLAN_ONLY, BILAN_ONLY = "apparié", "plan seul", "bilan seul"
ACTION_COLUMNS = [
    "departement",
    "nom",
    "volet",
    "action",
    "libelle_action",
    "prevu",
    "realise",
    "dont_eligible",
    "ecart",
    "ecart_pct",
    "taux_execution",
    "ensemble",
]
ACTION_HEADERS = {
    "departement": "Code",
    "nom": "Département",
    "volet": "Volet",
    "action": "Clé de l'action",
    "libelle_action": "Action (libellé de l'annexe 2)",
    "prevu": "Prévu (annexe 2, montant delta)",
    "realise": "Réalisé (annexe 3, montant)",
    "dont_eligible": "dont éligible (art. 4.2)",
    "ecart": "Écart réalisé - prévu (€)",
    "ecart_pct": "Écart réalisé - prévu (%)",
    "taux_execution": "Taux d'exécution (%)",
    "ensemble": "Ensemble (apparié, plan seul, bilan seul)",
}
ACTION_MONEY = ("prevu", "realise", "dont_eligible", "ecart")


@dataclass(frozen=True)
class Block:
    """Where a line belongs: its action key and the label shown for that action."""

    key: str
    label: str


def blocks(template: Template) -> dict[tuple[int, str, str], Block]:
    """(volet, section label, group label) -> the action of its lines, from the template."""
    found: dict[tuple[int, str, str], Block] = {}
    for volet in template.volets:
        for section in volet.sections:
            for group in section.groups:
                key = group.pair or section.pair
                label = group.label if group.pair else section.label
                if not key:  # an unpaired block: its own action, named by its labels
                    label = " / ".join(x for x in (section.label, group.label) if x)
                    key = f"{template.id}:{label}"
                found[(volet.number, section.label, group.label)] = Block(key, label)
    return found


def totals(lines: Iterable[dict[str, object]], template: Template) -> dict[tuple[int, str], dict]:
    """Per (volet, action): the label and the amounts of the counted lines of one workbook."""
    amount_key = template.checks.line_amount if template.checks else "montant"
    eligible_key = (
        "montant_eligible" if any(c.key == "montant_eligible" for c in template.columns) else ""
    )
    where = blocks(template)
    result: dict[tuple[int, str], dict] = {}
    for line in lines:
        if not line.get("compte", True):
            continue  # « Pour info » France Travail rows are never counted
        volet = int(line["volet"])  # type: ignore[call-overload]
        block = where.get((volet, str(line["section"]), str(line["groupe"])))
        if block is None:
            continue
        entry = result.setdefault(
            (volet, block.key), {"label": block.label, "amount": Decimal(0), "eligible": Decimal(0)}
        )
        entry["amount"] += _money(line.get(amount_key))
        if eligible_key:
            entry["eligible"] += _money(line.get(eligible_key))
    return result


def template_of(report, default: str) -> Template:
    """The template a report was read with: its version, from the folder it was read from."""
    return load_template(report.annexe or default, report.template_version, report.templates)


def action_rows(code: str, nom: str, plan_report, bilan_report) -> list[dict[str, object]]:
    """One row per action of a département: planned, spent, gap, and which side is known."""
    planned = totals(plan_report.lines, template_of(plan_report, PLAN)) if plan_report else {}
    spent = totals(bilan_report.lines, template_of(bilan_report, BILAN)) if bilan_report else {}
    labels = _plan_labels(planned)
    ensemble = (
        PAIRED if plan_report and bilan_report else (PLAN_ONLY if plan_report else BILAN_ONLY)
    )
    rows = []
    for volet, key in sorted(set(planned) | set(spent), key=lambda k: (k[0], _order(k[1], labels))):
        plan, done = planned.get((volet, key)), spent.get((volet, key))
        prevu = plan["amount"] if plan else (Decimal(0) if plan_report else None)
        realise = done["amount"] if done else (Decimal(0) if bilan_report else None)
        row: dict[str, object] = {
            "departement": code,
            "nom": nom,
            "volet": volet,
            "action": key,
            "libelle_action": (plan or done or {}).get("label", key),
            "prevu": prevu,
            "realise": realise,
            "dont_eligible": done["eligible"] if done else (Decimal(0) if bilan_report else None),
            "ensemble": ensemble,
        }
        row.update(gap(prevu, realise))
        rows.append(row)
    return rows


def gap(planned: Decimal | None, actual: Decimal | None) -> dict[str, Decimal | None]:
    """Gap in euros and percent, and the execution rate; only when both sides are known."""
    if planned is None or actual is None:
        return {"ecart": None, "ecart_pct": None, "taux_execution": None}
    pct = round_half_up((actual - planned) / planned * 100, 1) if planned else None
    rate = round_half_up(actual / planned * 100, 1) if planned else None
    return {"ecart": actual - planned, "ecart_pct": pct, "taux_execution": rate}


def _plan_labels(planned: dict[tuple[int, str], dict]) -> list[str]:
    return [key for _, key in planned]


def _order(key: str, plan_keys: list[str]) -> tuple[int, str]:
    """Actions in the plan's order, then those only spent."""
    return (plan_keys.index(key), "") if key in plan_keys else (len(plan_keys), key)


def _money(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(0)
