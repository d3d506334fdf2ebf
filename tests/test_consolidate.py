"""budget-tool consolidate: several départements, clean and faulty, duplicates, unreadable files,
text that looks like a formula; figures, pairing, flags and payments in the workbook and frames."""

from __future__ import annotations

import hashlib
import json
import os
import time
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from budget_tool import sampledata
from budget_tool.cli import main
from budget_tool.consolidation import consolidate
from budget_tool.departements import lookup
from budget_tool.generate import write_workbook
from budget_tool.layout import build_plan
from budget_tool.libreoffice import convert
from budget_tool.plan import Parameters
from budget_tool.templates import load_template

D = Decimal
INJECTION = '=HYPERLINK("http://example.invalid","cliquez")'


def _params(code: str, ceilings: dict[int, Decimal], year: int = 2024) -> Parameters:
    dep = lookup(code)
    return Parameters(dep.code, dep.nom, dep.region, year, f"{year}-{code}", ceilings)


def _write(folder: Path, annexe: str, params: Parameters, lines) -> Path:
    plan = build_plan(load_template(annexe), params)
    stem = "annexe2-plan-de-financement" if annexe == "annexe-2" else "annexe3-bilan-financier"
    target = folder / f"{stem}-{params.code}-{params.year}.xlsx"
    write_workbook(plan, target, lines(plan) if callable(lines) else lines)
    return target


