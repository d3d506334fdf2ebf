"""Plan against actual per action (art. 8): annexe 2 lines and annexe 3 spending paired by the
templates' « pair » keys, in the consolidation's data and workbook."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from budget_tool.consolidation import consolidate
from budget_tool.pairing import blocks
from budget_tool.summary import to_json
from budget_tool.templates import load_template
from tests.followup_region import ELIGIBLE, INELIGIBLE, params_for, write

D = Decimal


def _index(annexe: str, volet: int, group_or_section: str, nth: int = 0) -> int:
    """Index of the nth line of a block, found through the template (no hard-coded row)."""
    from budget_tool.layout import build_plan

    plan = build_plan(load_template(annexe), params_for("23", {1: D(1), 2: D(1)}))
    sheet = next(s for s in plan.volet_sheets() if s.volet == volet)
    found = [
        i for i, line in enumerate(sheet.lines) if group_or_section in (line.group, line.section)
    ]
    return found[nth]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("paires")
    params = params_for("23", {1: D("150000"), 2: D("400000")})
    solutions2 = "Solutions d'accompagnement complémentaires (augmentation capacitaire, élargissement de périmètre, publics cibles spécifiques etc)"
    write(
        folder,
        "annexe-2",
        params,
        {
            2: [
                (_index("annexe-2", 2, solutions2, 0), D("100000"), ELIGIBLE),
                (_index("annexe-2", 2, solutions2, 1), D("50000"), ELIGIBLE),
                (
                    _index("annexe-2", 2, "Levée des freins socio-professionnels"),
                    D("40000"),
                    ELIGIBLE,
                ),
            ]
        },
    )
    write(
        folder,
        "annexe-3",
        params,
        {
            2: [
                (
                    _index("annexe-3", 2, "Solutions d'accompagnement complémentaires"),
                    D("60000"),
                    ELIGIBLE,
                ),
                (
                    _index(
                        "annexe-3", 2, "Dépenses relatives au renforcement des solutions locales"
                    ),
                    D("30000"),
                    INELIGIBLE,
                ),
                (
                    _index("annexe-3", 2, "Dépenses relatives à la levée des freins sociaux"),
                    D("40000"),
                    ELIGIBLE,
                ),
                (
                    _index(
                        "annexe-3", 2, "Dépenses relatives à la remobilisation / entrée en parcours"
                    ),
                    D("10000"),
                    ELIGIBLE,
                ),
            ]
        },
    )
    return consolidate([folder])


def _action(result, key: str):
    rows = result.actions[result.actions["action"] == key]
    assert len(rows) == 1, list(result.actions["action"])
    return rows.iloc[0]


def test_planned_and_spent_are_paired_per_action(result):
    solutions = _action(result, "solutions-accompagnement")
    assert solutions["prevu"] == D("150000")
    assert solutions["realise"] == D("90000")  # both annexe 3 blocks of that action
    assert solutions["dont_eligible"] == D("60000")
    assert solutions["ecart"] == D("-60000") and solutions["ecart_pct"] == D("-40.0")
    assert solutions["taux_execution"] == D("60.0")
    assert solutions["libelle_action"].startswith("Solutions d'accompagnement complémentaires (")
    freins = _action(result, "freins")
    assert freins["prevu"] == freins["realise"] == D("40000") and freins["ecart"] == 0
    assert freins["libelle_action"] == "Levée des freins socio-professionnels"
    assert set(result.actions["ensemble"]) == {"apparié"}


def test_spending_on_an_action_not_planned_shows_with_a_zero_plan(result):
    remobilisation = _action(result, "remobilisation")
    assert remobilisation["prevu"] == 0 and remobilisation["realise"] == D("10000")
    assert remobilisation["ecart_pct"] is None  # no percentage of nothing


def test_per_action_table_is_in_the_json_and_the_workbook(result, tmp_path):
    data = json.loads(to_json(result))
    keys = {row["action"] for row in data["actions"]}
    assert {"solutions-accompagnement", "freins", "remobilisation"} <= keys
    row = next(r for r in data["actions"] if r["action"] == "freins")
    assert row["prevu"] == "40000.00" and row["realise"] == "40000.00"
    from openpyxl import load_workbook

    from budget_tool.summary import write_summary

    book = load_workbook(write_summary(result, tmp_path / "s.xlsx"), read_only=True)
    sheet = book["Prévu - réalisé par action"]
    headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert "Prévu (annexe 2, montant delta)" in headers and "Réalisé (annexe 3, montant)" in headers


def test_pairing_follows_the_template_data_not_labels_in_code():
    template = load_template("annexe-2")
    volet = template.volet(2)
    section = volet.sections[0]
    renamed = tuple(
        replace(g, label="Levée des freins périphériques") if g.pair == "freins" else g
        for g in section.groups
    )
    added = (*renamed, replace(section.groups[0], label="Nouvelle nature", pair=""))
    changed = replace(
        template,
        volets=tuple(
            replace(v, sections=(replace(section, groups=added), *v.sections[1:]))
            if v.number == 2
            else v
            for v in template.volets
        ),
    )
    found = blocks(changed)
    assert found[(2, section.label, "Levée des freins périphériques")].key == "freins"
    own = found[(2, section.label, "Nouvelle nature")]
    assert own.key != "solutions-accompagnement" and "Nouvelle nature" in own.label


def test_every_pair_key_of_a_volet_exists_in_both_annexes():
    plan_keys = {(v, b.key) for (v, _, _), b in blocks(load_template("annexe-2")).items()}
    bilan_keys = {(v, b.key) for (v, _, _), b in blocks(load_template("annexe-3")).items()}
    assert plan_keys == bilan_keys
