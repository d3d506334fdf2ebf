"""The per-département report (PDF, A4): what it says, that it prints « € », « œ » and accents
with the shipped font, and that it opens without the tool (poppler reads it back)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest

from budget_tool.consolidation import consolidate
from budget_tool.followup import by_code, read_followup
from budget_tool.notices import notice_pdf, write_notices
from tests.followup_region import CREUSE_PAID, INELIGIBLE, followup_file, params_for, write

D = Decimal
TODAY = date(2025, 4, 15)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rapports")
    returns = folder / "retours"
    params = params_for("23", {1: D("150000"), 2: D("200000")})
    write(returns, "annexe-2", params, {1: D("140000"), 2: D("300000")})
    write(returns, "annexe-3", params, {1: [(0, D("100000"), INELIGIBLE)], 2: D("300000")})
    path = followup_file(
        folder,
        [
            {
                **CREUSE_PAID,
                "avenant": "Avenant n° 1 cœur de cible",
                "date_avenant": "2024-09-15",
                "plafond_volet1_avenant": "150000",
                "cf": "0102-DR75",
                "df": "0102-02",
                "activite": "010202020101",
                "gm": "GM-CDIE",
                "tiers_chorus": "1000012323",
            },
            {"departement": "33", "plafond_volet1": "200000", "plafond_volet2": "300000"},
        ],
    )
    followups = by_code(read_followup(path, 2024))
    return consolidate([returns], followup=followups, today=TODAY), followups


def _text(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) absent : texte du PDF non relu")
    source = tmp_path / "r.pdf"
    source.write_bytes(pdf)
    run = subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], capture_output=True, check=True, text=True
    )
    return run.stdout


def test_report_says_what_the_state_must_recover_with_findings_and_imputation(setup, tmp_path):
    result, followups = setup
    pdf = notice_pdf(result, "23", followups["23"], TODAY)
    assert pdf.startswith(b"%PDF-") and b"DejaVu" in pdf  # the font travels in the file
    text = _text(pdf, tmp_path)
    assert "23 - Creuse" in text and "15/04/2025" in text
    # volet 1 spent only ineligible money: 0 + min(200 000, 150 000) = 150 000 - 180 000 paid
    flat = " ".join(text.split())
    # the bilan has an error (an ineligible expense): the figure is not yet one to act on
    assert "Proposition suspendue : le bilan contient des erreurs à corriger" in flat
    assert "un trop-perçu de 30 000,00 € serait à reverser à l'État" in flat
    assert "Conseil départemental doit reverser" not in flat  # nothing ordered yet
    assert "versée le 14/06/2024" in text
    assert "Avenant n° 1 cœur de cible du 15/09/2024" in " ".join(text.split())
    assert "'Volet 1'!J" in text and "non éligible" in text  # the finding, with its cell
    for code in ("0102-DR75", "0102-02", "010202020101", "GM-CDIE", "1000012323"):
        assert code in text
    assert "SHA-256" in text and "Prévu et réalisé par action" in text


def test_report_of_a_departement_that_sent_nothing(setup, tmp_path):
    result, followups = setup
    text = _text(notice_pdf(result, "33", followups["33"], TODAY), tmp_path)
    assert "aucune annexe reçue" in text and "bilan en retard" in text
    assert "Aucune annexe reçue : aucun chiffre à rapprocher." in text
    assert "à compléter" in text  # no Chorus imputation in the file yet


def test_one_file_per_departement_written_atomically(setup, tmp_path):
    result, followups = setup
    written = write_notices(result, tmp_path / "out", followups, TODAY)
    assert [p.name for p in written] == ["rapport-23-2024.pdf", "rapport-33-2024.pdf"]
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".~")]
    again = write_notices(result, tmp_path / "again", followups, TODAY)
    assert written[0].read_bytes() == again[0].read_bytes()  # same inputs, same bytes


def test_report_is_a4_and_renders(setup, tmp_path):
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo (poppler-utils) absent")
    result, followups = setup
    source = tmp_path / "r.pdf"
    source.write_bytes(notice_pdf(result, "23", followups["23"], TODAY))
    info = subprocess.run(["pdfinfo", str(source)], capture_output=True, text=True, check=True)
    assert "595.28 x 841.89 pts (A4)" in info.stdout
