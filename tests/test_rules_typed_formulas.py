"""Formulas typed into input cells (rules/typed.py): computed by budget-tool, never trusted.

Each case is built the way it arises: formulas typed into the input cells by a program (openpyxl
writes them with no saved result), then opened, recalculated and saved by a real LibreOffice;
saved results forged in the file's XML; functions that reach outside the workbook. Places come
from the plan, never from a hard-coded address.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from budget_tool.checker import check
from budget_tool.layout import column_index
from budget_tool.libreoffice import convert
from budget_tool.refs import CellRef
from budget_tool.report import to_json, to_text
from budget_tool.templates import load_template
from tests.workbooks import (
    ANNEXE2,
    ANNEXE3,
    Workbooks,
    add_external_link,
    cell_of,
    edit_cell,
    first_line,
    set_cached,
    xl,
)

D = Decimal
CODES = ("formule-saisie-incoherente", "formule-saisie-non-calculee", "formule-saisie-interdite")


def typed(entries, sheet: str, row: int, col: int, formula: str, saved: object = None) -> None:
    """A formula typed into a cell, saved with ``saved`` as its result (None: no result)."""

    def make(attrs: str, _body: str) -> str:
        attrs = re.sub(r'\s+t="[^"]*"', "", attrs)
        value = "" if saved is None else f"<v>{saved}</v>"
        kind = ' t="str"' if isinstance(saved, str) else ""
        code = html.escape(formula.removeprefix("="), quote=False)
        return f'<c r="{xl(row, col)}"{attrs}{kind}><f>{code}</f>{value}</c>'

    edit_cell(entries, sheet, row, col, make)


def lump_line(wb: Workbooks) -> tuple[int, tuple[str, int, int], Decimal]:
    """Volet 1's first line with a lump sum: its index, its lump-sum cell, the amount."""
    lines = wb.lines(ANNEXE3)
    index = first_line(lines, 1, "forfait")
    return index, wb.line_cell(ANNEXE3, 1, index, "forfait"), lines[(1, index)]["forfait"]


def volet_figure(report, volet: int, key: str) -> Decimal:
    return next(v.figures[key] for v in report.volets if v.volet == volet)


def codes_at(report, code: str) -> list[str]:
    return [where for c, where in report.flatten() if c == code]


def message(report, code: str) -> str:
    return next(f.message for f in report.findings if f.code == code)


# ---------------------------------------------------------------- forged or missing results
def test_forged_saved_result_is_an_error_and_the_formula_counts(wb):
    """``=1`` saved as 2 656,25 €: the tool counts 1,00 € and says where."""
    _index, place, amount = lump_line(wb)
    path = wb.with_parts(ANNEXE3, lambda e: typed(e, *place, "=1", D("2656.25")))
    report = check(path)
    assert codes_at(report, "formule-saisie-incoherente") == [str(CellRef(*place))]
    text = message(report, "formule-saisie-incoherente")
    assert "=1 donne 1,00\u00a0€" in text and "a enregistré 2\u202f656,25\u00a0€" in text
    clean = check(wb.clean(ANNEXE3))
    spent = volet_figure(clean, 1, "depenses") - amount + 1
    assert volet_figure(report, 1, "depenses") == spent
    assert report.status() == "erreurs" and report.exit_code() == 1


def test_formula_written_without_result_is_computed_and_reported(wb):
    """openpyxl writes a formula with no saved result: the tool computes it, never counts 0."""
    index, place, _amount = lump_line(wb)

    def edit(book):
        cell_of(book, *place).value = "=1200*12+0.5"

    report = check(wb.with_openpyxl(ANNEXE3, edit))
    assert codes_at(report, "formule-saisie-incoherente") == [str(CellRef(*place))]
    assert "n'a enregistré aucun résultat" in message(report, "formule-saisie-incoherente")
    line = next(x for x in report.lines if x["volet"] == 1 and x["ligne"] == place[1] + 1)
    assert line["montant"] == D("14400.50")


def test_honest_saved_result_stays_silent(wb):
    """Near miss: the formula's saved result is right, to the spreadsheet's binary noise."""
    _index, place, amount = lump_line(wb)
    formula, noisy = f"={amount / 7}*7", amount + D("0.000000000004")  # 31875.000000000004
    path = wb.with_parts(ANNEXE3, lambda e: typed(e, *place, formula, noisy))
    report = check(path)
    assert not report.codes() & set(CODES), report.flatten()
    assert "montant-centimes" not in report.codes()


