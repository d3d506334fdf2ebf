"""The follow-up file (``--allocations``): every column valid, invalid and absent, in the forms
the State's spreadsheets export (« ; », decimal comma, JJ/MM/AAAA or ISO dates, Windows-1252)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from budget_tool.cli import main
from budget_tool.errors import UsageError
from budget_tool.followup import read_followup
from budget_tool.params import read_allocations

D = Decimal
BASE = {"departement": "23", "plafond_volet1": "150000", "plafond_volet2": "400000"}


def _file(tmp_path: Path, rows: list[dict[str, str]], sep: str = ";", encoding="utf-8") -> Path:
    header = list(dict.fromkeys(k for row in rows for k in row))
    lines = [sep.join(header)] + [sep.join(row.get(k, "") for k in header) for row in rows]
    path = tmp_path / "suivi.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def _one(tmp_path: Path, **columns: str):
    (item,) = read_followup(_file(tmp_path, [{**BASE, **columns}]), 2024)
    return item


def _refused(tmp_path: Path, column: str, **columns: str) -> str:
    with pytest.raises(UsageError) as caught:
        _one(tmp_path, **columns)
    message = str(caught.value)
    assert "ligne 2" in message and f"colonne {column}" in message, message
    return message


def test_plain_allocations_file_still_reads_with_every_new_column_absent(tmp_path):
    item = _one(tmp_path)
    assert item.ceilings == {1: D("150000"), 2: D("400000")}
    assert item.initial_ceilings == item.ceilings
    assert item.amendment is None and item.advance_paid is None and item.advance_date is None
    assert item.received == {} and item.imputation == {}
    assert item.advance() == D("330000.00")  # 60 % computed (art. 6)
    assert item.params.advance is None


def test_advance_paid_with_french_comma_and_date(tmp_path):
    item = _one(tmp_path, avance_versee="250 000,50", date_avance="15/03/2024")
    assert item.advance_paid == D("250000.50") and item.advance_date == date(2024, 3, 15)
    assert item.advance() == D("250000.50")
    assert item.params.advance == D("250000.50")  # generate writes it into the workbooks


@pytest.mark.parametrize("value", ["beaucoup", "-10", "100,123", "1e5"])
def test_advance_that_is_not_an_amount_is_refused(tmp_path, value):
    message = _refused(tmp_path, "avance_versee", avance_versee=value, date_avance="15/03/2024")
    assert value in message


def test_advance_above_the_allocation_is_refused(tmp_path):
    _refused(tmp_path, "avance_versee", avance_versee="600000", date_avance="2024-03-15")


@pytest.mark.parametrize(
    ("columns", "missing"),
    [({"avance_versee": "1000"}, "date_avance"), ({"date_avance": "2024-03-15"}, "avance_versee")],
)
def test_advance_and_its_date_go_together(tmp_path, columns, missing):
    _refused(tmp_path, missing, **columns)


@pytest.mark.parametrize("value", ["31/02/2024", "2024/03/15", "15-03-2024", "hier", "15/03/1850"])
def test_dates_that_are_not_dates_are_refused(tmp_path, value):
    message = _refused(tmp_path, "date_reception_annexe3", date_reception_annexe3=value)
    assert value in message


def test_reception_dates_in_both_forms(tmp_path):
    item = _one(tmp_path, date_reception_annexe2="2024-01-31", date_reception_annexe3="02/04/2025")
    assert item.received == {"annexe-2": date(2024, 1, 31), "annexe-3": date(2025, 4, 2)}


def test_latest_amendment_prevails_and_initial_ceilings_stay_visible(tmp_path):
    item = _one(
        tmp_path,
        avenant="Avenant n° 2",
        date_avenant="15/09/2024",
        plafond_volet2_avenant="450 000",
        plafond_volet3_avenant="100000",
    )
    assert item.ceilings == {1: D("150000"), 2: D("450000"), 3: D("100000")}
    assert item.initial_ceilings == {1: D("150000"), 2: D("400000")}
    assert item.amendment.reference == "Avenant n° 2"
    assert item.amendment.date == date(2024, 9, 15)
    assert read_allocations(_file(tmp_path, [{**BASE, **_amended()}]), 2024)[0].ceilings[2] == D(
        "450000"
    )


def _amended() -> dict[str, str]:
    return {"avenant": "1", "date_avenant": "2024-09-15", "plafond_volet2_avenant": "450000"}


@pytest.mark.parametrize(
    ("columns", "column"),
    [
        ({"avenant": "1", "date_avenant": "2024-09-15"}, "plafond_volet1_avenant"),
        ({"avenant": "1", "plafond_volet1_avenant": "1000"}, "date_avenant"),
        ({"date_avenant": "2024-09-15", "plafond_volet1_avenant": "1000"}, "avenant"),
        ({**_amended(), "plafond_volet2_avenant": "-5"}, "plafond_volet2_avenant"),
        ({**_amended(), "avenant": "=HYPERLINK(1)"}, "avenant"),
    ],
)
def test_incomplete_or_wrong_amendment_is_refused(tmp_path, columns, column):
    _refused(tmp_path, column, **columns)


def test_chorus_imputation(tmp_path):
    codes = {"cf": "0102-DR75", "df": "0102-02", "activite": "010202020101", "gm": "GM 1"}
    item = _one(tmp_path, **codes, tiers_chorus="1000012345")
    assert item.imputation == {**codes, "tiers_chorus": "1000012345"}


@pytest.mark.parametrize("column", ["cf", "df", "activite", "gm", "tiers_chorus"])
def test_chorus_code_with_a_formula_or_odd_signs_is_refused(tmp_path, column):
    _refused(tmp_path, column, **{column: "=1+1"})


def test_unknown_column_is_refused_by_name(tmp_path):
    with pytest.raises(UsageError, match="avance_verse"):
        _one(tmp_path, avance_verse="1000")


def test_excel_export_in_windows_1252_with_comma_separator_and_blank_lines(tmp_path):
    rows = [{**BASE, "avenant": "Avenant n° 1", "date_avenant": "2024-09-15"}]
    rows[0]["plafond_volet1_avenant"] = "160000"
    path = _file(tmp_path, rows, sep=",", encoding="cp1252")
    path.write_bytes(path.read_bytes() + b",,,,,\n")
    (item,) = read_followup(path, 2024)
    assert item.amendment.reference == "Avenant n° 1" and item.ceilings[1] == D("160000")


def test_a_wrong_value_writes_nothing(tmp_path):
    path = _file(tmp_path, [BASE, {**BASE, "departement": "19", "date_avance": "demain"}])
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["generate", "--allocations", str(path), "-o", str(out)])
    assert run.exit_code == 2
    assert "ligne 3, colonne date_avance" in run.output
    assert not out.exists()
