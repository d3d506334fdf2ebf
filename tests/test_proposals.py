"""What the State pays or recovers (art. 6 and 8): amended ceilings (art. 9) on both sides of a
« plafond dépassé », an advance that is not 60 %, the net of volets each capped by its ceiling,
and the « propositions de paiement » line."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from budget_tool.advance import split
from budget_tool.checker import check
from budget_tool.followup import by_code, read_followup
from budget_tool.generate import generate
from budget_tool.proposals import proposal_row, settle
from tests.followup_region import followup_file, write

D = Decimal
INITIAL = {"departement": "23", "plafond_volet1": "150000", "plafond_volet2": "200000"}


def _followup(tmp_path, **columns):
    path = followup_file(tmp_path, [{**INITIAL, **columns}])
    return read_followup(path, 2024)[0]


def _amended(tmp_path, volet1: str):
    return _followup(
        tmp_path, avenant="Avenant n° 1", date_avenant="2024-09-15", plafond_volet1_avenant=volet1
    )


def _plan_check(tmp_path, item, asked: Decimal):
    path = write(tmp_path / "plan", "annexe-2", item.params, {1: asked})
    return check(path, allocations={"23": item.params})


def test_amendment_raising_a_ceiling_turns_plafond_depasse_into_a_compliant_plan(tmp_path):
    before = _plan_check(tmp_path, _followup(tmp_path), D("170000"))
    assert "plafond-depasse" in before.codes()
    after = _plan_check(tmp_path, _amended(tmp_path, "180000"), D("170000"))
    assert after.valid and "plafond-depasse" not in after.codes(), after.flatten()


def test_amendment_lowering_a_ceiling_turns_a_compliant_plan_into_plafond_depasse(tmp_path):
    before = _plan_check(tmp_path, _followup(tmp_path), D("130000"))
    assert before.valid, before.flatten()
    after = _plan_check(tmp_path, _amended(tmp_path, "120000"), D("130000"))
    assert "plafond-depasse" in after.codes()


def test_workbook_with_the_initial_ceiling_after_an_amendment_is_reported(tmp_path):
    old = write(tmp_path / "ancien", "annexe-2", _followup(tmp_path).params, {1: D("100000")})
    report = check(old, allocations={"23": _amended(tmp_path, "180000").params})
    assert "plafond-modifie" in report.codes()


def _bilan(tmp_path, params, amounts):
    return check(write(tmp_path / "bilan", "annexe-3", params, amounts))


def test_amended_ceiling_caps_the_contribution_in_the_settlement(tmp_path):
    initial = _followup(tmp_path)
    report = _bilan(tmp_path, initial.params, {1: D("180000"), 2: D("100000")})
    assert settle(report, initial).volets[0].contribution == D("150000")  # capped (art. 4.1)
    amended = _amended(tmp_path, "200000")
    found = settle(report, amended)
    assert found.volets[0].contribution == D("180000")
    assert found.volets[0].ceiling_initial == D("150000") and found.volets[0].ceiling == D("200000")


def test_balance_with_an_advance_lower_than_60_percent(tmp_path):
    paid = _followup(tmp_path, avance_versee="150000", date_avance="14/06/2024")
    report = _bilan(tmp_path, paid.params, {1: D("100000"), 2: D("300000")})
    # contributions 100 000 + min(200 000, 150 000) = 250 000
    computed = settle(report, None)
    assert computed.advance == D("210000.00") and not computed.advance_paid  # 60 % of 350 000
    assert computed.net == D("40000.00")
    found = settle(report, paid)
    assert found.advance == D("150000") and found.advance_paid
    assert found.net == D("100000.00") and found.direction == "à verser"
    assert found.advance_label() == "versée le 14/06/2024"
    assert sum(v.advance for v in found.volets) == D("150000")


def test_proposal_is_the_net_of_volets_each_capped_by_its_own_ceiling(tmp_path):
    item = _followup(tmp_path, avance_versee="210000", date_avance="2024-02-01")
    # volet 1 overspent (capped at 150 000), volet 2 underspent: 40 000 x 50 % = 20 000
    report = _bilan(tmp_path, item.params, {1: D("190000"), 2: D("40000")})
    found = settle(report, item)
    assert [v.contribution for v in found.volets] == [D("150000"), D("20000.00")]
    assert [v.balance for v in found.volets] == [D("60000.00"), D("-100000.00")]
    assert found.net == D("-40000.00") and found.direction == "à recouvrer"
    row = proposal_row("23", "Creuse", "bilan reçu conforme", report, item)
    assert row["montant"] == D("40000.00") and row["sens"] == "à recouvrer"
    assert row["proposition"].startswith("ordre de recouvrement")
    assert row["solde_volet1"] == D("60000.00") and row["solde_volet2"] == D("-100000.00")
    assert row["sha256_bilan"] == report.sha256 and len(row["sha256_bilan"]) == 64
    assert row["fichier_bilan"] == report.path.name


def test_proposal_on_a_bilan_with_errors_is_suspended(tmp_path):
    item = _followup(tmp_path, cf="0102-DR75", tiers_chorus="1000012323")
    report = _bilan(tmp_path, item.params, {1: D("100000")})
    row = proposal_row("23", "Creuse", "", report, item, blocked="1 erreur(s) dans le bilan")
    assert row["proposition"].startswith("suspendue")
    assert row["cf"] == "0102-DR75" and row["tiers_chorus"] == "1000012323" and row["df"] is None


def test_no_proposal_without_a_bilan(tmp_path):
    row = proposal_row("33", "Gironde", "bilan attendu", None, _followup(tmp_path))
    assert row["montant"] is None and "non reçu" in row["proposition"]


def test_split_keeps_every_cent():
    shares = split(D("100000.00"), {1: D("1"), 2: D("1"), 3: D("1")})
    assert shares == {1: D("33333.33"), 2: D("33333.33"), 3: D("33333.34")}


def test_generated_workbooks_carry_the_advance_paid_and_check_reads_it_back(tmp_path):
    item = _followup(tmp_path, avance_versee="150000", date_avance="14/06/2024")
    annexe2, annexe3 = generate(item.params, tmp_path / "gen")
    for path in (annexe2, annexe3):
        report = check(path)
        assert report.flatten() == [("classeur-vide", "")]  # nothing typed yet, nothing else
        advances = [v.figures["avance"] for v in report.volets]
        assert advances == [D("64285.71"), D("85714.29")]  # 150 000 x 150/350 and the rest
        assert {v.labels["avance"] for v in report.volets} == {
            "Avance versée le 14/06/2024 (art. 6)"
        }
    plain = generate(replace(item.params, advance=None, advance_date=None), tmp_path / "calc")
    report = check(plain[1])
    assert [v.figures["avance"] for v in report.volets] == [D("90000.00"), D("120000.00")]
    assert "calculée" in report.volets[0].labels["avance"]


def test_an_advance_cell_typed_over_is_reported(tmp_path):
    from openpyxl import load_workbook

    item = _followup(tmp_path, avance_versee="150000", date_avance="14/06/2024")
    _, annexe3 = generate(item.params, tmp_path / "gen")
    book = load_workbook(annexe3)
    sheet = book["Synthèse"]
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == 64285.71:
                cell.value = 10000
    book.save(annexe3)
    assert "valeur-fixe-modifiee" in check(annexe3).codes()


def test_by_code_and_dates(tmp_path):
    item = by_code([_followup(tmp_path, date_reception_annexe3="2025-04-02")])["23"]
    assert item.deadline() == date(2025, 3, 31) and item.received["annexe-3"] > item.deadline()


def test_generate_from_the_follow_up_file_writes_amended_ceilings_and_advance_paid(tmp_path):
    from click.testing import CliRunner

    from budget_tool.cli import main

    path = followup_file(
        tmp_path,
        [
            {
                **INITIAL,
                "avance_versee": "190 000,00",
                "date_avance": "14/06/2024",
                "avenant": "Avenant n° 1",
                "date_avenant": "15/09/2024",
                "plafond_volet2_avenant": "250000",
            },
            {"departement": "19", "plafond_volet1": "100000", "plafond_volet2": "100000"},
        ],
    )
    out = tmp_path / "classeurs"
    run = CliRunner().invoke(main, ["generate", "--allocations", str(path), "-o", str(out)])
    assert run.exit_code == 0, run.output
    report = check(out / "annexe3-bilan-financier-23-2024.xlsx")
    assert report.flatten() == [("classeur-vide", "")]  # nothing typed yet, nothing else
    assert [v.ceiling for v in report.volets] == [D("150000"), D("250000")]  # the amendment's
    assert sum(v.figures["avance"] for v in report.volets) == D("190000")
    assert report.volets[0].labels["avance"] == "Avance versée le 14/06/2024 (art. 6)"
    other = check(out / "annexe3-bilan-financier-19-2024.xlsx")  # nothing paid yet: 60 %
    assert [v.figures["avance"] for v in other.volets] == [D("60000.00"), D("60000.00")]
    assert "calculée" in other.volets[0].labels["avance"]