def _bilan_with(plan, **changes):
    lines = {k: dict(v) for k, v in sampledata.bilan_lines(plan).items()}
    first = sorted(k for k in lines if k[0] == 1)[0]
    lines[first].update(changes)
    return lines


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    """Three départements: 19 clean, 87 with an ineligible line and a formula-like text, 86
    with only its annexe 2; plus the files a real folder holds besides."""
    folder = tmp_path_factory.mktemp("region")
    p19 = _params("19", {1: D("100000"), 2: D("200000")})
    p87 = _params("87", {1: D("100000"), 2: D("200000"), 3: D("50000")})
    p86 = _params("86", {1: D("80000"), 2: D("100000")})
    _write(folder, "annexe-2", p19, sampledata.plan_lines)
    _write(folder, "annexe-3", p19, sampledata.bilan_lines)
    _write(folder, "annexe-2", p87, sampledata.plan_lines)
    _write(
        folder,
        "annexe-3",
        p87,
        lambda plan: _bilan_with(
            plan, nature=INJECTION, categorie="Frais de mission : hébergement"
        ),
    )
    _write(folder, "annexe-2", p86, sampledata.plan_lines)
    (folder / "~$annexe3-bilan-financier-19-2024.xlsx").write_bytes(b"lock")
    (folder / ".cache.xlsx").write_bytes(b"hidden")
    (folder / "notes.txt").write_text("à relire", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def result(region):
    return consolidate([region])


def _row(frame, code: str, volet: int):
    rows = frame[(frame["departement"] == code) & (frame["volet"] == volet)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_pairs_annexes_per_departement_and_volet(result):
    frame = result.synthese
    # one total per set: the paired départements, then 86 which sent only its plan
    assert list(frame["departement"]) == ["19", "19", "86", "86", "87", "87", "87", "", ""]
    assert list(frame["volet"].iloc[:-2]) == [1, 2, 1, 2, 1, 2, 3]
    assert "annexe 3 non reçue" in _row(frame, "86", 1)["statut"]
    assert _row(frame, "86", 1)["depenses_declarees"] is None


def test_payments_follow_articles_6_and_8(result, region):
    row = _row(result.synthese, "19", 2)
    assert row["plafond"] == D("200000")
    assert row["avance_versee"] == D("120000.00")  # 60 % of the ceiling (art. 6)
    expected = min(
        row["plafond"], (row["eligibles"] * D("0.5")).quantize(D("0.01"))
    )  # art. 3.3 and 8
    assert row["contribution_due"] == expected
    balance = row["contribution_due"] - row["avance_versee"]
    assert row["solde_a_verser"] == max(balance, D(0)) and row["trop_percu"] == max(-balance, D(0))
    planned = row["besoins_prevus"]
    assert row["ecart_prevu_realise"] == row["depenses_declarees"] - planned


def test_ineligible_expenses_lower_the_contribution_and_are_listed(result):
    row = _row(result.synthese, "87", 1)
    assert row["ineligibles"] > 0
    assert row["eligibles"] == row["depenses_declarees"] - row["ineligibles"]
    assert row["erreurs"] >= 1 and row["statut"].startswith("erreurs")
    other = _row(result.synthese, "87", 2)  # the mistake is on volet 1's sheet only
    assert other["erreurs"] == 0 and other["statut"] == "conforme"
    anomalies = result.anomalies
    hit = anomalies[
        (anomalies["code"] == "depense-ineligible") & (anomalies["departement"] == "87")
    ]
    assert list(hit["feuille"]) == ["Volet 1"] and hit.iloc[0]["cellule"]


def test_total_rows_are_the_sums_of_their_set_of_departements(result):
    frame = result.synthese
    totals = frame[frame["nom"] == "Total région"]
    sets = {"départements appariés": ["19", "87"], "plan seul": ["86"]}
    assert [t.split(" (")[0] for t in totals["statut"]] == list(sets)
    for (_, total), codes in zip(totals.iterrows(), sets.values(), strict=True):
        members = frame[frame["departement"].isin(codes)]
        for key in (
            "plafond",
            "part_etat_prevue",
            "contribution_due",
            "avance_versee",
            "solde_a_verser",
            "trop_percu",
        ):
            values = [v for v in members[key] if isinstance(v, Decimal)]
            expected = sum(values, D(0)) if values else None
            assert total[key] == expected, (key, total["statut"])


def test_lock_hidden_and_other_files_are_skipped_with_a_note(result):
    files = result.fichiers.set_index("fichier")
    assert files.loc["~$annexe3-bilan-financier-19-2024.xlsx", "statut"] == "ignoré"
    assert "verrouillage" in files.loc["~$annexe3-bilan-financier-19-2024.xlsx", "raison"]
    assert files.loc[".cache.xlsx", "raison"] == "fichier caché"
    assert files.loc["notes.txt", "statut"] == "ignoré"
    kept = files[files["statut"] == "retenu"]
    assert len(kept) == 5 and all(len(s) == 64 for s in kept["sha256"])


def test_formula_like_text_stays_text_in_every_output(result, region, tmp_path):
    lines = result.lignes
    assert INJECTION in set(lines["nature"])
    out = tmp_path / "synthese.xlsx"
    cli = CliRunner().invoke(
        main,
        [
            "consolidate",
            str(region),
            "-o",
            str(out),
            "--csv",
            str(tmp_path / "csv"),
            "--json",
            str(tmp_path / "c.json"),
            "-q",
        ],
    )
    assert cli.exit_code == 0, cli.output
    sheet = load_workbook(out)["Lignes"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value == INJECTION]
    assert cells and all(c.data_type == "s" for c in cells)  # a string, not a formula
    assert not any(c.hyperlink for row in sheet.iter_rows() for c in row)
    csv_text = (tmp_path / "csv" / "lignes.csv").read_text(encoding="utf-8")
    assert "'" + INJECTION.replace('"', '""') in csv_text  # neutralised for spreadsheets
    payload = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert INJECTION in {line["nature"] for line in payload["lignes"]}


def test_duplicate_departement_keeps_the_most_recent_and_says_so(region, tmp_path):
    folder = tmp_path / "dup"
    folder.mkdir()
    for path in region.glob("annexe*-19-*.xlsx"):
        (folder / path.name).write_bytes(path.read_bytes())
    older = folder / "annexe3-bilan-financier-19-2024 (copie).xlsx"
    older.write_bytes((folder / "annexe3-bilan-financier-19-2024.xlsx").read_bytes())
    past = time.time() - 3600
    os.utime(older, (past, past))
    result = consolidate([folder])
    files = result.fichiers.set_index("fichier")
    assert files.loc[older.name, "statut"] == "écarté"
    assert "annexe3-bilan-financier-19-2024.xlsx" in files.loc[older.name, "raison"]
    flagged = result.anomalies[result.anomalies["code"] == "doublon-departement"]
    assert len(flagged) == 1 and older.name in flagged.iloc[0]["message"]


def test_unreadable_file_stops_the_run_and_nothing_is_written(region, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    for path in region.glob("annexe*-19-*.xlsx"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "annexe3-bilan-financier-23-2024.xlsx").write_bytes(b"PK\x03\x04 truncated")
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    out = tmp_path / "out" / "synthese.xlsx"
    out.parent.mkdir()  # outputs go into an existing folder (output.py)
    refused = CliRunner().invoke(main, ["consolidate", str(folder), "-o", str(out)])
    assert refused.exit_code == 3
    assert (
        "annexe3-bilan-financier-23-2024.xlsx" in refused.output
        and "Rien n'a été écrit" in refused.output
    )
    assert list(out.parent.iterdir()) == []  # not even a temporary file
    kept = CliRunner().invoke(
        main, ["consolidate", str(folder), "-o", str(out), "--keep-going", "-q"]
    )
    assert kept.exit_code == 3 and out.exists()
    files = {
        r[0]: r[7] for r in load_workbook(out)["Fichiers"].iter_rows(min_row=2, values_only=True)
    }
    assert files["annexe3-bilan-financier-23-2024.xlsx"] == "refusé"
    assert digests == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.iterdir()
        if p.name in digests
    }


def test_files_of_different_years_are_refused_together(tmp_path):
    _write(tmp_path, "annexe-2", _params("19", {1: D("1000"), 2: D("1000")}, 2024), {})
    _write(tmp_path, "annexe-2", _params("23", {1: D("1000"), 2: D("1000")}, 2025), {})
    result = CliRunner().invoke(
        main, ["consolidate", str(tmp_path), "-o", str(tmp_path / "s.xlsx")]
    )
    assert result.exit_code == 2
    assert (
        "plusieurs années" in result.output and "2024" in result.output and "2025" in result.output
    )
    assert not (tmp_path / "s.xlsx").exists()


def test_ceilings_that_differ_between_annexes_are_flagged(tmp_path):
    _write(tmp_path, "annexe-2", _params("19", {1: D("1000"), 2: D("1000")}), {})
    _write(tmp_path, "annexe-3", _params("19", {1: D("1500"), 2: D("1000")}), {})
    result = consolidate([tmp_path])
    flagged = result.anomalies[result.anomalies["code"] == "plafonds-differents"]
    assert len(flagged) == 1 and "volet 1" in flagged.iloc[0]["message"]


def test_output_equal_to_an_input_is_refused(region, tmp_path):
    target = next(region.glob("annexe2-*-19-*.xlsx"))
    before = target.read_bytes()
    result = CliRunner().invoke(main, ["consolidate", str(region), "-o", str(target)])
    assert result.exit_code == 2 and "ne peut pas être" in result.output
    assert target.read_bytes() == before


def test_our_own_summary_in_the_folder_is_skipped(region, tmp_path):
    folder = tmp_path / "again"
    folder.mkdir()
    for path in region.glob("annexe*-19-*.xlsx"):
        (folder / path.name).write_bytes(path.read_bytes())
    first = CliRunner().invoke(
        main, ["consolidate", str(folder), "-o", str(folder / "synthese.xlsx"), "-q"]
    )
    assert first.exit_code == 0
    result = consolidate([folder])
    files = result.fichiers.set_index("fichier")
    assert files.loc["synthese.xlsx", "statut"] == "ignoré"
    assert "consolidation" in files.loc["synthese.xlsx", "raison"]


def test_summary_workbook_has_native_chart_filters_and_euro_formats(result, tmp_path):
    from budget_tool.summary import write_summary

    out = write_summary(result, tmp_path / "s.xlsx")
    book = load_workbook(out)
    assert book.sheetnames[:4] == ["Synthèse", "Anomalies", "Lignes", "Fichiers"]
    synthese = book["Synthèse"]
    assert synthese.freeze_panes == "A5" and synthese.auto_filter.ref.startswith("A4:")
    assert "€" in synthese.cell(row=5, column=5).number_format
    assert book["Graphique"]._charts


def test_summary_synthesis_says_what_it_is_and_reads_on_paper(result, tmp_path):
    import datetime as dt

    from budget_tool.summary import write_summary

    book = load_workbook(write_summary(result, tmp_path / "s.xlsx"))
    sheet = book["Synthèse"]
    assert sheet["A1"].value == "Consolidation des annexes 2 et 3 - 2024"
    assert "Région : Nouvelle-Aquitaine" in sheet["A2"].value
    assert "Année : 2024" in sheet["A2"].value
    assert f"{dt.date.today():%d/%m/%Y}" in sheet["A2"].value
    headers = [c.value for c in sheet[4]]
    statut = headers.index("Statut") + 1
    incomplete = next(
        r for r in range(5, sheet.max_row + 1) if "non reçue" in str(sheet.cell(r, statut).value)
    )
    assert sheet.cell(incomplete, statut).alignment.wrap_text  # the text stays in the table
    width = sheet.column_dimensions[sheet.cell(4, statut).column_letter].width
    if len(sheet.cell(incomplete, statut).value) > width:  # more than one line: a higher row
        assert sheet.row_dimensions[incomplete].height >= 24
    chart = {row[0]: row[1:] for row in book["Graphique"].iter_rows(min_row=2, values_only=True)}
    assert chart["86 - Vienne"][2] is None  # no annexe 3 from the Vienne: a gap, not 0 €
    assert chart["87 - Haute-Vienne"][2] > 0


@pytest.mark.libreoffice
def test_summary_opens_in_libreoffice_and_its_totals_equal_the_inputs(
    libreoffice, result, tmp_path
):
    from budget_tool.summary import write_summary

    out = write_summary(result, tmp_path / "s.xlsx")
    (converted,) = convert([out], tmp_path / "lo")  # loaded and saved again by LibreOffice
    book = load_workbook(converted, data_only=True)
    assert book.sheetnames[:4] == ["Synthèse", "Anomalies", "Lignes", "Fichiers"]
    sheet = book["Synthèse"]
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    headers = [c.value for c in sheet[4]]
    col = headers.index("Contribution État due (art. 8)")
    name = headers.index("Département")
    departements = [r[col] for r in rows if r[col] is not None and r[name] != "Total région"]
    assert len(departements) == 5  # 86 has sent no annexe 3
    paired_total = rows[-2]  # then the total of 86, plan only
    assert abs(sum(departements) - paired_total[col]) < 0.005
    inputs = [
        v.figures["contribution"]
        for f in result.files
        if f.report and f.report.annexe == "annexe-3"
        for v in f.report.volets
    ]
    assert abs(D(str(paired_total[col])) - sum(inputs, D(0))) < D("0.005")


def test_our_csv_and_json_outputs_in_the_folder_do_not_block_the_next_run(region, tmp_path):
    folder = tmp_path / "retours"
    folder.mkdir()
    for path in region.glob("annexe*-19-*.xlsx"):
        (folder / path.name).write_bytes(path.read_bytes())
    args = [
        "consolidate",
        str(folder),
        "-o",
        str(folder / "synthese.xlsx"),
        "--csv",
        str(folder / "tables"),
        "--json",
        str(folder / "s.json"),
        "-q",
    ]
    assert CliRunner().invoke(main, args).exit_code == 0
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    files = consolidate([folder]).fichiers.set_index("fichier")
    assert (
        files.loc["synthese.csv", "statut"] == "ignoré"
        and files.loc["s.json", "statut"] == "ignoré"
    )


def test_allocations_check_ceilings_and_name_the_departements_that_sent_nothing(region, tmp_path):
    allocations = tmp_path / "allocations.csv"
    allocations.write_text(
        "departement;plafond_volet1;plafond_volet2;plafond_volet3\n"
        "19;100000;200000;\n87;100000;250000;50000\n86;80000;100000;\n16;90000;150000;\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        [
            "consolidate",
            str(region),
            "-o",
            str(tmp_path / "s.xlsx"),
            "--csv",
            str(tmp_path / "t"),
            "--allocations",
            str(allocations),
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    anomalies = (tmp_path / "t" / "anomalies.csv").read_text(encoding="utf-8")
    assert (
        "plafond-modifie" in anomalies
        and "volet 2 dans le classeur : 200\u202f000,00\u00a0€" in anomalies
    )
    assert "Aucune annexe 2 reçue pour le département 16" in anomalies


def test_a_folder_without_any_workbook_is_said_plainly(tmp_path):
    (tmp_path / "notes.txt").write_text("rien", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["consolidate", str(tmp_path), "-o", str(tmp_path / "s.xlsx")]
    )
    assert result.exit_code == 2 and "aucun classeur à consolider" in result.output
    assert not (tmp_path / "s.xlsx").exists()


def test_lines_sheet_shows_dates_as_dates_and_etp_as_numbers(result, tmp_path):
    from budget_tool.summary import column_headers, write_summary

    sheet = load_workbook(write_summary(result, tmp_path / "s.xlsx"))["Lignes"]
    headers = [c.value for c in sheet[1]]
    dates = [
        row[headers.index(column_headers()["date_debut"])] for row in sheet.iter_rows(min_row=2)
    ]
    typed = [c for c in dates if c.value is not None]
    assert typed and all(c.is_date and c.number_format == "dd/mm/yyyy" for c in typed)
    etp = [
        row[headers.index(column_headers()["existant_etp"])] for row in sheet.iter_rows(min_row=2)
    ]
    assert all("€" not in c.number_format for c in etp if c.value is not None)


def test_years_and_counts_are_written_as_integers_in_the_csv(tmp_path):
    """« 2024 », « 0 », not « 2024,00 » (a column with a gap is a float for pandas)."""
    import csv

    region = Path(__file__).resolve().parent.parent / "samples" / "region"
    run = CliRunner().invoke(
        main, ["consolidate", str(region), "-o", str(tmp_path / "x.xlsx"), "--csv", str(tmp_path)]
    )
    assert run.exit_code == 0, run.output
    with (tmp_path / "fichiers.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter=";") if r["annee"]]
    assert rows and all(row["annee"] == "2024" for row in rows)
    assert all(row["erreurs"].isdigit() and row["avertissements"].isdigit() for row in rows)
