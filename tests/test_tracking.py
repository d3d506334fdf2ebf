"""consolidate with the follow-up file: a row and a status for every département, on both sides
of the art. 3.2 deadline; balances on the advance paid; the same set of départements in every
total and percentage; a département of the returns missing from the file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from click.testing import CliRunner

from budget_tool.cli import main
from budget_tool.consolidation import consolidate
from budget_tool.followup import by_code, read_followup
from tests.followup_region import (
    CREUSE_PAID,
    SAMPLE_FOLLOWUP,
    SAMPLE_REGION,
    followup_file,
    params_for,
    region_with_empty_bilan,
    write,
)

D = Decimal
DEADLINE = date(2025, 3, 31)  # art. 3.2: three months after the end of the 2024 convention


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    """23 sent both annexes (its bilan late, its advance lower than 60 %), 19 only its plan,
    33 nothing, 87 both annexes but is not in the follow-up file."""
    folder = tmp_path_factory.mktemp("suivi")
    returns = folder / "retours"
    p23 = params_for("23", {1: D("150000"), 2: D("200000")})
    write(returns, "annexe-2", p23, {1: D("140000"), 2: D("300000")})
    paid = params_for("23", p23.ceilings, advance=D("180000"), advance_date=date(2024, 6, 14))
    write(returns, "annexe-3", paid, {1: D("100000"), 2: D("300000")})  # sent after payment
    p19 = params_for("19", {1: D("100000"), 2: D("100000")})
    write(returns, "annexe-2", p19, {1: D("50000"), 2: D("50000")})
    p87 = params_for("87", {1: D("100000"), 2: D("100000")})
    write(returns, "annexe-2", p87, {1: D("80000"), 2: D("100000")})
    write(returns, "annexe-3", p87, {1: D("90000"), 2: D("100000")})
    path = followup_file(
        folder,
        [
            {
                **CREUSE_PAID,
                "date_reception_annexe3": "12/05/2025",
                "cf": "0102-DR75",
                "tiers_chorus": "1000012323",
            },
            {"departement": "19", "plafond_volet1": "100000", "plafond_volet2": "100000"},
            {"departement": "33", "plafond_volet1": "200000", "plafond_volet2": "300000"},
        ],
    )
    return returns, path


def _run(region, today: date):
    returns, path = region
    return consolidate([returns], followup=by_code(read_followup(path, 2024)), today=today)


@pytest.fixture(scope="module")
def late(region):
    return _run(region, date(2025, 4, 1))


def _consolidate_cli(returns, out, *options: str):
    """``budget-tool consolidate`` of the returns into ``out``/c.xlsx, with ``options``."""
    return CliRunner().invoke(
        main, ["consolidate", str(returns), "-o", str(out / "c.xlsx"), *options]
    )


def _status(result, code: str) -> str:
    return result.suivi.set_index("departement").loc[code, "statut"]


def test_every_departement_of_the_file_and_of_the_returns_has_its_row(late):
    assert list(late.suivi["departement"]) == ["19", "23", "33", "87"]


def test_bilans_are_awaited_until_the_deadline_and_late_the_day_after(region, late):
    on_time = _run(region, DEADLINE)
    assert _status(on_time, "33").startswith("aucune annexe reçue ; bilan attendu")
    assert "31/03/2025" in _status(on_time, "33")
    assert _status(on_time, "19").startswith("plan seul ; bilan attendu")
    assert not [f for _, f in on_time.findings if f.code == "bilan-en-retard"]
    assert "bilan en retard" in _status(late, "33") and "dépassée de 1 jour" in _status(late, "33")
    assert _status(late, "19").startswith("plan seul ; bilan en retard")
    flagged = sorted(f.message for _, f in late.findings if f.code == "bilan-en-retard")
    assert len(flagged) == 2 and "département 19" in flagged[0]
    assert late.suivi.set_index("departement").loc["33", "jours_de_retard"] == 1
    listed = late.anomalies[late.anomalies["code"] == "bilan-en-retard"]
    assert sorted(listed["departement"]) == ["19", "33"]  # 33 sent nothing, still named


def test_a_bilan_showing_another_advance_than_the_one_paid_is_to_check(region, tmp_path):
    returns, path = region
    folder = tmp_path / "retours"
    folder.mkdir()
    p23 = params_for("23", {1: D("150000"), 2: D("200000")})  # 60 %, not the 180 000 paid
    write(folder, "annexe-3", p23, {1: D("100000"), 2: D("300000")})
    result = consolidate([folder], followup=by_code(read_followup(path, 2024)), today=DEADLINE)
    assert _status(result, "23").startswith("bilan reçu, avertissements à vérifier")
    codes = {f.code for item in result.files if item.report for f in item.report.findings}
    assert "avance-differente" in codes
    proposal = result.propositions.set_index("departement").loc["23"]
    assert proposal["montant"] == D("70000.00")  # still on the advance paid


def test_a_bilan_received_after_the_deadline_says_so(region):
    after = _run(region, date(2025, 5, 20))  # the situation knows of the reception on 12/05
    status = _status(after, "23")
    assert status.startswith("bilan reçu conforme")
    assert "reçu en retard le 12/05/2025" in status
    assert after.suivi.set_index("departement").loc["23", "jours_de_retard"] == 42


def test_departement_of_the_returns_missing_from_the_file_is_flagged(late):
    assert "absent du fichier de suivi" in _status(late, "87")
    assert late.suivi.set_index("departement").loc["87", "dans_suivi"] == "non"
    codes = {f.code for item in late.files if item.report for f in item.report.findings}
    assert "departement-hors-allocations" in codes


def test_balance_uses_the_advance_actually_paid(late):
    rows = late.synthese[late.synthese["departement"] == "23"].set_index("volet")
    # contributions: volet 1 min(150 000, 100 000); volet 2 min(200 000, 300 000 x 50 %)
    assert list(rows["contribution_due"]) == [D("100000.00"), D("150000.00")]
    # 180 000 paid (not 60 % = 210 000), split in proportion to the ceilings 150 000 / 200 000
    assert list(rows["avance_versee"]) == [D("77142.86"), D("102857.14")]
    assert sum(rows["avance_versee"]) == D("180000")
    assert list(rows["solde_a_verser"]) == [D("22857.14"), D("47142.86")]
    proposal = late.propositions.set_index("departement").loc["23"]
    assert proposal["montant"] == D("70000.00") and proposal["sens"] == "à verser"
    assert proposal["avance_origine"] == "versée le 14/06/2024"


def test_totals_and_percentages_are_on_one_set_of_departements(late):
    frame = late.synthese
    totals = frame[frame["nom"] == "Total région"].set_index("statut")
    paired = next(t for s, t in totals.iterrows() if s.startswith("départements appariés"))
    plan_only = next(t for s, t in totals.iterrows() if s.startswith("plan seul"))
    # paired: 23 and 87, plans 440 000 + 180 000, bilans 400 000 + 190 000
    assert paired["besoins_prevus"] == D("620000") and paired["depenses_declarees"] == D("590000")
    assert paired["ecart_pct"] == D("-4.8")  # (590 000 - 620 000) / 620 000, not / 720 000
    assert "2 (23, 87)" in paired.name
    assert plan_only["besoins_prevus"] == D("100000") and plan_only["ecart_pct"] is None
    assert plan_only["depenses_declarees"] is None and "1 (19)" in plan_only.name


def test_cli_writes_the_follow_up_tables_and_one_report_per_departement(region, tmp_path):
    returns, path = region
    out = tmp_path / "out"
    out.mkdir()
    run = _consolidate_cli(
        returns,
        out,
        "--csv",
        str(out / "t"),
        "--allocations",
        str(path),
        "--date",
        "2025-04-01",
        "--reports",
        str(out / "rapports"),
        "-q",
    )
    assert run.exit_code == 0, run.output
    assert sorted(p.name for p in (out / "rapports").iterdir()) == [
        f"rapport-{code}-2024.pdf" for code in ("19", "23", "33", "87")
    ]
    for name in ("suivi", "propositions", "actions"):
        assert (out / "t" / f"{name}.csv").exists()
    from openpyxl import load_workbook

    sheets = load_workbook(out / "c.xlsx", read_only=True).sheetnames
    assert {"Suivi", "Propositions de paiement", "Prévu - réalisé par action"} <= set(sheets)


def test_bad_date_option_is_a_french_usage_error(region, tmp_path):
    returns, path = region
    run = _consolidate_cli(returns, tmp_path, "--date", "01/04/2025")
    assert run.exit_code == 2 and not (tmp_path / "c.xlsx").exists()


def test_errors_between_the_two_annexes_suspend_the_proposal(tmp_path):
    plan = params_for("23", {1: D("150000"), 2: D("200000")})
    bilan = params_for("23", {1: D("160000"), 2: D("200000")})  # not the plan's ceiling
    write(tmp_path, "annexe-2", plan, {1: D("100000")})
    write(tmp_path, "annexe-3", bilan, {1: D("100000")})
    result = consolidate([tmp_path], today=DEADLINE)
    assert "plafonds-differents" in {f.code for _, f in result.findings}
    assert _status(result, "23").startswith("bilan reçu avec erreurs")
    proposal = result.propositions.set_index("departement").loc["23", "proposition"]
    assert proposal.startswith("suspendue : 1 erreur(s)")


def test_a_wrong_follow_up_file_stops_consolidate_before_anything_is_written(region, tmp_path):
    returns, _ = region
    bad = followup_file(
        tmp_path,
        [
            {
                "departement": "23",
                "plafond_volet1": "1",
                "plafond_volet2": "1",
                "date_avance": "2025-13-01",
                "avance_versee": "1",
            }
        ],
    )
    out = tmp_path / "out"
    out.mkdir()
    run = _consolidate_cli(returns, out, "--allocations", str(bad), "--reports", str(out / "r"))
    assert run.exit_code == 2 and "ligne 2, colonne date_avance" in run.output
    assert list(out.iterdir()) == []


def test_an_empty_bilan_is_still_awaited_and_late_after_the_deadline(tmp_path):
    """A bilan sent back as generated declares nothing: it is no bilan final (art. 3.2), so the
    département stays late past the deadline, with the warning, and no payment is proposed."""
    returns = region_with_empty_bilan(tmp_path)
    followups = by_code(read_followup(SAMPLE_FOLLOWUP, 2024))
    result = consolidate([returns], followup=followups, today=date(2025, 5, 15))
    status = result.suivi[result.suivi["departement"] == "33"].iloc[0]["statut"]
    assert status.startswith("bilan reçu vide") and "bilan en retard" in status
    late = result.anomalies[result.anomalies["code"] == "bilan-en-retard"]
    assert "33" in set(late["departement"])
    proposal = result.propositions[result.propositions["departement"] == "33"].iloc[0]
    assert proposal["proposition"].startswith("aucune : bilan renvoyé vide")
    assert pd.isna(proposal["sens"]) and pd.isna(proposal["montant"])  # no recovery ordered


def test_a_reception_date_after_the_situation_date_is_not_taken_as_fact():
    """The situation on 01/03/2025 cannot know of a bilan received on 12/05/2025: the date is
    said to be checked, and no lateness is drawn from it."""
    followups = by_code(read_followup(SAMPLE_FOLLOWUP, 2024))
    result = consolidate([SAMPLE_REGION], followup=followups, today=date(2025, 3, 1))
    row = result.suivi[result.suivi["departement"] == "23"].iloc[0]
    assert "reçu en retard" not in row["statut"]
    assert "après la situation du 01/03/2025 : date à vérifier" in row["statut"]
    assert pd.isna(row["jours_de_retard"]) or row["jours_de_retard"] == 0
