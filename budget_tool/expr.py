"""The small formula language of the templates, shared by the generator and the checker.

A template writes ``cible_eur - existant_eur`` or ``MIN(plafond, ROUND(eligibles * taux_etat, 2))``.
``parse`` reads it (Python's own parser, restricted to a few node kinds), ``bind`` replaces the
names by cell references, ``to_excel`` writes the formula that goes into the workbook, and
``evaluate`` computes the same formula in exact decimal arithmetic, following the spreadsheet's
rules (blank cells count as 0, SUM skips text). Text in arithmetic (``+ - * /``, unary minus, a
function's number argument) is converted when it is a whole number (« 1000 », « -5 »), as both
Excel and LibreOffice do whatever their language; any other text is ``#VALUE!``. Spreadsheets
convert more (« 1000.5 », « 1,000 », « 10% », « $5 », dates), but how depends on the program and
its language: LibreOffice in English reads « 1,000 » as 1000 and « 1000,5 » as ``#VALUE!``, a
French Excel the other way round. ``typedformula.py`` therefore does not compute a typed formula
that does arithmetic on such a text (``ambiguous_number``). So the formula written into the
workbook and the figure the checker recomputes come from one expression.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, cached_property

from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell

from budget_tool.numbers import round_half_up  # ROUND

ELIGIBILITY_TABLE = "Eligibilite_art42"  # defined name of the hidden category table
CATEGORY_LIST = "Categories_art42"  # defined name of the drop-down list


class ExpressionError(ValueError):
    """A template formula that the language does not accept."""


@dataclass(frozen=True)
class ExcelError:
    """An error value such as ``#VALUE!``; it propagates through arithmetic like in Excel."""

    code: str

    def __str__(self) -> str:
        return self.code


Value = Decimal | str | bool | ExcelError | None


# ---------------------------------------------------------------- nodes
@dataclass(frozen=True)
class Num:
    value: Decimal


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(frozen=True)
class Name:
    name: str  # dotted, e.g. "volet.total.montant"


@dataclass(frozen=True)
class Ref:
    """One cell, 0-based row and column; ``sheet`` None means the formula's own sheet."""

    sheet: str | None
    row: int
    col: int


@dataclass(frozen=True)
class Range:
    sheet: str | None
    row1: int
    col1: int
    row2: int
    col2: int

    def cells(self) -> list[Ref]:
        return [
            Ref(self.sheet, r, c)
            for r in range(self.row1, self.row2 + 1)
            for c in range(self.col1, self.col2 + 1)
        ]


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class BinOp:
    op: str  # + - * / = <> < > <= >=
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg:
    operand: Node


Node = Num | Str | Name | Ref | Range | Call | BinOp | Neg

FUNCTIONS = {"SUM", "MIN", "MAX", "ROUND", "ABS", "IF", "AND", "ISNUMBER", "N", "ELIGIBLE"}
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_CMPS = {ast.Eq: "=", ast.NotEq: "<>", ast.Lt: "<", ast.Gt: ">", ast.LtE: "<=", ast.GtE: ">="}


