"""Formulas that a finance officer typed into input cells (``=1200*12``), read and computed.

Such a formula is never trusted for its saved result: ``parse_typed`` reads its text as the file
stores it (English function names, commas) into the nodes of ``expr.py``, so that ``plan.compute``
evaluates it with the same engine as the template's own formulas. Only arithmetic, ``SUM``,
``ROUND``, ``MIN``, ``MAX``, ``ABS`` and references to cells or ranges of the workbook's own
sheets are computed; any other function is *not evaluable*, and functions that reach outside the
workbook or hide where a value comes from (``WEBSERVICE``, ``INDIRECT``, external references,
DDE...) are *forbidden*, whatever their result.

A spreadsheet computes in binary floating point and keeps 15 significant digits: ``=1/3`` is
0,333333333333333. ``SPREADSHEET_DIGITS`` is that precision, used for typed formulas so that an
honest file saved by LibreOffice or Excel is never called falsified over a binary half cent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from xlsxwriter.utility import xl_cell_to_rowcol

from budget_tool import expr
from budget_tool.plan import INPUT, CellKey
from budget_tool.refs import CellRef

if TYPE_CHECKING:
    from budget_tool.model import FilledWorkbook

SPREADSHEET_DIGITS = 15
MAX_RANGE_CELLS = 5_000  # a whole column (A1:A1048576) is no amount of an annexe
MAX_WORKBOOK_CELLS = 100_000  # cells referenced by all the typed formulas of one workbook
# Operations chained in one typed formula (« =A1+A2+…+A200 »): beyond, the formula is said not
# computed rather than risking Python's recursion limit in the walks over it.
MAX_DEPTH = 200
EVALUATED = frozenset({"SUM", "ROUND", "MIN", "MAX", "ABS"})
FORBIDDEN = frozenset(
    {"WEBSERVICE", "FILTERXML", "HYPERLINK", "INDIRECT", "OFFSET", "RTD", "CALL", "DDE"}
    | {"REGISTER", "REGISTER.ID", "ENCODEURL", "IMAGE", "INFO", "CELL", "DDEAUTO"}
)
# Prefixes the file format puts before newer functions: _xlfn.WEBSERVICE, _xlfn._xlws.FILTER,
# and LibreOffice's names of Excel-only functions (COM.MICROSOFT.WEBSERVICE).
_PREFIXES = re.compile(
    r"^(?:_XLFN\.|_XLWS\.|COM\.MICROSOFT\.|ORG\.OPENOFFICE\.|ORG\.LIBREOFFICE\.)+"
)

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"]|"")*")
  | (?P<external>\[[^\]]*\]|'[^']*\[[^']*'!|'(?:file|https?|ftp):[^']*'\#\$?[\w.$]*)
  | (?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?(?![\w(.]))
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<error>\#[A-Z0-9/]+[!?]|\#N/A)
  | (?P<function>[A-Za-z_][\w.]*(?=\s*\())
  | (?P<name>[A-Za-z_\\][\w.]*)
  | (?P<op><>|<=|>=|[-+*/^&=<>%(),:;!|{}])
    """,
    re.VERBOSE,
)


