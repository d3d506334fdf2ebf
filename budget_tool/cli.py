"""The ``budget-tool`` command: a thin skin over the library.

Each command parses its options, calls one library function, renders the result and chooses the
exit code. Heavy libraries (openpyxl, xlsxwriter, pandas) are imported inside the commands, so
``budget-tool --help`` starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from budget_tool import __version__
from budget_tool.errors import BudgetToolError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _FrenchFormatter(click.HelpFormatter):
    """click's help headings, in French."""

    HEADINGS = {"Options": "Options", "Commands": "Commandes", "Arguments": "Arguments"}

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix or "Utilisation : ")

    def write_heading(self, heading: str) -> None:
        super().write_heading(self.HEADINGS.get(heading, heading))


class _FrenchContext(click.Context):
    formatter_class = _FrenchFormatter


class _Command(click.Command):
    context_class = _FrenchContext

    """A command whose --help says so in French."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _french_help(click.Command.get_help_option(self, ctx))


def _french_help(option: click.Option | None) -> click.Option | None:
    if option is not None:
        option.help = "Affiche cette aide et quitte."
    return option


class _Group(click.Group):
    """Turns our French errors into a message and an exit code, never a traceback."""

    command_class = _Command
    context_class = _FrenchContext

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _french_help(click.Command.get_help_option(self, ctx))

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BudgetToolError as exc:
            click.echo(f"Erreur : {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings=CONTEXT)
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
    default=2024,
    show_default=True,
    help="Année de la convention (période du 01/01 au 31/12).",
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
) -> None:
    """Génère l'annexe 2 et l'annexe 3 d'un département, pré-remplies et protégées.

    Les formules sont verrouillées ; seules les cellules de saisie (en jaune) sont ouvertes,
    avec listes déroulantes et contrôles de saisie. Avec --allocations, génère les classeurs de
    chaque département du fichier (colonnes : departement, plafond_volet1, plafond_volet2,
    plafond_volet3, et en option convention, annee).

    \b
    Exemple :
      budget-tool generate --departement 23 --year 2024 --plafond-volet1 150000 \\
          --plafond-volet2 400000 --plafond-volet3 250000 -o classeurs/
      budget-tool generate --allocations allocations-2024.csv -o classeurs/
    """
    from budget_tool.errors import UsageError
    from budget_tool.generate import generate_many
    from budget_tool.params import Allocation, build_parameters, read_allocations

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
    for path in generate_many(all_params, out_dir, force=force):
        click.echo(f"Écrit : {path}")


@main.command(context_settings=CONTEXT)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
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
    type=click.Path(dir_okay=False, path_type=Path),
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
    official = _allocations(allocations)
    reports = [check_file(path, allocations=official) for path in files]
    colour = color if color is not None else sys.stdout.isatty()
    if fmt == "json":
        click.echo(to_json(reports))
    else:
        click.echo("\n\n".join(to_text(report, colour) for report in reports))
    if annotate and reports[0].refused is None:
        from budget_tool.annotate import annotate as write_annotated

        write_annotated(reports[0], annotate)
        click.echo(f"Copie annotée écrite : {annotate}", err=True)
    sys.exit(max(report.exit_code(strict) for report in reports))


def _allocations(path: Path | None):
    """The allocations CSV by département code, or None when not given."""
    if path is None:
        return None
    from budget_tool.params import read_allocations

    return {params.code: params for params in read_allocations(path, 2024)}


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
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Classeur de synthèse à écrire (.xlsx).",
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
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier JSON avec toutes les tables.",
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
    help="CSV des allocations de l'État : les plafonds des classeurs lui sont comparés, et les "
    "départements dotés qui n'ont rien envoyé sont signalés.",
)
def consolidate(inputs, output, csv_dir, json_path, keep_going, quiet, allocations) -> None:
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
    """
    from budget_tool.consolidation import consolidate as run
    from budget_tool.summary import to_json, write_csv, write_summary

    csv_names = ("synthese", "anomalies", "lignes", "fichiers")
    outputs = [p for p in (output, json_path) if p] + [
        csv_dir / f"{n}.csv" for n in csv_names if csv_dir
    ]
    result = _run_with_progress(run, inputs, outputs, quiet, _allocations(allocations))
    if result.refused and not keep_going:
        for item in result.refused:
            click.echo(f"Refusé : {item.path} : {item.reason}", err=True)
        click.echo(
            "Rien n'a été écrit. Corrigez ou retirez ces fichiers, ou relancez avec --keep-going.",
            err=True,
        )
        sys.exit(3)
    write_summary(result, output)
    if csv_dir:
        write_csv(result, csv_dir)
    if json_path:
        from budget_tool.atomic import write_bytes_atomic

        write_bytes_atomic(json_path, to_json(result).encode("utf-8"))
    if not quiet:
        _say_consolidation(result, output)
    sys.exit(3 if result.refused else 0)


def _run_with_progress(run, inputs, outputs, quiet, allocations):
    if quiet or not sys.stderr.isatty():
        return run(inputs, outputs=outputs, allocations=allocations)
    with click.progressbar(length=0, label="Contrôle des fichiers", file=sys.stderr) as bar:

        def step(item) -> None:
            bar.length = (bar.length or 0) + 1
            bar.update(1, item.path.name)

        return run(inputs, progress=step, outputs=outputs, allocations=allocations)


def _say_consolidation(result, output) -> None:
    statuses: dict[str, int] = {}
    for item in result.files:
        statuses[item.status] = statuses.get(item.status, 0) + 1
    counts = ", ".join(
        f"{n} {status}{'s' if n > 1 else ''}" for status, n in sorted(statuses.items())
    )
    click.echo(f"Fichiers : {counts}.")
    for item in result.files:
        if item.status != "retenu":
            click.echo(f"  {item.status} : {item.path.name} ({item.reason})")
    click.echo(f"Synthèse écrite : {output}")


from budget_tool.web.command import serve  # noqa: E402  (click only: the framework loads when it runs)

main.command(context_settings=CONTEXT)(serve)
