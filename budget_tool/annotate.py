"""``check --annotate OUT.xlsx``: a copy of the workbook with each finding as a comment on its
cell, the cell highlighted. The input file is never written to.

The copy keeps the input's kind: a workbook with macros annotated as ``.xlsm`` stays a valid
macro workbook (its macros are copied, never run); as ``.xlsx`` it is written without them. A
workbook without macros cannot be written under an ``.xlsm`` name (Excel would refuse to open
it), nor can any copy take another extension. ``-`` writes the copy to standard output."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from budget_tool.errors import UsageError
from budget_tool.findings import Finding, Severity
from budget_tool.names import shown
from budget_tool.output import is_stdout, output_path
from budget_tool.report import Report
from budget_tool.safeload import load_workbook

_FILLS = {
    Severity.ERREUR: "FFF8CBAD",
    Severity.AVERTISSEMENT: "FFFFEB9C",
    Severity.INFORMATION: "FFDDEBF7",
}


def annotate(report: Report, target: Path | str) -> Path | str:
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    target = target if is_stdout(target) else Path(target)
    if not is_stdout(target) and Path(target).resolve() == Path(report.path).resolve():
        raise UsageError(
            f"{shown(target)} : le fichier annoté doit être différent du fichier contrôlé."
        )
    if report.refused is not None:
        raise UsageError(
            f"{shown(report.path)} : fichier refusé, rien à annoter ({report.refused})."
        )
    suffix = copy_suffix(report.path, target)
    book, checked = load_workbook(  # through the pre-check, like every input we read
        report.path, keep_vba=suffix == ".xlsm"
    )
    if suffix == ".xlsm" and not checked.is_macro_enabled:
        raise UsageError(
            f"{shown(target)} : le classeur contrôlé n'a pas de macros ; une copie « .xlsm » ne "
            "s'ouvrirait pas dans Excel : nommez la copie annotée en .xlsx."
        )
    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for item in report.findings:
        if item.where and item.where.address and item.where.sheet in book.sheetnames:
            by_cell[(item.where.sheet, item.where.address)].append(item)
    for (sheet, address), items in by_cell.items():
        cell = book[sheet][address]
        worst = min(items, key=lambda f: f.severity.rank).severity
        text = "\n".join(f"[{f.severity.value}] {f.code} : {f.message}" for f in items)
        cell.comment = Comment(text, "budget-tool", width=420, height=160)
        cell.fill = PatternFill("solid", fgColor=_FILLS[worst])
    with output_path(target) as temporary:
        book.save(temporary)
    return target


def copy_suffix(source: Path | str, target: Path | str) -> str:
    """.xlsx or .xlsm, as the target says (for ``-``: as the checked file says); another
    extension is refused (the CLI asks before checking anything)."""
    suffix = Path(source if is_stdout(target) else target).suffix.lower()
    if is_stdout(target) and suffix not in (".xlsx", ".xlsm"):
        return ".xlsx"
    if suffix not in (".xlsx", ".xlsm"):
        raise UsageError(
            f"{shown(target)} : une copie annotée est un classeur Excel : son nom se termine par "
            ".xlsx (ou .xlsm pour un classeur avec macros)."
        )
    return suffix
