"""Ceilings against the State's allocations (rules/allocations.py): a volet that the workbook
lacks, or that the allocation lacks, is said in plain French."""

from __future__ import annotations

from decimal import Decimal

from budget_tool.checker import check
from budget_tool.generate import generate
from tests.followup_region import params_for

D = Decimal


def test_a_volet_missing_from_the_workbook_is_said_in_plain_french(tmp_path):
    without = params_for("87", {1: D("160000"), 2: D("450000")})
    allocated = params_for("87", {1: D("160000"), 2: D("450000"), 3: D("300000")})
    _plan, bilan = generate(without, tmp_path)
    report = check(bilan, allocations={"87": allocated})
    (message,) = [f.message for f in report.findings if f.code == "plafond-modifie"]
    assert message == (
        "Plafond du volet 3 dans le classeur : aucun (le classeur n'a pas de volet 3) ; "
        "allocation de l'État : 300\u202f000,00\u00a0€."
    )
