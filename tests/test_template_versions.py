"""Template years side by side: a next year's version is a new folder of workbook_templates/, and
generate, check and consolidate handle both years without a code change.

The next year's version is fabricated in a temporary templates folder: a copy of the current one
with a renamed annexe 2 line, a new expense category and a volet 3 State rate of 80 %.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from budget_tool.checker import check
from budget_tool.cli import main
from budget_tool.consolidation import consolidate
from budget_tool.departements import lookup
from budget_tool.errors import TemplateError, UsageError
from budget_tool.generate import generate_many, output_name, write_workbook
from budget_tool.layout import build_plan, column_index
from budget_tool.plan import Parameters
from budget_tool.refs import CellRef
from budget_tool.templates import load_template, load_template_for_year, templates_dir
from budget_tool.versions import available_versions, default_year, version_for_year

D = Decimal
CURRENT = "2024.2"
REVISION = "2024.3"  # a revision of CURRENT within its year
NEXT = "2025.1"
NEW_CATEGORY = "Accompagnement numérique des allocataires"
NEW_RATE = D("0.8")
CEILINGS = {1: D("150000"), 2: D("400000"), 3: D("250000")}


def _renamed(label: str) -> str:
    return f"{label} (intitulé 2025)"


def _fabricate(folder: Path, source: str, version: str) -> None:
    """A copy of ``source`` as ``version``: a renamed line, a new category, a new volet 3 rate."""
    target = folder / version
    shutil.copytree(folder / source, target)
    first_line = load_template("annexe-2", source, folder).volets[0].sections[0].groups[0].lines[0]
    for annexe in ("annexe-2", "annexe-3"):
        path = target / f"{annexe}.toml"
        text = _replace(path.read_text(), f'version = "{source}"', f'version = "{version}"')
        text = re.sub(r'(number = 3\s*\nstate_rate = )"[^"]*"', rf'\1"{NEW_RATE}"', text)
        assert f'state_rate = "{NEW_RATE}"' in text, path
        if annexe == "annexe-2":
            text = _replace(text, f'"{first_line}"', f'"{_renamed(first_line)}"')
        path.write_text(text)
    categories = target / "categories.toml"
    text = _replace(
        categories.read_text(),
        "categories = [\n",
        f'categories = [\n  {{ label = "{NEW_CATEGORY}", eligible = true }},\n',
    )
    categories.write_text(text)


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"« {old} » absent du modèle copié"
    return text.replace(old, new, 1)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A templates folder holding today's version and a fabricated next year's."""
    root = tmp_path_factory.mktemp("templates")
    shutil.copytree(templates_dir() / CURRENT, root / CURRENT)
    _fabricate(root, CURRENT, NEXT)
    return root


def _params(year: int, code: str = "23") -> Parameters:
    dep = lookup(code)
    return Parameters(dep.code, dep.nom, dep.region, year, f"{year}-{code}", CEILINGS)


def _bilan_lines(year: int, category: str) -> dict:
    """Volet 3: one eligible expense of 10 000 €, typed as a lump sum."""
    line = {
        "nature": "Rémunération CIP",
        "objet": "Postes d'accompagnement",
        "date_debut": date(year, 1, 1),
        "date_fin": date(year, 12, 31),
        "forfait": D("10000"),
        "categorie": category,
    }
    return {(3, 0): line}


def _plan_lines(year: int) -> dict:
    """Volet 1, first line: 20 000 € asked."""
    line = {
        "precisions": "Chef de projet insertion",
        "cible_etp": D("1"),
        "cible_eur": D("20000"),
        "montant_delta": D("20000"),
        "categorie": "Rémunération de personnel (ETP)",
    }
    return {(1, 0): line}


def _write(out: Path, folder: Path, annexe: str, year: int, lines: dict, code: str = "23") -> Path:
    """A filled workbook of ``year``, written by the generator with the version serving it."""
    params = _params(year, code)
    template = load_template_for_year(annexe, year, folder)
    target = out / output_name(template, params)
    write_workbook(build_plan(template, params), target, lines)
    return target


def _texts(path: Path, sheet: str = "Volet 1") -> set[str]:
    book = load_workbook(path, read_only=True)
    return {v for row in book[sheet].iter_rows(values_only=True) for v in row if isinstance(v, str)}