# ---------------------------------------------------------------- parsing
@cache
def parse(text: str) -> Node:
    """Parse a template formula; ``=`` and ``<>`` are the spreadsheet's comparisons."""
    python = re.sub(r"(?<![<>!=])=(?!=)", "==", text).replace("<>", "!=")
    try:
        tree = ast.parse(python, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntaxe : {exc.msg}") from exc
    return _convert(tree.body)


def _convert(node: ast.AST) -> Node:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return Str(node.value)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return Num(Decimal(repr(node.value)))
    if isinstance(node, ast.Name | ast.Attribute):
        return Name(_dotted(node))
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return BinOp(_OPS[type(node.op)], _convert(node.left), _convert(node.right))
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMPS:
        return BinOp(_CMPS[type(node.ops[0])], _convert(node.left), _convert(node.comparators[0]))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return Neg(_convert(node.operand))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if node.func.id not in FUNCTIONS:
            raise ExpressionError(f"fonction inconnue {node.func.id}")
        return Call(node.func.id, tuple(_convert(arg) for arg in node.args))
    raise ExpressionError(f"élément non admis : {ast.dump(node)[:60]}")


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    raise ExpressionError("nom invalide")


def bind(node: Node, resolve: Callable[[str], Node]) -> Node:
    """Replace every name by what ``resolve`` says it stands for (a Ref, a Num, a SUM...)."""
    if isinstance(node, Name):
        return resolve(node.name)
    if isinstance(node, Call):
        return Call(node.func, tuple(bind(a, resolve) for a in node.args))
    if isinstance(node, BinOp):
        return BinOp(node.op, bind(node.left, resolve), bind(node.right, resolve))
    if isinstance(node, Neg):
        return Neg(bind(node.operand, resolve))
    return node


def references(node: Node) -> Iterator[Ref | Range]:
    """Every cell and range a bound formula reads, ranges whole."""
    if isinstance(node, Ref | Range):
        yield node
    elif isinstance(node, Call):
        for arg in node.args:
            yield from references(arg)
    elif isinstance(node, BinOp):
        yield from references(node.left)
        yield from references(node.right)
    elif isinstance(node, Neg):
        yield from references(node.operand)


def sum_of(cells: Sequence[Ref]) -> Node:
    """SUM over cells of one column, contiguous runs written as ranges: SUM(J12:J13,J16)."""
    parts: list[Node] = []
    ordered = sorted(cells, key=lambda ref: (ref.sheet or "", ref.col, ref.row))
    for ref in ordered:
        last = parts[-1] if parts else None
        if isinstance(last, Ref | Range) and _extends(last, ref):
            start = last if isinstance(last, Ref) else Ref(last.sheet, last.row1, last.col1)
            parts[-1] = Range(ref.sheet, start.row, start.col, ref.row, ref.col)
        else:
            parts.append(ref)
    return Call("SUM", tuple(parts))


def _extends(last: Ref | Range, ref: Ref) -> bool:
    end_row = last.row if isinstance(last, Ref) else last.row2
    col = last.col if isinstance(last, Ref) else last.col1
    return last.sheet == ref.sheet and col == ref.col and end_row + 1 == ref.row


# ---------------------------------------------------------------- rendering
def to_excel(node: Node, own_sheet: str | None = None) -> str:
    """The formula as the file format stores it (English names, commas), with its ``=``.

    References to ``own_sheet`` are written without the sheet name, as a spreadsheet does.
    """
    return "=" + _render(node, own_sheet)


def _cell(sheet: str | None, row: int, col: int, own: str | None) -> str:
    address = xl_rowcol_to_cell(row, col)
    return f"{quote_sheetname(sheet)}!{address}" if sheet and sheet != own else address


def _render(node: Node, own: str | None) -> str:
    if isinstance(node, Num):
        return format(node.value.normalize(), "f")
    if isinstance(node, Str):
        return '"' + node.value.replace('"', '""') + '"'
    if isinstance(node, Ref):
        return _cell(node.sheet, node.row, node.col, own)
    if isinstance(node, Range):
        first = _cell(node.sheet, node.row1, node.col1, own)
        return f"{first}:{xl_rowcol_to_cell(node.row2, node.col2)}"
    if isinstance(node, Neg):
        return f"-{_wrap(node.operand, own)}"
    if isinstance(node, BinOp):
        return f"{_wrap(node.left, own)}{node.op}{_wrap(node.right, own)}"
    if isinstance(node, Call):
        if node.func == "ELIGIBLE":
            cat = _render(node.args[0], own)
            lookup = f"VLOOKUP({cat},{ELIGIBILITY_TABLE},2,FALSE)"
            return f'IF({cat}="","",IFERROR({lookup},"Inconnue"))'
        return f"{node.func}({','.join(_render(a, own) for a in node.args)})"
    raise ExpressionError(f"nom non résolu : {node}")


def _wrap(node: Node, own: str | None) -> str:
    text = _render(node, own)
    return f"({text})" if isinstance(node, BinOp) else text


# ---------------------------------------------------------------- evaluation
Getter = Callable[[Ref], Value]
VALUE_ERROR = ExcelError("#VALUE!")


def evaluate(node: Node, get: Getter, eligibility: Mapping[str, bool] | None = None) -> Value:
    """Compute a bound formula the way a spreadsheet does, in exact decimals."""
    return _Evaluator(get, eligibility or {}).run(node)


class _Evaluator:
    def __init__(self, get: Getter, eligibility: Mapping[str, bool]) -> None:
        self.get, self._eligibility = get, eligibility

    @cached_property
    def eligibility(self) -> dict[str, bool]:
        """The categories without case; made only by ELIGIBLE, not for every formula."""
        return {label.casefold(): ok for label, ok in self._eligibility.items()}

    def run(self, node: Node) -> Value:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Str):
            return node.value
        if isinstance(node, Ref):
            return self.get(node)
        if isinstance(node, Neg):
            value = _number(self.run(node.operand))
            return value if isinstance(value, ExcelError) else -value
        if isinstance(node, BinOp):
            return self._binop(node)
        if isinstance(node, Call):
            return getattr(self, f"_f_{node.func.lower()}")(node.args)
        raise ExpressionError(f"non évaluable : {node}")

    def _binop(self, node: BinOp) -> Value:
        left, right = self.run(node.left), self.run(node.right)
        if node.op in ("+", "-", "*", "/"):
            return _arith(node.op, _number(left), _number(right))
        return _compare(node.op, left, right)

    def _refs_values(self, args: Sequence[Node]) -> list[Value]:
        """Values of the arguments, ranges expanded; from references text is skipped."""
        values: list[Value] = []
        for arg in args:
            if isinstance(arg, Range | Ref):
                cells = arg.cells() if isinstance(arg, Range) else [arg]
                values += [v for v in map(self.get, cells) if isinstance(v, Decimal | ExcelError)]
            else:  # a text given directly: #VALUE! in LibreOffice, even « 5 » (Excel reads 5)
                value = self.run(arg)
                values.append(VALUE_ERROR if isinstance(value, str) and value else _number(value))
        return values

    def _numbers(self, args: Sequence[Node]) -> list[Decimal] | ExcelError:
        values = self._refs_values(args)
        error = _first_error(values)
        return error if error else [v for v in values if isinstance(v, Decimal)]

    def _f_sum(self, args: Sequence[Node]) -> Value:
        numbers = self._numbers(args)
        return numbers if isinstance(numbers, ExcelError) else sum(numbers, Decimal(0))

    def _f_min(self, args: Sequence[Node]) -> Value:
        numbers = self._numbers(args)
        return numbers if isinstance(numbers, ExcelError) else min(numbers, default=Decimal(0))

    def _f_max(self, args: Sequence[Node]) -> Value:
        numbers = self._numbers(args)
        return numbers if isinstance(numbers, ExcelError) else max(numbers, default=Decimal(0))

    def _f_round(self, args: Sequence[Node]) -> Value:
        value, digits = _number(self.run(args[0])), _number(self.run(args[1]))
        if isinstance(value, ExcelError):
            return value
        if isinstance(digits, ExcelError):
            return digits
        return round_half_up(value, int(digits))

    def _f_abs(self, args: Sequence[Node]) -> Value:
        value = _number(self.run(args[0]))
        return value if isinstance(value, ExcelError) else abs(value)

    def _f_if(self, args: Sequence[Node]) -> Value:
        condition = _truth(self.run(args[0]))
        if isinstance(condition, ExcelError):
            return condition
        chosen = args[1] if condition else (args[2] if len(args) > 2 else Num(Decimal(0)))
        return self.run(chosen)

    def _f_and(self, args: Sequence[Node]) -> Value:
        truths = [_truth(self.run(arg)) for arg in args]
        return _first_error(truths) or all(truths)

    def _f_isnumber(self, args: Sequence[Node]) -> Value:
        return isinstance(self.run(args[0]), Decimal)

    def _f_n(self, args: Sequence[Node]) -> Value:
        value = self.run(args[0])
        if isinstance(value, ExcelError | Decimal):
            return value
        return Decimal(int(value)) if isinstance(value, bool) else Decimal(0)

    def _f_eligible(self, args: Sequence[Node]) -> Value:
        value = self.run(args[0])
        if value is None or value == "":
            return ""
        if isinstance(value, ExcelError):
            return value
        found = self.eligibility.get(str(value).casefold())
        return "Inconnue" if found is None else ("Oui" if found else "Non")


