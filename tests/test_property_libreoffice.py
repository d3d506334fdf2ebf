"""Property: for random fills of every input cell (amounts with up to three decimals, formulas
typed among them), ``check``'s JSON figures equal LibreOffice's recalculation of the same file,
to the cent, and the text report shows the same figures.

Each example fills several workbooks, written by openpyxl (formulas with no saved result) and
recalculated by one LibreOffice run; the number of examples is bounded (a few soffice runs).
LibreOffice's figures are read as the sheet shows them: 15 significant digits, then the cent,
half up.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from budget_tool.checker import check
from budget_tool.layout import column_index
from budget_tool.libreoffice import convert
from budget_tool.plan import INPUT, WorkbookPlan
from budget_tool.report import to_json, to_text
from tests.workbooks import cell_of, synthesis_money_cells, xl

D = Decimal
FILES_PER_EXAMPLE = 4  # two of each annexe, in one LibreOffice run


def lo_cents(value: object) -> Decimal:
    """A number LibreOffice saved, as its sheet shows it in euros."""
    number = D(repr(value)) if isinstance(value, float) else D(value or 0)
    shown = Context(prec=15).plus(number)  # the spreadsheet's 15 significant digits
    return shown.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def _amount(rng: random.Random, top: int) -> Decimal:
    decimals = rng.choice([0, 1, 2, 2, 3])
    return D(rng.randint(0, top * 10**decimals)).scaleb(-decimals)


def _formula(rng: random.Random, plan: WorkbookPlan, sheet, row: int, col: int) -> str:
    """A formula an officer might type: products, divisions, ranges above in the same column,
    a cell of an earlier volet's sheet (never a later one: no circular reference)."""
    a, b = _amount(rng, 2000), D(rng.randint(1, 24))
    above = f"{xl(max(row - rng.randint(1, 3), 0), col)}:{xl(row - 1, col)}"
    earlier = [s for s in plan.volet_sheets() if (s.volet or 0) < (sheet.volet or 0)]
    choices = [
        f"={b}*{a}",
        f"=ROUND({a}/{b},2)",
        f"={a}/{b}",
        f"=SUM({above})",
        f"=MAX({a},MIN({above}))+ABS(-{b})",
    ]
    if earlier:
        other = rng.choice(earlier)
        choices.append(f"='{other.name}'!{xl(row, col)}*{b}+{a}")
    return rng.choice(choices)


def random_fill(plan: WorkbookPlan, seed: int, density: float) -> dict[tuple, object]:
    """A value (or a formula) for every input cell of the volet sheets, chosen at random."""
    rng = random.Random(seed)
    categories = [c.label for c in plan.template.categories]
    start, _end = plan.params.period
    values: dict[tuple, object] = {}
    for sheet in plan.volet_sheets():
        for (row, col), cell in sorted(sheet.cells.items()):
            if cell.kind != INPUT or rng.random() > density:
                continue
            if cell.type in ("money", "etp", "count"):
                top = 60000 if cell.type == "money" else 30
                formula = rng.random() < 0.3 and row > 0
                value: object = (
                    _formula(rng, plan, sheet, row, col) if formula else _amount(rng, top)
                )
            elif cell.type == "category":
                value = rng.choice(categories)
            elif cell.type == "date":
                value = start + timedelta(days=rng.randint(0, 365))
            else:
                value = f"Ligne {row + 1}"
            values[(sheet.name, row, col)] = value
    return values


def write_filled(source: Path, target: Path, values: dict[tuple, object]) -> None:
    book = load_workbook(source)
    for (sheet, row, col), value in values.items():
        written = cell_of(book, sheet, row, col)
        written.value = float(value) if isinstance(value, Decimal) else value
        if isinstance(value, date):
            written.number_format = "DD/MM/YYYY"
    book.save(target)


def text_figures(report) -> dict[tuple[int | None, str], str]:
    """(volet, label) -> the figure the French text report shows."""
    shown: dict[tuple[int | None, str], str] = {}
    volet: int | None = None
    for line in to_text(report).splitlines()[2:]:
        if line.startswith("  Volet "):
            volet = int(line.split()[1])
        elif line.startswith("  Ensemble"):
            volet = None
        elif line.startswith("    "):
            label, value = line.strip().rsplit(" ", 1)
            shown[(volet, label.strip())] = value
        else:
            break
    return shown


def french(amount: Decimal) -> str:
    whole, cents = f"{amount:.2f}".split(".")
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(int(whole)):,}".replace(",", "\u202f") + f",{cents}\u00a0€"


@pytest.mark.libreoffice
@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],  # each example is a LibreOffice run: no shrinking
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    seeds=st.lists(st.integers(0, 2**32), min_size=FILES_PER_EXAMPLE, max_size=FILES_PER_EXAMPLE),
    density=st.sampled_from([0.15, 0.4, 0.8]),
)
def test_check_figures_equal_libreoffice_recalculation(
    libreoffice, generated, plans, tmp_path_factory, seeds, density
):
    folder = tmp_path_factory.mktemp("propriete")
    annexes = ["annexe-2", "annexe-3"] * (FILES_PER_EXAMPLE // 2)
    written = []
    for number, (annexe, seed) in enumerate(zip(annexes, seeds, strict=True)):
        values = random_fill(plans[annexe], seed, density)
        target = folder / f"{annexe}-{number}.xlsx"
        write_filled(generated[annexe], target, values)
        written.append(target)
    recalculated = convert(written, folder / "lo")
    for annexe, seed, saved in zip(annexes, seeds, recalculated, strict=True):
        plan = plans[annexe]
        report = check(saved)
        context = f"{annexe}, graine {seed}, densité {density}"
        assert report.refused is None, context
        assert "total-incoherent" not in report.codes(), (context, report.flatten())
        assert "formule-saisie-incoherente" not in report.codes(), (context, report.flatten())
        payload = json.loads(to_json([report]))["reports"][0]
        shown = text_figures(report)
        book = load_workbook(saved, data_only=True)
        for (volet, key), place in synthesis_money_cells(report, plan).items():
            lo = lo_cents(cell_of(book, *place).value)
            figures = next(v for v in payload["volets"] if v["volet"] == volet)
            assert figures[key] == f"{lo:.2f}", (context, volet, key)
            label = next(v.labels[key] for v in report.volets if v.volet == volet)
            assert shown[(volet, label)] == french(lo), (context, volet, key)
        for figure in plan.template.synthesis.figures:
            place = (plan.synthesis.name, *plan.synthesis.anchors[figure.key])
            lo = lo_cents(cell_of(book, *place).value)
            assert payload["totals"][figure.key] == f"{lo:.2f}", (context, figure.key)
            assert shown[(None, figure.label)] == french(lo), (context, figure.key)


def test_random_fill_covers_every_kind_of_input(plans):
    """The property's fills reach every input column, with formulas and three decimals."""
    for annexe, plan in plans.items():
        values = random_fill(plan, 12, 0.8)
        columns = {col for (_s, _r, col) in values}
        inputs = {column_index(c) for c in plan.template.columns if c.input}
        assert columns == inputs, annexe
        typed = [v for v in values.values() if isinstance(v, str) and v.startswith("=")]
        assert any("SUM(" in v for v in typed) and any("ROUND(" in v for v in typed)
        assert any(isinstance(v, Decimal) and v.as_tuple().exponent == -3 for v in values.values())
