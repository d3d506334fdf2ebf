"""Reading and computing the formulas officers type into input cells (typedformula.py)."""

from __future__ import annotations

from decimal import Context, Decimal, localcontext

import pytest

from budget_tool import expr
from budget_tool.typedformula import SPREADSHEET_DIGITS, parse_typed, saved_result_agrees

D = Decimal
SHEETS = {"volet 1": "Volet 1", "volet 2": "Volet 2"}
CELLS = {("Volet 1", 16, 7): D("2656.25"), ("Volet 1", 17, 7): D("100"), ("Volet 2", 19, 3): D(3)}


def value(text: str) -> expr.Value:
    typed = parse_typed(text, "Volet 1", SHEETS)
    assert typed.node is not None, typed.problem
    with localcontext(Context(prec=SPREADSHEET_DIGITS)):
        return expr.evaluate(typed.node, lambda ref: CELLS.get((ref.sheet, ref.row, ref.col)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1200*12", D("14400")),
        ("=-1200*12+0.5", D("-14399.5")),
        ("=SUM(H17:H18)", D("2756.25")),
        ("=sum($H$17:$H$18)/2", D("1378.125")),
        ("='Volet 2'!D20*H18", D("300")),
        ("=ROUND(1000/3,2)", D("333.33")),
        ("=ROUND(H17*0.5,2)", D("1328.13")),  # 1 328,125: the half cent goes up
        ("=MIN(H17,H18,50)+MAX(1,2)+ABS(-3)", D("55")),
        ("=50%*H18", D("50")),
        ("=1/3", D("0.333333333333333")),  # the spreadsheet's 15 significant digits
        ("=2/3", D("0.666666666666667")),
        ("=0.1+0.2", D("0.3")),
    ],
)
def test_typed_formula_is_computed_as_a_spreadsheet_does(text, expected):
    assert value(text) == expected


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('=WEBSERVICE("http://x")', "la fonction WEBSERVICE"),
        ('=_xlfn.WEBSERVICE("http://x")', "la fonction WEBSERVICE"),
        ('=COM.MICROSOFT.WEBSERVICE("http://x")', "la fonction WEBSERVICE"),
        ('=1+INDIRECT("A1")', "la fonction INDIRECT"),
        ("=OFFSET(A1,1,1)", "la fonction OFFSET"),
        ("=[1]Feuil1!$B$4", "autre classeur"),
        ("='[budget.xlsx]Feuil1'!B4", "autre classeur"),
        ("='file:///tmp/b.ods'#$Feuil1.B4", "autre classeur"),
        ("=cmd|'/c calc'!A0", "DDE"),
        ("=1~WEBSERVICE(1)", "la fonction WEBSERVICE"),  # said even in a formula that won't parse
    ],
)
def test_formula_reaching_outside_is_forbidden(text, named):
    typed = parse_typed(text, "Volet 1", SHEETS)
    assert typed.node is None and typed.forbidden and named in typed.problem


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("=VLOOKUP(1,A1:B2,2,0)", "la fonction VLOOKUP"),
        ("=2^2", "puissance"),
        ('=A1&"x"', "concaténation"),
        ("=Feuil9!A1", "la feuille « Feuil9 »"),
        ("=SUM(A:A)", "nom"),
        ("=SUM(A1:A1048576)", "plage"),
        ("=ROUND(1,2,3)", "ROUND avec 3"),
        ("=(1+2", "syntaxe"),
    ],
)
def test_formula_the_tool_does_not_compute_names_why(text, named):
    typed = parse_typed(text, "Volet 1", SHEETS)
    assert typed.node is None and not typed.forbidden and named in typed.problem


def test_saved_result_agrees_to_fifteen_digits_only():
    assert saved_result_agrees(D("0.33333333333333331"), D("0.333333333333333"))
    assert saved_result_agrees(D("750.00000000000011"), D("750"))
    assert not saved_result_agrees(D("750.01"), D("750"))
    assert not saved_result_agrees(D("2656.25"), D("1"))
    assert not saved_result_agrees(None, D("0"))


@pytest.mark.parametrize(
    ("text", "ambiguous"),
    [
        ("1000", False),  # every spreadsheet reads 1000
        ("-5", False),
        ("+5", False),
        ("Chef de projet", False),  # no spreadsheet reads a number: #VALUE!
        ("", False),
        ("1000.5", True),  # 1000,5 in LibreOffice (en-US), #VALUE! in a French Excel
        ("1000,5", True),  # the other way round
        ("1,000", True),
        ("1 000", True),
        (" 1000 ", True),
        ("10%", True),
        ("$5", True),
        ("1e3", True),
        ("2024-01-15", True),
        ("１２", True),  # full-width digits: not ASCII, never a whole number here
    ],
)
def test_text_read_as_a_number_differently_by_the_spreadsheets_is_ambiguous(text, ambiguous):
    assert expr.ambiguous_number(text) is ambiguous