# ---------------------------------------------------------------- forbidden, not computed
FORBIDDEN = {
    "WEBSERVICE": '=_xlfn.WEBSERVICE("https://example.invalid/montant")',
    "FILTERXML": '=_xlfn.FILTERXML("<a>2656.25</a>","//a")',
    "INDIRECT": '=INDIRECT("H30")',
    "OFFSET": "=OFFSET(H30,1,0)",
    "HYPERLINK": '=HYPERLINK("https://example.invalid",2656.25)',
    "RTD": '=RTD("prog.id","","montant")',
    "CALL": '=CALL("user32","MessageBoxA","JJCCJ",0,"x","y",0)',
    "DDE": "=cmd|'/c calc'!A0",
    "file": "='file:///srv/partage/budget.ods'#$Feuil1.B4",
}


@pytest.mark.parametrize("what", sorted(FORBIDDEN))
def test_forbidden_formula_is_an_error_whatever_its_result(wb, what):
    _index, place, amount = lump_line(wb)
    formula = FORBIDDEN[what]
    path = wb.with_parts(ANNEXE3, lambda e: typed(e, *place, formula, D("2656.25")))
    report = check(path)
    assert codes_at(report, "formule-saisie-interdite") == [str(CellRef(*place))]
    text = message(report, "formule-saisie-interdite")
    assert formula in text and "(2\u202f656,25\u00a0€) n'est pas comptée" in text
    assert what in text or what == "file" and "autre classeur" in text
    clean = check(wb.clean(ANNEXE3))
    assert volet_figure(report, 1, "depenses") == volet_figure(clean, 1, "depenses") - amount


def test_reference_to_another_workbook_is_forbidden(wb):
    """``=[1]Feuil1!$B$4``, as Excel saves a link to another file."""
    _index, place, _amount = lump_line(wb)
    path = wb.with_parts(ANNEXE3, lambda e: add_external_link(e, *place, "budget-2023.xlsx"))
    report = check(path)
    assert codes_at(report, "formule-saisie-interdite") == [str(CellRef(*place))]
    assert "autre classeur" in message(report, "formule-saisie-interdite")
    assert "lien-externe" in report.codes()


@pytest.mark.parametrize(
    ("formula", "named"),
    [
        ("=VLOOKUP(2,Listes!A2:B9,2,FALSE)", "la fonction VLOOKUP"),
        ("=IF(1>0,2656.25,0)", "la fonction IF"),
        ("=2^3", "l'opérateur de puissance ^"),
        ("=Categories_art42", "le nom « Categories_art42 »"),
        ("=Feuil9!A1", "la feuille « Feuil9 »"),
    ],
)
def test_formula_the_tool_cannot_compute_is_named(wb, formula, named):
    _index, place, _amount = lump_line(wb)
    path = wb.with_parts(ANNEXE3, lambda e: typed(e, *place, formula, D("2656.25")))
    report = check(path)
    assert codes_at(report, "formule-saisie-non-calculee") == [str(CellRef(*place))]
    text = message(report, "formule-saisie-non-calculee")
    assert named in text and "n'est pas comptée" in text


def test_circular_formula_is_named(wb):
    _index, place, _amount = lump_line(wb)
    formula = f"={xl(place[1], place[2])}+1"
    path = wb.with_parts(ANNEXE3, lambda e: typed(e, *place, formula, D(0)))
    report = check(path)
    assert codes_at(report, "formule-saisie-non-calculee") == [str(CellRef(*place))]
    assert "référence circulaire" in message(report, "formule-saisie-non-calculee")


# ---------------------------------------------------------------- typed in LibreOffice
def _typed_formulas(wb: Workbooks) -> dict[tuple[str, int, int], str]:
    """Formulas an officer types: a product, a sum of a range of the template's own amounts,
    a reference to another sheet's typed formula, ROUND, MIN, MAX, ABS; {cell: formula}."""
    lines = wb.lines(ANNEXE3)
    lump = first_line(lines, 1, "forfait")
    units = first_line(lines, 2, "nombre")
    amounts = [wb.line_cell(ANNEXE3, 1, i, "montant") for i in range(3)]
    cost = wb.line_cell(ANNEXE3, 2, units, "cout_unitaire")
    span = f"{xl(*amounts[0][1:])}:{xl(*amounts[-1][1:])}"
    return {
        wb.line_cell(ANNEXE3, 1, lump, "forfait"): (
            f"=SUM({span})/10+ROUND('{cost[0]}'!{xl(*cost[1:])}*12/7,2)+MAX(1,ABS(-2.5))"
        ),
        cost: "=1200*12/5",
        wb.line_cell(ANNEXE3, 2, units, "nombre"): "=MIN(12,15)",
    }


