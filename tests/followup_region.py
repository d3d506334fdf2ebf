"""Helpers for the follow-up tests: workbooks with chosen amounts, and a follow-up file."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

from budget_tool.departements import lookup
from budget_tool.generate import write_workbook
from budget_tool.layout import build_plan
from budget_tool.plan import Parameters
from budget_tool.templates import load_template

ELIGIBLE = "Rémunération de personnel (ETP)"
INELIGIBLE = "Frais de mission : déplacements"
STEMS = {"annexe-2": "annexe2-plan-de-financement", "annexe-3": "annexe3-bilan-financier"}


def params_for(code: str, ceilings: dict[int, Decimal], **extra) -> Parameters:
    dep = lookup(code)
    return Parameters(dep.code, dep.nom, dep.region, 2024, f"2024-{code}", ceilings, **extra)


def write(
    folder: Path,
    annexe: str,
    params: Parameters,
    amounts: dict[int, Decimal | list[tuple[int, Decimal, str]]],
) -> Path:
    """A workbook whose volets hold ``amounts``: one amount on the first line, or a list of
    (line index, amount, category)."""
    plan = build_plan(load_template(annexe), params)
    lines: dict[tuple[int, int], dict[str, object]] = {}
    for volet, spec in amounts.items():
        entries = spec if isinstance(spec, list) else [(0, spec, ELIGIBLE)]
        for index, amount, category in entries:
            if annexe == "annexe-2":
                lines[(volet, index)] = {"montant_delta": amount, "categorie": category}
            else:
                lines[(volet, index)] = {
                    "nature": "Rémunération",
                    "forfait": amount,
                    "categorie": category,
                    "date_debut": date(2024, 6, 1),
                }
    Path(folder).mkdir(parents=True, exist_ok=True)  # the writer creates no folder (output.py)
    target = Path(folder) / f"{STEMS[annexe]}-{params.code}-2024.xlsx"
    write_workbook(plan, target, lines)
    return target


def followup_file(folder: Path, rows: list[dict[str, str]]) -> Path:
    header = list(dict.fromkeys(k for row in rows for k in row))
    text = "\n".join([";".join(header)] + [";".join(r.get(k, "") for k in header) for r in rows])
    path = Path(folder) / "suivi.csv"
    path.write_text(text + "\n", encoding="utf-8")
    return path


# The Creuse's follow-up row: its ceilings, and an advance paid below 60 % of them (art. 6).
CREUSE_PAID = {
    "departement": "23",
    "plafond_volet1": "150000",
    "plafond_volet2": "200000",
    "avance_versee": "180000",
    "date_avance": "14/06/2024",
}

SAMPLE_REGION = Path(__file__).resolve().parent.parent / "samples" / "region"
SAMPLE_FOLLOWUP = SAMPLE_REGION / "suivi-nouvelle-aquitaine-2024.csv"


def region_with_empty_bilan(folder: Path) -> Path:
    """The sample region's returns, plus the Gironde (33) sending back its annexe 3 exactly as
    generated from the follow-up file: nothing declared."""
    from budget_tool.followup import read_followup
    from budget_tool.generate import generate

    returns = Path(folder) / "retours"
    shutil.copytree(SAMPLE_REGION, returns, ignore=shutil.ignore_patterns("*.csv"))
    gironde = next(i for i in read_followup(SAMPLE_FOLLOWUP, 2024) if i.code == "33")
    _plan, bilan = generate(gironde.params, Path(folder) / "generes")
    shutil.copy(bilan, returns)
    return returns