def _volet(report, number: int):
    return next(v for v in report.volets if v.volet == number)


# ------------------------------------------------------------------ choosing a version


def test_versions_sort_by_year_then_revision(tmp_path):
    for name in ("2024.1", "2024.10", "2024.2", "2025.1"):
        (tmp_path / name).mkdir()
    (tmp_path / ".cache").mkdir()  # hidden folders are not versions
    assert available_versions(tmp_path) == ["2024.1", "2024.2", "2024.10", "2025.1"]
    assert version_for_year(tmp_path, 2024) == "2024.10"  # the year's latest revision
    assert version_for_year(tmp_path, 2025) == "2025.1"
    assert version_for_year(tmp_path, 2026) == "2025.1"  # until a 2026 template exists
    assert version_for_year(tmp_path, 2025, "2024.2") == "2024.2"  # an older one, if asked
    assert default_year(tmp_path) == 2025 and default_year(tmp_path, "2024.2") == 2024


def test_a_version_cannot_serve_an_earlier_year_nor_be_unknown(tmp_path):
    for name in ("2024.1", "2025.1"):
        (tmp_path / name).mkdir()
    with pytest.raises(UsageError, match=r"2025\.1 sert à partir de 2025 : pas pour 2024"):
        version_for_year(tmp_path, 2024, "2025.1")
    with pytest.raises(UsageError, match=r"« 2026\.1 » inconnu .*2024\.1, 2025\.1"):
        version_for_year(tmp_path, 2026, "2026.1")
    with pytest.raises(UsageError, match="aucun modèle pour 2023"):
        version_for_year(tmp_path, 2023)


def test_a_badly_named_version_folder_is_said(tmp_path):
    (tmp_path / "2024.1").mkdir()
    (tmp_path / "2025").mkdir()
    with pytest.raises(TemplateError, match=r"mal nommé.*2025 .*ANNÉE\.N"):
        available_versions(tmp_path)


def test_a_version_must_match_its_folder(tmp_path):
    shutil.copytree(templates_dir() / CURRENT, tmp_path / "2025.1")
    with pytest.raises(TemplateError, match=rf"2025\.1/annexe-2\.toml.*« {re.escape(CURRENT)} »"):
        load_template("annexe-2", "2025.1", tmp_path)


# ------------------------------------------------------------------ generate


def test_generate_writes_each_year_with_its_own_version(folder, tmp_path):
    written = generate_many([_params(2024), _params(2025)], tmp_path, templates=folder)
    assert sorted(p.name for p in written) == [
        "annexe2-plan-de-financement-23-2024.xlsx",
        "annexe2-plan-de-financement-23-2025.xlsx",
        "annexe3-bilan-financier-23-2024.xlsx",
        "annexe3-bilan-financier-23-2025.xlsx",
    ]
    for path in written:
        report = check(path, templates=folder)
        assert report.refused is None, report.refused
        assert report.template_version == (NEXT if "2025" in path.name else CURRENT)
    first = load_template("annexe-2", CURRENT, folder).volets[0].sections[0].groups[0].lines[0]
    labels = {
        year: _texts(tmp_path / f"annexe2-plan-de-financement-23-{year}.xlsx")
        for year in (2024, 2025)
    }
    assert first in labels[2024] and _renamed(first) not in labels[2024]
    assert _renamed(first) in labels[2025] and first not in labels[2025]


def test_generate_refuses_a_version_of_a_later_year(folder, tmp_path):
    with pytest.raises(UsageError, match=r"2025\.1 sert à partir de 2025"):
        generate_many([_params(2024)], tmp_path, version=NEXT, templates=folder)
    assert not list(tmp_path.iterdir())


