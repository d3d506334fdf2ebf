"""One base for volet 2 in both annexes (art. 3.3 read with art. 4.2): the State's 50 % is
computed on the eligible cost in the plan as in the bilan; ineligible lines stay out of the State
share and of the ceiling (art. 4.1), and are reported. The reading is template data.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from openpyxl import load_workbook

from budget_tool.checker import check
from budget_tool.generate import write_workbook
from budget_tool.refs import CellRef
from budget_tool.templates import load_template
from tests.workbooks import ANNEXE2, ANNEXE3, cell_of, clean_lines

D = Decimal
HOTEL = "Frais de mission : hébergement"
SUPPORT = "Action ou prestation d'accompagnement"
# volet 2 of both annexes: (amount, category), the last one ineligible (art. 4.2)
VOLET2 = [(D("120000.00"), SUPPORT), (D("80000.01"), SUPPORT), (D("30000.00"), HOTEL)]
ELIGIBLE = D("200000.01")


def half(value: Decimal) -> Decimal:
    return (value / 2).quantize(D("0.01"), rounding=ROUND_HALF_UP)


def plan_with_volet2(plans, tmp_path, share_typed: Decimal | None = None):
    plan = plans[ANNEXE2]
    lines = {k: v for k, v in clean_lines(plan).items() if k[0] != 2}
    for index, (amount, category) in enumerate(VOLET2):
        lines[(2, index)] = {
            "existant_eur": D(0),
            "cible_eur": amount,
            "montant_delta": amount,
            "categorie": category,
        }
    path = tmp_path / "plan.xlsx"
    write_workbook(plan, path, lines)
    if share_typed is not None:
        book = load_workbook(path)
        sheet = plan.sheet("Volet 2")
        cell_of(book, sheet.name, *sheet.anchors["part_etat"]).value = float(share_typed)
        book.save(path)
    return path


def bilan_with_volet2(plans, tmp_path):
    plan = plans[ANNEXE3]
    lines = {k: v for k, v in clean_lines(plan).items() if k[0] != 2}
    for index, (amount, category) in enumerate(VOLET2):
        lines[(2, index)] = {
            "nature": f"Action {index + 1}",
            "forfait": amount,
            "categorie": category,
        }
    path = tmp_path / "bilan.xlsx"
    write_workbook(plan, path, lines)
    return path


def figure(report, volet: int, key: str) -> Decimal:
    return next(v.figures[key] for v in report.volets if v.volet == volet)


def test_plan_and_bilan_count_the_same_state_share(plans, tmp_path):
    plan, bilan = (
        check(plan_with_volet2(plans, tmp_path)),
        check(bilan_with_volet2(plans, tmp_path)),
    )
    assert figure(plan, 2, "eligibles") == figure(bilan, 2, "eligibles") == ELIGIBLE
    assert figure(plan, 2, "part_etat") == figure(bilan, 2, "contribution") == half(ELIGIBLE)
    assert figure(plan, 2, "ineligibles") == figure(bilan, 2, "ineligibles") == D("30000.00")
    for report in (plan, bilan):
        assert [c for c, _ in report.flatten() if c == "depense-ineligible"] == [
            "depense-ineligible"
        ]


def test_volet_2_sheet_of_the_plan_shows_half_the_eligible_cost(plans, tmp_path):
    path = plan_with_volet2(plans, tmp_path)
    sheet = plans[ANNEXE2].sheet("Volet 2")
    book = load_workbook(path, data_only=True)
    keys = ("cout_total", "cout_eligible", "part_etat")
    value = {k: D(repr(cell_of(book, sheet.name, *sheet.anchors[k]).value)) for k in keys}
    assert value["cout_total"] == ELIGIBLE + D("30000.00")
    assert value["cout_eligible"] == ELIGIBLE
    assert value["part_etat"] == half(ELIGIBLE) == D("100000.01")  # half a cent rounded up


def test_ineligible_line_does_not_count_against_the_ceiling(plans, tmp_path):
    """Volet 1 asks exactly its ceiling on eligible lines, plus an ineligible line: within."""
    plan = plans[ANNEXE2]
    lines = {k: v for k, v in clean_lines(plan).items() if k[0] != 1}
    ceiling = plan.params.ceilings[1]
    lines[(1, 0)] = {"cible_eur": ceiling, "montant_delta": ceiling, "categorie": SUPPORT}
    lines[(1, 1)] = {"cible_eur": D(50000), "montant_delta": D(50000), "categorie": HOTEL}
    path = tmp_path / "plafond.xlsx"
    write_workbook(plan, path, lines)
    report = check(path)
    assert "plafond-depasse" not in report.codes()
    assert figure(report, 1, "part_etat") == ceiling
    assert "depense-ineligible" in report.codes()


def test_cofinancing_message_names_its_limit_not_the_total_cost(plans, tmp_path):
    """The State share typed over with 50 % of the total cost: above 50 % of the eligible one."""
    total = ELIGIBLE + D("30000.00")
    path = plan_with_volet2(plans, tmp_path, share_typed=half(total))
    report = check(path)
    sheet = plans[ANNEXE2].sheet("Volet 2")
    where = str(CellRef(sheet.name, *sheet.anchors["part_etat"]))
    found = [f for f in report.findings if f.code == "cofinancement-volet2"]
    assert [str(f.where) for f in found] == [where]
    euros = "100\u202f000,01\u00a0€"
    assert f"dépasse sa limite de {euros}" in found[0].message
    assert "50\u00a0% du coût éligible de 200\u202f000,01\u00a0€" in found[0].message


def test_the_reading_is_template_data_and_written_in_the_workbook(generated):
    for annexe, share in ((ANNEXE2, "part_etat"), (ANNEXE3, "part_etat")):
        template = load_template(annexe)
        volet2 = template.volet(2)
        extra = {row.key: row.formula for row in volet2.extra_rows}
        assert "volet.state_rate" in extra[share] and "ROUND(" in extra[share]
        assert volet2.state_rate == D("0.5")
        notes = " ".join(template.synthesis.notes)
        assert "Lecture non retenue : 50 % du coût total, plafonné au coût éligible" in notes
        rate = next(c for c in template.synthesis.columns if c.key == "taux_etat")
        assert "3.3" not in rate.header  # the rate of volets 1 and 3 is not art. 3.3's
        book = load_workbook(generated[annexe])
        texts = {c.value for row in book[template.synthesis.sheet].iter_rows() for c in row}
        assert set(template.synthesis.notes) <= texts
