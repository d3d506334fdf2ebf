"""Every code of the catalogue has a test that triggers it and a test where it stays silent.

A *trigger* builds a workbook with exactly the mistake a finance officer, a forger or a broken
program makes, runs ``check`` and asserts the code is reported where the mistake is, with the
value in the French message. A *near miss* builds the workbook that almost makes the mistake
(a ceiling exactly reached, ``12,5`` typed as a number...) and asserts the code stays silent.
Places come from the plan (lines, anchors), never from a hard-coded address. The workbooks are
built by ``tests/workbooks.py``; the three consolidation codes are triggered by ``consolidate``.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from budget_tool import expr
from budget_tool.checker import check
from budget_tool.consolidation import consolidate
from budget_tool.fill import fill_workbook, input_getter
from budget_tool.findings import CATALOGUE, Severity
from budget_tool.generate import write_workbook
from budget_tool.layout import build_plan
from budget_tool.plan import FORMULA, Parameters, compute
from budget_tool.refs import CellRef
from budget_tool.report import EXIT_REFUSED
from budget_tool.templates import load_template
from tests import hostile_files as hostile
from tests.workbooks import (
    ANNEXE2,
    ANNEXE3,
    Workbooks,
    add_external_link,
    add_macros,
    cached_value,
    cell_of,
    clean_lines,
    copy_style,
    edit_cell,
    first_label_from,
    first_line,
    libreoffice_style,
    rewrite_formulas,
    set_cached,
    set_error,
    set_sheet_state,
    set_value,
    share_formulas,
    xl,
)

D = Decimal
YEAR = 2024
HOTEL = "Frais de mission : hébergement"
STAFF = "Rémunération de personnel (ETP)"
SUPPORT = "Action ou prestation d'accompagnement"


def fr(amount: str) -> str:
    """``"1 234,56 €"`` with the report's typography: narrow no-break spaces between groups of
    digits, a no-break space before the euro sign."""
    return amount.replace(" €", "\u00a0€").replace(" ", "\u202f")


def euros(amount: Decimal) -> str:
    """An amount as the report writes it: ``euros(Decimal("1234.5"))`` is ``1 234,50 €``."""
    return fr(f"{amount:,.2f} €".replace(",", " ").replace(".", ","))


@dataclass(frozen=True)
class Expected:
    """Where the code must be reported, and what its message must (and must not) say."""

    path: Path
    where: str = ""  # "'Volet 1'!J14", "'Volet 2'" for a sheet, "" for the whole file
    says: tuple[str, ...] = ()
    never: tuple[str, ...] = ()
    without: tuple[str, ...] = ()  # codes the same file must not report
    refused: bool = False  # the file is refused: exit code 3, nothing else reported
    allocations: tuple[Parameters, ...] = ()  # the State's ceilings, as --allocations gives them


@dataclass(frozen=True)
class NearMiss:
    path: Path
    still: tuple[str, ...] = ()  # what the file does report: the near miss is a real one
    allocations: tuple[Parameters, ...] = ()


Case = Callable[[Workbooks], Expected]
Quiet = Callable[[Workbooks], NearMiss]
TRIGGERS: dict[str, list[Case]] = defaultdict(list)
SILENT: dict[str, list[Quiet]] = defaultdict(list)


def triggers(*codes: str):
    def register(function):
        for code in codes:
            TRIGGERS[code].append(function)
        return function

    return register


def stays_silent(*codes: str, xfail: str = ""):
    """Register a near miss; ``xfail``: the checker is known to be wrong there (why)."""

    def register(function):
        function.xfail = xfail
        for code in codes:
            SILENT[code].append(function)
        return function

    return register


_SHARED: dict[str, object] = {}


def shared(key: str, wb: Workbooks, build: Callable[[Workbooks], Path]) -> Path:
    """The workbook ``build`` makes, built once for the module: cases of one family, each
    mistake on its own line, share it (and its report)."""
    if key not in _SHARED:
        _SHARED[key] = build(wb)
    return _SHARED[key]


class Family:
    """Mistakes of one kind, each on its own line of one workbook, built and checked once.

    ``@FAMILY.case(code)`` registers ``edit(wb, lines) -> (where, says)``, which types its
    mistake on a line no other edit of the family uses."""

    def __init__(self, annexe: str) -> None:
        self.annexe = annexe
        self.edits: list[Callable] = []

    def case(self, *codes: str):
        def register(edit):
            self.edits.append(edit)

            def case(wb):
                path, results = self.build(wb)
                where, says = results[edit.__name__]
                return Expected(path, where, says=says)

            triggers(*codes)(named(case, edit.__name__))
            return edit

        return register

    def build(self, wb: Workbooks):
        key = f"family:{id(self)}"
        if key not in _SHARED:
            lines = wb.lines(self.annexe)
            results = {edit.__name__: edit(wb, lines) for edit in self.edits}
            _SHARED[key] = (wb.write(self.annexe, lines), results)
        return _SHARED[key]


def named(function, name: str):
    function.__name__ = function.__qualname__ = name
    return function


# ---------------------------------------------------------------- small helpers
def add_to_line(lines, volet: int, index: int, amount: Decimal) -> None:
    """Ask ``amount`` more on an annexe 2 line, its target raised as much (delta unchanged)."""
    line = lines[(volet, index)]
    line["montant_delta"] += amount
    line["cible_eur"] += amount


def asked(lines, volet: int) -> Decimal:
    return sum((v.get("montant_delta", D(0)) for (n, _), v in lines.items() if n == volet), D(0))


def set_asked(lines, volet: int, total: Decimal) -> None:
    """The volet's annexe 2 needs brought to ``total``, on its first line."""
    add_to_line(
        lines, volet, first_line(lines, volet, "montant_delta"), total - asked(lines, volet)
    )


def line_amount(values) -> Decimal:
    if "nombre" in values and "cout_unitaire" in values:
        amount = values["nombre"] * values["cout_unitaire"]
        return amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)
    return D(values.get("forfait", 0))


def spent(lines, volet: int) -> Decimal:
    return sum((line_amount(v) for (n, _), v in lines.items() if n == volet), D(0))


def set_spent(lines, volet: int, total: Decimal) -> None:
    """The volet's annexe 3 expenses brought to ``total``, on its first lump sum."""
    index = first_line(lines, volet, "forfait")
    lines[(volet, index)]["forfait"] += total - spent(lines, volet)


def info_line(wb: Workbooks, annexe: str, volet: int) -> int:
    lines = wb.volet_sheet(annexe, volet).lines
    return next(i for i, line in enumerate(lines) if not line.counted)


def labelled(wb: Workbooks, annexe: str, volet: int, label: str) -> int:
    lines = wb.volet_sheet(annexe, volet).lines
    return next(i for i, line in enumerate(lines) if line.label == label)


def free_line(wb: Workbooks, annexe: str, volet: int, lines) -> int:
    """A counted line with no label of the model and nothing typed on it."""
    sheet = wb.volet_sheet(annexe, volet)
    return next(
        i
        for i, line in enumerate(sheet.lines)
        if line.counted and not line.label and (volet, i) not in lines
    )


def params_with(ceilings: dict[int, Decimal]) -> Parameters:
    return Parameters("23", "Creuse", "Nouvelle-Aquitaine", YEAR, "2024-23-001", ceilings)


def plan_for(annexe: str, ceilings: dict[int, Decimal]):
    return build_plan(load_template(annexe), params_with(ceilings))


CEILINGS = {1: D("150000"), 2: D("400000"), 3: D("250000")}


# ================================================================ structure
@triggers("fichier-refuse")
def empty_file_is_refused(wb):
    path = hostile.make_empty(wb.folder)
    return Expected(path, says=("fichier vide",), refused=True)


