"""The DREETS follow-up in ``consolidate``: a row and a status for every département of the
follow-up file (and of the returns), balances on the advance actually paid, the « propositions de
paiement » and plan against actual per action.

``follow(result, chosen, followups, today)`` adds the tables ``suivi``, ``propositions`` and
``actions`` to a consolidation, and puts the follow-up file's ceilings in force and advance paid
into the ``synthese`` rows (per volet, the advance is split in proportion to the ceilings).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from budget_tool.advance import origin, split
from budget_tool.consolidation import Consolidation, InputFile
from budget_tool.departements import lookup
from budget_tool.errors import BudgetToolError
from budget_tool.findings import Finding, Severity, finding
from budget_tool.followup import FollowUp, bilan_deadline
from budget_tool.pairing import ACTION_COLUMNS, ACTION_HEADERS, ACTION_MONEY, action_rows
from budget_tool.proposals import (
    PROPOSAL_HEADERS,
    PROPOSAL_MONEY,
    Settlement,
    proposal_row,
    settle,
)
from budget_tool.tables import (
    ANOMALY_COLUMNS,
    TOTAL_LABEL,
    anomaly_row,
    code_order,
    synthese_frame,
    total_rows,
)

SUIVI_HEADERS = {
    "departement": "Code",
    "nom": "Département",
    "statut": "Statut",
    "echeance_bilan": "Échéance du bilan final (art. 3.2)",
    "jours_de_retard": "Jours de retard",
    "annexe2": "Plan reçu (annexe 2)",
    "date_reception_annexe2": "Reçu le (annexe 2)",
    "annexe3": "Bilan reçu (annexe 3)",
    "date_reception_annexe3": "Reçu le (annexe 3)",
    "erreurs_bilan": "Erreurs du bilan",
    "plafond_initial": "Plafonds initiaux (art. 4.1)",
    "avenant": "Avenant (art. 9)",
    "date_avenant": "Date de l'avenant",
    "plafond_en_vigueur": "Plafonds en vigueur",
    "avance": "Avance (art. 6)",
    "avance_origine": "Avance : versée ou calculée",
    "dans_suivi": "Dans le fichier de suivi",
}
SUIVI_MONEY = ("plafond_initial", "plafond_en_vigueur", "avance")


def follow(
    result: Consolidation,
    chosen: Mapping[tuple[str, str], InputFile],
    followups: Mapping[str, FollowUp] | None = None,
    today: date | None = None,
) -> None:
    """Add the follow-up tables to ``result`` (see the module's doc)."""
    import pandas as pd

    followups = followups or {}
    today = today or date.today()
    year = result.year or next((f.params.year for f in followups.values()), today.year - 1)
    codes = sorted({code for code, _ in chosen} | set(followups), key=code_order)
    suivi, proposals, actions = [], [], []
    settlements: dict[str, Settlement] = {}
    late_findings: list[tuple[str, InputFile | None, Finding]] = []
    for code in codes:
        plan, bilan = chosen.get((code, "annexe-2")), chosen.get((code, "annexe-3"))
        item = followups.get(code)
        nom = _name(code, plan, bilan)
        counts = _counts(result, bilan)
        status, late = status_of(item, plan, bilan, year, today, bool(followups), counts)
        bilan_report = bilan.report if bilan else None
        if bilan_report is not None:
            settlements[code] = settle(bilan_report, item)
        suivi.append(_suivi_row(code, nom, status, late, year, item, plan, bilan, settlements))
        suivi[-1]["erreurs_bilan"] = counts[0] if bilan is not None else None
        blocked = f"{counts[0]} erreur(s) dans le bilan, à corriger d'abord" if counts[0] else ""
        proposals.append(
            proposal_row(code, nom, status, bilan_report, item, blocked, settlements.get(code))
        )
        actions += action_rows(code, nom, plan.report if plan else None, bilan_report)
        empty = bilan_report is not None and bilan_report.status() == "vide"
        if late and (bilan is None or empty):  # an empty bilan is still awaited
            late_finding = finding(
                "bilan-en-retard",
                None,
                f"{late} jour(s)",
                departement=code,
                deadline=f"{bilan_deadline(year):%d/%m/%Y}",
            )
            late_findings.append((code, bilan if empty else plan, late_finding))
    _with_late_findings(result, late_findings)
    result.suivi = pd.DataFrame(suivi, columns=list(SUIVI_HEADERS)).astype(
        {"jours_de_retard": "Int64", "erreurs_bilan": "Int64"}
    )
    result.propositions = pd.DataFrame(proposals, columns=list(PROPOSAL_HEADERS))
    result.actions = pd.DataFrame(actions, columns=ACTION_COLUMNS)
    if result.synthese is not None and followups:
        _with_state_figures(result, settlements, followups)


def _with_late_findings(
    result: Consolidation, late: list[tuple[str, InputFile | None, Finding]]
) -> None:
    """The late bilans (art. 3.2) among the findings between files, and at the end of the
    « Anomalies » table (built before them), each under its département even when it sent
    nothing."""
    if not late:
        return
    import pandas as pd

    result.findings += [(item, found) for _, item, found in late]
    rows = result.anomalies.to_dict("records") if result.anomalies is not None else []
    rows += [anomaly_row(item, found, code) for code, item, found in late]
    result.anomalies = pd.DataFrame(rows, columns=ANOMALY_COLUMNS)


def status_of(
    item: FollowUp | None,
    plan: InputFile | None,
    bilan: InputFile | None,
    year: int,
    today: date,
    has_file: bool,
    counts: tuple[int, int],
) -> tuple[str, int]:
    """What a DREETS officer reads: the bilan's state, or how long it is awaited (art. 3.2).
    ``counts``: the bilan's errors and warnings (``_counts``); ``has_file``: a follow-up file
    was given."""
    deadline = bilan_deadline(year)
    late = 0
    received = item.received.get("annexe-3") if item else None
    future = ""
    if received and received > today:  # a date still to come is no fact of the situation
        future = (
            f" ; le suivi date la réception du bilan du {received:%d/%m/%Y}, après la situation "
            f"du {today:%d/%m/%Y} : date à vérifier"
        )
        received = None
    if bilan is not None and bilan.report is not None:
        errors, warnings = counts
        state = (
            "bilan reçu avec erreurs"
            if errors
            else ("bilan reçu, avertissements à vérifier" if warnings else "bilan reçu conforme")
        )
        if bilan.report.status() == "vide":  # not a bilan yet: still awaited (art. 3.2)
            state = "bilan reçu vide : aucun montant déclaré"
            if today > deadline:
                late = (today - deadline).days
                state += (
                    f" ; bilan en retard : échéance du {deadline:%d/%m/%Y} dépassée de {late} "
                    "jour(s) (art. 3.2)"
                )
        elif received and received > deadline:
            late = (received - deadline).days
            state += f" ; reçu en retard le {received:%d/%m/%Y} (échéance du {deadline:%d/%m/%Y}, art. 3.2)"
        if plan is None:
            state += " ; plan (annexe 2) non reçu"
    else:
        if today > deadline:
            late = (today - deadline).days
            state = f"bilan en retard : échéance du {deadline:%d/%m/%Y} dépassée de {late} jour(s) (art. 3.2)"
        else:
            state = f"bilan attendu au plus tard le {deadline:%d/%m/%Y} (art. 3.2)"
        state = ("plan seul ; " if plan is not None else "aucune annexe reçue ; ") + state
        if received:
            state += f" ; le suivi dit le bilan reçu le {received:%d/%m/%Y} mais il n'est pas dans les fichiers consolidés"
    state += future
    if item is None and has_file:
        state += " ; absent du fichier de suivi : plafonds et avance non vérifiés"
    return state, late


def _suivi_row(code, nom, status, late, year, item, plan, bilan, settlements) -> dict:
    found = settlements.get(code)
    initial = sum(item.initial_ceilings.values(), Decimal(0)) if item else None
    in_force = sum(item.ceilings.values(), Decimal(0)) if item else None
    if found is not None:
        advance, label = found.advance, found.advance_label()
    elif item is not None:
        advance = item.advance()
        label = origin(item.advance_date if item.advance_paid is not None else None)
    else:
        advance, label = None, ""
    return {
        "departement": code,
        "nom": nom,
        "statut": status,
        "echeance_bilan": bilan_deadline(year),
        "jours_de_retard": late or None,
        "annexe2": plan.path.name if plan else "",
        "date_reception_annexe2": item.received.get("annexe-2") if item else None,
        "annexe3": bilan.path.name if bilan else "",
        "date_reception_annexe3": item.received.get("annexe-3") if item else None,
        "erreurs_bilan": None,  # set by the caller, with the findings between files
        "plafond_initial": initial,
        "avenant": (item.amendment.reference if item and item.amendment else ""),
        "date_avenant": item.amendment.date if item and item.amendment else None,
        "plafond_en_vigueur": in_force,
        "avance": advance,
        "avance_origine": label,
        "dans_suivi": "oui" if item else "non",
    }


def _counts(result: Consolidation, bilan: InputFile | None) -> tuple[int, int]:
    """Errors and warnings of a bilan: its own, and those found between files (different
    ceilings in the two annexes...). A proposal is not to be signed while there are errors."""
    if bilan is None or bilan.report is None:
        return 0, 0
    found = list(bilan.report.findings)
    found += [f for item, f in result.findings if item is bilan]
    errors = sum(1 for f in found if f.severity == Severity.ERREUR)
    return errors, sum(1 for f in found if f.severity == Severity.AVERTISSEMENT)


def _with_state_figures(
    result: Consolidation, settlements: Mapping[str, Settlement], followups: Mapping[str, FollowUp]
) -> None:
    """The synthesis per volet on the State's own figures: ceilings in force, advance paid."""
    assert result.synthese is not None
    rows = [r for r in result.synthese.to_dict("records") if r["nom"] != TOTAL_LABEL]
    for row in rows:
        code, volet = row["departement"], int(row["volet"])
        item = followups.get(code)
        if item is None or volet not in item.ceilings:
            continue
        row["plafond"] = item.ceilings[volet]
        found = settlements.get(code)
        detail = next((v for v in found.volets if v.volet == volet), None) if found else None
        if detail is None:  # plan only: the advance as paid (or computed), this volet's share
            row["avance_versee"] = split(item.advance(), dict(item.ceilings))[volet]
            continue
        row["contribution_due"] = detail.contribution
        row["avance_versee"] = detail.advance
        row["solde_a_verser"] = max(detail.balance, Decimal(0))
        row["trop_percu"] = max(-detail.balance, Decimal(0))
    result.synthese = synthese_frame(rows + total_rows(rows))


def _name(code: str, *items: InputFile | None) -> str:
    for item in items:
        if item is not None and item.report is not None and item.report.departement_nom:
            return item.report.departement_nom
    try:
        return lookup(code).nom
    except BudgetToolError:
        return ""


EXTRA_TABLES = {  # table name -> (sheet of the summary workbook, French headers)
    "suivi": ("Suivi", SUIVI_HEADERS),
    "propositions": ("Propositions de paiement", PROPOSAL_HEADERS),
    "actions": ("Prévu - réalisé par action", ACTION_HEADERS),
}
EXTRA_MONEY = frozenset((*SUIVI_MONEY, *PROPOSAL_MONEY, *ACTION_MONEY))
EXTRA_PERCENT = frozenset(("taux_execution",))


def extra_tables(result: Consolidation) -> dict[str, tuple[str, object, dict[str, str]]]:
    """The follow-up tables present in ``result``: name -> (sheet, frame, headers)."""
    return {
        name: (sheet, getattr(result, name), headers)
        for name, (sheet, headers) in EXTRA_TABLES.items()
        if getattr(result, name, None) is not None
    }