@pytest.fixture(scope="module")
def typed_by_libreoffice(libreoffice, tmp_path_factory, plans, clean_files):
    """The clean annexe 3 with formulas typed into input cells by openpyxl (no saved results),
    and the same file opened, recalculated and saved by LibreOffice."""
    folder = tmp_path_factory.mktemp("formules-lo")
    wb = Workbooks(folder, plans, clean_files)
    formulas = _typed_formulas(wb)

    def edit(book):
        for place, formula in formulas.items():
            cell_of(book, *place).value = formula

    written = wb.with_openpyxl(ANNEXE3, edit)
    (saved,) = convert([written], folder / "lo")
    return formulas, written, saved


@pytest.mark.libreoffice
def test_formulas_typed_and_saved_by_libreoffice_agree(typed_by_libreoffice):
    formulas, _written, saved = typed_by_libreoffice
    report = check(saved)
    assert not report.codes() & set(CODES), report.flatten()
    assert "total-incoherent" not in report.codes()
    book = load_workbook(saved, data_only=True)
    for sheet, row, col in formulas:  # LibreOffice's results are the tool's
        lo = D(repr(cell_of(book, sheet, row, col).value))
        mine = report_value(report, sheet, row, col)
        assert abs(lo - mine) < D("1e-9"), (sheet, row, col, lo, mine)


def report_value(report, sheet: str, row: int, col: int) -> Decimal:
    """An input's value in the report's lines (as the tool counts it)."""
    template = load_template(ANNEXE3)
    key = next(c.key for c in template.columns if column_index(c) == col)
    line = next(x for x in report.lines if x["feuille"] == sheet and x["ligne"] == row + 1)
    return line[key]


@pytest.mark.libreoffice
def test_same_formulas_without_results_give_the_same_figures(typed_by_libreoffice):
    """Written by a program that does not calculate: reported, and the figures are those
    LibreOffice computes."""
    formulas, written, saved = typed_by_libreoffice
    without, with_lo = check(written), check(saved)
    assert len(codes_at(without, "formule-saisie-incoherente")) == len(formulas)
    assert (
        json.loads(to_json([without]))["reports"][0]["volets"]
        == (json.loads(to_json([with_lo]))["reports"][0]["volets"])
    )
    assert figures_text(without) == figures_text(with_lo)


def figures_text(report) -> list[str]:
    """The figures of the text report: the lines between its header and its findings."""
    lines = to_text(report).splitlines()[2:]
    return [x for x in itertools.takewhile(lambda x: not x.startswith(("  [", "  Résumé")), lines)]


def test_formulas_built_to_make_the_checker_work_are_not_computed(wb, plans):
    """Every lump sum summing 5 000 cells: past 100 000 cells in all, the formulas are not
    computed (said as such), and the check ends."""
    plan = plans[ANNEXE3]
    places = [
        (sheet.name, line.row, column_index(plan.template.column("forfait")))
        for sheet in plan.volet_sheets()
        for line in sheet.lines
    ]

    def edit(book):
        for place in places:
            cell_of(book, *place).value = "=SUM(A100:E1099)"  # below the ceiling checks

    report = check(wb.with_openpyxl(ANNEXE3, edit))
    refused = [f for f in report.findings if f.code == "formule-saisie-non-calculee"]
    assert len(places) > 20 and len(refused) == len(places) - 20
    assert "plages trop grandes" in refused[0].message


def test_number_out_of_any_annexe_is_the_spreadsheet_num_error(wb):
    """``=9E+300*9E+300`` (no amount comes near ten billion): #NUM!, said, never a crash."""
    _index, place, _amount = lump_line(wb)
    path = wb.with_parts(ANNEXE3, lambda e: typed(e, *place, "=9E+300*9E+300", D(1)))
    report = check(path)
    where = str(CellRef(*place))
    assert ("valeur-erreur", where) in report.flatten()
    assert "donne #NUM!" in message(report, "formule-saisie-incoherente")


