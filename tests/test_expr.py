from decimal import Decimal

import pytest

from budget_tool import expr

D = Decimal


def bound(text: str, cells: dict[str, tuple[int, int]]):
    return expr.bind(expr.parse(text), lambda name: expr.Ref("S", *cells[name]))


def run(text: str, values: dict[str, object], eligibility=None):
    cells = {name: (i, 0) for i, name in enumerate(values)}
    lookup = {(i, 0): v for i, v in enumerate(values.values())}
    node = bound(text, cells)
    return expr.evaluate(node, lambda ref: lookup.get((ref.row, ref.col)), eligibility)


def test_renders_english_formula_with_relative_refs_and_quoted_other_sheet():
    node = expr.bind(
        expr.parse("MIN(plafond, ROUND(eligibles * 0.5, 2))"),
        lambda n: expr.Ref("Volet 1" if n == "plafond" else "Synthèse", 9, 1),
    )
    assert expr.to_excel(node, "Synthèse") == "=MIN('Volet 1'!B10,ROUND(B10*0.5,2))"


def test_comparison_written_as_spreadsheet_operator():
    node = bound('IF(a = "Oui", b, 0)', {"a": (0, 0), "b": (0, 1)})
    assert expr.to_excel(node, "S") == '=IF(A1="Oui",B1,0)'


def test_nested_operations_keep_their_parentheses():
    node = bound("(a - b) * c", {"a": (0, 0), "b": (0, 1), "c": (0, 2)})
    assert expr.to_excel(node, "S") == "=(A1-B1)*C1"


def test_sum_of_contiguous_cells_becomes_a_range():
    refs = [expr.Ref("S", r, 9) for r in (11, 12, 13, 16)]
    assert expr.to_excel(expr.sum_of(refs), "S") == "=SUM(J12:J14,J17)"


def test_round_is_half_away_from_zero_like_excel():
    assert run("ROUND(a, 2)", {"a": D("2.675")}) == D("2.68")
    assert run("ROUND(a, 2)", {"a": D("-2.675")}) == D("-2.68")


def test_blank_counts_as_zero_and_text_is_value_error():
    assert run("a - b", {"a": D("10"), "b": None}) == D("10")
    assert run("a - b", {"a": D("10"), "b": "12,5"}) == expr.ExcelError("#VALUE!")
    assert run("a - b", {"a": D("10"), "b": "texte"}) == expr.ExcelError("#VALUE!")


def test_whole_number_text_is_a_number_in_arithmetic_as_in_every_spreadsheet():
    assert run("a - b", {"a": D("10"), "b": "12"}) == D("-2")
    assert run("-a * 2", {"a": "+5"}) == D("-10")
    assert run("ROUND(a, 0) + ABS(b)", {"a": "7", "b": "-3"}) == D("10")
    assert run("SUM(a, 1)", {"a": "5"}) == D("1")  # SUM of a reference skips text
    assert run('SUM("5", 1)', {}) == expr.ExcelError("#VALUE!")  # LibreOffice's answer


def test_sum_skips_text_like_a_spreadsheet():
    node = expr.sum_of([expr.Ref("S", r, 0) for r in range(3)])
    values = {0: D("1.5"), 1: "texte", 2: D("2")}
    assert expr.evaluate(node, lambda ref: values[ref.row]) == D("3.5")


def test_units_times_cost_or_lump_sum():
    formula = "IF(AND(ISNUMBER(n), ISNUMBER(c)), ROUND(n * c, 2), N(f))"
    assert run(formula, {"n": D("3"), "c": D("10.005"), "f": None}) == D("30.02")
    assert run(formula, {"n": None, "c": None, "f": D("500")}) == D("500")
    assert run(formula, {"n": D("3"), "c": None, "f": "abc"}) == D("0")


def test_eligibility_is_case_insensitive_and_flags_unknown_categories():
    table = {"Frais de mission : hébergement": False, "Rémunération de personnel (ETP)": True}
    assert run("ELIGIBLE(c)", {"c": "frais de mission : HÉBERGEMENT"}, table) == "Non"
    assert run("ELIGIBLE(c)", {"c": "Rémunération de personnel (ETP)"}, table) == "Oui"
    assert run("ELIGIBLE(c)", {"c": "Autre chose"}, table) == "Inconnue"
    assert run("ELIGIBLE(c)", {"c": None}, table) == ""


def test_division_by_zero_is_an_error_value():
    assert run("a / b", {"a": D(1), "b": D(0)}) == expr.ExcelError("#DIV/0!")


@pytest.mark.parametrize(
    "text", ["__import__('os')", "a[0]", "lambda: 1", "UNKNOWN(a)", "a if b else c"]
)
def test_refuses_anything_outside_the_language(text):
    with pytest.raises(expr.ExpressionError):
        expr.parse(text)
