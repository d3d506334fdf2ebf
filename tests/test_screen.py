"""What the officer sees while typing: the ceiling checked on the volet sheet itself, France
Travail's « Pour info » inputs shown as information, the model's examples grey while unchanged,
empty lines without « 0,00 »."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from xlsxwriter.utility import xl_rowcol_to_cell

from budget_tool.layout import column_index
from budget_tool.plan import INPUT
from budget_tool.styles import INPUT_FILL

SAMPLES = Path(__file__).parent.parent / "samples"


def _rules(sheet, address: str) -> list:
    """Conditional-format rules that apply to the cell ``address``."""
    return [
        rule
        for ranges in sheet.conditional_formatting
        if address in ranges.sqref
        for rule in ranges.rules
    ]


@pytest.mark.parametrize(
    ("sample", "shown"),
    [
        ("annexe2-23-2024-plafond-depasse.xlsx", "DÉPASSEMENT"),
        ("annexe2-23-2024-conforme.xlsx", "OK"),
    ],
)
def test_the_ceiling_check_shows_on_the_volet_sheet(plans, sample, shown):
    volet1 = plans["annexe-2"].sheet("Volet 1")
    row, col = volet1.anchors["controle_plafond"]
    book = load_workbook(SAMPLES / sample, data_only=True)
    assert book["Volet 1"].cell(row=row + 1, column=col + 1).value == shown
    asked = volet1.anchors["part_etat_demandee"]
    synthesis = {r[0]: r for r in book["Synthèse"].iter_rows(values_only=True) if r[0]}
    assert book["Volet 1"].cell(row=asked[0] + 1, column=asked[1] + 1).value == pytest.approx(
        synthesis["Volet 1"][4]  # the State share asked, as the synthesis computes it
    )


@pytest.mark.parametrize("annexe", ["annexe-2", "annexe-3"])
def test_the_ceiling_turns_red_beside_a_failed_check(generated, plans, annexe):
    book = load_workbook(generated[annexe])
    for sheet_plan in plans[annexe].volet_sheets():
        flag = xl_rowcol_to_cell(*sheet_plan.anchors["controle_plafond"], True, True)
        ceiling = xl_rowcol_to_cell(*sheet_plan.anchors["plafond"])
        formulas = [f for r in _rules(book[sheet_plan.name], ceiling) for f in r.formula]
        assert f'AND({flag}<>"OK",{flag}<>"")' in formulas


def test_pour_info_inputs_look_like_information_not_like_the_departement_s(generated, plans):
    plan = plans["annexe-2"]
    sheet_plan = plan.sheet("Volet 3")
    sheet = load_workbook(generated["annexe-2"])["Volet 3"]
    rows = {line.row: line.counted for line in sheet_plan.lines}
    seen = {True: 0, False: 0}
    for cell in sheet_plan.of_kind(INPUT):
        written = sheet.cell(row=cell.row + 1, column=cell.col + 1)
        counted = rows[cell.row]
        seen[counted] += 1
        assert not written.protection.locked  # France Travail's figures are still typed in
        yellow = written.fill.fgColor.rgb.endswith(INPUT_FILL.lstrip("#"))
        assert yellow == counted, written.coordinate
        assert bool(written.font.i) == (not counted), written.coordinate
    assert seen[True] and seen[False]


def test_the_model_examples_stay_grey_while_unchanged_and_the_line_empty(generated, plans):
    plan = plans["annexe-3"]
    sheet_plan = plan.sheet("Volet 2")
    sheet = load_workbook(generated["annexe-3"])["Volet 2"]
    examples = [c for c in sheet_plan.of_kind(INPUT) if isinstance(c.value, str) and c.value]
    amount_col = column_index(plan.template.column(plan.template.checks.line_amount))
    assert len(examples) >= 10
    for cell in examples:
        address = xl_rowcol_to_cell(cell.row, cell.col)
        amount = xl_rowcol_to_cell(cell.row, amount_col)
        formulas = [f for r in _rules(sheet, address) for f in r.formula]
        assert formulas == [f'AND(EXACT({address},"{cell.value}"),N({amount})=0)']


@pytest.mark.parametrize("key", ["delta_etp", "delta_eur"])
def test_an_empty_line_shows_no_zero_delta(generated, plans, key):
    plan = plans["annexe-2"]
    col = next(c for c in plan.template.columns if c.key == key)
    sheet_plan = plan.sheet("Volet 2")
    sheet = load_workbook(generated["annexe-2"])["Volet 2"]
    for line in sheet_plan.lines:
        written = sheet[f"{col.letter}{line.row + 1}"]
        assert written.number_format.endswith(';""'), written.coordinate  # zero shows nothing
