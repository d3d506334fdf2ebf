"""What ``budget-tool consolidate`` does around the library call: outputs checked before any
work, the follow-up file read, a progress bar, all outputs written or none, and what is said.

Heavy libraries are imported inside the functions, so ``budget-tool --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from budget_tool import terminal
from budget_tool.names import shown


def check_outputs(files: list[Path], csv_dir: Path | None, tables) -> None:
    """Every output refused before any work if it is a device, FIFO, link or folder; at most
    one of them on standard output (``-``). A CSV folder that does not exist yet is created."""
    from budget_tool.errors import UsageError
    from budget_tool.output import check_target

    if files.count("-") > 1:  # type: ignore[arg-type]
        raise UsageError("une seule sortie peut aller sur la sortie standard (« - »).")
    if csv_dir is not None and csv_dir.is_dir():
        files = files + [csv_dir / f"{name}.csv" for name in tables]
    elif csv_dir is not None and (csv_dir.exists() or csv_dir.is_symlink()):
        raise UsageError(f"{shown(csv_dir)} : --csv attend un dossier ; rien n'a été écrit.")
    for path in files:
        check_target(path)


def run_with_progress(run, inputs, outputs, quiet, followup, today):
    options = {"outputs": outputs, "followup": followup, "today": today}
    if quiet or not terminal.is_terminal(sys.stderr) or terminal.plain_terminal():
        return run(inputs, **options)
    with click.progressbar(length=0, label="Contrôle des fichiers", file=sys.stderr) as bar:

        def step(item) -> None:
            bar.length = (bar.length or 0) + 1
            bar.update(1, item.path.name)

        return run(inputs, progress=step, **options)


def stop_if_refused(result) -> None:
    """Without --keep-going, a refused file stops everything: each is said, code 3."""
    if not result.refused:
        return
    for item in result.refused:
        click.echo(f"Refusé : {shown(item.path)} : {shown(item.reason)}", err=True)
    click.echo(
        "Rien n'a été écrit. Corrigez ou retirez ces fichiers, ou relancez avec --keep-going.",
        err=True,
    )
    sys.exit(3)


def write_outputs(result, output, csv_dir: Path | None, json_path, csv_sep: str) -> list:
    """The synthesis workbook, the CSV tables and the JSON: all written or none (a full disk
    on the last one leaves none half done). Returns what was written, the workbook first."""
    from budget_tool.output import staged, write_text
    from budget_tool.summary import to_json, write_csv, write_summary

    written = [output]
    with staged():
        write_summary(result, output)
        if csv_dir:
            written += write_csv(result, csv_dir, csv_sep)
        if json_path:
            write_text(json_path, to_json(result))
            written.append(json_path)
    return written


def say_consolidation(result, written: list, err: bool = False) -> None:
    statuses: dict[str, int] = {}
    for item in result.files:
        statuses[item.status] = statuses.get(item.status, 0) + 1
    counts = ", ".join(
        f"{n} {status}{'s' if n > 1 else ''}" for status, n in sorted(statuses.items())
    )
    click.echo(f"Fichiers : {counts}.", err=err)
    for item in result.files:
        if item.status != "retenu":
            click.echo(f"  {item.status} : {shown(item.path.name)} ({shown(item.reason)})", err=err)
    click.echo(f"Synthèse écrite : {shown(written[0])}", err=err)
    for path in written[1:]:
        click.echo(f"Écrit : {shown(path)}", err=err)
