"""Many returned workbooks -> one regional summary: per département and volet, the ceilings,
the amounts planned and declared, the State contribution and what is still owed or to refund
(art. 6 and 8), and every finding. ``consolidate(paths)`` returns pandas DataFrames; writing the
summary workbook, CSV and JSON is done by ``summary.py``.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from budget_tool.checker import check
from budget_tool.errors import UsageError
from budget_tool.findings import Finding, Severity, finding
from budget_tool.names import shown
from budget_tool.plan import Parameters
from budget_tool.report import Report

if TYPE_CHECKING:
    import pandas as pd

    from budget_tool.followup import FollowUp

# Workbooks, and the spreadsheet files a département may send by mistake (refused with advice);
# anything else in a folder (CSV or JSON outputs, notes) is set aside with a note.
ACCEPTED_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
OUTPUT_MARKER = "budget-tool-consolidation"  # custom property written in our own summaries
ANNEXE_NAMES = {"annexe-2": "annexe 2", "annexe-3": "annexe 3"}
OWN_OUTPUT = "consolidation produite par budget-tool"


@dataclass
class InputFile:
    path: Path
    status: str = "retenu"  # retenu, écarté, refusé, ignoré
    reason: str = ""
    report: Report | None = None


@dataclass
class Consolidation:
    files: list[InputFile]
    findings: list[tuple[InputFile | None, Finding]] = field(default_factory=list)
    year: int | None = None
    synthese: pd.DataFrame | None = None
    anomalies: pd.DataFrame | None = None
    lignes: pd.DataFrame | None = None
    fichiers: pd.DataFrame | None = None
    suivi: pd.DataFrame | None = None  # tracking.py: a status per département
    propositions: pd.DataFrame | None = None  # proposals.py: what to pay or recover
    actions: pd.DataFrame | None = None  # pairing.py: plan against actual per action

    @property
    def refused(self) -> list[InputFile]:
        return [f for f in self.files if f.status == "refusé"]


def discover(inputs: Iterable[Path]) -> list[InputFile]:
    """Files named, and the files of folders named; lock, hidden and our own files set aside."""
    found: list[InputFile] = []
    for item in inputs:
        item = Path(item)
        try:
            if item.is_dir():
                found += [_classify(p) for p in sorted(item.rglob("*")) if p.is_file()]
            elif item.exists():
                found.append(_classify(item))
            else:
                raise UsageError(f"{shown(item)} : fichier ou dossier introuvable.")
        except OSError as exc:  # name too long, folder not readable...
            from budget_tool.output import os_reason

            raise UsageError(f"{shown(item)} : lecture impossible : {os_reason(exc)[0]}.") from exc
    return found


def refuse_outputs_over_inputs(files: list[InputFile], outputs: Iterable[str | Path]) -> None:
    """An output may replace a file set aside (our own earlier outputs), never an input."""
    inputs = {item.path.resolve() for item in files if item.status == "retenu"}
    for output in outputs:
        if Path(output).resolve() in inputs:
            raise UsageError(
                f"{output} : la sortie ne peut pas être l'un des fichiers à consolider."
            )


def _classify(path: Path) -> InputFile:
    name = path.name
    if name.startswith("~$") or name.startswith(".~lock."):
        return InputFile(path, "ignoré", "fichier de verrouillage d'Excel ou de LibreOffice")
    if name.startswith(".") or any(part.startswith(".") for part in path.parent.parts[-1:]):
        return InputFile(path, "ignoré", "fichier caché")
    if path.suffix.lower() not in ACCEPTED_SUFFIXES:
        return InputFile(path, "ignoré", f"extension « {path.suffix} » : pas un classeur")
    if _is_our_output(path):
        return InputFile(path, "ignoré", OWN_OUTPUT)
    return InputFile(path)


def _is_our_output(path: Path) -> bool:
    """Our summaries carry a marker in docProps/custom.xml; read cheaply, without openpyxl."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("docProps/custom.xml")
            if info.file_size > 100_000:
                return False
            return OUTPUT_MARKER.encode() in archive.read(info)
    except (KeyError, OSError, zipfile.BadZipFile, RuntimeError, ValueError):
        return False


def consolidate(
    inputs: Iterable[str | Path],
    progress: Callable[[InputFile], None] | None = None,
    outputs: Iterable[str | Path] = (),
    allocations: Mapping[str, Parameters] | None = None,
    year: int | None = None,
    templates: Path | None = None,
    followup: Mapping[str, FollowUp] | None = None,
    today: date | None = None,
) -> Consolidation:
    """Check every input, pair annexes 2 and 3 per département, build the tables.

    ``outputs`` are the files the caller will write: one that is also an input is refused
    before anything is read. ``allocations`` (département code -> parameters) are the State's
    ceilings: each file's are compared with them, and a département allocated but absent from
    the inputs is said. Each year is consolidated on its own: files of several years are refused
    together, unless ``year`` says which one to keep (the others are then set aside). Each file
    is checked with the template version it names (``templates``: the templates folder), so
    files of two versions of the same year are consolidated together. ``followup`` (the follow-up file,
    ``followup.read_followup``) gives each département's ceilings in force (and stands for
    ``allocations`` when those are not given), the advance paid and the reception dates;
    ``today`` (default: today) dates the art. 3.2 statuses.
    """
    if allocations is None and followup is not None:
        allocations = {code: item.params for code, item in followup.items()}
    files = discover([Path(p) for p in inputs])
    refuse_outputs_over_inputs(files, outputs)
    if not any(item.status == "retenu" for item in files):
        raise UsageError(
            "aucun classeur à consolider (fichiers .xlsx des départements) dans : "
            + ", ".join(str(p) for p in inputs)
        )
    for item in files:
        if item.status == "retenu":
            item.report = check(item.path, allocations=allocations, templates=templates)
            if item.report.refused is not None:
                item.status, item.reason = "refusé", item.report.refused
        if progress:
            progress(item)
    result = Consolidation(files)
    result.year = _single_year(files, year)
    chosen = _choose_duplicates(result)
    _cross_checks(result, chosen, allocations)
    from budget_tool.tables import build_tables

    build_tables(result, chosen)
    from budget_tool.tracking import follow

    follow(result, chosen, followup, today)
    return result


