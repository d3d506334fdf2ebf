"""Amounts to the cent (rules/cents.py): an amount typed with three decimals is reported, and
every line amount is rounded half up the same way in the workbook, the text report and the JSON.

The workbooks are written as a spreadsheet that accepted the value would save them (cached
results computed from the inputs), then recalculated by a real LibreOffice.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from budget_tool.checker import check
from budget_tool.generate import write_workbook
from budget_tool.layout import column_index
from budget_tool.libreoffice import convert
from budget_tool.refs import CellRef
from budget_tool.report import to_json, to_text
from tests.workbooks import (
    ANNEXE2,
    ANNEXE3,
    cell_of,
    clean_lines,
    first_line,
    synthesis_money_cells,
)

D = Decimal
CODES = ("montant-centimes",)


def half_up(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def three_decimals(tmp_path_factory, plans) -> dict[str, tuple[Path, tuple[str, int, int]]]:
    """Annexe 3 with a lump sum of 30 000,005 €, annexe 2 with an amount asked of 12 500,125 €
    (volet 1); each with the place of that amount."""
    folder = tmp_path_factory.mktemp("centimes")
    made = {}
    for annexe, key, amount in (
        (ANNEXE3, "forfait", D("30000.005")),
        (ANNEXE2, "montant_delta", D("12500.125")),
    ):
        plan, lines = plans[annexe], clean_lines(plans[annexe])
        index = first_line(lines, 1, key)
        lines[(1, index)][key] = amount
        if annexe == ANNEXE2:
            lines[(1, index)]["cible_eur"] = lines[(1, index)]["existant_eur"] + half_up(amount)
        sheet = next(s for s in plan.volet_sheets() if s.volet == 1)
        place = (sheet.name, sheet.lines[index].row, column_index(plan.template.column(key)))
        path = folder / f"{annexe}.xlsx"
        write_workbook(plan, path, lines)
        made[annexe] = (path, place)
    return made


@pytest.mark.parametrize("annexe", [ANNEXE2, ANNEXE3])
def test_amount_with_three_decimals_is_reported_where_typed(three_decimals, annexe):
    path, place = three_decimals[annexe]
    report = check(path)
    found = [where for code, where in report.flatten() if code == "montant-centimes"]
    assert found == [str(CellRef(*place))]
    message = next(f.message for f in report.findings if f.code == "montant-centimes")
    typed = "30\u202f000,005\u00a0€" if annexe == ANNEXE3 else "12\u202f500,125\u00a0€"
    rounded = "30\u202f000,01\u00a0€" if annexe == ANNEXE3 else "12\u202f500,13\u00a0€"
    assert f"Le montant {typed} a plus de deux décimales" in message
    assert f"({rounded})" in message


def test_lump_sum_is_rounded_like_units_times_cost(three_decimals):
    """30 000,005 € counts 30 000,01 € on its line, as ROUND(units × cost; 2) would."""
    path, place = three_decimals[ANNEXE3]
    report = check(path)
    line = next(x for x in report.lines if x["feuille"] == place[0] and x["ligne"] == place[1] + 1)
    assert line["montant"] == D("30000.01")


@pytest.mark.parametrize("annexe", [ANNEXE2, ANNEXE3])
def test_json_and_text_say_the_same_cents(three_decimals, annexe):
    path, _place = three_decimals[annexe]
    report = check(path)
    payload = json.loads(to_json([report]))["reports"][0]
    text = to_text(report)
    for volet, figures in zip(report.volets, payload["volets"], strict=True):
        for key, value in volet.figures.items():
            if volet.types.get(key) != "money":
                continue
            shown = figures[key]
            assert shown == f"{half_up(value):.2f}", (key, value, shown)
            whole, cents = shown.split(".")
            french = f"{int(whole):,}".replace(",", "\u202f") + f",{cents}\u00a0€"
            assert french in text, (key, french)


def test_amount_to_the_cent_stays_silent(tmp_path, plans):
    """Near miss: 30 000,01 € is an amount to the cent."""
    plan, lines = plans[ANNEXE3], clean_lines(plans[ANNEXE3])
    lines[(1, first_line(lines, 1, "forfait"))]["forfait"] = D("30000.01")
    path = tmp_path / "centime.xlsx"
    write_workbook(plan, path, lines)
    assert "montant-centimes" not in check(path).codes()


@pytest.mark.libreoffice
def test_libreoffice_shows_the_cents_the_tool_counts(libreoffice, three_decimals, plans, tmp_path):
    """Recalculated by LibreOffice: each synthesis amount, rounded half up to the cent as the
    sheet shows it, is the JSON's."""
    annexes = (ANNEXE2, ANNEXE3)
    sources = [three_decimals[a][0] for a in annexes]
    for annexe, saved in zip(annexes, convert(sources, tmp_path), strict=True):
        report = check(saved)
        assert "total-incoherent" not in report.codes(), report.flatten()
        payload = json.loads(to_json([report]))["reports"][0]
        book = load_workbook(saved, data_only=True)
        synthesis = synthesis_money_cells(report, plans[annexe])
        for (volet, key), place in synthesis.items():
            lo = half_up(D(repr(cell_of(book, *place).value)))
            figures = next(v for v in payload["volets"] if v["volet"] == volet)
            assert figures[key] == f"{lo:.2f}", (volet, key)


def test_consolidation_counts_the_same_cents(three_decimals, tmp_path):
    """The region's tables carry the cents the check shows: the plan's needs and the line."""
    import shutil

    from budget_tool.consolidation import consolidate

    path, place = three_decimals[ANNEXE2]
    folder = tmp_path / "retours"
    folder.mkdir()
    shutil.copy(path, folder / "plan.xlsx")
    report = check(path)
    result = consolidate([folder])
    row = result.synthese[result.synthese["volet"] == 1].iloc[0]
    needs = next(v.figures["besoins"] for v in report.volets if v.volet == 1)
    assert row["besoins_prevus"] == needs == half_up(needs)
    lines = result.lignes
    line = lines[(lines["feuille"] == place[0]) & (lines["ligne"] == place[1] + 1)].iloc[0]
    assert line["montant_delta"] == D("12500.13")
