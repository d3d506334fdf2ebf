"""The national set of the benchmark: the 101 départements, an annexe 2 and an annexe 3 each,
generated and filled here (realistic inputs from ``sampledata``, correct cached results, as if
typed and saved by a spreadsheet), with ceilings varied per département and a volet 3 for one
département in five."""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from budget_tool import sampledata
from budget_tool.departements import all_departements
from budget_tool.generate import output_name, write_workbook
from budget_tool.layout import build_plan
from budget_tool.plan import Parameters
from budget_tool.templates import load_template

YEAR = 2024


@dataclass
class NationalSet:
    params: list[Parameters]
    files: list[Path]  # per département: annexe 2, then annexe 3 (INSEE order)

    @property
    def with_volet3(self) -> int:
        return sum(1 for p in self.params if 3 in p.ceilings)


def national_parameters(year: int = YEAR) -> list[Parameters]:
    """One set of ceilings per département, deterministic; volet 3 for every fifth one."""
    result = []
    for index, dep in enumerate(all_departements()):
        rng = random.Random(1000 + index)
        ceilings = {
            1: Decimal(rng.randrange(60_000, 400_000, 500)),
            2: Decimal(rng.randrange(150_000, 1_500_000, 500)),
        }
        if index % 5 == 2:  # 20 of 101, spread over the list
            ceilings[3] = Decimal(rng.randrange(80_000, 700_000, 500))
        convention = f"{year}-{dep.code}-{rng.randint(1, 999):03d}"
        result.append(Parameters(dep.code, dep.nom, dep.region, year, convention, ceilings))
    return result


def build_national_set(folder: Path, year: int = YEAR) -> NationalSet:
    """Write the 202 filled workbooks into ``folder`` (emptied first)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    annexe2, annexe3 = load_template("annexe-2"), load_template("annexe-3")
    params_list = national_parameters(year)
    files = []
    for index, params in enumerate(params_list):
        for template, fill in ((annexe2, sampledata.plan_lines), (annexe3, sampledata.bilan_lines)):
            plan = build_plan(template, params)
            target = folder / output_name(template, params)
            write_workbook(plan, target, fill(plan, seed=index + 1))
            files.append(target)
    return NationalSet(params_list, files)


def subset(files: list[Path], count: int, folder: Path) -> Path:
    """A folder holding the first ``count`` files (hard links, else copies)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for path in files[:count]:
        try:
            os.link(path, folder / path.name)
        except OSError:
            shutil.copy2(path, folder / path.name)
    return folder


def write_allocations(params_list: list[Parameters], target: Path) -> Path:
    """The allocations CSV of ``budget-tool generate --allocations`` for these départements."""
    lines = ["departement;plafond_volet1;plafond_volet2;plafond_volet3;convention"]
    for p in params_list:
        v3 = p.ceilings.get(3)
        lines.append(
            f"{p.code};{p.ceilings[1]};{p.ceilings[2]};{'' if v3 is None else v3};{p.convention}"
        )
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def write_followup(params_list: list[Parameters], target: Path) -> Path:
    """The DREETS follow-up file for these départements (``consolidate --allocations``): the
    advance paid (lower than 60 % for one in seven), an amendment for one in ten (the workbooks
    carry the amended ceilings), reception dates (one bilan in six late) and the imputation."""
    header = (
        "departement;plafond_volet1;plafond_volet2;plafond_volet3;convention;avance_versee;"
        "date_avance;avenant;date_avenant;plafond_volet2_avenant;date_reception_annexe2;"
        "date_reception_annexe3;cf;df;activite;gm;tiers_chorus"
    )
    lines = [header]
    for index, p in enumerate(params_list):
        total = sum(p.ceilings.values(), Decimal(0))
        advance = (total * Decimal("0.6")).quantize(Decimal("0.01"))
        if index % 7 == 3:
            advance = (advance * Decimal("0.8")).quantize(Decimal("0.01"))
        initial2, amendment = p.ceilings[2], ["", "", ""]
        if index % 10 == 4:
            initial2 = p.ceilings[2] - Decimal(10_000)
            amendment = ["Avenant n° 1", "15/09/2024", str(p.ceilings[2])]
        v3 = p.ceilings.get(3)
        received3 = "12/05/2025" if index % 6 == 1 else "28/03/2025"
        lines.append(
            ";".join(
                [
                    p.code,
                    str(p.ceilings[1]),
                    str(initial2),
                    "" if v3 is None else str(v3),
                    p.convention,
                    str(advance).replace(".", ","),
                    "09/02/2024",
                    *amendment,
                    "2024-01-25",
                    received3,
                    "0102-DR75-DR75",
                    "0102-02",
                    "010202020101",
                    "GM-CDIE-2024",
                    f"10000{index:05d}",
                ]
            )
        )
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target
