"""``check --annotate OUT.xlsx``: a copy of the workbook with each finding as a comment on its
cell, the cell highlighted. The input file is never written to."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from budget_tool.atomic import atomic_path
from budget_tool.errors import UsageError
from budget_tool.findings import Finding, Severity
from budget_tool.report import Report
from budget_tool.safeload import load_workbook

_FILLS = {
    Severity.ERREUR: "FFF8CBAD",
    Severity.AVERTISSEMENT: "FFFFEB9C",
    Severity.INFORMATION: "FFDDEBF7",
}


def annotate(report: Report, target: Path) -> Path:
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    target = Path(target)
    if target.resolve() == Path(report.path).resolve():
        raise UsageError(f"{target} : le fichier annoté doit être différent du fichier contrôlé.")
    if report.refused is not None:
        raise UsageError(f"{report.path} : fichier refusé, rien à annoter ({report.refused}).")
    book, _ = load_workbook(report.path)  # through the pre-check, like every input we read
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
    with atomic_path(target) as temporary:
        book.save(temporary)
    return target