# ---------------------------------------------------------------- not computed, not forged
def _free_line(wb: Workbooks) -> tuple[str, int, int]:
    """The lump-sum cell of volet 1's first line left empty by the clean inputs."""
    lines = wb.lines(ANNEXE3)
    count = len(wb.volet_sheet(ANNEXE3, 1).lines)
    index = next(i for i in range(count) if (1, i) not in lines)
    return wb.line_cell(ANNEXE3, 1, index, "forfait")


def _cases(wb: Workbooks) -> dict[str, dict[tuple[str, int, int], str]]:
    """{case: {cell: what an officer types there}}: the lump sum of volet 1's first lump line
    (``lump``) holds a formula; ``free`` an empty line's lump sum; ``cost`` a unit cost of
    volet 2 that refers to the lump sum."""
    _index, lump, _amount = lump_line(wb)
    free = _free_line(wb)
    units = first_line(wb.lines(ANNEXE3), 2, "nombre")
    cost = wb.line_cell(ANNEXE3, 2, units, "cout_unitaire")
    lump_ref, free_ref = f"'{lump[0]}'!{xl(*lump[1:])}", xl(*free[1:])
    return {
        "si": {lump: "=IF(1>0,5000,0)"},
        "arrondi-sup": {lump: "=ROUNDUP(2656.2,0)", cost: f"={lump_ref}/100"},
        "puissance": {lump: "=2^10"},
        "texte-entier": {
            free: "1000",
            lump: f"={free_ref}+5",
            cost: f"=-'{free[0]}'!{free_ref}/-8",
        },
        "texte-decimal": {free: "1000.5", lump: f"={free_ref}+5"},
        "texte-espace": {free: "1 000", lump: f"={free_ref}*2"},
        "somme-texte": {lump: '=SUM("5")'},
    }


@pytest.fixture(scope="module")
def cases_by_libreoffice(libreoffice, tmp_path_factory, plans, clean_files):
    """Each case typed into the clean annexe 3 by openpyxl, then recalculated and saved by
    LibreOffice (one run): {case: (cells typed, saved file)}."""
    folder = tmp_path_factory.mktemp("non-calculees-lo")
    wb = Workbooks(folder, plans, clean_files)
    cases, written = _cases(wb), []
    for name, cells in cases.items():

        def edit(book, cells=cells):
            for place, value in cells.items():
                cell_of(book, *place).value = value

        written.append(folder / f"{name}.xlsx")
        wb.with_openpyxl(ANNEXE3, edit).rename(written[-1])
    saved = convert(written, folder / "lo")
    return {name: (cells, path) for (name, cells), path in zip(cases.items(), saved, strict=True)}


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    ("case", "named"),
    [
        ("si", "la fonction IF"),
        ("arrondi-sup", "la fonction ROUNDUP"),
        ("puissance", "l'opérateur de puissance ^"),
        ("texte-decimal", "« 1000.5 »"),
        ("texte-espace", "« 1 000 »"),
        ("somme-texte", "« 5 » comme argument de SUM"),
    ],
)
def test_formula_not_computed_is_said_once_and_never_called_forged(
    cases_by_libreoffice, wb, case, named
):
    """The honest file LibreOffice saved: one error at the typed formula, its value not counted,
    and no total (nor a typed formula that refers to it) called « modifié ou falsifié »."""
    _cells, saved = cases_by_libreoffice[case]
    _index, lump, amount = lump_line(wb)
    report = check(saved)
    assert codes_at(report, "formule-saisie-non-calculee") == [str(CellRef(*lump))]
    assert named in message(report, "formule-saisie-non-calculee")
    assert "total-incoherent" not in report.codes(), report.flatten()
    assert "formule-saisie-incoherente" not in report.codes(), report.flatten()
    assert not report.valid
    clean = volet_figure(check(wb.clean(ANNEXE3)), 1, "depenses")
    assert volet_figure(report, 1, "depenses") == clean - amount  # the formula is not counted


