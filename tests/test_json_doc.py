"""docs/json.md says the keys ``check --format json`` writes: compared with what it writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from budget_tool.checker import check
from budget_tool.report import to_json

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "json.md").read_text(encoding="utf-8")
SAMPLES = {"annexe-2": "annexe2-23-2024-conforme.xlsx", "annexe-3": "annexe3-23-2024-conforme.xlsx"}


def documented(field: str, annexe: str) -> set[str]:
    """The keys the table row of ``field`` lists after « Annexe 2 : » or « Annexe 3 : »."""
    row = next(line for line in DOC.splitlines() if line.startswith(f"| `{field}` |"))
    number = annexe[-1]
    part = re.search(rf"Annexe {number} : (.*?)(?:\. Annexe|\s*\|$)", row)
    assert part, (field, annexe)
    return set(re.findall(r"`([a-z_]+)`", part.group(1)))


@pytest.mark.parametrize("annexe", sorted(SAMPLES))
def test_documented_keys_are_the_keys_written(annexe):
    report = json.loads(to_json([check(ROOT / "samples" / SAMPLES[annexe])]))["reports"][0]
    for volet in report["volets"]:
        assert set(volet) - {"volet", "plafond"} == documented("volets[]", annexe)
        assert all(
            re.fullmatch(r"-?\d+\.\d\d", volet[k]) for k in volet if k not in ("volet", "taux_etat")
        )
    figures = {k for k in report["totals"] if not k.startswith("total.")}
    assert figures == documented("totals", annexe)
    assert all(re.fullmatch(r"-?\d+\.\d\d", v) for v in report["totals"].values())


def test_every_status_is_documented():
    row = next(line for line in DOC.splitlines() if line.startswith("| `status` |"))
    for status in ("refusé", "vide", "erreurs", "avertissements", "conforme"):
        assert f"`{status}`" in row
