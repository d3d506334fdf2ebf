"""click's plumbing for ``budget-tool``: French help, errors said in French, the output-file type.

The French classes make every command's ``--help`` and usage errors French (``clickfr.py`` holds
click's own messages), and turn our errors (``BudgetToolError``) and file-system errors into a
message and an exit code, never a traceback. Only click is imported here: ``budget-tool --help``
stays fast.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import click

from budget_tool import terminal
from budget_tool.errors import BudgetToolError
from budget_tool.names import shown

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class FrenchFormatter(click.HelpFormatter):
    """click's help headings, in French."""

    HEADINGS = {"Options": "Options", "Commands": "Commandes", "Arguments": "Arguments"}

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix or "Utilisation : ")

    def write_heading(self, heading: str) -> None:
        heading = self.HEADINGS.get(heading, heading)
        self.write(f"{'':>{self.current_indent}}{heading} :\n")  # French spacing


class FrenchContext(click.Context):
    formatter_class = FrenchFormatter


class FrenchCommand(click.Command):
    """A command whose --help says so in French."""

    context_class = FrenchContext

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return french_help(click.Command.get_help_option(self, ctx))

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """A file whose name starts with « - » is taken for an option: say how to name it."""
        given = list(args)  # click's parser consumes the list
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            named = [a for a in given if a.startswith("-") and a != "-" and os.path.lexists(a)]
            if named:
                raise click.UsageError(
                    f"{exc.message} « {shown(named[0])} » est un fichier ? Écrivez "
                    f"« ./{shown(named[0])} », ou « -- » avant les noms de fichiers.",
                    ctx,
                ) from exc
            raise


def french_help(option: click.Option | None) -> click.Option | None:
    if option is not None:
        option.help = "Affiche cette aide et quitte."
    return option


class FrenchGroup(click.Group):
    """Turns our French errors into a message and an exit code, never a traceback."""

    command_class = FrenchCommand
    context_class = FrenchContext

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("subcommand_metavar", "COMMANDE [ARGUMENTS]...")
        super().__init__(*args, **kwargs)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return french_help(click.Command.get_help_option(self, ctx))

    def main(self, *args, **kwargs):  # type: ignore[override]
        """Streams made safe first (closed, non-UTF-8); a failing standard output ends in a
        French message, never a traceback (``terminal.py``)."""
        terminal.prepare_streams()
        try:
            result = super().main(*args, **kwargs)
        except SystemExit as exc:
            sys.exit(terminal.finish(exc.code))
        return result

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BudgetToolError as exc:
            click.echo(f"Erreur : {shown(str(exc))}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:  # a last net: any file-system error, in French, no traceback
            from budget_tool.output import os_reason

            if exc.errno == errno.EPIPE:  # a reader that stopped (| head): click ends quietly
                raise
            reason, code = os_reason(exc)
            where = shown(exc.filename) if exc.filename else "sortie standard"
            click.echo(f"Erreur : {where} : écriture ou lecture impossible : {reason}.", err=True)
            sys.exit(code)


class OutputFile(click.Path):
    """An output file: a Path, or the string « - » for standard output (``./-`` is a file)."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value, param, ctx):
        return "-" if value == "-" else super().convert(value, param, ctx)


def input_files(name: str, metavar: str):
    """The files (or folders) a command reads, one or more. click does not test that they can
    be read: an unreadable file is refused by the library, named, with code 3."""
    return click.argument(
        name,
        nargs=-1,
        required=True,
        metavar=metavar,
        type=click.Path(readable=False, path_type=Path),
    )
