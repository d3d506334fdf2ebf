"""Cells whose value budget-tool could not compute as the spreadsheet did, and why that is no
forgery.

A formula typed into an input cell that budget-tool does not compute (``=IF(1>0,5000,0)``), or
forbids (``=WEBSERVICE(…)``), or that refers to itself, is reported once, at its cell, and its
value is not counted. Every formula that depends on it, directly or through other formulas, then
disagrees with the result the spreadsheet saved: an honest file, not one « modifié sans
recalcul ». So does a template formula that does arithmetic on a number typed as text that the
spreadsheets read in their own ways (« 1,000 », « 1000.5 »: ``expr.ambiguous_number``), the text
being reported at its cell (``nombre-en-texte``). ``uncomputed_dependents`` finds those cells, so
that the rules do not call their saved results forged; everywhere else a disagreement is still
reported.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterator, Mapping

from budget_tool import expr
from budget_tool.model import FilledWorkbook
from budget_tool.plan import CIRCULAR, FORMULA, CellKey
from budget_tool.typedformula import TypedFormula, ambiguous_operand


def uncomputed_dependents(
    workbook: FilledWorkbook,
    typed: Mapping[CellKey, TypedFormula],
    values: Mapping[CellKey, expr.Value],
) -> frozenset[CellKey]:
    """The typed formulas not computed (no node, or circular), the template's formulas that do
    arithmetic on an ambiguous number typed as text, and every cell whose formula reads one of
    them, directly or through other formulas (template or typed)."""
    formulas = list(_formulas(workbook, typed))
    seeds = [
        key for key, formula in typed.items() if formula.node is None or values.get(key) == CIRCULAR
    ]
    seeds += [
        key
        for key, node in formulas
        if key not in typed and ambiguous_operand(node, workbook) is not None
    ]
    if not seeds:
        return frozenset()
    readers: dict[CellKey, list[CellKey]] = defaultdict(list)
    for key, node in formulas:
        for ref in _cells_read(node):
            readers[(ref.sheet or key[0], ref.row, ref.col)].append(key)
    found, queue = set(seeds), deque(seeds)
    while queue:
        for reader in readers.get(queue.popleft(), ()):
            if reader not in found:
                found.add(reader)
                queue.append(reader)
    return frozenset(found)


def _formulas(
    workbook: FilledWorkbook, typed: Mapping[CellKey, TypedFormula]
) -> Iterator[tuple[CellKey, expr.Node]]:
    for sheet in workbook.plan.sheets:
        for cell in sheet.of_kind(FORMULA):
            if cell.node is not None:
                yield (sheet.name, cell.row, cell.col), cell.node
    for key, formula in typed.items():
        if formula.node is not None:
            yield key, formula.node


def _cells_read(node: expr.Node) -> Iterator[expr.Ref]:
    """Every cell a formula reads, ranges expanded (typed ranges are bounded when parsed)."""
    for ref in expr.references(node):
        yield from ref.cells() if isinstance(ref, expr.Range) else (ref,)
