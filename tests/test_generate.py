"""The generated workbooks: names, locking, validation, cached values, and refusals."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from budget_tool import expr
from budget_tool.cli import main
from budget_tool.plan import FORMULA, INPUT

NUMERIC = ("money", "etp", "count")


def test_writes_both_annexes_with_predictable_names(generated):
    assert generated["annexe-2"].name == "annexe2-plan-de-financement-23-2024.xlsx"
    assert generated["annexe-3"].name == "annexe3-bilan-financier-23-2024.xlsx"


def test_volet_sheets_follow_the_ceilings_given(generated, tmp_path):
    book = load_workbook(generated["annexe-2"])
    assert book.sheetnames == ["Synthèse", "Volet 1", "Volet 2", "Volet 3", "Listes"]
    result = CliRunner().invoke(
        main,
        [
            "generate",
            "-d",
            "2A",
            "--plafond-volet1",
            "1000",
            "--plafond-volet2",
            "2000",
            "-o",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(tmp_path / "annexe3-bilan-financier-2A-2024.xlsx")
    assert book.sheetnames == ["Synthèse", "Volet 1", "Volet 2", "Listes"]


@pytest.mark.parametrize("annexe", ["annexe-2", "annexe-3"])
def test_formulas_locked_inputs_unlocked_every_sheet_protected(generated, plans, annexe):
    book, plan = load_workbook(generated[annexe]), plans[annexe]
    for sheet_plan in plan.sheets:
        sheet = book[sheet_plan.name]
        assert sheet.protection.sheet, f"{sheet_plan.name} non protégée"
        for cell in sheet_plan.cells.values():
            written = sheet.cell(row=cell.row + 1, column=cell.col + 1)
            assert written.protection.locked == (cell.kind != INPUT), written.coordinate
            if cell.kind == FORMULA:
                assert written.value == expr.to_excel(cell.node, sheet_plan.name)


@pytest.mark.parametrize("annexe", ["annexe-2", "annexe-3"])
def test_every_numeric_and_category_input_is_validated(generated, plans, annexe):
    book, plan = load_workbook(generated[annexe]), plans[annexe]
    for sheet_plan in plan.volet_sheets():
        validations = book[sheet_plan.name].data_validations.dataValidation
        for cell in sheet_plan.of_kind(INPUT):
            coordinate = (
                book[sheet_plan.name].cell(row=cell.row + 1, column=cell.col + 1).coordinate
            )
            found = [v for v in validations if coordinate in v.sqref]
            if cell.type == "money":  # positive, and to the cent (issue 12)
                assert [(v.type, v.operator) for v in found] == [("custom", None)]
                first = re.match(r"AND\(ISNUMBER\(([A-Z]+\d+)\)", found[0].formula1)
                assert first is not None and first.group(1) in found[0].sqref
                assert found[0].formula1 == (
                    f"AND(ISNUMBER({first.group(1)}),{first.group(1)}>=0,"
                    f"ROUND({first.group(1)},2)={first.group(1)})"
                )
                assert "au centime" in found[0].error and "positif ou nul" in found[0].error
            elif cell.type in NUMERIC:
                assert [(v.type, v.operator, v.formula1) for v in found] == [
                    ("decimal", "greaterThanOrEqual", "0")
                ]
                assert "positif ou nul" in found[0].error
            elif cell.type == "category":
                assert [(v.type, v.formula1) for v in found] == [("list", expr.CATEGORY_LIST)]
            elif cell.type == "date":
                # "between" is the default operator: the file may omit it
                assert [(v.type, v.operator or "between") for v in found] == [("date", "between")]
                assert (found[0].formula1, found[0].formula2) == ("45292", "45657")
                assert "01/01/2024" in found[0].error and "31/12/2024" in found[0].error


def test_category_list_lives_on_a_hidden_sheet_behind_defined_names(generated, plans):
    book = load_workbook(generated["annexe-3"])
    assert book["Listes"].sheet_state == "hidden"
    labels = [c.label for c in plans["annexe-3"].template.categories]
    assert len(",".join(labels)) > 255  # too long for an inline list: hence the hidden sheet
    assert [book["Listes"].cell(row=i + 2, column=1).value for i in range(len(labels))] == labels
    assert book.defined_names[expr.CATEGORY_LIST].attr_text == f"Listes!$A$2:$A${len(labels) + 1}"


def test_formulas_carry_their_correct_cached_results(generated):
    book = load_workbook(generated["annexe-3"], data_only=True)
    synthesis = {row[0]: row for row in book["Synthèse"].iter_rows(values_only=True) if row[0]}
    assert synthesis["Volet 2"][1] == 400000  # plafond, read through 'Volet 2'!B9
    assert synthesis["Volet 2"][7] == 240000  # avance 60 %
    assert synthesis["Volet 2"][9] == 240000  # nothing spent yet: the advance is to refund
    assert synthesis["Total"][7] == 480000


def test_identification_block_is_prefilled(generated):
    sheet = load_workbook(generated["annexe-2"])["Volet 1"]
    values = {
        sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=2).value for r in range(1, 12)
    }
    assert values["Département"] == "23 - Creuse"
    assert values["Région"] == "Nouvelle-Aquitaine"
    assert values["Période"] == "du 01/01/2024 au 31/12/2024"
    assert values["PLAFOND DEPARTEMENT"] == 150000
    assert (
        sheet["A1"].value
        == "Construction du plan de financement - VOLET 1 - Période du 01/01/24 au 31/12/24"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-d", "20", "--plafond-volet1", "1", "--plafond-volet2", "1"],
            "Code département inconnu : « 20 »",
        ),
        (
            ["-d", "23", "--plafond-volet1", "-5", "--plafond-volet2", "1"],
            "ne peut pas être négatif",
        ),
        (
            ["-d", "23", "--plafond-volet1", "beaucoup", "--plafond-volet2", "1"],
            "n'est pas un montant",
        ),
        (["-d", "23", "--plafond-volet1", "1"], "plafond du volet 2 : plafond manquant"),
        ([], "indiquez --departement"),
    ],
)
def test_bad_options_get_a_french_error_and_nothing_is_written(tmp_path, args, message):
    result = CliRunner().invoke(main, ["generate", *args, "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "out").exists()


def test_allocations_csv_generates_every_departement(tmp_path):
    csv = tmp_path / "allocations.csv"
    csv.write_text(
        "departement;plafond_volet1;plafond_volet2;plafond_volet3\n"
        "23;150 000;400000;250000\n87;120000;300000,50;\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main, ["generate", "--allocations", str(csv), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "annexe2-plan-de-financement-23-2024.xlsx",
        "annexe2-plan-de-financement-87-2024.xlsx",
        "annexe3-bilan-financier-23-2024.xlsx",
        "annexe3-bilan-financier-87-2024.xlsx",
    ]
    synthesis = load_workbook(tmp_path / "out" / names[1], data_only=True)["Synthèse"]
    assert "Volet 3" not in [row[0] for row in synthesis.iter_rows(values_only=True)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("departement;plafond_volet1\n23;1\n", "colonne(s) manquante(s) : plafond_volet2"),
        ("departement;plafond_volet1;plafond_volet2\n23;1;2\n99;1;2\n", "ligne 3"),
        ("departement;plafond_volet1;plafond_volet2\n23;1;2\n23;1;2\n", "présent deux fois"),
        ("departement;plafond_volet1;plafond_volet2\n23;1;-2\n", "négatif"),
    ],
)
def test_bad_allocations_csv_writes_nothing(tmp_path, content, message):
    csv = tmp_path / "allocations.csv"
    csv.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["generate", "--allocations", str(csv), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert message in result.output and "allocations.csv" in result.output
    assert not (tmp_path / "out").exists()


def test_ceiling_with_cents_is_kept_exactly(tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "generate",
            "-d",
            "974",
            "--plafond-volet1",
            "1 234,56",
            "--plafond-volet2",
            "10",
            "-o",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    sheet = load_workbook(Path(tmp_path) / "annexe2-plan-de-financement-974-2024.xlsx")["Volet 1"]
    values = {row[0]: row[1] for row in sheet.iter_rows(max_col=2, values_only=True)}
    assert Decimal(str(values["PLAFOND DEPARTEMENT"])) == Decimal("1234.56")


def test_a_returned_workbook_in_the_output_folder_is_never_overwritten(tmp_path):
    args = [
        "generate",
        "-d",
        "23",
        "--plafond-volet1",
        "1000",
        "--plafond-volet2",
        "2000",
        "-o",
        str(tmp_path),
    ]
    assert CliRunner().invoke(main, args).exit_code == 0
    filled = tmp_path / "annexe3-bilan-financier-23-2024.xlsx"
    filled.write_bytes(b"rempli par le departement")
    refused = CliRunner().invoke(main, args)
    assert (
        refused.exit_code == 2 and "déjà présent" in refused.output and "--force" in refused.output
    )
    assert filled.read_bytes() == b"rempli par le departement"
    assert CliRunner().invoke(main, [*args, "--force"]).exit_code == 0
    assert filled.read_bytes() != b"rempli par le departement"


def test_written_files_get_the_ordinary_mode_not_a_private_one(tmp_path):
    import os

    CliRunner().invoke(
        main,
        [
            "generate",
            "-d",
            "23",
            "--plafond-volet1",
            "1",
            "--plafond-volet2",
            "1",
            "-o",
            str(tmp_path),
        ],
    )
    umask = os.umask(0)
    os.umask(umask)
    mode = (tmp_path / "annexe2-plan-de-financement-23-2024.xlsx").stat().st_mode & 0o777
    assert mode == 0o666 & ~umask


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "fichier vide"), ("departement;plafond_volet1;plafond_volet2\n", "aucune ligne")],
)
def test_empty_allocations_files_are_said_plainly(tmp_path, content, message):
    csv = tmp_path / "allocations.csv"
    csv.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["generate", "--allocations", str(csv), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