def test_cli_generate_takes_the_version_and_its_year(folder, tmp_path):
    runner = CliRunner(env={"BUDGET_TOOL_TEMPLATES": str(folder)})
    ceilings = ["--plafond-volet1", "150000", "--plafond-volet2", "400000"]
    result = runner.invoke(main, ["generate", "-d", "19", *ceilings, "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output  # no --year: the newest version's year
    assert (tmp_path / "annexe3-bilan-financier-19-2025.xlsx").exists()
    result = runner.invoke(
        main, ["generate", "-d", "19", "--modele", CURRENT, *ceilings, "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output  # --modele 2024.1: a 2024 workbook
    assert (tmp_path / "annexe3-bilan-financier-19-2024.xlsx").exists()
    result = runner.invoke(main, ["check", str(tmp_path / "annexe3-bilan-financier-19-2025.xlsx")])
    assert "annexe-3 v2025.1" in result.output
    result = runner.invoke(
        main,
        [
            "generate",
            "-d",
            "87",
            "--year",
            "2024",
            "--modele",
            NEXT,
            *ceilings,
            "-o",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2 and "2025.1 sert à partir de 2025" in result.output
    assert not list(tmp_path.glob("*-87-*"))


# ------------------------------------------------------------------ check


def test_check_recomputes_each_year_with_its_own_rate(folder, tmp_path):
    reports = {
        year: check(
            _write(tmp_path, folder, "annexe-3", year, _bilan_lines(year, category)),
            templates=folder,
        )
        for year, category in ((2024, "Rémunération de personnel (ETP)"), (2025, NEW_CATEGORY))
    }
    assert reports[2024].template_version == CURRENT and reports[2025].template_version == NEXT
    for report in reports.values():
        assert report.valid, report.flatten()
    assert _volet(reports[2024], 3).figures["taux_etat"] == D("1")
    assert _volet(reports[2024], 3).figures["contribution"] == D("10000.00")
    assert _volet(reports[2025], 3).figures["taux_etat"] == NEW_RATE
    assert _volet(reports[2025], 3).figures["contribution"] == D("8000.00")


def test_the_new_category_belongs_to_the_new_year_only(folder, tmp_path):
    in_2025, in_2024 = (
        check(
            _write(tmp_path, folder, "annexe-3", y, _bilan_lines(y, NEW_CATEGORY)), templates=folder
        )
        for y in (2025, 2024)
    )
    assert in_2025.valid, in_2025.flatten()
    assert [where for code, where in in_2024.flatten() if code == "categorie-inconnue"] == [
        _category_cell(folder, 2024)
    ]
    assert _volet(in_2024, 3).figures["eligibles"] == D("0")  # not in 2024's list: ineligible


def _category_cell(folder: Path, year: int) -> str:
    """Where the first volet 3 line's category stands, as a finding writes it."""
    template = load_template("annexe-3", version_for_year(folder, year), folder)
    plan = build_plan(template, _params(year))
    sheet = next(s for s in plan.volet_sheets() if s.volet == 3)
    col = column_index(template.column("categorie"))
    return str(CellRef(sheet.name, sheet.lines[0].row, col))


def test_the_renamed_line_is_read_under_its_new_name(folder, tmp_path):
    first = load_template("annexe-2", CURRENT, folder).volets[0].sections[0].groups[0].lines[0]
    report = check(_write(tmp_path, folder, "annexe-2", 2025, _plan_lines(2025)), templates=folder)
    assert report.valid, report.flatten()
    assert [line["libelle"] for line in report.lines] == [_renamed(first)]


def test_a_workbook_of_an_unknown_version_is_refused_with_its_name(folder, tmp_path):
    path = _write(tmp_path, folder, "annexe-3", 2025, _bilan_lines(2025, NEW_CATEGORY))
    report = check(path)  # the package's own templates have no 2025.1
    assert report.refused is not None
    assert "budget-tool annexe-3 v2025.1" in report.refused
    assert [code for code, _where in report.flatten()] == ["version-inconnue"]
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 3
    assert path.name in result.output and "v2025.1" in result.output


# ------------------------------------------------------------------ consolidate


@pytest.fixture(scope="module")
def returns(folder, tmp_path_factory) -> Path:
    """What a DREETS receives from January to March: the 2024 bilans and the 2025 plans, plus a
    2024 plan, for two départements."""
    out = tmp_path_factory.mktemp("retours")
    for code in ("23", "87"):
        _write(out, folder, "annexe-2", 2024, _plan_lines(2024), code)
        _write(
            out, folder, "annexe-3", 2024, _bilan_lines(2024, "Solution de remobilisation"), code
        )
        _write(out, folder, "annexe-2", 2025, _plan_lines(2025), code)
    return out


def test_files_of_two_years_are_refused_together_with_how_to_split(folder, returns):
    with pytest.raises(UsageError) as caught:
        consolidate([returns], templates=folder)
    message = str(caught.value)
    assert "plusieurs années" in message
    assert "2024 : annexe 2 × 2" in message and "annexe 3 × 2" in message
    assert "2025 : annexe 2 × 2" in message
    assert "--year 2024 ou --year 2025" in message


def test_each_year_is_consolidated_on_its_own(folder, returns):
    for year, version in ((2024, CURRENT), (2025, NEXT)):
        result = consolidate([returns], year=year, templates=folder)
        kept = [f for f in result.files if f.status == "retenu"]
        aside = [f for f in result.files if f.status == "écarté"]
        assert result.year == year and not result.refused
        assert {f.report.year for f in kept} == {year}
        assert {f.report.template_version for f in kept} == {version}
        assert len(kept) == (4 if year == 2024 else 2) and len(aside) == 6 - len(kept)
        other = 2025 if year == 2024 else 2024
        assert all(
            f.reason == f"année {other} : cette consolidation porte sur {year}" for f in aside
        )
        rows = result.synthese[result.synthese["departement"].isin(["23", "87"])]
        assert sorted(set(rows["departement"])) == ["23", "87"]
    with pytest.raises(UsageError, match=r"aucun classeur de 2026 .*2024, 2025"):
        consolidate([returns], year=2026, templates=folder)


def test_the_cli_consolidates_the_year_asked(folder, returns, tmp_path):
    runner = CliRunner(env={"BUDGET_TOOL_TEMPLATES": str(folder)})
    out = tmp_path / "plans-2025.xlsx"
    result = runner.invoke(main, ["consolidate", str(returns), "-y", "2025", "-o", str(out)])
    assert result.exit_code == 0, result.output
    files = {r[0]: r for r in load_workbook(out)["Fichiers"].iter_rows(min_row=2, values_only=True)}
    assert "annexe-2 v2025.1" in files["annexe2-plan-de-financement-23-2025.xlsx"]
    assert "écarté" in files["annexe3-bilan-financier-23-2024.xlsx"]


def test_two_versions_of_one_year_are_consolidated_together(folder, tmp_path_factory):
    """A revised template mid-year (REVISION, here with the 80 % rate): files on either version are
    each checked with their own, and consolidated together."""
    root = tmp_path_factory.mktemp("revised")
    shutil.copytree(folder / CURRENT, root / CURRENT)
    _fabricate(root, CURRENT, REVISION)
    out = tmp_path_factory.mktemp("retours-2024")
    lines = _bilan_lines(2024, "Solution de remobilisation")
    old = load_template("annexe-3", CURRENT, root)
    write_workbook(build_plan(old, _params(2024, "23")), out / "bilan-23.xlsx", lines)
    _write(out, root, "annexe-3", 2024, lines, "87")  # the year's newest: REVISION
    result = consolidate([out], templates=root)
    versions = {f.report.departement: f.report.template_version for f in result.files}
    assert versions == {"23": CURRENT, "87": REVISION}
    contributions = {
        f.report.departement: _volet(f.report, 3).figures["contribution"] for f in result.files
    }
    assert contributions == {"23": D("10000.00"), "87": D("8000.00")}
    assert {"23", "87"} <= set(result.synthese["departement"])


def test_a_workbook_of_a_withdrawn_revision_says_which_version_replaces_it(tmp_path):
    """Once a revision replaces a version (2024.1 -> 2024.2), a workbook still naming the old one
    is refused, saying what to ask for instead of only listing the known models."""
    old = tmp_path / "old"
    shutil.copytree(templates_dir() / CURRENT, old / CURRENT)
    out = tmp_path / "out"
    out.mkdir()
    workbook = _write(out, old, "annexe-3", 2024, _bilan_lines(2024, "Solution de remobilisation"))
    new = tmp_path / "new"
    shutil.copytree(templates_dir() / CURRENT, new / CURRENT)
    _fabricate(new, CURRENT, REVISION)
    shutil.rmtree(new / CURRENT)  # the old revision withdrawn
    report = check(workbook, templates=new)
    assert report.refused is not None and report.flatten() == [("version-inconnue", "")]
    assert f"remplacée par la version {REVISION}" in report.refused
    assert f"demandez un classeur du modèle {REVISION}" in report.refused
