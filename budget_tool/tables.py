"""The consolidation's tables as pandas DataFrames: synthese, anomalies, lignes, fichiers.

Amounts stay ``Decimal`` (exact) in the frames; renderers convert them for their format.
Text that came from a département is cleaned of control characters here, once.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from budget_tool.consolidation import (
    ANNEXE_NAMES,
    Consolidation,
    InputFile,
    money,
    severity_counts,
)
from budget_tool.findings import Finding, Severity
from budget_tool.pairing import gap
from budget_tool.sanitize import clean_text
from budget_tool.templates import load_template

if TYPE_CHECKING:
    import pandas as pd

MONEY_COLUMNS = (
    "plafond",
    "besoins_prevus",
    "part_etat_prevue",
    "depenses_declarees",
    "ineligibles",
    "eligibles",
    "contribution_due",
    "avance_versee",
    "solde_a_verser",
    "trop_percu",
    "ecart_prevu_realise",
)
SYNTHESE_HEADERS = {
    "departement": "Code",
    "nom": "Département",
    "region": "Région",
    "volet": "Volet",
    "plafond": "Plafond (art. 4.1)",
    "besoins_prevus": "Besoins prévus (annexe 2)",
    "part_etat_prevue": "Part État prévue (annexe 2)",
    "depenses_declarees": "Dépenses déclarées (annexe 3)",
    "ineligibles": "dont inéligibles (art. 4.2)",
    "eligibles": "Dépenses éligibles",
    "contribution_due": "Contribution État due (art. 8)",
    "avance_versee": "Avance (art. 6) : versée, sinon 60 % du plafond",
    "solde_a_verser": "Solde à verser par l'État",
    "trop_percu": "Trop-perçu à reverser",
    "ecart_prevu_realise": "Écart réalisé - prévu (€)",
    "ecart_pct": "Écart réalisé - prévu (%)",
    "erreurs": "Erreurs",
    "avertissements": "Avertissements",
    "statut": "Statut",
}
FROM_PLAN = {"besoins_prevus": "besoins", "part_etat_prevue": "part_etat"}
FROM_BILAN = {
    "depenses_declarees": "depenses",
    "ineligibles": "ineligibles",
    "eligibles": "eligibles",
    "contribution_due": "contribution",
    "avance_versee": "avance",
    "solde_a_verser": "solde_du",
    "trop_percu": "trop_percu",
}


def build_tables(result: Consolidation, chosen: dict[tuple[str, str], InputFile]) -> None:
    import pandas as pd

    result.synthese = synthese_frame(_synthese_rows(result, chosen))
    result.anomalies = pd.DataFrame(anomaly_rows(result), columns=ANOMALY_COLUMNS)
    result.lignes = pd.DataFrame(_line_rows(chosen))
    result.fichiers = pd.DataFrame(_file_rows(result), columns=FILE_COLUMNS)


def synthese_frame(rows: list[dict]) -> pd.DataFrame:
    """The « Synthèse » table of ``rows`` (total rows included); counts stay integers."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(SYNTHESE_HEADERS))
    for column in ("volet", "erreurs", "avertissements"):
        frame[column] = frame[column].astype("Int64")
    return frame


def _synthese_rows(result: Consolidation, chosen: dict[tuple[str, str], InputFile]) -> list[dict]:
    rows = []
    for code in sorted({code for code, _ in chosen}, key=code_order):
        plan, bilan = chosen.get((code, "annexe-2")), chosen.get((code, "annexe-3"))
        reports = [f.report for f in (plan, bilan) if f and f.report]
        first = reports[0]
        findings = [f for r in reports for f in r.findings]
        findings += [f for item, f in result.findings if item in (plan, bilan)]
        volets = sorted({v.volet for r in reports for v in r.volets})
        sheets = {
            n: {load_template(r.annexe or "").sheet_name.format(volet=n) for r in reports}
            for n in volets
        }
        for number in volets:
            counts = severity_counts(f for f in findings if _concerns(f, number, sheets))
            row = {
                "departement": code,
                "nom": clean_text(first.departement_nom),
                "region": clean_text(first.region),
                "volet": number,
            }
            row.update(_figures(plan, bilan, number))
            errors, warnings = counts[Severity.ERREUR], counts[Severity.AVERTISSEMENT]
            row.update(
                erreurs=errors,
                avertissements=warnings,
                statut=_status(plan, bilan, errors, warnings, _empty(reports)),
            )
            rows.append(row)
    return rows + total_rows(rows)


