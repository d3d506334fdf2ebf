"""What the officer sends back: one printable A4 report (PDF) per département.

It reads the consolidation's own tables (suivi, synthese, propositions, actions, anomalies), so
the report says exactly what the data say: figures per volet, what the State owes or must
recover (art. 6 and 8), plan against actual per action, every finding with its cell, the Chorus
imputation and the SHA-256 of the files it rests on. PDF through fpdf2 (``pdfdoc.py``), with the
DejaVu Sans font shipped in ``data/fonts`` and embedded in each file: « € », « œ » and accents
print anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

from budget_tool.consolidation import Consolidation
from budget_tool.followup import IMPUTATION, IMPUTATION_LABELS, FollowUp
from budget_tool.numbers import format_euros
from budget_tool.output import ensure_folder, write_bytes
from budget_tool.pdfdoc import FONT, document, draw_table, heading, line, para
from budget_tool.sanitize import clean_text


def notice_name(code: str, year: int | None) -> str:
    return f"rapport-{code}-{year or ''}.pdf".replace("-.pdf", ".pdf")


def write_notices(
    result: Consolidation,
    folder: Path,
    followups: Mapping[str, FollowUp] | None = None,
    today: date | None = None,
) -> list[Path]:
    """One PDF per département of the follow-up tables; returns the files written."""
    if result.suivi is None:
        return []
    groups = grouped(result)
    folder = ensure_folder(folder)  # the reports' folder (--reports) is made if missing
    written = []
    for code in groups["suivi"]:
        followup = (followups or {}).get(code)
        data = notice_pdf(result, code, followup, today or date.today(), groups)
        target = folder / notice_name(code, result.year)
        write_bytes(target, data)
        written.append(target)
    return written


TABLES = ("suivi", "synthese", "propositions", "actions", "anomalies", "fichiers")
Groups = dict[str, dict[str, list[dict]]]


def grouped(result: Consolidation) -> Groups:
    """Each table's records by département code, read once for all the reports."""
    groups: Groups = {}
    for name in TABLES:
        frame = getattr(result, name)
        groups[name] = {}
        for record in frame.to_dict("records") if frame is not None else []:
            groups[name].setdefault(record.get("departement") or "", []).append(record)
    return groups


def notice_pdf(
    result: Consolidation,
    code: str,
    followup: FollowUp | None,
    today: date,
    groups: Groups | None = None,
) -> bytes:
    """The report of one département, as the bytes of a PDF."""
    tables = groups or grouped(result)

    def records(name: str) -> list[dict]:
        return tables[name].get(code, [])

    pdf = document(code, result.year)
    pdf.add_page()
    suivi = records("suivi")[0]
    _identity(pdf, suivi, followup, today, result.year)
    _volets(pdf, records("synthese"), followup)
    _money(pdf, records("propositions"), suivi)
    _actions(pdf, records("actions"))
    _findings(pdf, records("anomalies"))
    _imputation(pdf, followup)
    _files(pdf, records("fichiers"))
    return bytes(pdf.output())


def _identity(pdf, suivi: dict, followup: FollowUp | None, today: date, year) -> None:
    para(
        pdf,
        f"Convention départementale pour l'insertion et l'emploi {year or ''}\n"
        f"Bilan financier et suite donnée : {suivi['departement']} - {clean_text(suivi['nom'])}",
        14,
        7,
    )
    pdf.ln(2)
    pdf.set_font(FONT, "", 9)
    if followup is not None:
        line(pdf, "Convention n°", clean_text(followup.params.convention))
    line(pdf, "Situation au", f"{today:%d/%m/%Y}")
    line(pdf, "Statut du dossier", clean_text(suivi["statut"]))
    line(pdf, "Échéance du bilan (art. 3.2)", _date(suivi["echeance_bilan"]))
    for key, label in (
        ("annexe2", "Plan de financement (annexe 2)"),
        ("annexe3", "Bilan financier (annexe 3)"),
    ):
        received = _date(suivi.get(f"date_reception_{key}"))
        name = clean_text(suivi.get(key) or "") or "non reçu"
        line(pdf, label, name + (f", reçu le {received}" if received else ""))
    if followup is not None and followup.amendment is not None:
        amendment = followup.amendment
        line(
            pdf,
            "Avenant (art. 9)",
            f"{clean_text(amendment.reference)} du {amendment.date:%d/%m/%Y} : ses plafonds "
            "s'appliquent (les plafonds initiaux sont rappelés ci-dessous).",
        )


VOLET_COLUMNS = (
    ("Volet", 12, "volet"),
    ("Plafond initial", 21, "initial"),
    ("Plafond en vigueur", 21, "plafond"),
    ("Part État prévue (annexe 2)", 21, "part_etat_prevue"),
    ("Dépenses déclarées", 21, "depenses_declarees"),
    ("dont éligibles", 21, "eligibles"),
    ("Contribution due", 21, "contribution_due"),
    ("Avance", 21, "avance_versee"),
    ("Solde (+ dû, - à reverser)", 21, "solde"),
)


def _volets(pdf, rows: list[dict], followup: FollowUp | None) -> None:
    heading(pdf, "Chiffres par volet (art. 4.1, 6 et 8)")
    rows = [r for r in rows if r.get("nom") != "Total région"]
    if not rows:
        para(pdf, "Aucune annexe reçue : aucun chiffre à rapprocher.")
        return
    initial = followup.initial_ceilings if followup else {}
    table = [[label for label, _, _ in VOLET_COLUMNS]]
    totals: dict[str, Decimal] = {}
    for row in rows:
        volet = int(row["volet"])
        values = {**row, "initial": initial.get(volet, row.get("plafond")), "solde": _balance(row)}
        for key, value in values.items():
            if isinstance(value, Decimal):
                totals[key] = totals.get(key, Decimal(0)) + value
        table.append([f"Volet {volet}", *(_cell(values.get(k)) for _, _, k in VOLET_COLUMNS[1:])])
    if len(rows) > 1:
        table.append(["Total", *(_cell(totals.get(k)) for _, _, k in VOLET_COLUMNS[1:])])
    draw_table(pdf, table, [w for _, w, _ in VOLET_COLUMNS])


