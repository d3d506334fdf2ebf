"""Make the sample workbooks of ``samples/``: clean ones and the mistakes finance officers make.

Run by ``make samples``. Each faulty sample changes one thing in a clean workbook, the way a
person or a program would: a value typed as text, a formula overwritten, rows inserted, a cached
total forged... ``samples/expected.json`` says, for each file, which codes ``budget-tool check``
must report as erreur or avertissement (written here from the mistake made, never from the
checker's output); informations are not listed.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
import zipfile
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from xlsxwriter.utility import xl_rowcol_to_cell  # noqa: E402

from budget_tool import sampledata  # noqa: E402
from budget_tool.fill import fill_workbook  # noqa: E402
from budget_tool.generate import write_workbook  # noqa: E402
from budget_tool.layout import build_plan, column_index  # noqa: E402
from budget_tool.libreoffice import convert, soffice  # noqa: E402
from budget_tool.plan import Parameters  # noqa: E402
from budget_tool.templates import load_template  # noqa: E402

PARAMS = Parameters(
    "23",
    "Creuse",
    "Nouvelle-Aquitaine",
    2024,
    "2024-23-001",
    {1: Decimal("150000"), 2: Decimal("400000"), 3: Decimal("250000")},
)
EXPECTED: dict[str, list[str]] = {}


def _plan(annexe: str):
    return build_plan(load_template(annexe), PARAMS)


def _write(name: str, annexe: str, lines, expected: list[str]) -> Path:
    target = HERE / name
    write_workbook(_plan(annexe), target, lines)
    EXPECTED[name] = expected
    return target


def _copy(lines):
    """A copy of a filling that a faulty sample may change without touching the clean one."""
    return {key: dict(values) for key, values in lines.items()}


def _first_line(lines, volet: int, key: str = "montant_delta"):
    return next(k for k in sorted(lines) if k[0] == volet and key in lines[k])


def annexe2_samples() -> None:
    plan = _plan("annexe-2")
    clean = sampledata.plan_lines(plan)
    _write("annexe2-23-2024-conforme.xlsx", "annexe-2", clean, [])

    over = _copy(clean)
    key = _first_line(over, 1)
    over[key]["montant_delta"] = over[key]["montant_delta"] + Decimal("60000")
    over[key]["cible_eur"] = over[key]["cible_eur"] + Decimal("60000")
    _write("annexe2-23-2024-plafond-depasse.xlsx", "annexe-2", over, ["plafond-depasse"])

    text = _copy(clean)
    key = _first_line(text, 2)
    text[key]["montant_delta"] = "12 500,00 €"
    text[key]["existant_etp"] = "1,5"
    _write("annexe2-23-2024-montants-en-texte.xlsx", "annexe-2", text, ["nombre-en-texte"])

    # Protection removed, then the volet 2 State share typed over: 100 % of the cost.
    source = HERE / "annexe2-23-2024-conforme.xlsx"
    _edit_with_openpyxl(
        source, HERE / "annexe2-23-2024-cofinancement-ecrase.xlsx", plan, _overwrite_state_share
    )
    EXPECTED["annexe2-23-2024-cofinancement-ecrase.xlsx"] = [
        "formule-remplacee",
        "cofinancement-volet2",
        "protection-retiree",
    ]


def _overwrite_state_share(book, plan) -> None:
    sheet_plan = plan.sheet("Volet 2")
    row, col = sheet_plan.anchors["part_etat"]
    sheet = book["Volet 2"]
    sheet.protection.sheet = False
    cost = sum(
        v["montant_delta"]
        for k, v in sampledata.plan_lines(plan).items()
        if k[0] == 2 and "montant_delta" in v
    )
    sheet.cell(row=row + 1, column=col + 1).value = float(cost)  # "the State pays it all"


def annexe3_samples() -> None:
    plan = _plan("annexe-3")
    clean = sampledata.bilan_lines(plan)
    _write("annexe3-23-2024-conforme.xlsx", "annexe-3", clean, [])

    bad = _copy(clean)
    keys = sorted(k for k in bad if k[0] == 2)
    bad[keys[0]].update(
        nature="Nuitées d'hôtel des intervenants", categorie="Frais de mission : hébergement"
    )
    bad[keys[1]].update(objet="Billets de train pour le séminaire")  # eligible category kept
    _write(
        "annexe3-23-2024-depenses-ineligibles.xlsx",
        "annexe-3",
        bad,
        ["depense-ineligible", "libelle-suspect"],
    )

    dates = _copy(clean)
    key = sorted(k for k in dates if k[0] == 1)[0]
    dates[key].update(date_debut=date(2023, 12, 1), date_fin=date(2023, 11, 30))
    _write(
        "annexe3-23-2024-dates-hors-periode.xlsx",
        "annexe-3",
        dates,
        ["date-hors-periode", "periode-inversee"],
    )

    missing = _copy(clean)
    key = sorted(k for k in missing if k[0] == 3)[0]
    missing[key].pop("categorie")
    _write("annexe3-23-2024-sans-categorie.xlsx", "annexe-3", missing, ["montant-sans-categorie"])

    source = HERE / "annexe3-23-2024-conforme.xlsx"
    _edit_with_openpyxl(source, HERE / "annexe3-23-2024-lignes-inserees.xlsx", plan, _insert_rows)
    EXPECTED["annexe3-23-2024-lignes-inserees.xlsx"] = ["libelle-deplace", "protection-retiree"]

    _forge_cached_total(source, HERE / "annexe3-23-2024-total-falsifie.xlsx", plan)
    EXPECTED["annexe3-23-2024-total-falsifie.xlsx"] = ["total-incoherent"]


def _insert_rows(book, plan) -> None:
    sheet = book["Volet 1"]
    sheet.protection.sheet = False
    first_line = plan.sheet("Volet 1").lines[0].row
    sheet.insert_rows(first_line + 1, 2)


def _edit_with_openpyxl(source: Path, target: Path, plan, edit) -> None:
    from openpyxl import load_workbook

    book = load_workbook(source)
    edit(book, plan)
    book.save(target)


def _forge_cached_total(source: Path, target: Path, plan) -> None:
    """Change the cached result of the volet 1 total in the XML, as a forger would."""
    sheet_plan = plan.sheet("Volet 1")
    row, col = sheet_plan.anchors["total.montant"]
    address = xl_rowcol_to_cell(row, col)
    index = [s.name for s in plan.sheets].index("Volet 1") + 1
    part = f"xl/worksheets/sheet{index}.xml"
    with zipfile.ZipFile(source) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    xml = entries[part].decode("utf-8")
    pattern = re.compile(rf'(<c r="{address}"[^>]*>(?:<f>[^<]*</f>)?<v>)([^<]*)(</v>)')
    xml, count = pattern.subn(
        lambda m: f"{m.group(1)}{float(m.group(2)) + 5000:g}{m.group(3)}", xml
    )
    assert count == 1, f"cellule {address} introuvable dans {part}"
    entries[part] = xml.encode("utf-8")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


LIBREOFFICE_SAMPLE = "annexe3-23-2024-libreoffice.xlsx"


def libreoffice_sample() -> None:
    """A clean annexe 3 filled by a program, then opened and saved by LibreOffice Calc."""
    if soffice() is None:
        print(
            "LibreOffice absent : l'exemple enregistré par LibreOffice est gardé.", file=sys.stderr
        )
        if (HERE / LIBREOFFICE_SAMPLE).exists():
            EXPECTED[LIBREOFFICE_SAMPLE] = []
        return
    plan = _plan("annexe-3")
    with tempfile.TemporaryDirectory() as scratch:
        empty = Path(scratch) / "vide.xlsx"
        write_workbook(plan, empty)
        filled = Path(scratch) / "annexe3-23-2024-libreoffice.xlsx"
        fill_workbook(plan, empty, filled, sampledata.bilan_lines(plan, seed=7))
        (saved,) = convert([filled], Path(scratch) / "lo")
        shutil.copy(saved, HERE / LIBREOFFICE_SAMPLE)
    EXPECTED[LIBREOFFICE_SAMPLE] = []


TYPED_SAMPLE = "annexe3-23-2024-formules-saisies.xlsx"


def _typed_formulas(plan, lines) -> dict:
    """The clean bilan with amounts typed as the officer computed them, same values: a monthly
    cost from a yearly one, a rounded third, a cell above, a cell of another sheet."""
    typed = _copy(lines)

    def cell(volet: int, index: int, key: str, own: int) -> str:
        sheet = next(s for s in plan.volet_sheets() if s.volet == volet)
        col = column_index(plan.template.column(key))
        address = xl_rowcol_to_cell(sheet.lines[index].row, col)
        return address if volet == own else f"'{sheet.name}'!{address}"

    units = {v: _first_line(lines, v, "cout_unitaire") for v in (1, 2, 3)}
    lumps = [k for k in sorted(lines) if k[0] == 2 and "forfait" in lines[k]][:2]
    cost = lines[units[1]]["cout_unitaire"]
    typed[units[1]]["cout_unitaire"] = f"={cost * 12}/12"
    cost = lines[units[2]]["cout_unitaire"]
    typed[units[2]]["cout_unitaire"] = f"=ROUND({cost * 12}/12,2)"
    typed[lumps[0]]["forfait"] = f"=ROUND({lines[lumps[0]]['forfait'] * 3}/3,2)"
    if lines[lumps[1]]["forfait"] == lines[lumps[0]]["forfait"]:
        typed[lumps[1]]["forfait"] = f"={cell(2, lumps[0][1], 'forfait', 2)}"
    if lines[units[3]]["nombre"] == lines[units[1]]["nombre"]:
        typed[units[3]]["nombre"] = f"={cell(1, units[1][1], 'nombre', 3)}"
    return typed


def typed_formulas_sample() -> None:
    """An officer typed formulas into input cells, the file saved by LibreOffice Calc: every
    formula is computed by budget-tool, and agrees with what LibreOffice saved."""
    if soffice() is None:
        print("LibreOffice absent : l'exemple aux formules saisies est gardé.", file=sys.stderr)
        if (HERE / TYPED_SAMPLE).exists():
            EXPECTED[TYPED_SAMPLE] = []
        return
    plan = _plan("annexe-3")
    typed = _typed_formulas(plan, sampledata.bilan_lines(plan))
    with tempfile.TemporaryDirectory() as scratch:
        empty = Path(scratch) / "vide.xlsx"
        write_workbook(plan, empty)
        filled = Path(scratch) / TYPED_SAMPLE
        fill_workbook(plan, empty, filled, typed)
        (saved,) = convert([filled], Path(scratch) / "lo")
        shutil.copy(saved, HERE / TYPED_SAMPLE)
    EXPECTED[TYPED_SAMPLE] = []


def empty_and_network_samples() -> None:
    """The blank bilan sent back as generated; a lump sum fetched from the network."""
    plan = _plan("annexe-3")
    write_workbook(plan, HERE / "annexe3-23-2024-vide.xlsx")
    EXPECTED["annexe3-23-2024-vide.xlsx"] = ["classeur-vide"]
    sheet = plan.sheet("Volet 1")
    index = _first_line(sampledata.bilan_lines(plan), 1, "forfait")[1]
    col = column_index(plan.template.column("forfait"))
    address = xl_rowcol_to_cell(sheet.lines[index].row, col)
    part = f"xl/worksheets/sheet{[s.name for s in plan.sheets].index(sheet.name) + 1}.xml"
    with zipfile.ZipFile(HERE / "annexe3-23-2024-conforme.xlsx") as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    xml = entries[part].decode("utf-8")
    pattern = re.compile(rf'<c r="{address}"([^>]*?)(?:/>|>.*?</c>)', re.S)
    formula = "_xlfn.WEBSERVICE(&quot;https://exemple.invalid/montant&quot;)"
    amount = sampledata.bilan_lines(plan)[(1, index)]["forfait"]  # the saved result looks right
    xml, count = pattern.subn(
        lambda m: f'<c r="{address}"{m.group(1)}><f>{formula}</f><v>{amount}</v></c>', xml, count=1
    )
    assert count == 1, address
    entries[part] = xml.encode("utf-8")
    target = HERE / "annexe3-23-2024-formule-reseau.xlsx"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    # the workbook's totals count the fetched amount, budget-tool does not: they disagree, which
    # is said once, at the forbidden formula, not as forged totals (taint.py)
    EXPECTED[target.name] = ["formule-saisie-interdite"]


REGION = (  # (code, ceilings of volets 1, 2, 3, annexe 3 received, a mistake)
    # 19: ceilings in force after its amendment (volet 2 raised from 310 000, see FOLLOWUP)
    ("19", (Decimal("120000"), Decimal("340000"), None), True, "underspent"),
    ("23", (Decimal("150000"), Decimal("400000"), Decimal("250000")), True, None),
    ("24", (Decimal("180000"), Decimal("520000"), None), True, "ineligible"),
    ("87", (Decimal("160000"), Decimal("450000"), Decimal("300000")), True, "overspent"),
    ("86", (Decimal("140000"), Decimal("380000"), None), False, None),
)


# The DREETS follow-up file of the region, as its spreadsheet exports it (« ; », decimal comma,
# both date forms): an amendment (19), an advance paid late and lower than 60 % (24), a bilan
# received late (23), a département that sent nothing (33) and one that sent only its plan (86).
# The Chorus codes are made up for the example.
FOLLOWUP = """\
departement;plafond_volet1;plafond_volet2;plafond_volet3;convention;avance_versee;date_avance;avenant;date_avenant;plafond_volet1_avenant;plafond_volet2_avenant;plafond_volet3_avenant;date_reception_annexe2;date_reception_annexe3;cf;df;activite;gm;tiers_chorus
19;120000;310000;;2024-19-001;258000,00;12/02/2024;Avenant n° 1;15/09/2024;;340000;;20/01/2024;28/03/2025;0102-DR75-DR75;0102-02;010202020101;GM-CDIE-2024;1000012319
23;150000;400000;250000;2024-23-001;480 000,00;2024-02-09;;;;;;2024-01-25;2025-05-12;0102-DR75-DR75;0102-02;010202020101;GM-CDIE-2024;1000012323
24;180000;520000;;2024-24-001;350000,00;14/06/2024;;;;;;22/01/2024;25/03/2025;0102-DR75-DR75;0102-02;010202020101;GM-CDIE-2024;1000012324
33;200000;610000;;2024-33-001;486000,00;09/02/2024;;;;;;;;0102-DR75-DR75;0102-02;010202020101;GM-CDIE-2024;1000012333
86;140000;380000;;2024-86-001;312000,00;09/02/2024;;;;;;30/01/2024;;0102-DR75-DR75;0102-02;010202020101;GM-CDIE-2024;1000012386
87;160000;450000;300000;2024-87-001;546000,00;09/02/2024;;;;;;19/01/2024;20/03/2025;0102-DR75-DR75;0102-02;010202020101;GM-CDIE-2024;1000012387
"""
FOLLOWUP_NAME = "suivi-nouvelle-aquitaine-2024.csv"


def region_samples() -> None:
    """What a DREETS receives from the départements of Nouvelle-Aquitaine (an excerpt)."""
    from budget_tool.departements import lookup
    from budget_tool.followup import by_code, read_followup

    folder = HERE / "region"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / FOLLOWUP_NAME).write_text(FOLLOWUP, encoding="utf-8")
    followup = by_code(read_followup(folder / FOLLOWUP_NAME, 2024))
    for code, ceilings, with_bilan, mistake in REGION:
        dep = lookup(code)
        params = Parameters(
            dep.code,
            dep.nom,
            dep.region,
            2024,
            f"2024-{code}-001",
            {i + 1: c for i, c in enumerate(ceilings) if c is not None},
        )
        plan2 = build_plan(load_template("annexe-2"), params)
        write_workbook(
            plan2,
            folder / f"annexe2-plan-de-financement-{code}-2024.xlsx",
            sampledata.plan_lines(plan2, seed=int(code)),
        )
        if not with_bilan:
            continue
        # the bilan is sent after the advance was paid: it shows the advance paid (art. 6)
        paid = followup[code]
        params = replace(params, advance=paid.advance_paid, advance_date=paid.advance_date)
        plan3 = build_plan(load_template("annexe-3"), params)
        use = {"overspent": Decimal("1.1"), "underspent": Decimal("0.45")}.get(
            mistake or "", Decimal("0.85")
        )
        lines = {
            k: dict(v) for k, v in sampledata.bilan_lines(plan3, seed=int(code), use=use).items()
        }
        if mistake == "ineligible":
            key = sorted(k for k in lines if k[0] == 2)[0]
            lines[key].update(
                nature="Location de salles pour les ateliers",
                categorie="Frais généraux : locations de salles",
            )
        write_workbook(plan3, folder / f"annexe3-bilan-financier-{code}-2024.xlsx", lines)


def main() -> None:
    for old in HERE.glob("*.xlsx"):
        if old.name not in (LIBREOFFICE_SAMPLE, TYPED_SAMPLE) or soffice() is not None:
            old.unlink()
    annexe2_samples()
    annexe3_samples()
    libreoffice_sample()
    typed_formulas_sample()
    empty_and_network_samples()
    region_samples()
    (HERE / "expected.json").write_text(
        json.dumps(EXPECTED, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    for name in sorted(EXPECTED):
        print(f"{name:<50} {', '.join(EXPECTED[name]) or 'conforme'}")


if __name__ == "__main__":
    main()
