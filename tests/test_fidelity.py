"""The generated workbooks follow the model of the convention to the letter.

``tests/fixtures/modele-annexes-2024.toml`` lists, sheet by sheet, the labels of annexes 2 and 3 in
the model's order (with where each stands in the convention text), the model's sub-totals, and the
workbook's deliberate additions; docs/ecarts-au-modele.md says why each addition is there. A
volet sheet shows exactly those texts, in that order: a label moved, reworded, dropped or added
without a word in the fixture fails here, naming the cell.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

from budget_tool.generate import generate
from budget_tool.plan import Parameters

FIXTURE = Path(__file__).parent / "fixtures" / "modele-annexes-2024.toml"
GAPS_DOC = Path(__file__).parent.parent / "docs" / "ecarts-au-modele.md"
MODEL = tomllib.loads(FIXTURE.read_text(encoding="utf-8"))
SHEETS = [(s["annexe"], s["sheet"]) for s in MODEL["sheets"]]


def _spec(annexe: str, sheet: str) -> dict:
    return next(s for s in MODEL["sheets"] if (s["annexe"], s["sheet"]) == (annexe, sheet))


def _texts(path: Path, sheet: str) -> list[tuple[str, str]]:
    """(cell, text) of every text cell of the sheet, row after row; formulas left out."""
    found = []
    for row in load_workbook(path)[sheet].iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.strip() and cell.value[0] != "=":
                found.append((cell.coordinate, cell.value))
    return found


def _same(entry: dict, text: str) -> bool:
    if entry["kind"] == "value":
        return True
    if "prefix" in entry:
        return text.startswith(entry["prefix"])
    return re.sub(r"\s+", " ", text).strip() == entry["text"]


def _shown(entry: dict) -> str:
    if "text" in entry:
        return entry["text"]
    return entry["prefix"] + "…" if "prefix" in entry else "(valeur du département)"


@pytest.fixture(scope="module")
def three_volets(generated) -> dict[str, Path]:
    return generated


@pytest.fixture(scope="module")
def two_volets(tmp_path_factory, params) -> dict[str, Path]:
    """A département without volet 3: the same model on the sheets it has."""
    ceilings = {n: c for n, c in params.ceilings.items() if n != 3}
    without = Parameters("87", "Haute-Vienne", "Nouvelle-Aquitaine", 2024, "2024-87", ceilings)
    annexe2, annexe3 = generate(without, tmp_path_factory.mktemp("two-volets"))
    return {"annexe-2": annexe2, "annexe-3": annexe3}


@pytest.mark.parametrize(("annexe", "sheet"), SHEETS, ids=[f"{a}/{s}" for a, s in SHEETS])
def test_sheet_shows_the_model_labels_in_order_and_only_documented_additions(
    three_volets, annexe, sheet
):
    texts = _texts(three_volets[annexe], sheet)
    labels = _spec(annexe, sheet)["labels"]
    for index, (entry, (cell, text)) in enumerate(zip(labels, texts, strict=False)):
        assert _same(entry, text), (
            f"{annexe} {sheet}!{cell} : « {text} » où le modèle attend « {_shown(entry)} » "
            f"(entrée {index + 1} de {FIXTURE.name})"
        )
    if len(texts) > len(labels):
        cell, text = texts[len(labels)]
        pytest.fail(f"{annexe} {sheet}!{cell} : « {text} » absent de {FIXTURE.name}")
    missing = [_shown(entry) for entry in labels[len(texts) :]]
    assert not missing, f"{annexe} {sheet} : manquent {missing}"


@pytest.mark.parametrize(("annexe", "sheet"), SHEETS, ids=[f"{a}/{s}" for a, s in SHEETS])
def test_the_model_sub_totals_and_only_they_add_up_their_lines(three_volets, annexe, sheet):
    spec = _spec(annexe, sheet)
    book = load_workbook(three_volets[annexe])[sheet]
    amount = column_index_from_string(spec["amount_column"])
    texts = _texts(three_volets[annexe], sheet)
    totals = 0
    for entry, (cell, _text) in zip(spec["labels"], texts, strict=True):
        if entry["kind"] not in ("total", "model", "example") or not cell.startswith("A"):
            continue
        row = book[cell].row
        value = book.cell(row=row, column=amount).value
        adds_up = isinstance(value, str) and value.startswith("=SUM(")
        where = f"{sheet}!{get_column_letter(amount)}{row}"
        if entry["kind"] == "total":
            totals += 1
            assert adds_up, f"{where} : « {entry['text']} » porte un sous-total dans le modèle"
        else:
            assert not adds_up, f"{where} : « {entry['text']} » n'a pas de sous-total"
    assert totals >= 2  # at least a block total and the volet total


@pytest.mark.parametrize(("annexe", "sheet"), SHEETS, ids=[f"{a}/{s}" for a, s in SHEETS])
def test_the_model_examples_are_input_cells_to_overwrite(three_volets, annexe, sheet):
    spec = _spec(annexe, sheet)
    book = load_workbook(three_volets[annexe])[sheet]
    texts = _texts(three_volets[annexe], sheet)
    for entry, (cell, _text) in zip(spec["labels"], texts, strict=True):
        locked = book[cell].protection.locked
        assert locked == (entry["kind"] != "example"), f"{sheet}!{cell} « {_shown(entry)} »"


@pytest.mark.parametrize(("annexe", "sheet"), [s for s in SHEETS if s[1] != "Volet 3"])
def test_a_departement_without_volet_3_gets_the_same_model(two_volets, annexe, sheet):
    texts = _texts(two_volets[annexe], sheet)
    labels = _spec(annexe, sheet)["labels"]
    assert len(texts) == len(labels)
    assert all(_same(e, t) for e, (_c, t) in zip(labels, texts, strict=True))
    assert "Volet 3" not in load_workbook(two_volets[annexe]).sheetnames


def test_every_sheet_is_the_model_s_or_a_documented_addition(three_volets):
    added = {(s["annexe"], s["sheet"]) for s in MODEL["added_sheets"]}
    for annexe, path in three_volets.items():
        shown = {(annexe, name) for name in load_workbook(path).sheetnames if name != "Listes"}
        assert shown == {s for s in SHEETS if s[0] == annexe} | {s for s in added if s[0] == annexe}


def test_every_addition_is_explained_in_the_gaps_page():
    doc = GAPS_DOC.read_text(encoding="utf-8")
    reasons = {e["why"] for s in MODEL["sheets"] for e in s["labels"] if "why" in e}
    reasons |= {s["why"] for s in MODEL["added_sheets"]}
    unexplained = sorted(r for r in reasons if f"`{r}`" not in doc)
    assert not unexplained, f"{GAPS_DOC.name} ne dit pas pourquoi : {unexplained}"
    model = [e for s in MODEL["sheets"] for e in s["labels"] if e["kind"] in ("model", "total")]
    assert all(re.fullmatch(r"\d+(-\d+)?", e["lines"]) for e in model)  # every label sourced
