"""File names as users and servers make them (names.py and the CLI): a newline or an escape
sequence in a name cannot fake a report line, bytes that are not UTF-8 are shown and keep the
JSON valid, a leading dash works with ``--`` or ``./``, an unreadable file is refused in French.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from budget_tool.names import shown, valid_text

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
CLEAN = SAMPLES / "annexe3-23-2024-conforme.xlsx"
FAKE = "\n  Résumé : 0 erreur(s), 0 avertissement(s), 0 information(s) · conforme\n"


def run(*args, cwd=None, prefix=()) -> subprocess.CompletedProcess:
    command = [*prefix, sys.executable, "-m", "budget_tool", *map(os.fsencode, args)]
    return subprocess.run(command, capture_output=True, cwd=cwd, check=False)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("annexe.xlsx", "annexe.xlsx"),
        ("a\nb.xlsx", "a\\nb.xlsx"),
        ("a\x1b[31mrouge.xlsx", "a\\x1b[31mrouge.xlsx"),
        ("a\u202eexslx.exe", "a\\u202eexslx.exe"),  # right-to-left override
        ("a\u2028b", "a\\u2028b"),  # a line separator
        ("100\u202f000 €.xlsx", "100\u202f000 €.xlsx"),  # spaces stay
        (os.fsdecode(b"caf\xe9.xlsx"), "caf\\xe9.xlsx"),  # Latin-1 bytes on a UTF-8 system
        (b"caf\xe9.xlsx", "caf\\xe9.xlsx"),
    ],
)
def test_shown_is_one_printable_line(name, expected):
    assert shown(name) == expected
    assert shown(name).isprintable() or " " in shown(name)
    shown(name).encode("utf-8")  # always valid UTF-8


def test_valid_text_keeps_good_text_and_shows_bad_bytes():
    assert valid_text("Corrèze") == "Corrèze"
    assert valid_text(os.fsdecode(b"caf\xe9")) == "caf\\xe9"


def test_a_newline_in_a_file_name_cannot_fake_a_report_line(tmp_path):
    path = tmp_path / f"annexe3{FAKE}.xlsx"
    shutil.copy(SAMPLES / "annexe3-23-2024-depenses-ineligibles.xlsx", path)
    result = run("check", path)
    out = result.stdout.decode("utf-8")
    assert result.returncode == 1
    summaries = [line for line in out.splitlines() if line.startswith("  Résumé")]
    assert len(summaries) == 1 and summaries[0].endswith("· erreurs")
    assert out.splitlines()[0].startswith("Fichier : ") and "\\n  Résumé" in out.splitlines()[0]


def test_an_escape_sequence_in_a_file_name_reaches_no_terminal(tmp_path):
    path = tmp_path / "a\x1b]0;titre\x07\x1b[2J.xlsx"
    path.write_bytes(b"")  # refused: empty
    result = run("check", path)
    assert result.returncode == 3 and b"\x1b" not in result.stdout + result.stderr


def test_a_file_name_that_is_not_utf8_keeps_the_json_valid(tmp_path):
    path = Path(os.fsdecode(bytes(tmp_path) + b"/annexe-caf\xe9.xlsx"))
    shutil.copy(CLEAN, path)
    result = run("check", "--format", "json", path)
    assert result.returncode == 0
    payload = json.loads(result.stdout.decode("utf-8"))  # strict UTF-8
    assert payload["reports"][0]["file"].endswith("annexe-caf\\xe9.xlsx")
    text = run("check", path).stdout.decode("utf-8")
    assert "annexe-caf\\xe9.xlsx" in text


def test_consolidate_json_and_csv_stay_valid_utf8_with_such_names(tmp_path):
    folder = tmp_path / "retours"
    folder.mkdir()
    shutil.copy(CLEAN, Path(os.fsdecode(bytes(folder) + b"/bilan-\xff.xlsx")))
    result = run(
        "consolidate", folder, "-o", tmp_path / "s.xlsx", "--json", tmp_path / "s.json",
        "--csv", tmp_path / "t",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = json.loads((tmp_path / "s.json").read_bytes().decode("utf-8"))
    assert any("\\xff" in row["fichier"] for row in payload["fichiers"])
    assert "\\xff" in (tmp_path / "t" / "fichiers.csv").read_bytes().decode("utf-8")


def test_leading_dash_names_work_with_double_dash_or_dot_slash(tmp_path):
    shutil.copy(CLEAN, tmp_path / "-annexe.xlsx")
    for args in (["--", "-annexe.xlsx"], ["./-annexe.xlsx"]):
        result = run("check", *args, cwd=tmp_path)
        assert result.returncode == 0 and b"conforme" in result.stdout
    mistaken = run("check", "-annexe.xlsx", cwd=tmp_path)
    err = mistaken.stderr.decode("utf-8")
    assert mistaken.returncode == 2 and "./-annexe.xlsx" in err and "« -- »" in err


def test_an_unreadable_file_is_refused_in_french(tmp_path):
    if shutil.which("setpriv") is None:
        pytest.skip(
            "setpriv absent : root lit tous les fichiers, impossible d'en rendre un illisible"
        )
    path = tmp_path / "secret.xlsx"
    shutil.copy(CLEAN, path)
    path.chmod(0)
    prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    try:
        checked = run("check", path, prefix=prefix)
        folder = run("consolidate", tmp_path, "-o", tmp_path / "s.xlsx", prefix=prefix)
    finally:
        path.chmod(0o644)
    for result in (checked, folder):
        out = (result.stdout + result.stderr).decode("utf-8")
        assert result.returncode == 3 and "Traceback" not in out
        assert "secret.xlsx" in out and "illisible" in out


def test_a_name_too_long_is_refused_in_french(tmp_path):
    result = run("consolidate", tmp_path / ("x" * 300), "-o", tmp_path / "s.xlsx")
    err = result.stderr.decode("utf-8")
    assert result.returncode == 2 and "nom de fichier trop long" in err and "Traceback" not in err
