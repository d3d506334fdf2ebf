"""The DREETS follow-up on the consolidation page: the library's « Suivi » and « Propositions de
paiement » tables as the page shows them, and the per-département reports (``notices.py``) as
bytes to embed in the page.

Nothing is computed here: every status, date and amount is read from the consolidation's tables
(``tracking.py``, ``proposals.py``); this module only chooses the columns and says them in French.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from budget_tool.followup import IMPUTATION, IMPUTATION_LABELS
from budget_tool.proposals import PROPOSAL_HEADERS
from budget_tool.tracking import SUIVI_HEADERS

# The page's columns; the workbook, the CSV and the JSON have every column of both tables.
SUIVI_COLUMNS = (
    ("departement", SUIVI_HEADERS["departement"]),
    ("nom", SUIVI_HEADERS["nom"]),
    ("statut", SUIVI_HEADERS["statut"]),
    ("echeance_bilan", "Échéance du bilan (art. 3.2)"),
    ("annexe2", "Plan (annexe 2)"),
    ("annexe3", "Bilan (annexe 3)"),
    ("avenant", SUIVI_HEADERS["avenant"]),
)
PROPOSAL_COLUMNS = (
    ("departement", PROPOSAL_HEADERS["departement"]),
    ("nom", PROPOSAL_HEADERS["nom"]),
    ("proposition", PROPOSAL_HEADERS["proposition"]),
    ("sens", PROPOSAL_HEADERS["sens"]),
    ("montant", "Montant"),
    ("contribution_due", PROPOSAL_HEADERS["contribution_due"]),
    ("avance", PROPOSAL_HEADERS["avance"]),
    ("imputation", "Imputation Chorus (art. 6)"),
    ("fichier_bilan", PROPOSAL_HEADERS["fichier_bilan"]),
)


def followup_view(result, shown) -> dict:
    """The two tables of the page, each cell a French text (``shown``: the page's formatter).
    The imputation that every département shares is said once above the table, so that each
    row shows what differs (most often the Chorus third party only)."""
    proposals = result.propositions.to_dict("records")
    common = _common_imputation(proposals, shown)
    suivi = [_suivi_row(r, shown) for r in result.suivi.to_dict("records")]
    tones = {row["departement"]: row["tone"] for row in suivi}  # a proposal on hold: its colour
    return {
        "suivi_columns": SUIVI_COLUMNS,
        "suivi": suivi,
        "propositions_columns": PROPOSAL_COLUMNS,
        "propositions": [
            {**_proposal_row(r, shown, common), "tone": tones.get(r["departement"], "info")}
            for r in proposals
        ],
        "imputation_commune": [(IMPUTATION_LABELS[k], v) for k, v in common.items()],
    }


def _common_imputation(records: list[dict], shown) -> dict[str, str]:
    """The imputation fields given, and equal, on every line (when there are several lines)."""
    common = {}
    for key in IMPUTATION if len(records) > 1 else ():
        values = {shown(key, record.get(key)) for record in records}
        if len(values) == 1 and "" not in values:
            common[key] = values.pop()
    return common


def _suivi_row(record: dict, shown) -> dict:
    row = {key: shown(key, record.get(key)) for key in ("departement", "nom", "statut")}
    row["echeance_bilan"] = shown("echeance_bilan", record.get("echeance_bilan"))
    late = shown("jours_de_retard", record.get("jours_de_retard"))
    row["retard"] = f"{late} jour(s) de retard" if late else ""
    for annexe in ("annexe2", "annexe3"):
        row[annexe] = _received(
            shown(annexe, record.get(annexe)),
            shown("date", record.get(f"date_reception_{annexe}")),
        )
    reference = shown("avenant", record.get("avenant"))
    signed = shown("date", record.get("date_avenant"))
    row["avenant"] = f"{reference} du {signed}" if reference and signed else reference
    row["tone"] = _tone(record, shown)
    return row


def _received(name: str, on: str) -> str:
    """A file of the sending and its reception date in the follow-up file, in one cell."""
    if name and on:
        return f"reçu le {on}"
    if name:
        return "reçu (date non renseignée dans le suivi)"
    if on:
        return f"absent de l'envoi (le suivi le dit reçu le {on})"
    return "non reçu"


def _tone(record: dict, shown) -> str:
    """The DSFR colour of the status: read from the table's own columns, never re-decided."""
    late = bool(shown("jours_de_retard", record.get("jours_de_retard")))
    errors = shown("erreurs_bilan", record.get("erreurs_bilan"))
    received = bool(shown("annexe3", record.get("annexe3")))
    if (late and not received) or (errors not in ("", "0")):
        return "error"
    if late or shown("dans_suivi", record.get("dans_suivi")) == "non":
        return "warning"
    return "success" if received else "info"


def _proposal_row(record: dict, shown, common: dict[str, str]) -> dict:
    keys = ("departement", "nom", "proposition", "sens", "montant", "contribution_due", "avance")
    row = {key: shown(key, record.get(key)) for key in keys}
    row["avance_origine"] = shown("avance_origine", record.get("avance_origine"))
    row["imputation"] = [
        (IMPUTATION_LABELS[key], shown(key, record.get(key)) or "à compléter")
        for key in IMPUTATION
        if key not in common
    ]
    row["fichier_bilan"] = shown("fichier_bilan", record.get("fichier_bilan"))
    row["sha256_bilan"] = shown("sha256_bilan", record.get("sha256_bilan"))
    return row


def reports(result, folder: Path, followups, today: date | None) -> dict[str, tuple[str, bytes]]:
    """The PDF report of each département (``consolidate --reports``), written by the library in
    our private folder (deleted with it): département code -> (file name, bytes)."""
    from budget_tool.notices import notice_name, write_notices

    written = {path.name: path for path in write_notices(result, folder, followups, today)}
    found = {}
    for code in result.suivi["departement"]:
        name = notice_name(code, result.year)
        if name in written:
            found[code] = (name, written[name].read_bytes())
    return found
