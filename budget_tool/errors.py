"""The few exceptions for "cannot go on".

Problems found *inside* a readable workbook are findings (see ``findings.py``), never exceptions.
These are raised only when the work cannot continue at all; every message is French and names the
file (and the cell or key where there is one), so that the CLI can print it as is.
"""

from __future__ import annotations


class BudgetToolError(Exception):
    """Base class: a French message meant for the user, printed without a traceback."""

    exit_code = 2


class UsageError(BudgetToolError):
    """Bad options or parameters (unknown département code, negative ceiling, bad CSV)."""

    exit_code = 2


class TemplateError(BudgetToolError):
    """A file of ``workbook_templates/`` is invalid: names the file and the key."""

    exit_code = 2


class WorkbookRefused(BudgetToolError):
    """A workbook could not be read, or was refused before reading (exit code 3)."""

    exit_code = 3

    def __init__(self, path: object, reason: str) -> None:
        from budget_tool.names import shown

        self.path = str(path)
        self.reason = reason
        super().__init__(f"{shown(path)} : {reason}")