@triggers("fichier-refuse")
def truncated_download_is_refused(wb):
    data = wb.clean(ANNEXE2).read_bytes()
    path = wb.path()
    path.write_bytes(data[: len(data) * 2 // 3])
    return Expected(path, says=("tronqué ou endommagé",), refused=True)


@triggers("fichier-refuse")
def csv_export_renamed_xlsx_is_refused(wb):
    path = hostile.make_csv_renamed(wb.folder)
    return Expected(path, says=("fichier texte (CSV ou HTML)",), refused=True)


@stays_silent("fichier-refuse")
def workbook_saved_without_extension_is_read(wb):
    path = wb.path(suffix="")
    path.write_bytes(wb.clean(ANNEXE2).read_bytes())
    return NearMiss(path)


@triggers("classeur-non-reconnu")
def plain_workbook_is_not_ours(wb):
    path = hostile.make_valid_workbook(wb.folder)
    return Expected(path, says=("n'a pas été produit par budget-tool",), refused=True)


@stays_silent("classeur-non-reconnu")
def our_workbook_saved_again_by_a_program_is_recognised(wb):
    path = wb.with_openpyxl(ANNEXE3, lambda book: None)
    return NearMiss(path, still=("valeurs-non-recalculees",))


def _model_cell(wb, text: str, annexe: str = ANNEXE2):
    return _typed_over(wb, annexe, wb.anchor_cell(annexe, "Synthèse", "ident.modele"), text)


@triggers("version-inconnue")
def future_template_version_is_refused(wb):
    path = _model_cell(wb, "budget-tool annexe-2 v1999.9")
    says = ("« budget-tool annexe-2 v1999.9 »", "budget-tool annexe-2 v2024.2")
    return Expected(path, says=says, refused=True)


@triggers("version-inconnue")
def unknown_annexe_is_refused(wb):
    path = _model_cell(wb, "budget-tool annexe-9 v2024.1")
    return Expected(path, says=("« budget-tool annexe-9 v2024.1 »",), refused=True)


@stays_silent("version-inconnue", "valeur-fixe-modifiee")
def model_name_with_stray_spaces_is_recognised(wb):
    return NearMiss(_model_cell(wb, "  budget-tool annexe-2 v2024.2 "))


@triggers("feuille-manquante")
def deleted_volet_sheet_is_missing(wb):
    path = wb.with_openpyxl(ANNEXE2, lambda book: book.remove(book["Volet 3"]))
    return Expected(path, "'Volet 3'", says=("« Volet 3 »",))


def _rename_volet_2(book):
    book["Volet 2"].title = "Volet 2 (copie)"


@triggers("feuille-manquante")
def renamed_volet_sheet_is_missing(wb):
    path = wb.with_openpyxl(ANNEXE3, _rename_volet_2)
    return Expected(path, "'Volet 2'", says=("« Volet 2 »", "supprimée ou renommée"))


@stays_silent("feuille-manquante")
def departement_without_volet_3_has_no_volet_3_sheet(wb):
    plan = plan_for(ANNEXE2, {1: CEILINGS[1], 2: CEILINGS[2]})
    return NearMiss(wb.write(ANNEXE2, clean_lines(plan), plan=plan))


@triggers("feuille-inattendue")
def sheet_added_for_notes_is_reported(wb):
    def edit(book):
        book.create_sheet("Notes du CD")["A1"] = "Reste à voir avec la DREETS"

    path = wb.with_openpyxl(ANNEXE3, edit)
    return Expected(path, "'Notes du CD'", says=("« Notes du CD »",))


@triggers("feuille-inattendue")
def renamed_volet_sheet_is_unexpected(wb):
    path = wb.with_openpyxl(ANNEXE3, _rename_volet_2)
    return Expected(path, "'Volet 2 (copie)'", says=("« Volet 2 (copie) »",))


@stays_silent("feuille-inattendue", "feuille-masquee")
def hidden_list_sheet_of_the_template_is_expected(wb):
    return NearMiss(wb.clean(ANNEXE3))


@triggers("feuille-masquee")
def hidden_volet_sheet_is_reported(wb):
    path = wb.with_parts(ANNEXE2, lambda e: set_sheet_state(e, "Volet 2", "hidden"))
    return Expected(path, "'Volet 2'", says=("« Volet 2 »", "masquage simple"))


@triggers("feuille-masquee")
def very_hidden_volet_sheet_is_reported(wb):
    path = wb.with_parts(ANNEXE3, lambda e: set_sheet_state(e, "Volet 1", "veryHidden"))
    return Expected(path, "'Volet 1'", says=("« Volet 1 »", "veryHidden"))


def _moved(wb, annexe: str, volet: int, row: int, edit, how: str) -> Expected:
    """Rows inserted or deleted at ``row``: reported on the first template label from there,
    saying ``how`` many rows moved."""
    sheet = wb.volet_sheet(annexe, volet)
    label_row, label_col = first_label_from(sheet, row)
    path = wb.with_openpyxl(annexe, edit)
    label = sheet.cells[(label_row, label_col)].value
    says = (f"« {label} »", f"{how} la ligne {label_row + 1}")
    return Expected(path, str(CellRef(sheet.name, label_row, label_col)), says=says)


@triggers("libelle-deplace")
def row_inserted_above_the_first_line_is_reported(wb):
    row = wb.line(ANNEXE2, 1, 0).row
    return _moved(
        wb,
        ANNEXE2,
        1,
        row,
        lambda book: book["Volet 1"].insert_rows(row + 1),
        "1 ligne insérée au-dessus de",
    )


@triggers("libelle-deplace")
def two_rows_inserted_in_a_block_are_reported(wb):
    row = wb.line(ANNEXE3, 1, 1).row
    return _moved(
        wb,
        ANNEXE3,
        1,
        row,
        lambda book: book["Volet 1"].insert_rows(row + 1, 2),
        "2 lignes insérées au-dessus de",
    )


@triggers("libelle-deplace")
def empty_line_deleted_is_reported(wb):
    lines = wb.lines(ANNEXE3)
    row = wb.line(ANNEXE3, 2, free_line(wb, ANNEXE3, 2, lines)).row
    return _moved(
        wb,
        ANNEXE3,
        2,
        row,
        lambda book: book["Volet 2"].delete_rows(row + 1),
        "1 ligne supprimée avant",
    )


@stays_silent("libelle-deplace")
def label_retyped_without_accents_or_case_is_not_moved(wb):
    sheet = wb.volet_sheet(ANNEXE2, 1)
    row, col = next(rc for rc, c in sorted(sheet.cells.items()) if c.value == "Développement SI")

    def edit(book):
        cell_of(book, sheet.name, row, col).value = "  DEVELOPPEMENT   si "

    return NearMiss(wb.with_openpyxl(ANNEXE2, edit))


@triggers("protection-retiree")
def unprotected_sheet_is_reported(wb):
    def edit(book):
        book["Volet 1"].protection.sheet = False

    return Expected(wb.with_openpyxl(ANNEXE2, edit), "'Volet 1'")


@stays_silent("protection-retiree")
def sheet_protected_again_with_a_password_is_protected(wb):
    def edit(book):
        book["Volet 1"].protection.set_password("creuse")
        book["Volet 1"].protection.sheet = True

    return NearMiss(wb.with_openpyxl(ANNEXE2, edit))


def _overwrite(wb, annexe: str, place: tuple[str, int, int], value) -> Path:
    """``value`` written into a cell by a program (openpyxl: no result is saved)."""

    def edit(book):
        cell_of(book, *place).value = value

    return wb.with_openpyxl(annexe, edit)


def _typed_over(wb, annexe: str, place: tuple[str, int, int], value) -> Path:
    """``value`` typed over a cell and saved, every other saved result kept."""
    return wb.with_parts(annexe, lambda entries: set_value(entries, *place, value))


@triggers("valeur-fixe-modifiee")
def region_retyped_on_a_volet_sheet_is_reported(wb):
    place = wb.anchor_cell(ANNEXE2, "Volet 2", "ident.region")
    path = _typed_over(wb, ANNEXE2, place, "Limousin")
    return Expected(path, str(CellRef(*place)), says=("« Nouvelle-Aquitaine »", "« Limousin »"))


@triggers("valeur-fixe-modifiee")
def volet_2_state_rate_raised_to_100_percent_is_reported(wb):
    place = wb.synthesis_cell(ANNEXE2, 2, "taux_etat")
    path = _typed_over(wb, ANNEXE2, place, 1)
    return Expected(path, str(CellRef(*place)), says=("« 50\u00a0% »", "« 100\u00a0% »"))


@triggers("valeur-fixe-modifiee")
def ineligible_category_made_eligible_in_the_hidden_list_is_reported(wb):
    lists = wb.plans[ANNEXE3].sheet("Listes")
    row = next(r for (r, c), cell in lists.cells.items() if c == 0 and cell.value == HOTEL)
    path = _typed_over(wb, ANNEXE3, ("Listes", row, 1), "Oui")
    return Expected(path, str(CellRef("Listes", row, 1)), says=("« Non »", "« Oui »"))


@stays_silent("valeur-fixe-modifiee")
def departement_retyped_in_capitals_is_the_same(wb):
    place = wb.anchor_cell(ANNEXE2, "Volet 1", "ident.departement")
    return NearMiss(_typed_over(wb, ANNEXE2, place, "23 - CREUSE "))


@triggers("donnee-hors-modele")
def note_typed_beside_the_table_is_reported(wb):
    sheet = wb.volet_sheet(ANNEXE2, 1)
    place = (sheet.name, sheet.lines[0].row, sheet.last_col + 2)
    path = _overwrite(wb, ANNEXE2, place, "Montant à confirmer avec la DREETS")
    return Expected(path, str(CellRef(*place)), says=("« Montant à confirmer avec la DREETS »",))


@triggers("donnee-hors-modele")
def amount_typed_below_the_total_is_reported(wb):
    sheet, row, col = wb.anchor_cell(ANNEXE3, "Volet 1", "total.montant")
    place = (sheet, row + 6, col)
    path = _overwrite(wb, ANNEXE3, place, 12500)
    return Expected(path, str(CellRef(*place)), says=("« 12500 »",))


@stays_silent("donnee-hors-modele")
def cell_only_coloured_outside_the_table_is_no_data(wb):
    from openpyxl.styles import PatternFill

    sheet = wb.volet_sheet(ANNEXE2, 1)

    def edit(book):
        cell = cell_of(book, sheet.name, sheet.lines[0].row, sheet.last_col + 2)
        cell.fill = PatternFill("solid", fgColor="FFFF00")

    return NearMiss(wb.with_openpyxl(ANNEXE2, edit))


@triggers("lien-externe")
def amount_linked_to_another_workbook_is_reported(wb):
    lines = wb.lines(ANNEXE2)
    lines[(1, 0)]["existant_eur"] = D("12500")  # the value Excel saved from the linked file
    lines[(1, 0)]["cible_eur"] = D("12500") + lines[(1, 0)]["montant_delta"]
    place = wb.line_cell(ANNEXE2, 1, 0, "existant_eur")
    source = wb.write(ANNEXE2, lines)
    link = "file:///C:/Budget/compta-2024.xlsx"
    path = wb.with_parts(source, lambda e: add_external_link(e, *place, link))
    return Expected(path, says=("(xl/externalLinks/externalLink1.xml)",))


@stays_silent("lien-externe")
def web_link_in_a_comment_is_not_a_linked_workbook(wb):
    place = wb.line_cell(ANNEXE2, 1, 0, "precisions")

    def edit(book):
        cell_of(book, *place).hyperlink = "https://travail-emploi.gouv.fr/france-travail"

    return NearMiss(wb.with_openpyxl(ANNEXE2, edit))


@triggers("macros-ignorees")
def macro_enabled_workbook_is_reported(wb):
    return Expected(wb.with_parts(ANNEXE3, add_macros))


@stays_silent("macros-ignorees")
def workbook_named_xlsm_without_macros_is_plain(wb):
    path = wb.path(suffix=".xlsm")
    path.write_bytes(wb.clean(ANNEXE3).read_bytes())
    return NearMiss(path)


def _merged(wb, annexe: str, first: tuple[str, int, int], last: tuple[str, int, int]):
    sheet, r1, c1 = first
    _, r2, c2 = last

    def edit(book):
        book[sheet].merge_cells(
            start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1
        )

    path = wb.with_openpyxl(annexe, edit)
    return Expected(path, str(CellRef(*first)), says=(f"{xl(r1, c1)}:{xl(r2, c2)}",))


@triggers("cellules-fusionnees")
def comment_merged_over_two_lines_is_reported(wb):
    first = wb.line_cell(ANNEXE2, 2, 0, "precisions")
    return _merged(wb, ANNEXE2, first, wb.line_cell(ANNEXE2, 2, 1, "precisions"))


@triggers("cellules-fusionnees")
def nature_merged_with_unit_is_reported(wb):
    index = first_line(wb.lines(ANNEXE3), 1, "forfait")
    first = wb.line_cell(ANNEXE3, 1, index, "nature")
    return _merged(wb, ANNEXE3, first, wb.line_cell(ANNEXE3, 1, index, "unite"))


@stays_silent("cellules-fusionnees")
def merges_of_the_template_and_outside_the_table_are_fine(wb):
    sheet = wb.volet_sheet(ANNEXE2, 2)
    row, col = sheet.lines[0].row, sheet.last_col + 2

    def edit(book):
        book[sheet.name].merge_cells(
            start_row=row + 1, start_column=col + 1, end_row=row + 2, end_column=col + 2
        )

    return NearMiss(wb.with_openpyxl(ANNEXE2, edit))


# ================================================================ formulas
def _formula(wb, annexe: str, place: tuple[str, int, int]) -> str:
    sheet, row, col = place
    return expr.to_excel(wb.plans[annexe].sheet(sheet).cells[(row, col)].node, sheet)


def _state_share_typed_over(wb) -> tuple[Path, tuple[str, int, int], Decimal]:
    """Protection removed, then the volet 2 State share typed over: « the State pays it all »."""
    place = wb.anchor_cell(ANNEXE2, "Volet 2", "part_etat")
    cost = asked(wb.lines(ANNEXE2), 2)

    def edit(book):
        book["Volet 2"].protection.sheet = False
        cell_of(book, *place).value = float(cost)

    return wb.with_openpyxl(ANNEXE2, edit), place, cost


@triggers("formule-remplacee")
def volet_2_state_share_typed_over_with_the_full_cost(wb):
    path, place, cost = _state_share_typed_over(wb)
    says = (_formula(wb, ANNEXE2, place), f"par la valeur « {euros(cost)} »")
    return Expected(path, str(CellRef(*place)), says=says)


@triggers("cofinancement-volet2")
def volet_2_state_share_typed_over_is_above_half_the_cost(wb):
    path, place, cost = _state_share_typed_over(wb)
    half = (cost / 2).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    says = (
        f"La part État du volet 2 ({euros(cost)}) dépasse sa limite de {euros(half)}",
        f"50\u00a0% du coût éligible de {euros(cost)}",
    )
    return Expected(path, str(CellRef(*place)), says=says)


@triggers("formule-remplacee")
def line_amount_formula_cleared_is_reported(wb):
    index = first_line(wb.lines(ANNEXE3), 1, "forfait")
    place = wb.line_cell(ANNEXE3, 1, index, "montant")
    path = _typed_over(wb, ANNEXE3, place, None)
    return Expected(path, str(CellRef(*place)), says=("« (vide) »", _formula(wb, ANNEXE3, place)))


@stays_silent("formule-remplacee", "total-incoherent")
def calculation_typed_in_an_input_cell_is_an_input(wb):
    lines = wb.lines(ANNEXE2)
    lines[(1, 0)].update(montant_delta=D("18000"), cible_eur=lines[(1, 0)]["existant_eur"] + 18000)
    place = wb.line_cell(ANNEXE2, 1, 0, "montant_delta")

    def typed(attrs: str, _body: str) -> str:
        attrs = attrs.replace(' t="s"', "")
        return f'<c r="{xl(*place[1:])}"{attrs}><f>12*1500</f><v>18000</v></c>'

    source = wb.write(ANNEXE2, lines)
    return NearMiss(wb.with_parts(source, lambda e: edit_cell(e, *place, typed)))


@triggers("formule-modifiee")
def volet_2_state_share_made_the_whole_need(wb):
    place = wb.synthesis_cell(ANNEXE2, 2, "part_etat")
    need = wb.synthesis_cell(ANNEXE2, 2, "besoins")
    forged = f"={xl(*need[1:])}"
    path = _typed_over(wb, ANNEXE2, place, forged)
    says = (_formula(wb, ANNEXE2, place), f"trouvé {forged}")
    return Expected(path, str(CellRef(*place)), says=says)


@triggers("formule-modifiee")
def amount_subtracted_from_a_volet_total_is_reported(wb):
    place = wb.anchor_cell(ANNEXE3, "Volet 1", "total.montant")
    forged = _formula(wb, ANNEXE3, place) + "-5000"
    path = _typed_over(wb, ANNEXE3, place, forged)
    return Expected(path, str(CellRef(*place)), says=(f"trouvé {forged}",))


@stays_silent("formule-modifiee", "formule-remplacee")
def formulas_rewritten_by_libreoffice_are_the_same(wb):
    def edit(entries):
        assert rewrite_formulas(entries, libreoffice_style) > 100

    return NearMiss(wb.with_parts(ANNEXE2, edit), still=("pour-info-non-compte",))


@stays_silent("formule-modifiee", "formule-remplacee")
def formulas_filled_down_and_saved_as_shared_are_the_same(wb):
    keys = ("montant", "eligible", "montant_eligible", "montant_ineligible")
    sheet = wb.volet_sheet(ANNEXE3, 1)
    block = [line.row for line in sheet.lines if line.group == sheet.lines[0].group]

    def edit(entries):
        for index, key in enumerate(keys):
            col = wb.line_cell(ANNEXE3, 1, 0, key)[2]
            share_formulas(entries, sheet.name, col, block, index)

    return NearMiss(wb.with_parts(ANNEXE3, edit))


def _forge(wb, annexe: str, place: tuple[str, int, int], change: Callable[[Decimal], Decimal]):
    """The cached result of a formula changed in the file; returns (path, shown, computed)."""
    found = {}

    def edit(entries):
        found["real"] = cached_value(entries, *place)
        found["shown"] = change(found["real"])
        set_cached(entries, *place, found["shown"])

    path = wb.with_parts(annexe, edit)
    return path, found["shown"], found["real"]


@triggers("total-incoherent")
def volet_total_raised_in_the_file_is_reported(wb):
    place = wb.anchor_cell(ANNEXE3, "Volet 1", "total.montant")
    path, shown, real = _forge(wb, ANNEXE3, place, lambda v: v + 5000)
    says = (f"affiche {euros(shown)}", f"donne {euros(real)}")
    return Expected(path, str(CellRef(*place)), says=says)


@triggers("total-incoherent")
def state_share_lowered_in_the_file_is_reported(wb):
    place = wb.synthesis_cell(ANNEXE2, 1, "part_etat")
    path, shown, real = _forge(wb, ANNEXE2, place, lambda v: v - 20000)
    says = (f"affiche {euros(shown)}", f"donne {euros(real)}")
    return Expected(path, str(CellRef(*place)), says=says)


@stays_silent("total-incoherent")
def float_noise_in_a_saved_total_is_no_forgery(wb):
    place = wb.anchor_cell(ANNEXE3, "Volet 1", "total.montant")
    path, _, _ = _forge(wb, ANNEXE3, place, lambda v: v + D("0.000000001"))
    return NearMiss(path)


@triggers("valeurs-non-recalculees")
def workbook_filled_by_a_program_has_no_saved_results(wb):
    plan = wb.plans[ANNEXE3]
    empty = wb.path()
    write_workbook(plan, empty)
    lines = wb.lines(ANNEXE3)
    path = wb.path()
    fill_workbook(plan, empty, path, lines)
    values = compute(plan, input_getter(plan, lines))
    count = sum(
        1
        for sheet in plan.sheets
        for cell in sheet.cells.values()
        if cell.kind == FORMULA and values[(sheet.name, cell.row, cell.col)] not in ("", None)
    )
    return Expected(path, says=(f"{count} formule(s) sans résultat",))


@stays_silent("valeurs-non-recalculees")
def empty_template_saves_empty_results_as_nothing(wb):
    path = wb.path()
    write_workbook(wb.plans[ANNEXE3], path)
    return NearMiss(path)


# ================================================================ inputs
def _typed(annexe: str, volet: int, key: str, value) -> Callable[[Workbooks], tuple[Path, str]]:
    """A file where ``value`` was typed in column ``key`` of the first filled line of volet."""

    def build(wb):
        lines = wb.lines(annexe)
        index = first_line(lines, volet, key)
        lines[(volet, index)][key] = value
        return wb.write(annexe, lines), wb.line_ref(annexe, volet, index, key)

    return build


TEXT_NUMBERS = [
    # (name, column, text typed, what the message suggests; None: no probable number)
    ("amount_with_spaces_and_euro_sign", "montant_delta", "1 234,56 €", fr("1 234,56 €")),
    ("amount_with_dot_thousands", "montant_delta", "1.234,56", fr("1 234,56 €")),
    ("amount_with_no_break_space", "montant_delta", "1\u00a0234,56", fr("1 234,56 €")),
    ("amount_with_narrow_no_break_space", "existant_eur", "12\u202f500 €", fr("12 500,00 €")),
    ("etp_with_decimal_comma", "existant_etp", "12,5", "12,5"),
    ("full_width_digits", "montant_delta", "１２３４", fr("1 234,00 €") + " (chiffres non latins)"),
    ("nan", "montant_delta", "nan", None),
    ("inf", "montant_delta", "inf", None),
    ("underscore_grouping", "montant_delta", "1_000", None),
]


def _text_numbers(wb) -> Path:
    """Annexe 2 with each text of TEXT_NUMBERS typed on its own line of volet 2."""
    lines = wb.lines(ANNEXE2)
    for index, (_, key, text, _) in enumerate(TEXT_NUMBERS):
        lines[(2, index)][key] = text
    return wb.write(ANNEXE2, lines)


def _text_number_case(index: int, name: str, key: str, text: str, meant: str | None) -> Case:
    def case(wb):
        path = shared("text-numbers", wb, _text_numbers)
        where = wb.line_ref(ANNEXE2, 2, index, key)
        if meant is None:
            return Expected(
                path,
                where,
                says=(f"« {text} » est du texte", "Saisissez un nombre, sans texte."),
                never=("Nombre probable",),
            )
        return Expected(path, where, says=(f"« {text} »", f"Nombre probable : {meant} ;"))

    return named(case, f"{name}_typed_as_text_is_reported")


for _index, _row in enumerate(TEXT_NUMBERS):
    triggers("nombre-en-texte")(_text_number_case(_index, *_row))


@triggers("nombre-en-texte")
def lump_sum_typed_as_text_in_annexe_3_is_reported(wb):
    path, where = _typed(ANNEXE3, 1, "forfait", "3 500,00 euros")(wb)
    return Expected(path, where, says=(f"Nombre probable : {fr('3 500,00 €')}",))


@stays_silent("nombre-en-texte")
def numbers_typed_as_numbers_and_text_in_a_comment_are_fine(wb):
    lines = wb.lines(ANNEXE2)
    index = first_line(lines, 2, "montant_delta")
    lines[(2, index)].update(existant_etp=D("12.5"), precisions="12,5 ETP sur l'année")
    return NearMiss(wb.write(ANNEXE2, lines))


@triggers("type-inattendu")
def boolean_in_an_amount_is_reported(wb):
    place = wb.line_cell(ANNEXE2, 1, 0, "existant_eur")
    path = _typed_over(wb, ANNEXE2, place, True)
    return Expected(
        path, str(CellRef(*place)), says=("Un montant est attendu ici, trouvé le booléen VRAI.",)
    )


@triggers("type-inattendu")
def date_in_an_amount_is_reported(wb):
    place = wb.line_cell(ANNEXE2, 1, 0, "montant_delta")
    path = _overwrite(wb, ANNEXE2, place, date(YEAR, 3, 15))
    return Expected(
        path, str(CellRef(*place)), says=("Un montant est attendu ici, trouvé la date 15/03/2024.",)
    )


@triggers("type-inattendu")
def boolean_in_a_number_of_units_is_reported(wb):
    index = first_line(wb.lines(ANNEXE3), 1, "nombre")
    place = wb.line_cell(ANNEXE3, 1, index, "nombre")
    path = _typed_over(wb, ANNEXE3, place, False)
    return Expected(
        path, str(CellRef(*place)), says=("Un nombre est attendu ici, trouvé le booléen FAUX.",)
    )


@stays_silent("total-incoherent")
def date_typed_in_a_lump_sum_in_excel_is_no_forgery(wb):
    lines = wb.lines(ANNEXE3)
    index = first_line(lines, 1, "forfait")
    day = date(YEAR, 3, 15)
    lines[(1, index)]["forfait"] = D((day - date(1899, 12, 30)).days)  # what Excel computes with
    sheet, row, col = wb.line_cell(ANNEXE3, 1, index, "forfait")
    date_col = wb.line_cell(ANNEXE3, 1, index, "date_debut")[2]
    source = wb.write(ANNEXE3, lines)
    path = wb.with_parts(source, lambda e: copy_style(e, sheet, row, col, date_col))
    return NearMiss(path, still=("type-inattendu",))


@stays_silent("type-inattendu", "date-invalide", "date-hors-periode")
def date_with_a_time_in_a_date_column_is_a_date(wb):
    index = first_line(wb.lines(ANNEXE3), 1, "date_debut")
    place = wb.line_cell(ANNEXE3, 1, index, "date_debut")
    return NearMiss(_overwrite(wb, ANNEXE3, place, datetime(YEAR, 3, 15, 14, 30)))


@triggers("montant-negatif")
def negative_amount_is_reported(wb):
    path, where = _typed(ANNEXE2, 1, "montant_delta", D("-5000"))(wb)
    return Expected(path, where, says=(f"({fr('-5 000,00 €')})",))


@triggers("montant-negatif")
def negative_etp_is_reported(wb):
    path, where = _typed(ANNEXE2, 1, "existant_etp", D("-1.5"))(wb)
    return Expected(path, where, says=("(-1,5)",))


@stays_silent("montant-negatif")
def zero_amount_is_not_negative(wb):
    lines = wb.lines(ANNEXE2)
    lines[(1, 0)].update(montant_delta=D(0), existant_eur=D(0))
    return NearMiss(wb.write(ANNEXE2, lines))


@triggers("valeur-erreur")
def ref_error_in_an_amount_is_reported(wb):
    lines = wb.lines(ANNEXE2)
    index = first_line(lines, 1, "montant_delta")
    lines[(1, index)]["montant_delta"] = expr.ExcelError("#REF!")  # saved results follow
    place = wb.line_cell(ANNEXE2, 1, index, "montant_delta")
    path = wb.with_parts(wb.write(ANNEXE2, lines), lambda e: set_error(e, *place, "#REF!"))
    return Expected(
        path, str(CellRef(*place)), says=("l'erreur #REF!",), without=("categorie-sans-montant",)
    )


@triggers("valeur-erreur")
def division_error_in_a_lump_sum_is_reported(wb):
    index = first_line(wb.lines(ANNEXE3), 2, "forfait")
    place = wb.line_cell(ANNEXE3, 2, index, "forfait")
    path = _overwrite(wb, ANNEXE3, place, "#DIV/0!")  # openpyxl saves it with data type "e"
    return Expected(path, str(CellRef(*place)), says=("l'erreur #DIV/0!",))


@stays_silent("valeur-erreur")
def value_error_that_a_text_amount_causes_is_reported_once(wb):
    path, _ = _typed(ANNEXE2, 1, "existant_eur", "20 000 €")(wb)
    return NearMiss(path, still=("nombre-en-texte",))


# ---------------------------------------------------------------- categories
CATEGORIES_A3 = Family(ANNEXE3)
CATEGORIES_A2 = Family(ANNEXE2)


def _typed_line(wb, lines, volet: int, **values) -> int:
    """A line typed by the officer on a free line of annexe 3: ``values`` and nothing else."""
    index = free_line(wb, ANNEXE3, volet, lines)
    lines[(volet, index)] = {"nature": "Atelier collectif", "objet": "Remobilisation", **values}
    return index


@CATEGORIES_A3.case("montant-sans-categorie")
def expense_without_category_is_reported(wb, lines):
    index = _typed_line(wb, lines, 3, forfait=D("2750.40"), date_debut=date(YEAR, 4, 2))
    return wb.line_ref(ANNEXE3, 3, index, "categorie"), (f"Un montant de {fr('2 750,40 €')}",)


@CATEGORIES_A3.case("categorie-sans-montant")
def category_on_an_empty_line_is_reported(wb, lines):
    index = _typed_line(wb, lines, 1, categorie=STAFF)
    return wb.line_ref(ANNEXE3, 1, index, "categorie"), (f"« {STAFF} »",)


@CATEGORIES_A3.case("categorie-inconnue")
def category_typed_over_the_list_is_reported(wb, lines):
    index = _typed_line(wb, lines, 1, forfait=D(800), categorie="Frais de mission")
    return wb.line_ref(ANNEXE3, 1, index, "categorie"), ("« Frais de mission »",)


@CATEGORIES_A2.case("montant-sans-categorie")
def need_without_category_is_reported(wb, lines):
    del lines[(2, 0)]["categorie"]
    says = (f"Un montant de {euros(lines[(2, 0)]['montant_delta'])}",)
    return wb.line_ref(ANNEXE2, 2, 0, "categorie"), says


@CATEGORIES_A2.case("categorie-sans-montant")
def category_with_a_zero_need_is_reported(wb, lines):
    lines[(1, 1)]["montant_delta"] = D(0)
    return wb.line_ref(ANNEXE2, 1, 1, "categorie"), (f"« {lines[(1, 1)]['categorie']} »",)


@CATEGORIES_A2.case("categorie-inconnue")
def category_other_is_reported(wb, lines):
    lines[(2, 1)]["categorie"] = "Autre"
    return wb.line_ref(ANNEXE2, 2, 1, "categorie"), ("« Autre »",)


@stays_silent("montant-sans-categorie")
def pour_info_row_needs_no_category(wb):
    lines = wb.lines(ANNEXE2)
    index = info_line(wb, ANNEXE2, 3)
    lines[(3, index)].update(existant_eur=D(0), cible_eur=D(40000), montant_delta=D(40000))
    return NearMiss(wb.write(ANNEXE2, lines), still=("pour-info-non-compte",))


@stays_silent("categorie-sans-montant")
def category_with_its_amount_typed_as_text_has_an_amount(wb):
    path, _ = _typed(ANNEXE3, 1, "forfait", "12 000")(wb)
    return NearMiss(path, still=("nombre-en-texte",))


@stays_silent("categorie-inconnue")
def category_typed_in_capitals_is_known(wb):
    path, _ = _typed(ANNEXE3, 1, "categorie", STAFF.upper())(wb)
    return NearMiss(path)


# ---------------------------------------------------------------- dates
DATES = Family(ANNEXE3)


def _dated(wb, lines, start, end=None) -> int:
    dates = {"date_debut": start} | ({"date_fin": end} if end is not None else {})
    return _typed_line(wb, lines, 1, forfait=D(1500), categorie=SUPPORT, **dates)


@DATES.case("date-hors-periode")
def start_date_in_the_previous_year_is_reported(wb, lines):
    index = _dated(wb, lines, date(YEAR - 1, 12, 1), date(YEAR, 6, 30))
    says = ("La date 01/12/2023 est hors de la période", "(du 01/01/2024 au 31/12/2024)")
    return wb.line_ref(ANNEXE3, 1, index, "date_debut"), says


@DATES.case("date-hors-periode")
def end_date_in_the_next_year_is_reported(wb, lines):
    index = _dated(wb, lines, date(YEAR, 1, 1), date(YEAR + 1, 1, 31))
    return wb.line_ref(ANNEXE3, 1, index, "date_fin"), ("La date 31/01/2025",)


@DATES.case("date-invalide")
def month_typed_as_text_is_not_a_date(wb, lines):
    index = _dated(wb, lines, "mars 2024")
    return wb.line_ref(ANNEXE3, 1, index, "date_debut"), ("« mars 2024 » n'est pas une date",)


@DATES.case("date-invalide")
def impossible_date_typed_as_text_is_not_a_date(wb, lines):
    index = _dated(wb, lines, date(YEAR, 2, 1), "31/02/2024")
    return wb.line_ref(ANNEXE3, 1, index, "date_fin"), ("« 31/02/2024 »",)


@DATES.case("periode-inversee")
def end_before_start_is_reported(wb, lines):
    index = _dated(wb, lines, date(YEAR, 6, 30), date(YEAR, 3, 1))
    says = ("La fin de période (01/03/2024) précède son début (30/06/2024)",)
    return wb.line_ref(ANNEXE3, 1, index, "date_fin"), says


@stays_silent("date-hors-periode", "periode-inversee")
def first_and_last_day_or_a_single_day_are_in_the_period(wb):
    lines = wb.lines(ANNEXE3)
    _dated(wb, lines, date(YEAR, 1, 1), date(YEAR, 12, 31))
    _dated(wb, lines, date(YEAR, 5, 14), date(YEAR, 5, 14))
    return NearMiss(wb.write(ANNEXE3, lines))


# ---------------------------------------------------------------- how amounts are entered
UNITS = Family(ANNEXE3)


@UNITS.case("montant-double-saisie")
def units_and_lump_sum_both_given_is_reported(wb, lines):
    index = _typed_line(
        wb, lines, 1, nombre=D(12), cout_unitaire=D(100), forfait=D(5000), categorie=SUPPORT
    )
    return wb.line_ref(ANNEXE3, 1, index, "forfait"), (f"({fr('5 000,00 €')})",)


@UNITS.case("unites-incompletes")
def number_of_units_without_unit_cost_is_reported(wb, lines):
    index = _typed_line(wb, lines, 1, nombre=D(3), forfait=D(900), categorie=SUPPORT)
    says = ("Le nombre d'unités est saisi sans le coût unitaire",)
    return wb.line_ref(ANNEXE3, 1, index, "nombre"), says


@UNITS.case("unites-incompletes")
def unit_cost_without_number_of_units_is_reported(wb, lines):
    index = _typed_line(wb, lines, 1, cout_unitaire=D(450), forfait=D(900), categorie=SUPPORT)
    says = ("Le coût unitaire est saisi sans le nombre d'unités",)
    return wb.line_ref(ANNEXE3, 1, index, "cout_unitaire"), says


@stays_silent("montant-double-saisie", "unites-incompletes")
def units_with_their_cost_and_a_zero_lump_sum_are_one_amount(wb):
    lines = wb.lines(ANNEXE3)
    _typed_line(wb, lines, 1, nombre=D(4), cout_unitaire=D("2500.50"), categorie=SUPPORT)
    _typed_line(wb, lines, 1, nombre=D(2), cout_unitaire=D(300), forfait=D(0), categorie=SUPPORT)
    return NearMiss(wb.write(ANNEXE3, lines))


@triggers("libelle-a-completer")
def placeholder_remuneration_xx_left_with_an_amount_is_reported(wb):
    lines = wb.lines(ANNEXE3)
    index = labelled(wb, ANNEXE3, 1, "Rémunération XX")
    del lines[(1, index)]["nature"]  # the model's text stays in the cell
    where = wb.line_ref(ANNEXE3, 1, index, "nature")
    return Expected(wb.write(ANNEXE3, lines), where, says=("« Rémunération XX »",))


@triggers("libelle-a-completer")
def placeholder_structure_xxx_left_with_an_amount_is_reported(wb):
    lines = wb.lines(ANNEXE3)
    index = labelled(wb, ANNEXE3, 2, "Structure XXX")
    del lines[(2, index)]["nature"]
    where = wb.line_ref(ANNEXE3, 2, index, "nature")
    return Expected(wb.write(ANNEXE3, lines), where, says=("« Structure XXX »",))


@stays_silent("libelle-a-completer")
def complete_model_label_or_placeholder_without_amount_is_fine(wb):
    lines = wb.lines(ANNEXE3)
    assert lines[(1, 0)]["nature"] == wb.line(ANNEXE3, 1, 0).label  # "Rémunération chef de projet"
    del lines[(1, labelled(wb, ANNEXE3, 1, "Rémunération XX"))]  # left empty, hint kept
    return NearMiss(wb.write(ANNEXE3, lines))


@triggers("pour-info-non-compte")
def pour_info_rows_with_amounts_are_shown_not_counted(wb):
    lines = wb.lines(ANNEXE2)
    index = info_line(wb, ANNEXE2, 3)
    lines[(3, index)].update(existant_eur=D(0), cible_eur=D(1_000_000), montant_delta=D(1_000_000))
    where = str(CellRef("Volet 3", wb.line(ANNEXE2, 3, index).row, 0))
    without = ("plafond-depasse", "allocation-totale-depassee", "montant-sans-categorie")
    return Expected(wb.write(ANNEXE2, lines), where, without=without)


@stays_silent("pour-info-non-compte")
def pour_info_rows_without_figures_say_nothing(wb):
    lines = wb.lines(ANNEXE2)
    for index, line in enumerate(wb.volet_sheet(ANNEXE2, 3).lines):
        if not line.counted:
            lines.pop((3, index), None)
    return NearMiss(wb.write(ANNEXE2, lines))


@triggers("montant-delta-superieur")
def need_above_the_delta_is_reported(wb):
    lines = wb.lines(ANNEXE2)
    line = lines[(1, 0)]
    line["cible_eur"] = line["existant_eur"] + line["montant_delta"] - 1000
    says = (f"({euros(line['montant_delta'])})", f"({euros(line['montant_delta'] - 1000)})")
    return Expected(
        wb.write(ANNEXE2, lines), wb.line_ref(ANNEXE2, 1, 0, "montant_delta"), says=says
    )


@stays_silent("montant-delta-superieur")
def need_equal_to_the_delta_is_fine(wb):
    lines = wb.lines(ANNEXE2)
    lines[(1, 0)]["cible_eur"] = lines[(1, 0)]["existant_eur"] + lines[(1, 0)]["montant_delta"]
    return NearMiss(wb.write(ANNEXE2, lines))


# ================================================================ ceilings (art. 4.1, 3.3)
@triggers("plafond-depasse")
def volet_1_need_one_cent_above_its_ceiling_is_reported(wb):
    lines = wb.lines(ANNEXE2)
    set_asked(lines, 1, D("150000.01"))
    says = (
        f"La part État demandée du volet 1 ({fr('150 000,01 €')})",
        f"plafond de l'article 4.1 ({fr('150 000,00 €')}) de {fr('0,01 €')}",
    )
    where = wb.synthesis_ref(ANNEXE2, 1, "part_etat")
    return Expected(
        wb.write(ANNEXE2, lines), where, says=says, without=("allocation-totale-depassee",)
    )


@triggers("plafond-depasse")
def volet_2_state_half_above_its_ceiling_is_reported(wb):
    lines = wb.lines(ANNEXE2)
    set_asked(lines, 2, D("800002"))
    says = (f"du volet 2 ({fr('400 001,00 €')})", f"de {fr('1,00 €')}")
    return Expected(wb.write(ANNEXE2, lines), wb.synthesis_ref(ANNEXE2, 2, "part_etat"), says=says)


@triggers("plafond-depasse")
def contribution_shown_above_the_ceiling_in_annexe_3_is_reported(wb):
    place = wb.synthesis_cell(ANNEXE3, 1, "contribution")
    path, _, _ = _forge(wb, ANNEXE3, place, lambda v: D("160000"))
    says = (
        f"La contribution de l'État affichée du volet 1 ({fr('160 000,00 €')})",
        f"de {fr('10 000,00 €')}",
    )
    return Expected(path, str(CellRef(*place)), says=says)


@stays_silent("plafond-depasse", "allocation-totale-depassee")
def ceilings_exactly_reached_are_not_exceeded(wb):
    lines = wb.lines(ANNEXE2)
    set_asked(lines, 1, D("150000"))
    set_asked(lines, 2, D("800000"))  # State half: 400 000,00 €
    set_asked(lines, 3, D("250000"))
    return NearMiss(wb.write(ANNEXE2, lines))


@triggers("allocation-totale-depassee")
def state_share_above_the_total_allocation_is_reported(wb):
    lines = wb.lines(ANNEXE2)
    set_asked(lines, 1, D("150000"))
    set_asked(lines, 2, D("800000"))
    set_asked(lines, 3, D("250000.50"))
    says = (f"({fr('800 000,50 €')})", f"({fr('800 000,00 €')})")
    where = wb.synthesis_ref(ANNEXE2, None, "part_etat")
    return Expected(wb.write(ANNEXE2, lines), where, says=says)


@stays_silent("allocation-totale-depassee")
def one_volet_over_within_the_total_allocation_is_only_that_volet(wb):
    lines = wb.lines(ANNEXE2)
    set_asked(lines, 1, D("160000"))
    return NearMiss(wb.write(ANNEXE2, lines), still=("plafond-depasse",))


@triggers("contribution-plafonnee")
def eligible_expenses_above_the_ceiling_are_capped(wb):
    lines = wb.lines(ANNEXE3)
    set_spent(lines, 1, D("170000"))
    says = (f"appellent {fr('170 000,00 €')}", f"plafond de {fr('150 000,00 €')}")
    where = wb.synthesis_ref(ANNEXE3, 1, "contribution")
    return Expected(wb.write(ANNEXE3, lines), where, says=says, without=("plafond-depasse",))


@stays_silent("contribution-plafonnee")
def eligible_expenses_exactly_at_the_ceiling_are_not_capped(wb):
    lines = wb.lines(ANNEXE3)
    set_spent(lines, 1, D("150000"))
    set_spent(lines, 2, D("800000"))  # State half: 400 000,00 €
    return NearMiss(wb.write(ANNEXE3, lines))


@triggers("cofinancement-volet2")
def volet_2_state_share_forged_in_the_file_is_reported(wb):
    place = wb.anchor_cell(ANNEXE3, "Volet 2", "part_etat")
    cost = wb.anchor_cell(ANNEXE3, "Volet 2", "depenses_eligibles")
    found = {}

    def edit(entries):
        found["cost"] = cached_value(entries, *cost)
        set_cached(entries, *place, found["cost"])

    path = wb.with_parts(ANNEXE3, edit)
    amount = euros(found["cost"])
    half = euros((found["cost"] / 2).quantize(D("0.01"), rounding=ROUND_HALF_UP))
    says = (f"({amount}) dépasse sa limite de {half}", f"coût éligible de {amount}")
    return Expected(path, str(CellRef(*place)), says=says)


@stays_silent("cofinancement-volet2")
def odd_cent_rounded_up_is_still_half(wb):
    lines = wb.lines(ANNEXE2)
    set_asked(lines, 2, D("719999.01"))  # State half: ROUND(359 999,505) = 359 999,51 €
    return NearMiss(wb.write(ANNEXE2, lines))


# ================================================================ eligibility (art. 4.2)
@triggers("depense-ineligible")
def hotel_nights_chosen_as_category_are_reported(wb):
    lines = wb.lines(ANNEXE3)
    index = first_line(lines, 2, "forfait")
    lines[(2, index)].update(nature="Nuitées d'hôtel des intervenants", categorie=HOTEL)
    says = (f"« {HOTEL} »", f"montant {euros(lines[(2, index)]['forfait'])}")
    where = wb.line_ref(ANNEXE3, 2, index, "categorie")
    return Expected(wb.write(ANNEXE3, lines), where, says=says, without=("libelle-suspect",))


@triggers("depense-ineligible")
def project_management_need_is_reported(wb):
    lines = wb.lines(ANNEXE2)
    lines[(1, 2)]["categorie"] = "Prestation de gestion de projet"
    says = (
        "« Prestation de gestion de projet »",
        f"montant {euros(lines[(1, 2)]['montant_delta'])}",
    )
    return Expected(wb.write(ANNEXE2, lines), wb.line_ref(ANNEXE2, 1, 2, "categorie"), says=says)


@stays_silent("depense-ineligible")
def ineligible_category_without_amount_costs_nothing(wb):
    lines = wb.lines(ANNEXE3)
    index = free_line(wb, ANNEXE3, 2, lines)
    lines[(2, index)] = {"nature": "Nuitées d'hôtel (annulé)", "categorie": HOTEL}
    return NearMiss(wb.write(ANNEXE3, lines), still=("categorie-sans-montant",))


SUSPECT_TEXTS = [
    # (name, annexe, column, text typed with an eligible category, what it evokes)
    ("hotel_in_capitals", ANNEXE3, "objet", "NUITÉES D'HÔTEL des intervenants", "des frais d'hébergement"),
    ("train_tickets", ANNEXE3, "objet", "Billets de TRAIN pour le séminaire", "des frais de déplacement"),
    ("meals", ANNEXE3, "nature", "Repas des participants", "des frais de restauration"),
    ("room_hire", ANNEXE2, "precisions", "Location de salle pour les ateliers", "une location de salle"),
    ("office_supplies", ANNEXE2, "financement", "Fournitures de bureau", "des fournitures"),
    ("reprographics", ANNEXE3, "objet", "Reprographie des livrets d'accueil", "de la reprographie"),
    ("equipment", ANNEXE3, "objet", "Équipement des conseillers", "de l'équipement ou de l'investissement"),
    ("evaluation", ANNEXE3, "objet", "Evaluation du dispositif par un cabinet", "une prestation d'évaluation"),
    ("staff_training", ANNEXE2, "precisions", "Formation du personnel à l'accueil", "une formation du personnel"),
    ("amo", ANNEXE3, "objet", "AMO pour le déploiement", "une prestation de gestion de projet"),
    ("amo_typographic_apostrophe", ANNEXE3, "objet", "Assistance à maîtrise d\u2019ouvrage", "une prestation de gestion de projet"),
    ("hotel_if_needed", ANNEXE3, "objet", "Nuitées d'hôtel si besoin", "des frais d'hébergement"),
    ("computers_for_software", ANNEXE3, "objet", "Ordinateurs pour le logiciel de suivi", "de l'équipement ou de l'investissement"),
]  # fmt: skip
NOT_SUSPECT = [
    ("it_interface", "Développement d'un interfaçage SI"),
    ("software_for_evaluations", "Paramétrage du logiciel de suivi des évaluations"),
    ("training_of_beneficiaries", "Garde d'enfant pendant les formations des allocataires"),
    ("train_inside_a_word", "Atelier d'entraînement aux entretiens d'embauche"),
]


def _texts_on_lines(annexe: str, texts: list[tuple[str, str]], category: str = SUPPORT):
    """Builds the annexe with each (column, text) on its own line of volet 2, with an amount and
    ``category``; the other text columns of these lines say nothing suspect."""

    def build(wb) -> Path:
        lines = wb.lines(annexe)
        for index, (key, text) in enumerate(texts):
            if annexe == ANNEXE3:
                lines[(2, index)] = {
                    "nature": "Atelier collectif",
                    "objet": "Accompagnement renforcé",
                    "forfait": D(1000 + index),
                    "date_debut": date(YEAR, 3, 1),
                }
            lines[(2, index)].update({key: text, "categorie": category})
        return wb.write(annexe, lines)

    return build


def _suspect_case(index: int, annexe: str, key: str, text: str, what: str, name: str) -> Case:
    rows = [(k, t) for _, a, k, t, _ in SUSPECT_TEXTS if a == annexe]

    def case(wb):
        path = shared(f"suspect-{annexe}", wb, _texts_on_lines(annexe, rows))
        where = wb.line_ref(annexe, 2, index, key)
        return Expected(path, where, says=(f"« {text} » évoque {what}",))

    return named(case, f"{name}_with_an_eligible_category_is_suspect")


for _annexe in (ANNEXE2, ANNEXE3):
    _rows = [row for row in SUSPECT_TEXTS if row[1] == _annexe]
    for _index, (_name, _, _key, _text, _what) in enumerate(_rows):
        triggers("libelle-suspect")(_suspect_case(_index, _annexe, _key, _text, _what, _name))


@stays_silent("libelle-suspect")
def it_development_and_beneficiary_training_are_not_suspect(wb):
    texts = [("objet", text) for _, text in NOT_SUSPECT]
    return NearMiss(_texts_on_lines(ANNEXE3, texts)(wb))


@stays_silent("libelle-suspect")
def suspect_text_with_an_ineligible_category_is_only_ineligible(wb):
    path = _texts_on_lines(ANNEXE3, [("objet", "Nuitées d'hôtel")], HOTEL)(wb)
    return NearMiss(path, still=("depense-ineligible",))


# ================================================================ consolidation
def _pair(wb, folder: Path, a3_ceilings: dict[int, Decimal] = CEILINGS) -> tuple[Path, Path]:
    folder.mkdir()
    plan2, plan3 = wb.plans[ANNEXE2], plan_for(ANNEXE3, a3_ceilings)
    annexe2 = folder / "annexe2-plan-de-financement-23-2024.xlsx"
    annexe3 = folder / "annexe3-bilan-financier-23-2024.xlsx"
    write_workbook(plan2, annexe2, clean_lines(plan2))
    write_workbook(plan3, annexe3, clean_lines(plan3))
    return annexe2, annexe3


@triggers("doublon-departement")
def same_departement_sent_twice_keeps_the_most_recent(wb):
    folder = wb.folder / "doublon"
    _, annexe3 = _pair(wb, folder)
    copy = folder / "annexe3-bilan-financier-23-2024 (copie).xlsx"
    copy.write_bytes(annexe3.read_bytes())
    past = time.time() - 3600
    os.utime(copy, (past, past))
    says = ("département 23", f"{annexe3.name} est retenu", f"{copy.name} est écarté")
    return Expected(folder, annexe3.name, says=says)


@triggers("plafonds-differents")
def ceilings_that_differ_between_annexes_are_reported(wb):
    folder = wb.folder / "plafonds"
    _, annexe3 = _pair(wb, folder, {**CEILINGS, 1: D("160000")})
    says = (f"volet 1 diffère entre l'annexe 2 ({fr('150 000,00 €')})", f"({fr('160 000,00 €')})")
    return Expected(folder, annexe3.name, says=says)


@triggers("annexe-manquante")
def annexe_3_not_received_is_reported(wb):
    folder = wb.folder / "manquante"
    annexe2, annexe3 = _pair(wb, folder)
    annexe3.unlink()
    return Expected(folder, annexe2.name, says=("Aucune annexe 3 reçue pour le département 23",))


@stays_silent("doublon-departement", "plafonds-differents", "annexe-manquante")
def both_annexes_of_a_departement_with_the_same_ceilings(wb):
    folder = wb.folder / "paire"
    _pair(wb, folder)
    return NearMiss(folder)


@triggers("bilan-en-retard")
def bilan_not_received_three_months_after_the_convention_is_reported(wb):
    folder = wb.folder / "retard"  # consolidated today, long after the 2024 deadline
    annexe2, annexe3 = _pair(wb, folder)
    annexe3.unlink()
    return Expected(folder, annexe2.name, says=("département 23", "31/03/2025"))


@stays_silent("bilan-en-retard")
def bilan_received_is_never_late(wb):
    folder = wb.folder / "bilan-recu"
    _pair(wb, folder)
    return NearMiss(folder)


# ================================================================ allocations (--allocations)
def _allocation(code: str, ceilings: dict[int, Decimal]) -> Parameters:
    return Parameters(code, "", "", YEAR, "", ceilings)


@triggers("plafond-modifie")
def ceiling_typed_over_by_the_departement_differs_from_the_allocation(wb):
    raised = {**CEILINGS, 2: D("450000")}
    path = wb.write(ANNEXE3, wb.lines(ANNEXE3), plan_for(ANNEXE3, raised))
    sheet, row, col = wb.anchor_cell(ANNEXE3, "Volet 2", "plafond")
    says = (
        f"volet 2 dans le classeur : {fr('450 000,00 €')}",
        f"allocation de l'État : {fr('400 000,00 €')}",
    )
    return Expected(
        path, str(CellRef(sheet, row, col)), says=says, allocations=(_allocation("23", CEILINGS),)
    )


@triggers("departement-hors-allocations")
def departement_missing_from_the_allocations_is_reported(wb):
    return Expected(
        wb.clean(ANNEXE2), "", says=("département 23",), allocations=(_allocation("19", CEILINGS),)
    )


@stays_silent("plafond-modifie", "departement-hors-allocations")
def ceilings_exactly_as_allocated(wb):
    return NearMiss(wb.clean(ANNEXE3), allocations=(_allocation("23", CEILINGS),))


def _paid(advance: str) -> Parameters:
    from dataclasses import replace

    return replace(_allocation("23", CEILINGS), advance=D(advance), advance_date=date(2024, 6, 14))


@triggers("avance-differente")
def advance_shown_differs_from_the_advance_paid(wb):
    sheet, row, col = wb.synthesis_cell(ANNEXE3, None, "avance")  # 60 % of 800 000 shown
    says = (f"avance de {fr('480 000,00 €')}", f"versé {fr('400 000,00 €')} le 14/06/2024")
    return Expected(
        wb.clean(ANNEXE3), str(CellRef(sheet, row, col)), says=says, allocations=(_paid("400000"),)
    )


@stays_silent("avance-differente")
def advance_shown_is_the_advance_paid(wb):
    return NearMiss(wb.clean(ANNEXE3), allocations=(_paid("480000.00"),))


# ================================================================ the tests
def _consolidated(code: str) -> bool:
    return CATALOGUE[code].family == "consolidation"


def _cases(registry):
    return [
        pytest.param(
            code,
            case,
            id=f"{code}:{case.__name__}",
            marks=[pytest.mark.xfail(strict=True, reason=case.xfail)]
            if getattr(case, "xfail", "")
            else [],
        )
        for code in sorted(registry)
        for case in registry[code]
    ]


def _once(case, wb):
    """What ``case`` builds, built once when it serves several codes."""
    key = f"case:{case.__module__}.{case.__name__}"
    if key not in _SHARED:
        _SHARED[key] = case(wb)
    return _SHARED[key]


def _checked(path: Path, allocations: tuple[Parameters, ...] = ()):
    """check(), or consolidate() for a folder; once per file (and allocations)."""
    key = f"report:{path}:{[(a.code, a.advance) for a in allocations]}"
    if key not in _SHARED:
        official = {a.code: a for a in allocations} if allocations else None
        _SHARED[key] = consolidate([path]) if path.is_dir() else check(path, allocations=official)
    return _SHARED[key]


@pytest.mark.parametrize(("code", "case"), _cases(TRIGGERS))
def test_mistake_is_reported_where_it_was_made(code, case, wb):
    expected = _once(case, wb)
    if _consolidated(code):
        result = _checked(expected.path)
        found = [(i.path.name if i else "", f) for i, f in result.findings if f.code == code]
        places = [name for name, _ in found]
        messages = [f.message for name, f in found if name == expected.where]
    else:
        report = _checked(expected.path, expected.allocations)
        places = [where for c, where in report.flatten() if c == code]
        messages = [
            f.message
            for f in report.findings
            if f.code == code and str(f.where or "") == expected.where
        ]
        if expected.refused:
            assert report.exit_code() == EXIT_REFUSED
            assert report.flatten() == [(code, "")]
        codes = report.codes()
        assert not codes & set(expected.without), report.flatten()
    assert messages, f"{code} attendu en « {expected.where} », signalé en {places}"
    message = messages[0]
    for text in expected.says:
        assert text in message
    for text in expected.never:
        assert text not in message


@pytest.mark.parametrize(("code", "case"), _cases(SILENT))
def test_near_miss_stays_silent(code, case, wb):
    near = _once(case, wb)
    if _consolidated(code):
        codes = {f.code for _, f in _checked(near.path).findings}
    else:
        report = _checked(near.path, near.allocations)
        assert report.refused is None, report.refused
        codes = report.codes()
    assert code not in codes
    assert set(near.still) <= codes, f"le quasi-accident n'en est pas un : {sorted(codes)}"


@pytest.mark.parametrize("annexe", [ANNEXE2, ANNEXE3])
def test_clean_workbooks_report_no_error_and_no_warning(annexe, clean_files):
    report = check(clean_files[annexe])
    serious = [
        (f.code, str(f.where)) for f in report.findings if f.severity != Severity.INFORMATION
    ]
    assert serious == []
    assert report.exit_code(strict=True) == 0


# Families tested in their own file (tests/test_rules_<family>.py, each with a trigger and a
# near miss per code): their codes are listed there, in CODES.
FAMILY_FILES = ("test_rules_typed_formulas", "test_rules_completeness", "test_rules_cents")


def test_every_code_of_the_catalogue_has_a_trigger_and_a_near_miss():
    import importlib

    elsewhere = {
        code for name in FAMILY_FILES for code in importlib.import_module(f"tests.{name}").CODES
    }
    assert not elsewhere & set(TRIGGERS), "codes testés à deux endroits"
    assert set(TRIGGERS) | elsewhere == set(CATALOGUE), "codes sans test qui les déclenche"
    assert set(SILENT) | elsewhere == set(CATALOGUE), "codes sans quasi-accident"
    cases = {
        case for registry in (TRIGGERS, SILENT) for found in registry.values() for case in found
    }
    names = [case.__name__ for case in cases]
    assert len(names) == len(set(names)), "deux cas du même nom : ils partageraient un classeur"
