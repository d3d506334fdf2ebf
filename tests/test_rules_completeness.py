"""A workbook with nothing declared is never « conforme » (rules/completeness.py).

The files are the generator's own, untouched (what a département that sends back the blank
workbook sends), or filled with texts and no amount; ``consolidate`` shows the verdict beside the
payment figures that such a file would otherwise justify.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from budget_tool.checker import check
from budget_tool.consolidation import consolidate
from budget_tool.generate import write_workbook
from budget_tool.report import to_json, to_text
from tests.workbooks import ANNEXE2, ANNEXE3, clean_lines, first_line

CODES = ("classeur-vide",)


@pytest.mark.parametrize("annexe", [ANNEXE2, ANNEXE3])
def test_generated_workbook_sent_back_blank_is_empty_not_conforme(generated, annexe):
    report = check(generated[annexe])
    assert report.flatten() == [("classeur-vide", "")]
    assert report.status() == "vide" and not report.valid and report.exit_code() == 1
    assert "Rien n'a été saisi" in report.findings[0].message
    assert json.loads(to_json([report]))["reports"][0]["status"] == "vide"
    assert to_text(report).splitlines()[-1].endswith("· vide")


def test_texts_without_any_amount_are_empty_too(tmp_path, plans):
    """Natures and categories chosen, no amount: said as such."""
    plan = plans[ANNEXE3]
    lines = {
        key: {k: v for k, v in values.items() if k in ("nature", "objet", "categorie")}
        for key, values in clean_lines(plan).items()
    }
    path = tmp_path / "textes.xlsx"
    write_workbook(plan, path, lines)
    report = check(path)
    assert "classeur-vide" in report.codes() and report.status() == "vide"
    message = next(f.message for f in report.findings if f.code == "classeur-vide")
    assert message.startswith("Seuls des textes")


def test_one_amount_is_enough_not_to_be_empty(tmp_path, plans):
    """Near miss: a single line of one euro is a declaration."""
    plan = plans[ANNEXE3]
    clean = clean_lines(plan)
    key = (1, first_line(clean, 1, "forfait"))
    lines = {key: {"forfait": Decimal("1"), "categorie": clean[key]["categorie"]}}
    path = tmp_path / "un-euro.xlsx"
    write_workbook(plan, path, lines)
    report = check(path)
    assert "classeur-vide" not in report.codes()
    assert report.status() != "vide"


def test_consolidation_says_the_empty_bilan_beside_its_payment_figures(tmp_path, plans, generated):
    folder = tmp_path / "retours"
    folder.mkdir()
    write_workbook(plans[ANNEXE2], folder / "plan.xlsx", clean_lines(plans[ANNEXE2]))
    shutil.copy(generated[ANNEXE3], folder / Path(generated[ANNEXE3]).name)
    result = consolidate([folder])
    rows = result.synthese[result.synthese["departement"] == "23"]
    assert len(rows) == 3
    for _, row in rows.iterrows():
        assert row["trop_percu"] > 0  # the whole advance would be clawed back...
        assert "annexe 3 vide" in row["statut"]  # ...were it not said that nothing was declared
        assert row["erreurs"] >= 1
    assert "classeur-vide" in set(result.anomalies["code"])
