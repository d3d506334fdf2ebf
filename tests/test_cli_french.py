"""No English reaches a user: click's own messages (usage errors, « Try … --help », headings,
« Aborted! ») are French (clickfr.py), and the terminal conventions hold (terminal.py): no colour
nor cursor codes with NO_COLOR, TERM=dumb or off a terminal; a closed, full or non-UTF-8
standard output or error never gives a traceback.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from budget_tool.cli import main
from budget_tool.clickfr import CATALOGUE

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
ERRORS = SAMPLES / "annexe3-23-2024-depenses-ineligibles.xlsx"
ENGLISH = re.compile(
    r"\b(Usage|Try|Error|Missing|No such|Invalid|Aborted|Commands|Options:|is not|does not|"
    r"COMMAND|ARGS|TEXT|INTEGER|PATH|FILE|DIRECTORY|Show this|default|required|"
    r"Got unexpected|Did you mean|requires an argument|for help)\b"
)


def run(*args, env=None, **kwargs) -> subprocess.CompletedProcess:
    environment = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "budget_tool", *map(str, args)],
        capture_output=True,
        env=environment,
        check=False,
        **kwargs,
    )


def french_only(result: subprocess.CompletedProcess) -> str:
    out = (result.stdout + result.stderr).decode("utf-8")
    assert "Traceback" not in out, out
    found = ENGLISH.findall(out)
    assert not found, f"anglais : {found}\n{out}"
    return out


@pytest.mark.parametrize(
    "args, says",
    [
        (["check"], "Argument manquant"),
        (["check", "--bogus", "x.xlsx"], "Option inconnue"),
        (["chek"], "Commande inconnue"),
        (["generate", "--year", "deux-mille"], "n'est pas un entier valide"),
        (["check", "--format", "pdf", "x.xlsx"], "n'est pas l'une des valeurs"),
        (["consolidate", "retours/"], "Option manquante"),
        (["consolidate", "retours/", "-o"], "demande une valeur"),
        (["rules", "en-trop"], "Argument en trop"),
        (["check", "--annotate", str(SAMPLES), "x.xlsx"], "c'est un dossier"),
        (["check", "--strict=oui", "x.xlsx"], "ne prend pas de valeur"),
        (["--formt"], "Option inconnue"),
    ],
)
def test_usage_errors_are_in_french(args, says):
    result = run(*args)
    out = french_only(result)
    assert result.returncode == 2 and says in out and "Erreur : " in out
    if "Utilisation" in out:  # click shows the usage line for most mistakes
        assert "Utilisation :" in out and "Essayez « " in out and "--help » pour l'aide" in out


@pytest.mark.parametrize("command", [[], ["check"], ["generate"], ["consolidate"], ["rules"]])
def test_help_is_in_french(command):
    result = run(*command, "--help")
    out = french_only(result)
    assert result.returncode == 0 and "Options :" in out and "Utilisation :" in out


def test_ctrl_c_says_interrupted_in_french(monkeypatch):
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("budget_tool.checker.check", interrupted)
    result = CliRunner().invoke(main, ["check", str(ERRORS)])
    assert result.exit_code == 1 and "Interrompu." in result.output
    assert not ENGLISH.search(result.output)


_DEVELOPER_ONLY = {  # a mistake in our own declarations, or a feature we do not use
    "Name '{name}' defined twice",
    "Could not determine name for option with declarations {decls!r}",
    "Unknown color {colour!r}",
    "Unknown standard stream '{name}'",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}",  # none deprecated
    "Couldn't detect Bash version, shell completion is not supported.",  # no completion
    "Windows error: {error}",  # the servers are Linux
    "d",  # the day of a date format
}


def test_every_message_click_can_print_has_a_french_translation():
    """Read from click's own source: after a click upgrade, a new message fails this test."""
    folder = Path(click.__file__).parent
    messages = set()
    for source in folder.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        messages |= {
            m.encode().decode("unicode_escape") for m in re.findall(r'_\(\s*"([^"]*)"\s*\)', text)
        }
        for singular, plural in re.findall(r'ngettext\(\s*"([^"]*)",\s*"([^"]*)"', text):
            messages |= {singular, plural}
    missing = sorted(messages - set(CATALOGUE) - _DEVELOPER_ONLY)
    assert missing == []