def _single_year(files: list[InputFile], wanted: int | None = None) -> int | None:
    """The year of the consolidation. Files of another year than ``wanted`` are set aside; without
    ``wanted``, files of several years (the 2024 bilans and the 2025 plans, received together from
    January to March) are refused together, with how to split them."""
    years: dict[int, list[InputFile]] = defaultdict(list)
    for item in files:
        if item.report is not None and item.report.year is not None:
            years[item.report.year].append(item)
    if wanted is not None:
        if years and wanted not in years:
            found = ", ".join(str(year) for year in sorted(years))
            raise UsageError(
                f"aucun classeur de {wanted} à consolider (années trouvées : {found})."
            )
        for year, items in years.items():
            for item in items if year != wanted else ():
                item.status = "écarté"
                item.reason = f"année {year} : cette consolidation porte sur {wanted}"
        return wanted
    if len(years) > 1:
        detail = " ; ".join(_year_detail(year, items) for year, items in sorted(years.items()))
        choices = " ou ".join(f"--year {year}" for year in sorted(years))
        raise UsageError(
            f"fichiers de plusieurs années, consolidation refusée ({detail}). Chaque année se "
            f"consolide à part : relancez avec {choices} (les fichiers des autres années sont "
            "alors écartés), ou rangez les fichiers de chaque année dans leur propre dossier."
        )
    return next(iter(years), None)


def _year_detail(year: int, items: list[InputFile]) -> str:
    """A year's files, e.g. "2024 : annexe 3 × 5 (a.xlsx, b.xlsx…)": short even for 200 files."""
    parts = []
    for annexe, name in ANNEXE_NAMES.items():
        names = sorted(i.path.name for i in items if i.report and i.report.annexe == annexe)
        if names:
            shown = ", ".join(names[:2]) + ("…" if len(names) > 2 else "")
            parts.append(f"{name} × {len(names)} ({shown})")
    return f"{year} : {', '.join(parts)}"


def _choose_duplicates(result: Consolidation) -> dict[tuple[str, str], InputFile]:
    """One file per (département, annexe): the most recently modified; the others set aside."""
    groups: dict[tuple[str, str], list[InputFile]] = defaultdict(list)
    for item in result.files:
        if item.status == "retenu" and item.report is not None:
            groups[(item.report.departement or "", item.report.annexe or "")].append(item)
    chosen = {}
    for (code, annexe), items in groups.items():
        items.sort(key=lambda f: (os.stat(f.path).st_mtime, f.path.name), reverse=True)
        chosen[(code, annexe)] = items[0]
        for other in items[1:]:
            other.status = "écarté"
            other.reason = f"doublon : {items[0].path.name} (plus récent) est retenu"
            result.findings.append(
                (
                    items[0],
                    finding(
                        "doublon-departement",
                        None,
                        items[0].path.name,
                        departement=code,
                        annexe=ANNEXE_NAMES.get(annexe, annexe),
                        other=other.path.name,
                    ),
                )
            )
    return chosen


def _cross_checks(
    result: Consolidation,
    chosen: dict[tuple[str, str], InputFile],
    allocations: Mapping[str, Parameters] | None = None,
) -> None:
    """Between the annexes of one département: the same ceilings; say which annexe is missing,
    and which allocated département sent nothing at all."""
    codes = sorted({code for code, _ in chosen})
    for code in sorted(set(allocations or {}) - set(codes)):
        for annexe in ("annexe-2", "annexe-3"):
            result.findings.append(
                (
                    None,
                    finding(
                        "annexe-manquante", None, "", annexe=ANNEXE_NAMES[annexe], departement=code
                    ),
                )
            )
    for code in codes:
        plan, bilan = chosen.get((code, "annexe-2")), chosen.get((code, "annexe-3"))
        for annexe, item in (("annexe-2", plan), ("annexe-3", bilan)):
            if item is None:
                present = plan or bilan
                result.findings.append(
                    (
                        present,
                        finding(
                            "annexe-manquante",
                            None,
                            "",
                            annexe=ANNEXE_NAMES[annexe],
                            departement=code,
                        ),
                    )
                )
        if plan and bilan and plan.report and bilan.report:
            ceilings_plan = {v.volet: v.ceiling for v in plan.report.volets}
            for volet in bilan.report.volets:
                expected = ceilings_plan.get(volet.volet)
                if expected is not None and expected != volet.ceiling:
                    result.findings.append(
                        (
                            bilan,
                            finding(
                                "plafonds-differents",
                                None,
                                volet.ceiling,
                                volet=volet.volet,
                                expected=expected,
                            ),
                        )
                    )


def money(value: object) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def severity_counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    counts = dict.fromkeys(Severity, 0)
    for item in findings:
        counts[item.severity] += 1
    return counts