def _concerns(finding: Finding, volet: int, sheets: dict[int, set[str]]) -> bool:
    """A finding on a volet's sheet counts for that volet; one on the synthesis or the whole
    workbook counts for every volet (it may change any of their figures)."""
    sheet = finding.where.sheet if finding.where else ""
    on_a_volet = [n for n, names in sheets.items() if sheet in names]
    return not on_a_volet or on_a_volet == [volet]


def _figures(plan: InputFile | None, bilan: InputFile | None, number: int) -> dict:
    row: dict[str, object] = dict.fromkeys(MONEY_COLUMNS)
    plan_volet = _volet(plan, number)
    bilan_volet = _volet(bilan, number)
    source = bilan_volet or plan_volet
    row["plafond"] = source.ceiling if source else None
    if plan_volet:
        row.update({k: money(plan_volet.figures.get(v)) for k, v in FROM_PLAN.items()})
    if bilan_volet:
        row.update({k: money(bilan_volet.figures.get(v)) for k, v in FROM_BILAN.items()})
    elif plan_volet:  # no bilan yet: the advance as the plan computes it (art. 6)
        row["avance_versee"] = money(plan_volet.figures.get("avance"))
    _gap(row)
    return row


def _gap(row: dict) -> None:
    found = gap(money(row.get("besoins_prevus")), money(row.get("depenses_declarees")))
    row["ecart_prevu_realise"], row["ecart_pct"] = found["ecart"], found["ecart_pct"]


def _volet(item: InputFile | None, number: int):
    if item is None or item.report is None:
        return None
    return next((v for v in item.report.volets if v.volet == number), None)


def _empty(reports: list) -> str:
    """The annexes with nothing declared (``classeur-vide``): their figures found no payment."""
    names = [ANNEXE_NAMES.get(r.annexe or "", "") for r in reports if r.status() == "vide"]
    return " et ".join(names)


def _status(plan, bilan, errors: int, warnings: int, empty: str = "") -> str:
    if empty:
        state = f"{empty} vide : aucun montant déclaré, chiffres de paiement non fondés"
    elif errors:
        state = "erreurs à corriger"
    elif warnings:
        state = "à vérifier"
    else:
        state = "conforme"
    missing = [name for name, item in (("annexe 2", plan), ("annexe 3", bilan)) if item is None]
    if not missing:
        return state
    received = next(name for name, item in (("annexe 2", plan), ("annexe 3", bilan)) if item)
    return f"incomplet : {missing[0]} non reçue ; {received} : {state}"


TOTAL_LABEL = "Total région"
SETS = (
    ("apparié", "départements appariés (plan et bilan)"),
    ("plan seul", "plan seul (bilan non reçu)"),
    ("bilan seul", "bilan seul (plan non reçu)"),
)


def total_rows(rows: list[dict]) -> list[dict]:
    """One total per set of départements (paired, plan only, bilan only), each saying which:
    sums, gaps and percentages of a total never mix départements that sent different annexes."""
    by_set: dict[str, list[dict]] = {}
    for row in rows:
        if row.get("nom") != TOTAL_LABEL:
            by_set.setdefault(row_set(row), []).append(row)
    return [_total_row(by_set[key], label) for key, label in SETS if by_set.get(key)]


def row_set(row: dict) -> str:
    planned = row.get("besoins_prevus") is not None
    declared = row.get("depenses_declarees") is not None
    return "apparié" if planned and declared else ("plan seul" if planned else "bilan seul")


