"""budget-tool check on the shipped samples, through the CLI, and against LibreOffice's totals."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from budget_tool import sampledata
from budget_tool.catalogue_doc import catalogue_markdown
from budget_tool.checker import check
from budget_tool.cli import main
from budget_tool.fill import fill_workbook
from budget_tool.findings import Severity
from budget_tool.libreoffice import convert

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
EXPECTED = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
ROOT = Path(__file__).resolve().parent.parent


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_sample_file_is_listed_with_its_expected_findings():
    assert sorted(p.name for p in SAMPLES.glob("*.xlsx")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_check_finds_exactly_the_mistakes_of_each_sample(name):
    path = SAMPLES / name
    before = _digest(path)
    report = check(path)
    serious = {f.code for f in report.findings if f.severity != Severity.INFORMATION}
    assert serious == set(EXPECTED[name]), report.flatten()
    assert report.valid == (
        not any(CATALOGUE_SEVERITY[c] == Severity.ERREUR for c in EXPECTED[name])
    )
    assert _digest(path) == before  # the input is never modified


from budget_tool.findings import CATALOGUE  # noqa: E402

CATALOGUE_SEVERITY = {code: rule.severity for code, rule in CATALOGUE.items()}


def test_clean_and_faulty_files_give_the_worst_exit_code():
    clean, faulty = (
        SAMPLES / "annexe3-23-2024-conforme.xlsx",
        SAMPLES / "annexe3-23-2024-sans-categorie.xlsx",
    )
    runner = CliRunner()
    assert runner.invoke(main, ["check", str(clean)]).exit_code == 0
    result = runner.invoke(main, ["check", str(clean), str(faulty)])
    assert result.exit_code == 1
    assert "montant-sans-categorie" in result.output and "J18" in result.output
    assert "Résumé : 0 erreur(s)" in result.output and "Résumé : 1 erreur(s)" in result.output


def test_strict_makes_warnings_fail():
    warned = SAMPLES / "annexe3-23-2024-lignes-inserees.xlsx"
    assert check(warned).exit_code() == 1
    text = CliRunner().invoke(
        main, ["check", "--strict", str(SAMPLES / "annexe3-23-2024-depenses-ineligibles.xlsx")]
    )
    assert text.exit_code == 1


def test_refused_file_exits_3_with_a_french_reason_naming_the_file(tmp_path):
    bogus = tmp_path / "bilan.xlsx"
    bogus.write_text("departement;montant\n23;12\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["check", str(bogus), str(SAMPLES / "annexe2-23-2024-conforme.xlsx")]
    )
    assert result.exit_code == 3
    assert "bilan.xlsx" in result.output and "REFUSÉ" in result.output
    assert "Traceback" not in result.output


def test_json_report_has_the_documented_schema():
    result = CliRunner().invoke(
        main, ["check", "--format", "json", str(SAMPLES / "annexe2-23-2024-plafond-depasse.xlsx")]
    )
    assert result.exit_code == 1
    payload = json.loads(result.output)
    (report,) = payload["reports"]
    assert report["annexe"] == "annexe-2" and report["template_version"] == "2024.2"
    assert report["departement"] == {"code": "23", "nom": "Creuse", "region": "Nouvelle-Aquitaine"}
    volet1 = next(v for v in report["volets"] if v["volet"] == 1)
    assert Decimal(volet1["part_etat"]) > Decimal(volet1["plafond"]) == Decimal("150000.00")
    finding = next(f for f in report["findings"] if f["code"] == "plafond-depasse")
    assert finding["severity"] == "erreur" and finding["article"] == "4.1"
    assert finding["sheet"] == "Synthèse" and finding["cell"]
    assert "dépasse le plafond" in finding["message"]


def test_annotated_copy_has_comments_and_leaves_the_input_untouched(tmp_path):
    source = SAMPLES / "annexe3-23-2024-depenses-ineligibles.xlsx"
    before = _digest(source)
    target = tmp_path / "annotee.xlsx"
    result = CliRunner().invoke(main, ["check", str(source), "--annotate", str(target)])
    assert result.exit_code == 1
    assert _digest(source) == before
    report = check(source)
    finding = next(f for f in report.findings if f.code == "depense-ineligible")
    cell = load_workbook(target)[finding.where.sheet][finding.where.address]
    assert "depense-ineligible" in cell.comment.text
    assert cell.fill.fgColor.rgb.endswith("F8CBAD")


def test_annotating_onto_the_input_is_refused(tmp_path):
    source = tmp_path / "a.xlsx"
    source.write_bytes((SAMPLES / "annexe3-23-2024-conforme.xlsx").read_bytes())
    before = _digest(source)
    result = CliRunner().invoke(main, ["check", str(source), "--annotate", str(source)])
    assert result.exit_code == 2 and "différent" in result.output
    assert _digest(source) == before


def test_every_command_help_carries_an_example():
    for command in main.commands.values():
        help_text = CliRunner().invoke(main, [command.name, "--help"]).output
        assert "Exemple :" in help_text, command.name


def test_rules_docs_page_is_generated_from_the_catalogue():
    page = (ROOT / "docs" / "regles.md").read_text(encoding="utf-8")
    assert page == catalogue_markdown(), "docs/regles.md est périmé : make docs"
    for code in CATALOGUE:
        assert f"`{code}`" in page


@pytest.mark.libreoffice
@pytest.mark.parametrize("annexe", ["annexe-2", "annexe-3"])
def test_json_figures_equal_libreoffice_totals_on_every_volet(
    libreoffice, generated, plans, tmp_path, annexe
):
    """A workbook filled through its input cells, recalculated by LibreOffice: check agrees."""
    plan = plans[annexe]
    lines = (sampledata.plan_lines if annexe == "annexe-2" else sampledata.bilan_lines)(
        plan, seed=11
    )
    filled = tmp_path / f"{annexe}.xlsx"
    fill_workbook(plan, generated[annexe], filled, lines)
    (recalculated,) = convert([filled], tmp_path / "lo")
    result = CliRunner().invoke(main, ["check", "--format", "json", str(recalculated)])
    (report,) = json.loads(result.output)["reports"]
    assert report["counts"]["erreur"] == 0, report["findings"]
    synthesis = load_workbook(recalculated, data_only=True)["Synthèse"]
    headers = {c.key: i for i, c in enumerate(plan.template.synthesis.columns)}
    rows = {row[0]: row for row in synthesis.iter_rows(values_only=True) if isinstance(row[0], str)}
    compared = 0
    for volet in report["volets"]:
        row = rows[f"Volet {volet['volet']}"]
        for key, value in volet.items():
            if key in headers and key != "volet":
                assert abs(Decimal(value) - Decimal(str(row[headers[key]]))) < Decimal("0.005"), (
                    volet["volet"],
                    key,
                )
                compared += 1
    assert compared >= 12


def test_allocations_file_catches_a_ceiling_typed_over(tmp_path):
    allocations = tmp_path / "allocations.csv"
    allocations.write_text(
        "departement;plafond_volet1;plafond_volet2;plafond_volet3\n23;150000;400000;200000\n",
        encoding="utf-8",
    )
    sample = SAMPLES / "annexe3-23-2024-conforme.xlsx"
    result = CliRunner().invoke(main, ["check", "--allocations", str(allocations), str(sample)])
    assert result.exit_code == 1
    assert "plafond-modifie" in result.output and "volet 3" in result.output
    assert CliRunner().invoke(main, ["check", str(sample)]).exit_code == 0


def test_library_functions_a_dreets_script_calls():
    import budget_tool

    report = budget_tool.check(SAMPLES / "annexe2-23-2024-plafond-depasse.xlsx")
    assert not report.valid and "plafond-depasse" in report.codes()
    result = budget_tool.consolidate([SAMPLES / "region"])
    assert set(result.synthese["departement"]) >= {"19", "23", "24", "86", "87"}
