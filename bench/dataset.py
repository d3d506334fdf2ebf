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
