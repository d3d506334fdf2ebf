"""What every rule gets (``Context``) and how a rule says which codes it emits (``@rule``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from budget_tool import expr
from budget_tool.findings import CATALOGUE, Finding
from budget_tool.layout import column_index
from budget_tool.model import FilledWorkbook
from budget_tool.plan import Line, Parameters, SheetPlan
from budget_tool.refs import CellRef
from budget_tool.typedformula import TypedFormula

RuleFunction = Callable[["Context"], Iterable[Finding]]

RULES: list[tuple[tuple[str, ...], RuleFunction]] = []


def rule(*codes: str) -> Callable[[RuleFunction], RuleFunction]:
    """Register a rule with the codes it may emit; they must be in the catalogue."""
    unknown = [code for code in codes if code not in CATALOGUE]
    if unknown:
        raise ValueError(f"codes absents du catalogue : {unknown}")

    def register(function: RuleFunction) -> RuleFunction:
        RULES.append((codes, function))
        return function

    return register


@dataclass
class Context:
    workbook: FilledWorkbook
    values: dict[tuple[str, int, int], expr.Value]  # recomputed from the inputs
    broken: set[str] = field(default_factory=set)  # sheets whose rows no longer match the plan
    allocations: Mapping[str, Parameters] | None = None  # official ceilings, by département code
    typed: Mapping[tuple[str, int, int], TypedFormula] = field(default_factory=dict)
    # cells that depend on a typed formula not computed (taint.py): no forgery in their results
    tainted: frozenset[tuple[str, int, int]] = frozenset()
    _columns: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._columns = {c.key: column_index(c) for c in self.workbook.template.columns}

    @property
    def plan(self):
        return self.workbook.plan

    @property
    def checks(self):
        return self.workbook.template.checks

    def ref(self, sheet: str, row: int, col: int) -> CellRef:
        return CellRef(sheet, row, col)

    def sheets(self) -> Iterator[SheetPlan]:
        """Planned sheets present in the file whose rows are where the plan puts them."""
        for sheet in self.plan.sheets:
            if sheet.name in self.workbook.sheets and sheet.name not in self.broken:
                yield sheet

    def volet_sheets(self) -> Iterator[SheetPlan]:
        return (sheet for sheet in self.sheets() if sheet.volet is not None)

    def col(self, key: str) -> int:
        return self._columns[key]

    def line_value(self, sheet: SheetPlan, line: Line, key: str) -> expr.Value:
        return self.workbook.input_value(sheet.name, line.row, self.col(key))

    def computed(self, sheet: str, row: int, col: int) -> expr.Value:
        return self.values.get((sheet, row, col))

    def line_amount(self, sheet: SheetPlan, line: Line) -> Decimal:
        value = self.computed(sheet.name, line.row, self.col(self.checks.line_amount))
        return value if isinstance(value, Decimal) else Decimal(0)

    def category_lines(self) -> Iterator[tuple[SheetPlan, Line, str, Decimal, CellRef]]:
        """Counted lines with their category as typed (stripped), amount and category cell."""
        category = next((c for c in self.workbook.template.columns if c.type == "category"), None)
        if category is None or self.checks is None:
            return
        col = self.col(category.key)
        for sheet in self.volet_sheets():
            for line in sheet.lines:
                if line.counted:
                    value = self.line_value(sheet, line, category.key)
                    text = value.strip() if isinstance(value, str) else ""
                    where = self.ref(sheet.name, line.row, col)
                    yield sheet, line, text, self.line_amount(sheet, line), where

    def has_amount(self, sheet: SheetPlan, line: Line) -> bool:
        """An amount was entered, even as text that the spreadsheet does not count, as an
        error value, or as a formula budget-tool does not count (each reported as such)."""
        if self.line_amount(sheet, line):
            return True
        keys = [self.checks.line_amount, self.checks.lump, *self.checks.units]
        inputs = [k for k in keys if k and self.workbook.template.column(k).input]
        if any(self.workbook.read(sheet.name, line.row, self.col(k)).is_formula for k in inputs):
            return True
        return any(
            isinstance(value, expr.ExcelError) or (isinstance(value, str) and value.strip())
            for value in (self.line_value(sheet, line, key) for key in inputs)
        )

    def synthesis_value(self, volet: int | None, key: str) -> expr.Value:
        """A synthesis figure recomputed: a volet's row (or the total row when volet is None)."""
        synthesis = self.plan.synthesis
        anchor = f"volet{volet}.row" if volet is not None else f"total.{key}"
        if anchor not in synthesis.anchors:
            return None
        row, _ = synthesis.anchors[anchor]
        col = [c.key for c in self.workbook.template.synthesis.columns].index(key)
        return self.values.get((synthesis.name, row, col))
