"""Problems found by using the tool as its users do, after the merge of five branches.

Each test states what a user relies on and is marked xfail(strict=True) until the code is fixed:
when a fix lands, the test passes, the strict xfail fails, and the marker must be removed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest

from budget_tool.checker import check
from budget_tool.libreoffice import convert

ROOT = Path(__file__).resolve().parent.parent
REGION = ROOT / "samples" / "region"
SUIVI = REGION / "suivi-nouvelle-aquitaine-2024.csv"
DEMO_DAY = date(2025, 5, 15)
ELIGIBLE = "Rémunération de personnel (ETP)"


def _fill(source: Path, target: Path, cells: dict[str, object]) -> Path:
    book = openpyxl.load_workbook(source)
    for ref, value in cells.items():
        book["Volet 1"][ref] = value
    book.save(target)
    return target


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