def _total_row(rows: list[dict], label: str = "") -> dict:
    codes = sorted({r["departement"] for r in rows}, key=code_order)
    total: dict[str, object] = {
        "departement": "",
        "nom": TOTAL_LABEL,
        "region": "",
        "volet": None,
    }
    for key in MONEY_COLUMNS:
        values = [r[key] for r in rows if isinstance(r.get(key), Decimal)]
        total[key] = sum(values, Decimal(0)) if values else None
    planned, actual = money(total.get("besoins_prevus")), money(total.get("depenses_declarees"))
    total["ecart_pct"] = gap(planned, actual)["ecart_pct"]
    total["erreurs"] = None
    total["avertissements"] = None
    total["statut"] = f"{label} : {len(codes)} ({', '.join(codes)})" if label else ""
    return total


def code_order(code: str) -> tuple[int, str]:
    digits = code.replace("2A", "20.1").replace("2B", "20.2")
    try:
        return (0, f"{float(digits):08.2f}")
    except ValueError:
        return (1, code)


ANOMALY_COLUMNS = [
    "fichier",
    "departement",
    "annexe",
    "feuille",
    "cellule",
    "code",
    "gravite",
    "message",
    "article",
    "valeur",
]


def anomaly_rows(result: Consolidation) -> list[dict]:
    pairs: list[tuple[InputFile | None, Finding]] = [
        (item, f) for item in result.files if item.report for f in item.report.findings
    ]
    pairs += result.findings
    return [anomaly_row(item, found) for item, found in pairs]


def anomaly_row(item: InputFile | None, found: Finding, departement: str = "") -> dict:
    """One finding of the « Anomalies » table; ``departement`` when no file says it."""
    report = item.report if item else None
    return {
        "fichier": item.path.name if item else "",
        "departement": departement or (report.departement if report else "") or "",
        "annexe": ANNEXE_NAMES.get(report.annexe or "", "") if report else "",
        "feuille": found.where.sheet if found.where else "",
        "cellule": found.where.address if found.where else "",
        "code": found.code,
        "gravite": found.severity.value,
        "message": clean_text(found.message),
        "article": found.article,
        "valeur": clean_text(found.value),
    }


def _line_rows(chosen: dict[tuple[str, str], InputFile]) -> list[dict]:
    rows = []
    for (code, annexe), item in sorted(chosen.items()):
        for line in item.report.lines if item.report else []:
            row: dict[str, object] = {
                "fichier": item.path.name,
                "departement": code,
                "annexe": ANNEXE_NAMES.get(annexe, annexe),
            }
            for key, value in line.items():
                row[key] = (
                    value
                    if isinstance(value, Decimal | int | bool | date) or value is None
                    else clean_text(value)
                )
            rows.append(row)
    return rows


FILE_COLUMNS = [
    "fichier",
    "chemin",
    "sha256",
    "modele",
    "departement",
    "annexe",
    "annee",
    "statut",
    "raison",
    "erreurs",
    "avertissements",
]


def _file_rows(result: Consolidation) -> list[dict]:
    rows = []
    for item in result.files:
        report = item.report
        rows.append(
            {
                "fichier": item.path.name,
                "chemin": str(item.path),
                "sha256": report.sha256 if report and report.sha256 else _sha256(item),
                "modele": f"{report.annexe} v{report.template_version}"
                if report and report.annexe
                else "",
                "departement": (report.departement if report else "") or "",
                "annexe": ANNEXE_NAMES.get(report.annexe or "", "") if report else "",
                "annee": report.year if report else None,
                "statut": item.status,
                "raison": clean_text(item.reason),
                "erreurs": report.count(Severity.ERREUR)
                if report and report.refused is None
                else None,
                "avertissements": report.count(Severity.AVERTISSEMENT)
                if report and report.refused is None
                else None,
            }
        )
    return rows


def _sha256(item: InputFile) -> str:
    import hashlib

    digest = hashlib.sha256()
    try:
        with item.path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()