# ---------------------------------------------------------------- terminal conventions
def _in_terminal(args, env) -> bytes:
    """Run the CLI with a real pseudo-terminal as standard output."""
    leader, follower = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    environment.update(env)
    process = subprocess.Popen(
        [sys.executable, "-m", "budget_tool", *map(str, args)],
        stdout=follower,
        stderr=follower,
        env=environment,
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=120)
    os.close(leader)
    return output


def test_colours_on_a_terminal_and_none_with_no_color_or_dumb_terminal():
    assert b"\x1b[" in _in_terminal(["check", ERRORS], {"TERM": "xterm"})  # the test can fail
    assert b"\x1b[" not in _in_terminal(["check", ERRORS], {"TERM": "xterm", "NO_COLOR": "1"})
    assert b"\x1b[" not in _in_terminal(["check", ERRORS], {"TERM": "dumb"})


def test_no_progress_bar_codes_with_a_dumb_terminal_or_no_color(tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "a.xlsx").write_bytes(ERRORS.read_bytes())
    args = ["consolidate", folder, "-o", tmp_path / "s.xlsx"]
    assert b"\x1b[" in _in_terminal(args, {"TERM": "xterm"})  # the bar hides the cursor
    assert b"\x1b" not in _in_terminal(args, {"TERM": "dumb"})
    assert b"\x1b" not in _in_terminal(args, {"TERM": "xterm", "NO_COLOR": "1"})


def test_no_escape_codes_when_the_output_is_not_a_terminal(tmp_path):
    result = run("check", ERRORS, env={"TERM": "xterm"})
    assert b"\x1b" not in result.stdout + result.stderr
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "a.xlsx").write_bytes(ERRORS.read_bytes())
    consolidated = run("consolidate", folder, "-o", tmp_path / "s.xlsx", env={"TERM": "xterm"})
    assert b"\x1b" not in consolidated.stdout + consolidated.stderr  # no progress bar codes


@pytest.mark.parametrize("closed", ["stdout", "stderr"])
def test_a_closed_standard_stream_gives_no_traceback(closed):
    redirect = ">&-" if closed == "stdout" else "2>&-"
    script = f'exec "{sys.executable}" -m budget_tool check "{ERRORS}" {redirect}'
    result = subprocess.run(["sh", "-c", script], capture_output=True, check=False)
    assert b"Traceback" not in result.stdout + result.stderr
    assert result.returncode == 1  # the errors found, as usual


def test_a_full_standard_output_gives_a_french_message_and_exit_3():
    script = f'exec "{sys.executable}" -m budget_tool check "{ERRORS}" > /dev/full'
    result = subprocess.run(["sh", "-c", script], capture_output=True, check=False)
    err = result.stderr.decode("utf-8")
    assert "Traceback" not in err and "sortie standard" in err and result.returncode == 3


def test_a_closed_pipe_gives_no_traceback():
    script = f'"{sys.executable}" -m budget_tool rules | head -c 10 > /dev/null'
    result = subprocess.run(["sh", "-c", script], capture_output=True, check=False)
    assert b"Traceback" not in result.stderr and b"Exception ignored" not in result.stderr


@pytest.mark.parametrize(
    "encoding, written",
    [("ascii", "utf-8"), ("latin-1", "latin-1")],  # click writes UTF-8 on an ASCII stream
)
def test_a_standard_output_that_is_not_utf8_gives_no_traceback(encoding, written):
    result = run("check", ERRORS, env={"PYTHONIOENCODING": encoding})
    assert b"Traceback" not in result.stderr and result.returncode == 1
    text = result.stdout.decode(written)  # strict: every byte is of the stream's encoding
    assert "Fichier" in text and "Résumé" in text