_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
_DIGIT = re.compile(r"\d")  # any script: a Japanese Excel reads full-width digits


def ambiguous_number(text: str) -> bool:
    """A text that some spreadsheet, in some language, may read as a number in arithmetic while
    another does not, or reads differently: it has a digit but is not a plain whole number."""
    return bool(_DIGIT.search(text)) and _WHOLE_NUMBER.fullmatch(text) is None


def _number(value: Value) -> Decimal | ExcelError:
    if value is None:
        return Decimal(0)
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, Decimal | ExcelError):
        return value
    if _WHOLE_NUMBER.fullmatch(value):  # « 1000 »: a number to every spreadsheet
        return Decimal(value)
    return VALUE_ERROR if value != "" else Decimal(0)


def _arith(op: str, left: Decimal | ExcelError, right: Decimal | ExcelError) -> Value:
    if isinstance(left, ExcelError):
        return left
    if isinstance(right, ExcelError):
        return right
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if right == 0:
        return ExcelError("#DIV/0!")
    return left / right


def _compare(op: str, left: Value, right: Value) -> Value:
    error = _first_error([left, right])
    if error:
        return error
    a, b = _sort_key(left), _sort_key(right)
    return {
        "=": a == b,
        "<>": a != b,
        "<": a < b,
        ">": a > b,
        "<=": a <= b,
        ">=": a >= b,
    }[op]


def _sort_key(value: Value) -> tuple[int, Decimal, str]:
    """Comparable keys: numbers before text, as in spreadsheets; text without case."""
    if isinstance(value, str):
        return (1, Decimal(0), value.casefold())
    if isinstance(value, bool):
        return (0, Decimal(int(value)), "")
    return (0, value if isinstance(value, Decimal) else Decimal(0), "")


def _truth(value: Value) -> bool | ExcelError:
    if isinstance(value, ExcelError):
        return value
    if isinstance(value, str):
        return VALUE_ERROR if value else False
    return bool(value)


def _first_error(values: Sequence[object]) -> ExcelError | None:
    return next((v for v in values if isinstance(v, ExcelError)), None)