class Unusable(ValueError):
    """A typed formula the tool will not compute; ``forbidden``: whatever its result."""

    def __init__(self, reason: str, forbidden: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.forbidden = reason, forbidden


@dataclass(frozen=True)
class TypedFormula:
    """An input cell's formula: its node to compute, or why it is not computed."""

    text: str
    node: expr.Node | None = None
    problem: str = ""  # French: « la fonction WEBSERVICE », « une référence à un autre classeur »
    forbidden: bool = False


def parse_typed(text: str, own_sheet: str, sheets: Mapping[str, str]) -> TypedFormula:
    """``text`` (with its ``=``) read as a formula of ``own_sheet``; ``sheets`` maps the
    case-folded names of the workbook's planned sheets to their names."""
    try:
        tokens = _tokens(text.strip().removeprefix("="))
        node = _Parser(tokens, own_sheet, sheets).formula()
    except Unusable as exc:
        return TypedFormula(text, problem=exc.reason, forbidden=exc.forbidden)
    except RecursionError:
        return TypedFormula(text, problem="une formule trop imbriquée")
    if _depth(node) > MAX_DEPTH:  # every walk of the formula (references, value) recurses
        return TypedFormula(
            text, problem=f"une formule trop longue (plus de {MAX_DEPTH} opérations enchaînées)"
        )
    return TypedFormula(text, node)


def _depth(node: expr.Node) -> int:
    """How many operations deep the formula goes (``=1+1+1`` is 3), counted without recursion:
    ``=1+1+…`` with thousands of terms parses into a chain that deep."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, expr.BinOp):
            stack += [(item.left, level + 1), (item.right, level + 1)]
        elif isinstance(item, expr.Neg):
            stack.append((item.operand, level + 1))
        elif isinstance(item, expr.Call):
            stack += [(arg, level + 1) for arg in item.args]
    return deepest


def typed_formulas(workbook: FilledWorkbook) -> dict[CellKey, TypedFormula]:
    """Every formula typed into an input cell of the workbook's planned sheets, parsed."""
    sheets = {sheet.name.casefold(): sheet.name for sheet in workbook.plan.sheets}
    found, budget = {}, MAX_WORKBOOK_CELLS
    for sheet in workbook.plan.sheets:
        read = workbook.sheets.get(sheet.name)
        if read is None:
            continue
        for (row, col), cell in read.cells.items():
            planned = sheet.cells.get((row, col))
            if planned is not None and planned.kind == INPUT and cell.is_formula:
                typed = parse_typed(str(cell.raw), sheet.name, sheets)
                budget -= _cells(typed.node)
                if budget < 0:  # a file built to make the checker work for hours
                    typed = TypedFormula(typed.text, problem=_TOO_MANY)
                found[(sheet.name, row, col)] = _unless_ambiguous(typed, workbook)
    return found


def _unless_ambiguous(typed: TypedFormula, workbook: FilledWorkbook) -> TypedFormula:
    """Not computed when it does arithmetic on a text that spreadsheets read as a number, or
    not, depending on the program and its language (``expr.ambiguous_number``)."""
    if typed.node is None:
        return typed
    text = ambiguous_operand(typed.node, workbook)
    return typed if text is None else TypedFormula(typed.text, problem=text)


def ambiguous_operand(node: expr.Node, workbook: FilledWorkbook) -> str | None:
    """Said in French (« le texte « 1000.5 » (H19) dans un calcul »), the first text that a
    formula's arithmetic reads and that the spreadsheets may convert differently; None if none."""
    return _ambiguous_text(node, lambda ref: _text_in(workbook, ref), arithmetic=False)


def _text_in(workbook: FilledWorkbook, ref: expr.Ref) -> object:
    """The text a reference reads, where a text can be (None at a formula)."""
    key = _key(ref)
    planned = workbook.plan.sheet(key[0]).cells.get((ref.row, ref.col))
    if planned is None:
        return workbook.outside_value(*key)
    if planned.kind == INPUT and not workbook.read(*key).is_formula:
        return workbook.input_value(*key)
    return planned.value if planned.kind != INPUT else None


def _ambiguous_text(node: expr.Node, text_at, arithmetic: bool) -> str | None:
    """``ambiguous_operand``; ``arithmetic``: ``node`` is an operand of + - * /, a minus sign or
    a number argument, where text is converted."""
    if isinstance(node, expr.Str | expr.Ref) and arithmetic:
        found = node.value if isinstance(node, expr.Str) else text_at(node)
        if isinstance(found, str) and expr.ambiguous_number(found):
            where = "" if isinstance(node, expr.Str) else f" ({CellRef(*_key(node))})"
            return (
                f"le texte « {found} »{where} dans un calcul (lu comme un nombre ou non "
                "selon le tableur et sa langue)"
            )
        return None
    children: list[tuple[expr.Node, bool]] = []
    if isinstance(node, expr.BinOp):
        inner = node.op in ("+", "-", "*", "/")
        children = [(node.left, inner), (node.right, inner)]
    elif isinstance(node, expr.Neg):
        children = [(node.operand, True)]
    elif isinstance(node, expr.Call) and node.func in ("SUM", "MIN", "MAX"):
        for arg in node.args:  # a text given directly: #VALUE! in LibreOffice, a number in Excel
            if isinstance(arg, expr.Str) and any(c.isdigit() for c in arg.value):
                return (
                    f"le texte « {arg.value} » comme argument de {node.func} (lu "
                    "comme un nombre par Excel, erreur #VALEUR! pour LibreOffice)"
                )
        children = [(arg, False) for arg in node.args]
    elif isinstance(node, expr.Call):  # ROUND and ABS convert, IF, ISNUMBER, N... do not
        children = [(arg, node.func in ("ROUND", "ABS")) for arg in node.args]
    for child, inner in children:
        said = _ambiguous_text(child, text_at, inner)
        if said is not None:
            return said
    return None


def _key(ref: expr.Ref) -> CellKey:
    return (ref.sheet or "", ref.row, ref.col)


_TOO_MANY = f"des plages trop grandes (plus de {MAX_WORKBOOK_CELLS} cellules pour le classeur)"


def _cells(node: expr.Node | None) -> int:
    """How many cells a formula refers to (ranges counted in full)."""
    if node is None:
        return 0
    return sum(
        (ref.row2 - ref.row1 + 1) * (ref.col2 - ref.col1 + 1) if isinstance(ref, expr.Range) else 1
        for ref in expr.references(node)
    )


def _tokens(code: str) -> list[tuple[str, str]]:
    tokens, position, unknown = [], 0, ""
    while position < len(code):
        match = _TOKEN.match(code, position)
        if match is None:  # said after the forbidden ones, which matter more
            unknown = unknown or code[position]
            position += 1
            continue
        position = match.end()
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append((kind, match.group(0)))
    for kind, value in tokens:  # forbidden whatever else the formula holds
        if kind == "external":
            raise Unusable(f"une référence à un autre classeur ou au réseau ({value})", True)
        if kind == "function" and _function_name(value) in FORBIDDEN:
            raise Unusable(f"la fonction {_function_name(value)}", True)
        if kind == "op" and value == "|":
            raise Unusable("un lien DDE vers un autre programme (|)", True)
    if unknown:
        raise Unusable(f"le caractère « {unknown} »")
    return tokens


def _function_name(text: str) -> str:
    return _PREFIXES.sub("", text.upper())


class _Parser:
    """Recursive descent over the spreadsheet's grammar: comparison < concatenation < + - <
    * / < ^ < unary minus < percent < operand."""

    def __init__(self, tokens: list[tuple[str, str]], own: str, sheets: Mapping[str, str]):
        self.tokens, self.own, self.sheets, self.index = tokens, own, sheets, 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.index] if self.index < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.index += 1
        return token

    def expect(self, value: str) -> None:
        if self.take()[1] != value:
            raise Unusable(f"une syntaxe non reconnue (« {value} » attendu)")

    def formula(self) -> expr.Node:
        if not self.tokens:
            raise Unusable("une formule vide")
        node = self.comparison()
        if self.peek()[0] != "end":
            raise Unusable(f"une syntaxe non reconnue (« {self.peek()[1]} »)")
        return node

    def comparison(self) -> expr.Node:
        node = self.additive()
        while self.peek()[1] in ("=", "<>", "<", ">", "<=", ">="):
            node = expr.BinOp(self.take()[1], node, self.additive())
        if self.peek()[1] == "&":
            raise Unusable("l'opérateur de concaténation &")
        return node

    def additive(self) -> expr.Node:
        node = self.term()
        while self.peek()[1] in ("+", "-"):
            node = expr.BinOp(self.take()[1], node, self.term())
        return node

    def term(self) -> expr.Node:
        node = self.unary()
        while self.peek()[1] in ("*", "/"):
            node = expr.BinOp(self.take()[1], node, self.unary())
        if self.peek()[1] == "^":
            raise Unusable("l'opérateur de puissance ^")
        return node

    def unary(self) -> expr.Node:
        if self.peek()[1] == "-":
            self.take()
            return expr.Neg(self.unary())
        if self.peek()[1] == "+":
            self.take()
            return self.unary()
        node = self.operand()
        while self.peek()[1] == "%":
            self.take()
            node = expr.BinOp("/", node, expr.Num(Decimal(100)))
        return node

    def operand(self) -> expr.Node:
        kind, value = self.take()
        if kind == "number":
            try:
                return expr.Num(Decimal(value))
            except InvalidOperation as exc:  # pragma: no cover - the pattern admits numbers only
                raise Unusable(f"le nombre « {value} »") from exc
        if kind == "string":
            return expr.Str(value[1:-1].replace('""', '"'))
        if kind == "ref":
            return self.reference(value)
        if kind == "function":
            return self.call(_function_name(value))
        if value == "(":
            node = self.comparison()
            self.expect(")")
            return node
        if kind == "name" and value.upper() in ("TRUE", "FALSE"):
            return expr.Num(Decimal(int(value.upper() == "TRUE")))
        if kind == "name":
            raise Unusable(f"le nom « {value} » (nom défini ou fonction inconnue)")
        if kind == "error":
            raise Unusable(f"la valeur d'erreur {value}")
        raise Unusable(f"une syntaxe non reconnue (« {value or 'fin de formule'} »)")

    def call(self, name: str) -> expr.Node:
        if name not in EVALUATED:
            raise Unusable(f"la fonction {name}")
        self.expect("(")
        args: list[expr.Node] = []
        if self.peek()[1] != ")":
            args.append(self.comparison())
            while self.peek()[1] in (",", ";"):
                self.take()
                args.append(self.comparison())
        self.expect(")")
        if name == "ROUND" and len(args) == 1:
            args.append(expr.Num(Decimal(0)))  # LibreOffice: ROUND(x) rounds to a whole number
        arity = {"ROUND": 2, "ABS": 1}.get(name)
        if (arity and len(args) != arity) or not args:
            raise Unusable(f"la fonction {name} avec {len(args)} argument(s)")
        return expr.Call(name, tuple(args))

    def reference(self, text: str) -> expr.Node:
        sheet_part, _, cells = text.rpartition("!")
        sheet = self.own
        if sheet_part:
            name = sheet_part.strip("'").replace("''", "'")
            if name.casefold() not in self.sheets:
                raise Unusable(f"une référence à la feuille « {name} », hors du modèle")
            sheet = self.sheets[name.casefold()]
        first, _, last = cells.partition(":")
        row1, col1 = xl_cell_to_rowcol(first.upper())  # A1 or $A$1, as the tokens admit
        if not last:
            return expr.Ref(sheet, row1, col1)
        row2, col2 = xl_cell_to_rowcol(last.upper())
        if (abs(row2 - row1) + 1) * (abs(col2 - col1) + 1) > MAX_RANGE_CELLS:
            raise Unusable(f"une plage de plus de {MAX_RANGE_CELLS} cellules ({cells})")
        return expr.Range(sheet, min(row1, row2), min(col1, col2), max(row1, row2), max(col1, col2))


def saved_result_agrees(saved: expr.Value, mine: expr.Value) -> bool:
    """The result a spreadsheet saved against ours: equal to the spreadsheet's own precision
    (15 significant digits), whatever binary noise the saved double carries."""
    if isinstance(mine, Decimal):
        if not isinstance(saved, Decimal):
            return False
        scale = max(abs(mine), abs(saved), Decimal(1))
        return abs(saved - mine) <= scale * Decimal(10) ** (1 - SPREADSHEET_DIGITS)
    if isinstance(mine, expr.ExcelError):
        return isinstance(saved, expr.ExcelError)
    return (saved if saved is not None else "") == (mine if mine is not None else "")