def _balance(row: dict) -> Decimal | None:
    owed, back = row.get("solde_a_verser"), row.get("trop_percu")
    if not isinstance(owed, Decimal) or not isinstance(back, Decimal):
        return None
    return owed - back


def _money(pdf, proposals: list[dict], suivi: dict) -> None:
    heading(pdf, "Ce que l'État doit verser ou doit récupérer (art. 6)")
    if not proposals:
        return
    row = proposals[0]
    amount = row.get("montant")
    if not isinstance(amount, Decimal):
        line(pdf, "Proposition", clean_text(row.get("proposition") or ""))
        if isinstance(suivi.get("avance"), Decimal):
            line(
                pdf,
                "Avance",
                f"{format_euros(suivi['avance'])}, {clean_text(suivi['avance_origine'])} : le "
                "solde ou le trop-perçu sera établi sur le bilan final.",
            )
        return
    sentence = {
        "à verser": f"L'État doit verser au Conseil départemental un solde de {format_euros(amount)}.",
        "à recouvrer": f"Le Conseil départemental doit reverser à l'État un trop-perçu de {format_euros(amount)}.",
    }.get(row.get("sens") or "", "Rien n'est à verser ni à recouvrer.")
    if str(row.get("proposition") or "").startswith("suspendue"):
        # a bilan with errors: its figures are not yet what the State pays on
        would_be = {
            "à verser": f"un solde de {format_euros(amount)} serait à verser par l'État",
            "à recouvrer": f"un trop-perçu de {format_euros(amount)} serait à reverser à l'État",
        }.get(row.get("sens") or "", "rien ne serait à verser ni à recouvrer")
        sentence = (
            "Proposition suspendue : le bilan contient des erreurs à corriger (voir les constats) ; "
            f"rien n'est versé ni recouvré d'ici là. Sur ses chiffres actuels, {would_be}."
        )
    para(pdf, sentence, 10, 6)
    pdf.set_font(FONT, "", 9)
    line(
        pdf,
        "Contribution due",
        f"{format_euros(row['contribution_due'])} (somme des volets, chacun plafonné)",
    )
    line(pdf, "Avance", f"{format_euros(row['avance'])}, {clean_text(row['avance_origine'])}")
    line(pdf, "Détail par volet", clean_text(row.get("detail_volets") or ""))
    line(pdf, "Proposition", clean_text(row.get("proposition") or ""))


def _actions(pdf, rows: list[dict]) -> None:
    if not rows:
        return
    heading(pdf, "Prévu et réalisé par action (art. 8 : inexécution des dépenses prévues)")
    table = [["Volet", "Action", "Prévu", "Réalisé", "Écart", "Exécution"]]
    for row in rows:
        rate = row.get("taux_execution")
        table.append(
            [
                str(row["volet"]),
                clean_text(row["libelle_action"]),
                _cell(row.get("prevu")),
                _cell(row.get("realise")),
                _cell(row.get("ecart")),
                f"{rate} %".replace(".", ",") if isinstance(rate, Decimal) else "",
            ]
        )
    draw_table(pdf, table, [12, 78, 24, 24, 24, 18])


def _findings(pdf, rows: list[dict]) -> None:
    heading(pdf, "Constats sur les fichiers reçus")
    if not rows:
        para(pdf, "Aucun constat.")
        return
    order = {"erreur": 0, "avertissement": 1, "information": 2}
    table = [["Gravité", "Fichier et cellule", "Constat"]]
    for row in sorted(rows, key=lambda r: order.get(r.get("gravite", ""), 3)):
        place = " ".join(x for x in (clean_text(row.get("annexe") or ""), _place(row)) if x)
        article = f" (art. {row['article']})" if row.get("article") else ""
        article = "" if article.strip() in row["message"] else article
        table.append([row.get("gravite", ""), place, clean_text(row["message"]) + article])
    draw_table(pdf, table, [24, 40, 116], align_numbers=False)


def _place(row: dict) -> str:
    sheet, cell = clean_text(row.get("feuille") or ""), clean_text(row.get("cellule") or "")
    return f"'{sheet}'!{cell}" if sheet and cell else sheet


def _imputation(pdf, followup: FollowUp | None) -> None:
    heading(pdf, "Imputation de la dépense (art. 6)")
    given = followup.imputation if followup else {}
    for key in IMPUTATION:
        line(pdf, IMPUTATION_LABELS[key], clean_text(given.get(key, "")) or "à compléter")


def _files(pdf, rows: list[dict]) -> None:
    heading(pdf, "Fichiers sur lesquels ce rapport repose")
    if not rows:
        para(pdf, "Aucun.")
    for row in rows:
        para(
            pdf,
            f"{clean_text(row['fichier'])} ({row.get('statut', '')}) : SHA-256 {row.get('sha256', '')}",
            7,
            4,
        )


def _cell(value: object) -> str:
    if isinstance(value, Decimal):
        return format_euros(value)
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return clean_text(str(value))


def _date(value: object) -> str:
    return f"{value:%d/%m/%Y}" if isinstance(value, date) else ""
