"""The plan of a workbook: every cell the template puts somewhere, with what it holds.

``layout.build_plan`` makes it from a template and a département's parameters. The generator
writes it, the reader finds cells through it, the checker compares a file against it, and
``compute`` evaluates its formulas in exact decimals. Rows and columns are 0-based, as in
xlsxwriter; ``refs.CellRef`` renders them 1-based for people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal, localcontext

from budget_tool import expr
from budget_tool.oversize import MAX_NUMBER
from budget_tool.spec import Template

# What a cell is for; the generator styles it, the checker knows what to expect there.
LABEL, VALUE, INPUT, FORMULA = "label", "value", "input", "formula"


@dataclass(frozen=True)
class Parameters:
    """What differs from one département's workbook to another's."""

    code: str
    nom: str
    region: str
    year: int
    convention: str
    ceilings: Mapping[int, Decimal]  # volet number -> PLAFOND DEPARTEMENT (art. 4.1)
    advance: Decimal | None = None  # the advance actually paid (art. 6), when known
    advance_date: date | None = None  # and when it was paid

    @property
    def volets(self) -> tuple[int, ...]:
        return tuple(sorted(self.ceilings))

    @property
    def departement_label(self) -> str:
        return f"{self.code} - {self.nom}"

    @property
    def period(self) -> tuple[date, date]:
        return date(self.year, 1, 1), date(self.year, 12, 31)


@dataclass(frozen=True)
class Cell:
    """One planned cell. ``value`` is the fixed text or number, or an input's prefill (a hint)."""

    row: int
    col: int
    kind: str  # LABEL, VALUE, INPUT or FORMULA
    type: str = "text"
    style: str = "line"
    value: object = None
    node: expr.Node | None = None  # bound formula, references carry their sheet
    key: str = ""  # column key, for line and total cells
    text: str = ""  # the formula as written in the file ("=SUM(J12:J13)")


@dataclass(frozen=True)
class Line:
    """One expense line of a volet sheet: where it is and what it belongs to."""

    row: int
    volet: int
    section: str
    group: str
    label: str  # fixed label (annexe 2) or placeholder hint (annexe 3), may be empty
    counted: bool


@dataclass
class SheetPlan:
    name: str
    volet: int | None = None  # None for the synthesis and lists sheets
    hidden: bool = False
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    anchors: dict[str, tuple[int, int]] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    row_heights: dict[int, float] = field(default_factory=dict)
    freeze_row: int = 0
    header_rows: tuple[int, int] = (0, 0)  # first and last row of the column headers
    last_col: int = 0
    paper: str = "A4"  # printed on this paper, landscape
    blocks: list[int] = field(default_factory=list)  # rows a printed page may start with

    def add(self, cell: Cell) -> Cell:
        self.cells[(cell.row, cell.col)] = cell
        self.last_col = max(self.last_col, cell.col)
        return cell

    def ref(self, anchor: str) -> expr.Ref:
        row, col = self.anchors[anchor]
        return expr.Ref(self.name, row, col)

    def of_kind(self, kind: str) -> Iterator[Cell]:
        return (cell for cell in self.cells.values() if cell.kind == kind)


@dataclass
class WorkbookPlan:
    template: Template
    params: Parameters
    sheets: list[SheetPlan]
    defined_names: dict[str, str] = field(default_factory=dict)  # name -> =Sheet!$A$2:$A$9

    def sheet(self, name: str) -> SheetPlan:
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        raise KeyError(name)

    def volet_sheets(self) -> list[SheetPlan]:
        return [sheet for sheet in self.sheets if sheet.volet is not None]

    @property
    def synthesis(self) -> SheetPlan:
        return self.sheet(self.template.synthesis.sheet)

    @property
    def eligibility(self) -> dict[str, bool]:
        return {c.label: c.eligible for c in self.template.categories}


InputGetter = Callable[[str, int, int], expr.Value]
CellKey = tuple[str, int, int]
CIRCULAR = expr.ExcelError("Err:522")  # LibreOffice's error for a circular reference
_EXACT = Context(prec=28)  # the template's formulas: exact decimals
_PENDING = object()
NUM_ERROR = expr.ExcelError("#NUM!")
_TOO_LARGE = Decimal(str(MAX_NUMBER))  # the limit of numbers read from a file (oversize.py)


def _typed_value(node: expr.Node, get, eligibility, digits: int) -> expr.Value:
    """A typed formula's value to the spreadsheet's precision; a number out of any annexe's
    range, or a chain of references too deep to follow, is the spreadsheet's #NUM!."""
    try:
        with localcontext(Context(prec=digits)):
            value = expr.evaluate(node, get, eligibility)
    except (ArithmeticError, RecursionError):
        return NUM_ERROR
    return NUM_ERROR if isinstance(value, Decimal) and not abs(value) < _TOO_LARGE else value


def compute(
    plan: WorkbookPlan,
    inputs: InputGetter,
    typed: Mapping[CellKey, expr.Node] | None = None,
    outside: InputGetter | None = None,
    digits: int = 15,
) -> dict[CellKey, expr.Value]:
    """Every cell's value: inputs through ``inputs``, fixed values as planned, formulas computed.

    Formulas are evaluated on demand with memoisation, so their order in the sheet (a block total
    above its lines in annexe 3) does not matter. ``typed`` are formulas typed into input cells
    (``typedformula.py``): computed as a spreadsheet does, to ``digits`` significant digits, from
    the other cells; ``outside`` gives the value of a cell the plan does not have.
    """
    by_sheet = {sheet.name: sheet for sheet in plan.sheets}
    values: dict[CellKey, object] = {}
    eligibility = plan.eligibility
    typed = typed or {}
    depth = [0]  # typed formulas being evaluated

    def get(ref: expr.Ref) -> expr.Value:
        key = (ref.sheet or "", ref.row, ref.col)
        if key in values:
            found = values[key]
            return CIRCULAR if found is _PENDING else found  # type: ignore[return-value]
        cell = by_sheet[key[0]].cells.get((ref.row, ref.col))
        if cell is None:
            value: expr.Value = outside(*key) if outside else None
        elif cell.kind == INPUT and key in typed:
            values[key] = _PENDING  # a typed formula may refer to itself
            depth[0] += 1
            value = _typed_value(typed[key], get, eligibility, digits)
            depth[0] -= 1
        elif cell.kind == INPUT:
            value = inputs(key[0], ref.row, ref.col)
        elif cell.kind == FORMULA:
            assert cell.node is not None
            values[key] = _PENDING
            if depth[0]:  # reached from a typed formula: the template's own exact decimals
                with localcontext(_EXACT):
                    value = expr.evaluate(cell.node, get, eligibility)
            else:
                value = expr.evaluate(cell.node, get, eligibility)
        else:
            value = cell.value  # type: ignore[assignment]
        values[key] = value
        return value

    for sheet in plan.sheets:
        for cell in sheet.cells.values():
            get(expr.Ref(sheet.name, cell.row, cell.col))
    return values  # type: ignore[return-value]  # no cell is left pending
