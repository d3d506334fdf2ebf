"""The work behind each page, run in a worker process: the library's own functions
(``check``, ``annotate``, ``consolidate``, the report and summary writers), then plain data for
the templates (strings and bytes only, so that it crosses the process boundary cheaply).

Nothing here re-implements a check: the verdicts, figures and findings are the library's.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path, PurePosixPath

from budget_tool.errors import BudgetToolError
from budget_tool.findings import Severity
from budget_tool.numbers import format_euros, show_number
from budget_tool.report import Report

Item = tuple[str, str]  # (our path, the name the officer gave the file)
VERDICTS = {
    "conforme": ("conforme", "success", "Conforme"),
    "avertissements": ("conforme", "success", "Conforme, avec des points à vérifier"),
    "erreurs": ("à corriger", "error", "À corriger"),
    "vide": ("vide", "error", "Rien n'est déclaré : à remplir"),
    "refusé": ("refusé", "error", "Refusé"),
}


def warm() -> None:
    """Load what every check needs once (templates, their plans' skeletons), before a request."""
    from budget_tool import checker, consolidation, summary  # noqa: F401
    from budget_tool.templates import ANNEXES, load_template

    for template_id in ANNEXES:
        load_template(template_id)
    summary.column_headers()


def check_one(item: Item, with_annotations: bool = True) -> tuple[Report, dict]:
    """Check one file as ``budget-tool check`` does: its report (for the JSON renderer of
    ``--format json``), a view of it for the page, with its annotated copy (``check --annotate``)."""
    from budget_tool.checker import check

    path, name = item
    report = check(path)
    annotated = _annotated(report) if with_annotations else None
    report.path = PurePosixPath(name)  # type: ignore[assignment]  # named as the officer knows it
    return report, report_view(report, annotated)


def _annotated(report: Report) -> bytes | None:
    from budget_tool.annotate import annotate

    if report.refused is not None:
        return None
    path = Path(report.path)
    target = path.with_name(path.stem + "-annotee.xlsx")
    annotate(report, target)
    return target.read_bytes()


def report_view(report: Report, annotated: bytes | None) -> dict:
    from budget_tool.templates import load_template

    label = load_template(report.annexe).name if report.annexe else ""
    verdict, tone, title = VERDICTS[report.status()]
    return {
        "name": str(report.path),
        "verdict": verdict,
        "tone": tone,
        "title": title,
        "refused": report.refused,
        "annexe": label,
        "version": report.template_version,
        "departement": report.departement,
        "departement_nom": report.departement_nom,
        "region": report.region,
        "year": report.year,
        "counts": {s.value: report.count(s) for s in Severity},
        "volets": [
            {
                "volet": v.volet,
                "rows": [
                    (v.labels.get(k, k), show_number(x, v.types.get(k, "money")))
                    for k, x in v.figures.items()
                ],
            }
            for v in report.volets
        ],
        "figures": [
            (name, format_euros(value) if isinstance(value, Decimal) else str(value))
            for name, value in report.figures
        ],
        "sheets": _by_sheet(report),
        "annotated": annotated,
        "annotated_name": _annotated_name(str(report.path)),
    }


def _by_sheet(report: Report) -> list[tuple[str, list[dict]]]:
    """Findings grouped by sheet, errors first (the order of the text report)."""
    grouped: dict[str, list[dict]] = defaultdict(list)
    ordered = sorted(
        report.findings, key=lambda f: (f.severity.rank, f.where.sheet if f.where else "")
    )
    for item in ordered:
        grouped[item.where.sheet if item.where and item.where.sheet else "Classeur"].append(
            item.as_dict()
        )
    return list(grouped.items())


def _annotated_name(name: str) -> str:
    stem = PurePosixPath(name).stem or "classeur"
    return f"{stem}-annote.xlsx"


def consolidate_files(
    items: list[Item], allocations: Item | None, keep_going: bool, today: date | None = None
) -> dict:
    """Consolidate as ``budget-tool consolidate [--allocations] [--date] [--reports]`` does; the
    JSON of ``--json``, the summary workbook, CSV files and (with a follow-up file) the
    per-département PDF reports, as bytes, and a view of the tables. A refused file stops the
    writing, as in the CLI, unless ``keep_going``."""
    from budget_tool.consolidation import consolidate
    from budget_tool.followup import load_followup
    from budget_tool.summary import to_json, write_csv, write_summary
    from budget_tool.web.followup_view import followup_view, reports

    names = _names(items + ([allocations] if allocations else []))
    try:
        followup = load_followup(Path(allocations[0])) if allocations else None
        result = consolidate([path for path, _ in items], followup=followup, today=today)
    except BudgetToolError as exc:
        return {"error": rename(str(exc), names)}
    _rename_tables(result, names)
    view = consolidation_view(result)
    view["json"] = to_json(result)
    view["today"] = today or date.today()
    if followup is not None and allocations:  # without one, the page stays as it was
        view.update(followup_view(result, shown), suivi_given=allocations[1])
        view["to_look_at"] = _with_followup(view["to_look_at"], view["suivi"])
    if result.refused and not keep_going:  # as the CLI: no proposal, no report, nothing written
        view["propositions"] = None
        return view
    folder = Path(items[0][0]).parent / "sorties"
    folder.mkdir()
    view["workbook"] = Path(write_summary(result, folder / "synthese.xlsx")).read_bytes()
    view["csv"] = [(p.name, p.read_bytes()) for p in write_csv(result, folder)]
    if followup is not None:
        view["reports"] = reports(result, folder / "rapports", followup, today)
    return view


def _with_followup(to_look_at: list[tuple[str, str]], suivi: list[dict]) -> list[tuple[str, str]]:
    """« À regarder » with a follow-up file, in its order: each département whose synthesis is
    not « conforme » or whose follow-up status is not a bilan received in time without error
    (those that sent nothing included, the synthesis has no row for them), with both statuses."""
    synthesis = dict(to_look_at)
    found = []
    for row in suivi:
        name = f"{row['departement']} - {row['nom']}"
        statuses = [synthesis.pop(name)] if name in synthesis else []
        if row["tone"] != "success":
            statuses.append(row["statut"])
        if statuses:
            found.append((name, " ; ".join(statuses)))
    return found + list(synthesis.items())


_OUR_NAME = re.compile(r"(?:~\$|\.)?envoi-\d{3}\.[a-z]+")


def _names(items: list[Item]) -> dict[str, str]:
    names = {}
    for path, name in items:
        names[path] = name
        names[Path(path).name] = name
        names[str(Path(path).parent)] = "envoi"
    return names


def rename(text: str, names: dict[str, str]) -> str:
    """Our file names, in any text the library wrote, back to the officer's names."""
    for path in sorted((p for p in names if "/" in p), key=len, reverse=True):
        text = text.replace(path, names[path])  # full paths first, then the folder
    return _OUR_NAME.sub(lambda m: names.get(m.group(0), m.group(0)), text)


def _rename_tables(result, names: dict[str, str]) -> None:
    """Our names back to the officer's in every table the downloads write."""
    from budget_tool.summary import CSV_TABLES

    for item in result.files:
        item.reason = rename(item.reason, names)
    for table in CSV_TABLES:
        frame = getattr(result, table, None)
        if frame is None:
            continue
        for column in (
            "fichier",
            "chemin",
            "raison",
            "message",
            "valeur",
            "annexe2",
            "annexe3",
            "fichier_bilan",
        ):
            if column in frame.columns:
                frame[column] = frame[column].map(
                    lambda v: rename(v, names) if isinstance(v, str) else v
                )


def consolidation_view(result) -> dict:
    from budget_tool.summary import column_headers
    from budget_tool.tables import SYNTHESE_HEADERS
    from budget_tool.web.chart import state_money_chart

    headers = {**column_headers(), **SYNTHESE_HEADERS}
    synthese = result.synthese.to_dict("records")
    columns = [k for k in SHOWN_COLUMNS if k in result.synthese.columns]
    files = result.fichiers.to_dict("records")
    anomalies = result.anomalies.to_dict("records")
    return {
        "year": result.year,
        "refused": [r for r in files if r["statut"] == "refusé"],
        "departements": sorted({r["departement"] for r in synthese if r["departement"]}),
        "to_look_at": _to_look_at(synthese),
        "synthese_columns": [(k, headers.get(k, k)) for k in columns],
        "synthese": [{k: shown(k, v) for k, v in r.items()} for r in synthese],
        "files": [{k: shown(k, v) for k, v in r.items()} for r in files],
        "anomalies": _anomalies_by_file(anomalies),
        "chart": state_money_chart(synthese),
    }


# The page's table: who, the status, and the State's money; the workbook and CSV have every column.
SHOWN_COLUMNS = (
    "departement",
    "nom",
    "volet",
    "statut",
    "plafond",
    "part_etat_prevue",
    "depenses_declarees",
    "contribution_due",
    "avance_versee",
    "solde_a_verser",
    "trop_percu",
)


def _to_look_at(records: list[dict]) -> list[tuple[str, str]]:
    """Each département whose status is not « conforme », with its statuses."""
    statuses: dict[str, list[str]] = defaultdict(list)
    for record in records:
        if record.get("departement") and record["statut"] != "conforme":
            name = f"{record['departement']} - {record['nom']}"
            if record["statut"] not in statuses[name]:
                statuses[name].append(record["statut"])
    return [(name, " ; ".join(found)) for name, found in statuses.items()]


def _anomalies_by_file(rows: list[dict]) -> list[tuple[str, list[dict]]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row["fichier"] or "Région"].append({k: shown(k, v) for k, v in row.items()})
    return list(grouped.items())


def shown(key: str, value: object) -> str:
    """A cell of a table as a French reader expects it."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if type(value).__name__ == "NAType":
        return ""
    if isinstance(value, Decimal):
        return show_number(value) + "\u00a0%" if key == "ecart_pct" else format_euros(value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if hasattr(value, "isoformat"):
        return value.strftime("%d/%m/%Y")  # type: ignore[attr-defined]
    return str(value)
