"""Problems found by using the tool as its users do, after the merge of five branches.

Each test states what a user relies on and is marked xfail(strict=True) until the code is fixed:
when a fix lands, the test passes, the strict xfail fails, and the marker must be removed.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from budget_tool.checker import check
from budget_tool.cli import main
from budget_tool.consolidation import consolidate
from budget_tool.followup import by_code, read_followup
from budget_tool.libreoffice import convert
from budget_tool.notices import notice_pdf

ROOT = Path(__file__).resolve().parent.parent
REGION = ROOT / "samples" / "region"
SUIVI = REGION / "suivi-nouvelle-aquitaine-2024.csv"
DEMO_DAY = date(2025, 5, 15)
ELIGIBLE = "Rémunération de personnel (ETP)"


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) absent : texte du PDF non relu")
    source = tmp_path / "r.pdf"
    source.write_bytes(pdf)
    run = subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], capture_output=True, check=True, text=True
    )
    return " ".join(run.stdout.split())


@pytest.fixture(scope="module")
def region_with_empty_bilan(tmp_path_factory):
    """The demo region, plus the Gironde (33) sending back its annexe 3 exactly as generated."""
    folder = tmp_path_factory.mktemp("vide")
    returns = folder / "retours"
    shutil.copytree(REGION, returns, ignore=shutil.ignore_patterns("*.csv"))
    generated = folder / "generes"
    run = CliRunner().invoke(
        main, ["generate", "--allocations", str(SUIVI), "--year", "2024", "-o", str(generated)]
    )
    assert run.exit_code == 0, run.output
    shutil.copy(generated / "annexe3-bilan-financier-33-2024.xlsx", returns)
    followups = by_code(read_followup(SUIVI, 2024))
    return consolidate([returns], followup=followups, today=DEMO_DAY), followups


@pytest.mark.xfail(
    strict=True,
    reason="Un bilan vide (statut « vide ») donne une proposition « à recouvrer 486 000,00 € » "
    "et un rapport PDF qui ordonne au département de reverser toute l'avance : des chiffres "
    "que le README dit « non fondés » (proposals.py / notices._money).",
)
def test_empty_bilan_founds_no_recovery_order(region_with_empty_bilan, tmp_path):
    result, followups = region_with_empty_bilan
    rows = result.propositions[result.propositions["departement"] == "33"].to_dict("records")
    assert len(rows) == 1
    text = _pdf_text(notice_pdf(result, "33", followups["33"], DEMO_DAY), tmp_path)
    assert "doit reverser à l'État un trop-perçu" not in text
    assert rows[0]["sens"] not in ("à recouvrer", "à verser")


@pytest.mark.xfail(
    strict=True,
    reason="Bilan avec une erreur : la proposition est « suspendue », mais le rapport PDF envoyé "
    "au département affirme « L'État doit verser … un solde de 208 166,71 € » (notices._money).",
)
def test_report_of_a_suspended_proposal_promises_no_payment(tmp_path):
    followups = by_code(read_followup(SUIVI, 2024))
    result = consolidate([REGION], followup=followups, today=DEMO_DAY)
    row = result.propositions[result.propositions["departement"] == "24"].iloc[0]
    assert str(row["proposition"]).startswith("suspendue")
    text = _pdf_text(notice_pdf(result, "24", followups["24"], DEMO_DAY), tmp_path)
    assert "L'État doit verser au Conseil départemental un solde de" not in text


@pytest.mark.xfail(
    strict=True,
    reason="fichiers.csv écrit l'année « 2024,00 » et les nombres d'erreurs « 0,00 » : des "
    "entiers écrits comme des montants (summary.write_csv / csvout).",
)
def test_files_csv_writes_years_and_counts_as_integers(tmp_path):
    run = CliRunner().invoke(
        main, ["consolidate", str(REGION), "-o", str(tmp_path / "x.xlsx"), "--csv", str(tmp_path)]
    )
    assert run.exit_code == 0, run.output
    with (tmp_path / "fichiers.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert rows and all(row["annee"] == "2024" for row in rows)
    assert all(row["erreurs"].isdigit() and row["avertissements"].isdigit() for row in rows)


def _fill(source: Path, target: Path, cells: dict[str, object]) -> Path:
    book = openpyxl.load_workbook(source)
    for ref, value in cells.items():
        book["Volet 1"][ref] = value
    book.save(target)
    return target


@pytest.mark.xfail(
    strict=True,
    reason="Coût unitaire à trois décimales (12 × 1 234,567) : le message dit « budget-tool "
    "compte la ligne arrondie au centime (1 234,57 €) » alors que la ligne comptée vaut "
    "14 814,80 € (12 × 1 234,567 arrondi), pas 12 × 1 234,57 = 14 814,84 € (rules/cents.py).",
)
def test_three_decimal_unit_cost_message_names_the_amount_counted(generated, tmp_path):
    filled = _fill(
        generated["annexe-3"],
        tmp_path / "a3.xlsx",
        {"A18": "Chef de projet", "C18": 12, "D18": 1234.567, "J18": ELIGIBLE},
    )
    report = check(filled)
    volet1 = next(v for v in report.as_dict()["volets"] if v["volet"] == 1)
    assert volet1["depenses"] == "14814.80"
    cents = [f for f in report.findings if f.code == "montant-centimes"]
    assert len(cents) == 1
    assert "14 814,80" in " ".join(cents[0].message.split())


@pytest.mark.libreoffice
@pytest.mark.xfail(
    strict=True,
    reason="Formule saisie =SI(1>0;5000;0) dans un classeur recalculé par LibreOffice : en plus de "
    "l'erreur juste (fonction IF non calculée, en H18), ~19 erreurs total-incoherent disent le "
    "fichier « modifié sans recalcul, ou falsifié » alors qu'il est honnête (checker/rules).",
)
def test_uncomputable_typed_formula_is_not_called_falsified(generated, tmp_path, libreoffice):
    filled = _fill(
        generated["annexe-3"],
        tmp_path / "si.xlsx",
        {"A18": "Chef de projet", "H18": "=IF(1>0,5000,0)", "J18": ELIGIBLE},
    )
    (recalculated,) = convert([filled], tmp_path / "lo")
    codes = [f.code for f in check(recalculated).findings]
    assert "formule-saisie-non-calculee" in codes
    assert "total-incoherent" not in codes


@pytest.mark.xfail(
    strict=True,
    reason="Bilan sans volet 3 pour un département qui en a un : le message dit « Le plafond du "
    "volet 3 est de absent (pas de volet) dans le classeur » (français cassé, findings/tracking).",
)
def test_missing_volet_ceiling_message_is_french(tmp_path):
    generated = tmp_path / "g"
    run = CliRunner().invoke(
        main,
        [
            "generate", "--departement", "87", "--year", "2024", "--plafond-volet1", "160000",
            "--plafond-volet2", "450000", "-o", str(generated),
        ],
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    returns = tmp_path / "retours"
    returns.mkdir()
    _fill(
        generated / "annexe3-bilan-financier-87-2024.xlsx",
        returns / "annexe3-bilan-financier-87-2024.xlsx",
        {"A18": "Chef de projet", "H18": 160000, "J18": ELIGIBLE},
    )
    result = consolidate([returns], followup=by_code(read_followup(SUIVI, 2024)), today=DEMO_DAY)
    messages = [
        m for m in result.anomalies[result.anomalies["code"] == "plafond-modifie"]["message"]
    ]
    assert messages, "le volet 3 manquant doit être signalé"
    assert not any("est de absent" in m for m in messages)


@pytest.mark.xfail(
    strict=True,
    reason="Situation au 01/03/2025 (--date) : le suivi dit la Creuse « reçu en retard le "
    "12/05/2025 », une réception postérieure à la date de la situation, sans aucun signalement "
    "(tracking.py ne compare pas les dates de réception à --date).",
)
def test_reception_after_the_situation_date_is_not_taken_as_fact():
    followups = by_code(read_followup(SUIVI, 2024))
    result = consolidate([REGION], followup=followups, today=date(2025, 3, 1))
    status = result.suivi[result.suivi["departement"] == "23"].iloc[0]["statut"]
    assert "12/05/2025" not in status


@pytest.mark.libreoffice
@pytest.mark.xfail(
    strict=True,
    reason="Montant démesuré saisi en 'Volet 1'!H18 dans un classeur recalculé par LibreOffice : "
    "le refus nomme 'Synthèse'!C10, un total verrouillé que l'agent ne peut pas corriger, au "
    "lieu de la cellule saisie (precheck/safeload : feuilles lues dans l'ordre du classeur).",
)
def test_refusal_for_a_huge_amount_names_the_input_cell(generated, tmp_path, libreoffice):
    filled = _fill(
        generated["annexe-3"],
        tmp_path / "enorme.xlsx",
        {"A18": "Chef de projet", "H18": 100000000000000, "J18": ELIGIBLE},
    )
    (recalculated,) = convert([filled], tmp_path / "lo")
    refused = str(check(recalculated).as_dict()["refused"])
    assert "'Volet 1'!H18" in refused


@pytest.mark.libreoffice
@pytest.mark.xfail(
    strict=True,
    reason="=H19+5 avec « 1000 » en texte dans H19 : Excel et LibreOffice donnent 1005, "
    "budget-tool calcule #VALUE! et dit le classeur « falsifié » (formule-saisie-incoherente, "
    "~28 total-incoherent) : ce n'est pas « calculé comme le tableur » (typedformula.py/expr.py).",
)
def test_typed_formula_coerces_numeric_text_like_the_spreadsheet(generated, tmp_path, libreoffice):
    filled = _fill(
        generated["annexe-3"],
        tmp_path / "texte.xlsx",
        {"A18": "Chef de projet", "H18": "=H19+5", "H19": "1000", "J18": ELIGIBLE},
    )
    (recalculated,) = convert([filled], tmp_path / "lo")
    codes = [f.code for f in check(recalculated).findings]
    assert "nombre-en-texte" in codes  # H19 itself stays an error
    assert "formule-saisie-incoherente" not in codes
    assert "total-incoherent" not in codes


@pytest.mark.xfail(
    strict=True,
    reason="La page web et POST /api/check plantent (HTTP 500, KeyError 'vide' dans "
    "web/jobs.report_view : VERDICTS ignore le statut « vide ») sur un bilan renvoyé vide, "
    "alors que budget-tool check le dit « vide » (code 1).",
)
def test_web_check_of_an_empty_bilan_says_vide(tmp_path):
    pytest.importorskip("starlette", reason="les dépendances web ([web]) ne sont pas installées")
    from starlette.testclient import TestClient

    from budget_tool.web.app import WebConfig, create_app

    empty = ROOT / "samples" / "annexe3-23-2024-vide.xlsx"
    upload = [("fichiers", (empty.name, empty.read_bytes(), "application/octet-stream"))]
    app = create_app(WebConfig(tmp_dir=str(tmp_path)))
    with TestClient(app, raise_server_exceptions=False) as client:
        api = client.post("/api/check", files=upload)
        page = client.post("/controle", files=upload)
    assert api.status_code == 200
    assert api.json()["reports"][0]["status"] == "vide"
    assert page.status_code == 200
