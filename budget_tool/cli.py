"""The ``budget-tool`` command: a thin skin over the library.

Each command parses its options, calls one library function, renders the result and chooses the
exit code. Heavy libraries (openpyxl, xlsxwriter, pandas) are imported inside the commands, so
``budget-tool --help`` starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from budget_tool import __version__, clickfr, terminal
from budget_tool.cli_support import CONTEXT, FrenchGroup, OutputFile, input_files
from budget_tool.names import shown

clickfr.install()  # before the commands are declared: click.Path names its kind when built


@click.group(cls=FrenchGroup, context_settings=CONTEXT)
@click.version_option(
    __version__,
    "--version",
    message="budget-tool %(version)s",
    help="Affiche la version et quitte.",
)
def main() -> None:
    """Génère, contrôle et consolide les annexes financières de la convention départementale
    pour l'insertion et l'emploi (programme 102) : annexe 2 (plan de financement) et annexe 3
    (bilan financier).

    \b
    Exemple :
      budget-tool generate --departement 23 --year 2024 --plafond-volet1 150000 \\
          --plafond-volet2 400000 --plafond-volet3 250000 -o classeurs/
      budget-tool check classeurs/annexe3-bilan-financier-23-2024.xlsx
    """


@main.command(context_settings=CONTEXT)
@click.option(
    "--departement",
    "-d",
    metavar="CODE",
    help="Code du département (01 à 19, 2A, 2B, 21 à 95, 971 à 974, 976).",
)
@click.option(
    "--year",
    "-y",
    type=int,
    help="Année de la convention (période du 01/01 au 31/12) ; par défaut l'année du modèle "
    "choisi avec --modele, sinon celle du modèle le plus récent.",
)
@click.option(
    "--modele",
    metavar="VERSION",
    help="Version du modèle (dossier de workbook_templates/, ex. 2025.1) ; par défaut la plus "
    "récente qui sert l'année de chaque classeur.",
)
@click.option(
    "--convention", metavar="NUMÉRO", help="Numéro de la convention (par défaut ANNÉE-CODE)."
)
@click.option("--plafond-volet1", metavar="EUROS", help="Plafond du volet 1 (art. 4.1).")
@click.option("--plafond-volet2", metavar="EUROS", help="Plafond du volet 2 (art. 4.1).")
@click.option(
    "--plafond-volet3",
    metavar="EUROS",
    help="Plafond du volet 3 (art. 4.1), si le département en a un.",
)
@click.option(
    "--allocations",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV des allocations : une ligne par département (génère tous les classeurs).",
)
@click.option(
    "--output",
    "-o",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Dossier de sortie.",
)
@click.option("--force", is_flag=True, help="Remplace les classeurs déjà présents dans le dossier.")
def generate(
    departement,
    year,
    convention,
    plafond_volet1,
    plafond_volet2,
    plafond_volet3,
    allocations,
    out_dir,
    force,
    modele,
) -> None:
    """Génère l'annexe 2 et l'annexe 3 d'un département, pré-remplies et protégées.

    Les formules sont verrouillées ; seules les cellules de saisie (en jaune) sont ouvertes,
    avec listes déroulantes et contrôles de saisie. Avec --allocations, génère les classeurs de
    chaque département du fichier (colonnes : departement, plafond_volet1, plafond_volet2,
    plafond_volet3, et en option convention, annee). Le fichier de suivi complet est accepté :
    les plafonds du dernier avenant et l'avance versée (verrouillée, « versée le … ») sont alors
    écrits dans les classeurs ; sans avance versée, 60 % du plafond (« calculée »).

    \b
    Exemple :
      budget-tool generate --departement 23 --year 2024 --plafond-volet1 150000 \\
          --plafond-volet2 400000 --plafond-volet3 250000 -o classeurs/
      budget-tool generate --allocations allocations-2024.csv -o classeurs/
      budget-tool generate --allocations allocations-2024.csv --modele 2024.2 -o classeurs/
    """
    from budget_tool.errors import UsageError
    from budget_tool.generate import generate_many
    from budget_tool.params import Allocation, build_parameters, read_allocations
    from budget_tool.templates import templates_dir
    from budget_tool.versions import default_year

    year = year or default_year(templates_dir(), modele)
    if allocations and departement:
        raise UsageError("--allocations et --departement s'excluent : choisissez l'un ou l'autre.")
    if allocations:
        all_params = read_allocations(allocations, year)
    elif departement:
        allocation = Allocation(
            departement, plafond_volet1, plafond_volet2, plafond_volet3, convention
        )
        all_params = [build_parameters(allocation, year)]
    else:
        raise UsageError(
            "indiquez --departement CODE (avec les plafonds) ou --allocations FICHIER.csv."
        )
    for path in generate_many(all_params, out_dir, force=force, version=modele):
        click.echo(f"Écrit : {shown(path)}")


@main.command(context_settings=CONTEXT)
@input_files("files", "FICHIER...")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Rapport lisible (text) ou données (json).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Les avertissements comptent comme des erreurs (code de sortie 1).",
)
@click.option(
    "--annotate",
    type=OutputFile(),
    help="Écrit une copie du classeur avec chaque constat en commentaire sur sa cellule (un seul fichier contrôlé).",
)
@click.option(
    "--color/--no-color",
    default=None,
    help="Couleurs dans le terminal (par défaut : si le terminal les gère).",
)
@click.option(
    "--allocations",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV des allocations de l'État (celui de generate) : les plafonds lui sont comparés.",
)
def check(files, fmt, strict, annotate, color, allocations) -> None:
    """Contrôle des classeurs remplis : recalcule tout et signale chaque problème avec sa cellule.

    Codes de sortie : 0 aucune erreur, 1 au moins une erreur (--strict : ou un avertissement),
    2 mauvaise utilisation, 3 fichier refusé ou illisible. Plusieurs fichiers : chacun est
    rapporté, le code le plus grave est renvoyé.

    \b
    Exemple :
      budget-tool check annexe3-bilan-financier-23-2024.xlsx
      budget-tool check --format json classeurs/*.xlsx > controles.json
      budget-tool check annexe2.xlsx --annotate annexe2-annotee.xlsx
      budget-tool check --allocations allocations-2024.csv retours/*.xlsx
    """
    from budget_tool.checker import check as check_file
    from budget_tool.errors import UsageError
    from budget_tool.report import to_json, to_text

    if annotate and len(files) != 1:
        raise UsageError("--annotate s'utilise avec un seul fichier.")
    if annotate:
        from budget_tool.annotate import copy_suffix
        from budget_tool.output import check_target

        check_target(annotate)  # a device, FIFO or link: refused before any work
        copy_suffix(files[0], annotate)
    official = _allocations(allocations)
    reports = [check_file(path, allocations=official) for path in files]
    to_stderr = annotate == "-"  # the copy takes standard output
    colour = terminal.use_colour(color, sys.stderr if to_stderr else sys.stdout)
    if fmt == "json":
        click.echo(to_json(reports), err=to_stderr)
    else:
        click.echo("\n\n".join(to_text(report, colour) for report in reports), err=to_stderr)
    if annotate and reports[0].refused is None:
        from budget_tool.annotate import annotate as write_annotated

        write_annotated(reports[0], annotate)
        click.echo(f"Copie annotée écrite : {shown(annotate)}", err=True)
    sys.exit(max(report.exit_code(strict) for report in reports))


def _allocations(path: Path | None):
    """The ceilings in force by département code, read as ``consolidate --allocations`` reads
    the file (same reader, same default year); None when not given."""
    from budget_tool.followup import load_followup

    followup = load_followup(path)
    return None if followup is None else {code: item.params for code, item in followup.items()}


@main.command(context_settings=CONTEXT)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["text", "markdown"]),
    default="text",
    show_default=True,
)
def rules(fmt) -> None:
    """Liste les contrôles : code, gravité, article de la convention et message.

    \b
    Exemple :
      budget-tool rules
      budget-tool rules --format markdown > docs/regles.md
    """
    from budget_tool.catalogue_doc import catalogue_markdown, catalogue_text

    if fmt == "markdown":
        click.echo(catalogue_markdown(), nl=False)
    else:
        click.echo(catalogue_text())


@main.command(context_settings=CONTEXT)
@input_files("inputs", "FICHIER_OU_DOSSIER...")
@click.option(
    "--output",
    "-o",
    type=OutputFile(),
    required=True,
    help="Classeur de synthèse à écrire (.xlsx ; « - » : sortie standard).",
)
@click.option(
    "--csv",
    "csv_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Dossier où écrire les tables en CSV (synthese, anomalies, lignes, fichiers).",
)
@click.option(
    "--json",
    "json_path",
    type=OutputFile(),
    help="Fichier JSON avec toutes les tables (« - » : sortie standard).",
)
@click.option(
    "--keep-going",
    is_flag=True,
    help="Écrit la synthèse même si des fichiers sont refusés (ils y sont listés).",
)
@click.option(
    "--quiet", "-q", is_flag=True, help="Aucune barre de progression ni résumé (pour les scripts)."
)
@click.option(
    "--allocations",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier de suivi (CSV des allocations, avec en option avance versée, avenant, dates "
    "de réception, imputation Chorus ; voir le README) : plafonds en vigueur comparés aux "
    "classeurs, soldes sur l'avance réellement versée, un statut pour chaque département.",
)
@click.option(
    "--year",
    "-y",
    type=int,
    help="Année à consolider quand les fichiers en mêlent plusieurs (les autres sont écartés).",
)
@click.option(
    "--csv-separateur",
    "csv_sep",
    type=click.Choice([";", ","]),
    default=";",
    show_default=True,
    help="Séparateur des CSV : « ; » pour Excel et LibreOffice en français (virgule décimale), "
    "« , » pour les scripts (point décimal).",
)
@click.option(
    "--date",
    "on_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Date du suivi (AAAA-MM-JJ, par défaut aujourd'hui) : bilans attendus ou en retard "
    "(échéance de l'art. 3.2, trois mois après la fin de la convention).",
)
@click.option(
    "--reports",
    "reports_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Dossier où écrire le rapport PDF (A4) de chaque département, à lui envoyer.",
)
def consolidate(
    inputs,
    output,
    csv_dir,
    json_path,
    keep_going,
    quiet,
    allocations,
    year,
    csv_sep,
    on_date,
    reports_dir,
) -> None:
    """Consolide les annexes reçues des départements d'une région (fichiers ou dossiers).

    Chaque fichier est contrôlé comme par « check » ; annexes 2 et 3 d'un même département sont
    rapprochées ; la synthèse donne par département et par volet le plafond, le prévu, le
    déclaré, l'éligible, la contribution due, l'avance versée et le solde ou le trop-perçu
    (art. 6 et 8). Les fichiers de verrouillage, cachés et nos propres synthèses sont ignorés.
    Par défaut, si un fichier est refusé, rien n'est écrit (code de sortie 3).

    \b
    Exemple :
      budget-tool consolidate retours/ -o consolidation-2024.xlsx
      budget-tool consolidate retours/ -o synthese.xlsx --csv tables/ --json synthese.json
      budget-tool consolidate retours/ -o synthese.xlsx --allocations allocations-2024.csv
      budget-tool consolidate retours/ --year 2025 -o consolidation-plans-2025.xlsx
      budget-tool consolidate retours/ -o synthese.xlsx --allocations suivi-2024.csv \\
          --date 2025-04-15 --reports rapports/
    """
    from functools import partial

    from budget_tool import cli_consolidate as steps
    from budget_tool.consolidation import consolidate as run
    from budget_tool.followup import load_followup
    from budget_tool.summary import CSV_TABLES

    files = [p for p in (output, json_path) if p]
    outputs = files + [csv_dir / f"{n}.csv" for n in CSV_TABLES if csv_dir]
    run = partial(run, year=year)
    steps.check_outputs(files, csv_dir, CSV_TABLES)
    followup = load_followup(allocations, year)
    today = on_date.date() if on_date else None
    result = steps.run_with_progress(run, inputs, outputs, quiet, followup, today)
    if not keep_going:
        steps.stop_if_refused(result)
    written = steps.write_outputs(result, output, csv_dir, json_path, csv_sep)
    if reports_dir:
        from budget_tool.notices import write_notices

        reports = write_notices(result, reports_dir, followup, today)
        if not quiet:
            click.echo(f"Rapports par département : {len(reports)} dans {shown(reports_dir)}")
    if not quiet:
        steps.say_consolidation(result, written, err="-" in outputs)
    sys.exit(3 if result.refused else 0)


from budget_tool.web.command import serve  # noqa: E402  (click only: the framework loads when it runs)

main.command(context_settings=CONTEXT)(serve)
