"""budget-tool: generate, check and consolidate the budget workbooks (annexes 2 and 3) of the
convention départementale pour l'insertion et l'emploi (programme 102).

The library a DREETS script calls::

    import budget_tool
    report = budget_tool.check("annexe3-bilan-financier-23-2024.xlsx")  # -> Report
    result = budget_tool.consolidate(["retours/"])  # .synthese, .anomalies, .lignes, .fichiers

Kept light on purpose: the CLI starts fast, heavy libraries load inside the functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from budget_tool.consolidation import Consolidation
    from budget_tool.report import Report

__version__ = "0.2.0"
__all__ = ["check", "consolidate", "__version__"]


def check(path: Any, **options: Any) -> Report:
    """Check one workbook (see ``budget_tool.checker.check``): a ``Report``, never an exception."""
    from budget_tool.checker import check as run

    return run(path, **options)


def consolidate(paths: Any, **options: Any) -> Consolidation:
    """Consolidate workbooks or folders (see ``budget_tool.consolidation.consolidate``)."""
    from budget_tool.consolidation import consolidate as run

    return run(paths, **options)