@pytest.mark.libreoffice
def test_forged_total_elsewhere_is_still_found(cases_by_libreoffice, wb):
    """A formula not computed in volet 1 excuses volet 1's totals only: a forged volet 2
    total of the same LibreOffice-saved file is still called forged."""
    _cells, saved = cases_by_libreoffice["si"]
    forged = wb.synthesis_cell(ANNEXE3, 2, "depenses")
    report = check(wb.with_parts(saved, lambda e: set_cached(e, *forged, D(1))))
    assert codes_at(report, "total-incoherent") == [str(CellRef(*forged))]
    assert wb.synthesis_ref(ANNEXE3, 1, "depenses") not in codes_at(report, "total-incoherent")


@pytest.mark.libreoffice
def test_whole_number_text_counts_in_arithmetic_as_in_the_spreadsheet(cases_by_libreoffice, wb):
    """« 1000 » typed as text: =X+5 gives 1005 and =-X/-8 gives 125, as LibreOffice saved them;
    the text cell itself is still an error, and its line counts nothing (SUM ignores text)."""
    cells, saved = cases_by_libreoffice["texte-entier"]
    report = check(saved)
    free = _free_line(wb)
    assert not report.codes() & set(CODES), report.flatten()
    assert "total-incoherent" not in report.codes(), report.flatten()
    assert codes_at(report, "nombre-en-texte") == [str(CellRef(*free))]
    book = load_workbook(saved, data_only=True)
    for place in cells:
        if place != free:
            lo = D(repr(cell_of(book, *place).value))
            assert report_value(report, *place) == lo
    _index, lump, _amount = lump_line(wb)
    assert report_value(report, *lump) == D(1005)


# ---------------------------------------------------------------- the template's own arithmetic
@pytest.mark.libreoffice
def test_text_amount_in_the_template_arithmetic_is_an_error_never_a_forgery(
    libreoffice, wb, tmp_path
):
    """Annexe 2's delta is « cible - existant »: an existing amount typed as text « 1000 » counts
    as LibreOffice counts it; « 1,000 » (1000 to an English LibreOffice, #VALUE! to a French
    Excel) is not followed, and neither makes the honest saved file « falsifié »: the text cell
    is the one error."""
    index = first_line(wb.lines(ANNEXE2), 1, "existant_eur")
    place = wb.line_cell(ANNEXE2, 1, index, "existant_eur")
    written = []
    for text in ("1000", "1,000"):

        def edit(book, text=text):
            cell_of(book, *place).value = text

        written.append(wb.with_openpyxl(ANNEXE2, edit))
    whole, ambiguous = (check(path) for path in convert(written, tmp_path / "lo"))
    for report in (whole, ambiguous):
        assert codes_at(report, "nombre-en-texte") == [str(CellRef(*place))]
        assert "total-incoherent" not in report.codes(), report.flatten()
    delta = wb.line_cell(ANNEXE2, 1, index, "delta_eur")
    cible = wb.lines(ANNEXE2)[(1, index)].get("cible_eur") or 0
    assert report_line(whole, ANNEXE2, *delta) == D(str(cible)) - 1000


def report_line(report, annexe: str, sheet: str, row: int, col: int) -> object:
    template = load_template(annexe)
    key = next(c.key for c in template.columns if column_index(c) == col)
    line = next(x for x in report.lines if x["feuille"] == sheet and x["ligne"] == row + 1)
    return line[key]


def test_a_very_long_chain_of_additions_is_said_not_computed_never_a_crash(wb):
    """``=1+1+…+1`` with 2 000 terms (4 000 characters, a valid spreadsheet formula): said not
    computed at its cell, never a traceback; 200 terms are still computed, to the unit."""
    _index, place, _amount = lump_line(wb)
    where = str(CellRef(*place))
    long = wb.with_parts(ANNEXE3, lambda e: typed(e, *place, "=" + "+".join(["1"] * 2000), 2000))
    report = check(long)
    assert ("formule-saisie-non-calculee", where) in report.flatten()
    assert "trop longue" in message(report, "formule-saisie-non-calculee")
    chain = wb.with_parts(ANNEXE3, lambda e: typed(e, *place, "=" + "+".join(["1"] * 199), 199))
    report = check(chain)
    assert not [c for c, at in report.flatten() if at == where and c in CODES]
    rows = [r for r in report.lines if r.get("forfait") == D(199)]
    assert len(rows) == 1  # computed by the tool: 199, as the spreadsheet saved it
