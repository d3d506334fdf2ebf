"""A unit cost is a price, not an amount: 0,603 €/km (the kilometric allowance) is typed as it is,
to the ten-thousandth, and only the line amount (units × unit cost) is rounded to the cent."""

from __future__ import annotations

from decimal import Decimal

from openpyxl import load_workbook
from xlsxwriter.utility import xl_col_to_name

from budget_tool.checker import check
from budget_tool.generate import write_workbook
from budget_tool.layout import column_index
from budget_tool.report import to_json
from tests.workbooks import ANNEXE3, clean_lines, first_line

D = Decimal


def _kilometres(tmp_path, plans, unit_cost: Decimal):
    """Annexe 3 whose first unit-cost line of volet 1 is 1 234 km at ``unit_cost``; the path and
    the unit cost's (sheet, 0-based column)."""
    plan, lines = plans[ANNEXE3], clean_lines(plans[ANNEXE3])
    index = first_line(lines, 1, "cout_unitaire")
    lines[(1, index)].update({"nombre": D(1234), "cout_unitaire": unit_cost, "unite": "km"})
    sheet = next(s for s in plan.volet_sheets() if s.volet == 1)
    path = tmp_path / "kilometres.xlsx"
    write_workbook(plan, path, lines)
    return path, (sheet.name, column_index(plan.template.column("cout_unitaire")))


def test_a_unit_cost_to_the_ten_thousandth_is_accepted_and_the_amount_rounded(tmp_path, plans):
    path, _place = _kilometres(tmp_path, plans, D("0.603"))
    report = check(path)
    assert report.valid, report.flatten()  # no « montant-centimes » on a price per unit
    rows = [r for r in report.lines if r.get("cout_unitaire") == D("0.603")]
    assert len(rows) == 1 and rows[0]["montant"] == D("744.10")  # 1 234 × 0,603 = 744,102
    text = to_json([report])
    assert "montant-centimes" not in text and '"depenses": "' in text  # figures to the cent


def test_the_unit_cost_cell_refuses_more_than_four_decimals(tmp_path, plans):
    path, (sheet_name, col) = _kilometres(tmp_path, plans, D("0.603"))
    sheet = load_workbook(path)[sheet_name]
    letter = xl_col_to_name(col)
    formulas = [
        v.formula1 or ""
        for v in sheet.data_validations.dataValidation
        if str(v.sqref).startswith(letter)
    ]
    assert formulas and all("ROUND(" in f and ",4)=" in f for f in formulas)
