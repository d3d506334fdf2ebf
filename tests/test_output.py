"""Where budget-tool writes (output.py): regular files only, a new name in an existing writable
folder, links never replaced, ``-`` = standard output, atomic, every OS error in French.

Each situation is built as it arises on a shared server where the tool runs as root: a FIFO or a
device named as output, a symbolic link, a path under a regular file, a read-only folder (root
ignores permissions, so the command runs with its CAP_DAC_OVERRIDE dropped by ``setpriv``), a
read-only mount (``unshare -m``), a file-size limit (``RLIMIT_FSIZE``). The CLI runs in a real
process: no traceback, the French message naming the path, the documented exit code, inputs
unchanged, nothing partial left behind, devices and FIFOs untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from budget_tool.output import OutputError, os_cause, output_path, write_bytes

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
CLEAN = SAMPLES / "annexe3-23-2024-conforme.xlsx"


def run(*args, prefix=(), preexec=None, timeout=120) -> subprocess.CompletedProcess:
    command = [*prefix, sys.executable, "-m", "budget_tool", *map(str, args)]
    return subprocess.run(
        command, capture_output=True, timeout=timeout, preexec_fn=preexec, check=False
    )


def text(result: subprocess.CompletedProcess) -> str:
    out = (result.stdout + result.stderr).decode("utf-8")
    assert "Traceback" not in out and "Error:" not in out, out
    return out


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def region(tmp_path) -> Path:
    folder = tmp_path / "retours"
    folder.mkdir()
    for name in (
        "annexe2-plan-de-financement-19-2024.xlsx",
        "annexe3-bilan-financier-19-2024.xlsx",
    ):
        shutil.copy(SAMPLES / "region" / name, folder / name)
    return folder


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".~budget-tool"))


# ---------------------------------------------------------------- not a regular file
@pytest.mark.parametrize("option", ["-o", "--json", "--csv-file", "--annotate", "generate"])
def test_a_fifo_named_as_output_is_refused_untouched(tmp_path, region, option):
    fifo = tmp_path / "tube"
    os.mkfifo(fifo)
    if option == "--annotate":
        result = run("check", CLEAN, "--annotate", fifo)
    elif option == "generate":  # the FIFO in the way has the name generate would write
        os.rename(fifo, tmp_path / "annexe2-plan-de-financement-23-2024.xlsx")
        fifo = tmp_path / "annexe2-plan-de-financement-23-2024.xlsx"
        result = run("generate", "-d", "23", "--plafond-volet1", "1", "--plafond-volet2", "1",
                     "-o", tmp_path, "--force")  # fmt: skip
    elif option == "--csv-file":
        csv_dir = tmp_path / "tables"
        csv_dir.mkdir()
        os.mkfifo(csv_dir / "lignes.csv")
        fifo = csv_dir / "lignes.csv"
        result = run("consolidate", region, "-o", tmp_path / "s.xlsx", "--csv", csv_dir)
    else:
        other = ["-o", tmp_path / "s.xlsx"] if option == "--json" else []
        result = run("consolidate", region, option, fifo, *other)
    out = text(result)
    assert result.returncode == 2
    assert "pas un fichier ordinaire" in out and str(fifo.name) in out
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert not (tmp_path / "s.xlsx").exists() and leftovers(tmp_path) == []


def test_a_device_named_as_output_stays_a_device(tmp_path, region):
    device = tmp_path / "full"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 7))  # the same device as /dev/full
    except PermissionError:
        pytest.skip("mknod non permis ici : impossible de fabriquer un périphérique")
    result = run("consolidate", region, "-o", device)
    assert result.returncode == 2 and "pas un fichier ordinaire" in text(result)
    assert stat.S_ISCHR(os.lstat(device).st_mode)  # (/dev/full itself is not risked here)


def test_a_symbolic_link_is_never_replaced(tmp_path, region):
    target = tmp_path / "cible.json"
    target.write_text("contenu d'un collègue", encoding="utf-8")
    link = tmp_path / "lien.json"
    link.symlink_to(target)
    result = run("consolidate", region, "-o", tmp_path / "s.xlsx", "--json", link)
    assert result.returncode == 2 and "lien symbolique" in text(result)
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "contenu d'un collègue"
    assert not (tmp_path / "s.xlsx").exists()


@pytest.mark.parametrize(
    "where, says",
    [
        ("sous-fichier", "n'est pas un dossier"),
        ("absent", "n'existe pas"),
        ("trop-long", "nom de fichier trop long"),
        ("dossier", "c'est un dossier"),
    ],
)
def test_impossible_paths_are_refused_in_french_before_any_work(tmp_path, region, where, says):
    plain = tmp_path / "notes.txt"
    plain.write_text("x", encoding="utf-8")
    target = {
        "sous-fichier": plain / "synthese.xlsx",
        "absent": tmp_path / "absent" / "synthese.xlsx",
        "trop-long": tmp_path / ("s" * 300 + ".xlsx"),
        "dossier": tmp_path,
    }[where]
    before = {p.name: digest(p) for p in region.iterdir()}
    result = run("consolidate", region, "-o", target)
    out = text(result)
    assert result.returncode == 2 and says in out and str(target.name)[:40] in out
    assert {p.name: digest(p) for p in region.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "retours"]


# ---------------------------------------------------------------- permissions, read-only disk
NO_ROOT_POWERS = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def _without_root_powers():
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv absent : impossible de retirer à root le droit d'écrire partout")
    return NO_ROOT_POWERS


def test_a_read_only_folder_gives_a_french_refusal(tmp_path, region):
    prefix = _without_root_powers()
    folder = tmp_path / "lecture-seule"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = run("consolidate", region, "-o", folder / "s.xlsx", prefix=prefix)
        generated = run("generate", "-d", "23", "--plafond-volet1", "1", "--plafond-volet2", "1",
                        "-o", folder, prefix=prefix)  # fmt: skip
    finally:
        folder.chmod(0o755)
    for outcome in (result, generated):
        out = text(outcome)
        assert outcome.returncode == 2 and "accès refusé" in out and "lecture-seule" in out
    assert list(folder.iterdir()) == []


def test_a_read_only_disk_gives_a_french_refusal(tmp_path, region):
    folder = tmp_path / "monte"
    folder.mkdir()
    script = (
        f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && "
        f"exec {sys.executable} -m budget_tool consolidate {region} -o {folder}/s.xlsx"
    )
    try:
        result = subprocess.run(
            ["unshare", "-m", "sh", "-c", script], capture_output=True, timeout=120, check=False
        )
    except FileNotFoundError:
        pytest.skip("unshare absent : pas de disque en lecture seule à monter")
    if b"mount:" in result.stderr:
        pytest.skip("montage en lecture seule non permis ici")
    out = text(result)
    assert result.returncode == 2 and "lecture seule" in out and "s.xlsx" in out
    assert list(folder.iterdir()) == []


# ---------------------------------------------------------------- full disk / size limit
def _limit_size(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_file_size_limit_gives_exit_3_and_keeps_the_previous_file(tmp_path, region):
    """``ulimit -f``: the summary's write fails half-way (EFBIG); the previous one is kept."""
    summary = tmp_path / "s.xlsx"
    summary.write_bytes(b"ancienne synthese")
    result = run("consolidate", region, "-o", summary, "-q", preexec=_limit_size(4096))
    out = text(result)
    assert result.returncode == 3 and "ulimit -f" in out and "rien n'a été écrit" in out
    assert "s.xlsx" in out and summary.read_bytes() == b"ancienne synthese"
    assert leftovers(tmp_path) == []


def test_outputs_are_all_written_or_none(tmp_path, region):
    """The summary's parts (at most 30 kB) fit under the limit, the JSON (34 kB) does not:
    neither is left."""
    summary, data = tmp_path / "s.xlsx", tmp_path / "s.json"
    result = run(
        "consolidate", region, "-o", summary, "--json", data, "--csv", tmp_path / "t",
        preexec=_limit_size(32_000),
    )  # fmt: skip
    out = text(result)
    assert result.returncode == 3 and "s.json" in out and "ulimit -f" in out
    assert not summary.exists() and not data.exists()
    assert leftovers(tmp_path) == [] and list((tmp_path / "t").iterdir()) == []


# ---------------------------------------------------------------- standard output
def test_dash_writes_the_json_to_standard_output(tmp_path, region):
    result = run("consolidate", region, "-o", tmp_path / "s.xlsx", "--json", "-")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout.decode("utf-8"))  # only the JSON: messages on stderr
    assert {row["departement"] for row in payload["synthese"]} >= {"19"}
    assert "Synthèse écrite" in result.stderr.decode("utf-8")


def test_dash_writes_the_annotated_copy_to_standard_output(tmp_path):
    result = run("check", SAMPLES / "annexe3-23-2024-depenses-ineligibles.xlsx", "--annotate", "-")
    assert result.returncode == 1
    copy = tmp_path / "copie.xlsx"
    copy.write_bytes(result.stdout)
    from openpyxl import load_workbook

    book = load_workbook(copy)
    assert any(c.comment for s in book for row in s.iter_rows() for c in row)
    assert "Fichier :" in result.stderr.decode("utf-8")  # the report went to stderr


def test_a_file_named_dash_is_written_with_dot_slash(tmp_path, region):
    result = subprocess.run(
        [sys.executable, "-m", "budget_tool", "consolidate", str(region), "-o", "./-", "-q"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0 and result.stdout == b"" and (tmp_path / "-").stat().st_size


def test_two_outputs_on_standard_output_are_refused(tmp_path, region):
    result = run("consolidate", region, "-o", "-", "--json", "-")
    assert result.returncode == 2 and "une seule sortie" in text(result)


# ---------------------------------------------------------------- the library layer
def test_an_existing_regular_file_is_replaced_atomically(tmp_path):
    target = tmp_path / "sortie.json"
    target.write_bytes(b"ancien")
    write_bytes(target, b"nouveau")
    assert target.read_bytes() == b"nouveau" and leftovers(tmp_path) == []


def test_a_failure_while_writing_leaves_the_previous_file(tmp_path):
    target = tmp_path / "sortie.xlsx"
    target.write_bytes(b"ancien")
    with pytest.raises(RuntimeError), output_path(target) as temporary:
        temporary.write_bytes(b"moiti")
        raise RuntimeError("interrompu")
    assert target.read_bytes() == b"ancien" and leftovers(tmp_path) == []


def test_an_os_error_wrapped_by_xlsxwriter_is_found():
    from xlsxwriter.exceptions import FileCreateError

    inner = OSError(28, "No space left on device")
    assert os_cause(FileCreateError(inner)) is inner
    assert os_cause(ValueError("bug")) is None


def test_a_target_that_became_a_link_meanwhile_is_not_replaced(tmp_path):
    target, elsewhere = tmp_path / "sortie.json", tmp_path / "ailleurs.json"
    elsewhere.write_bytes(b"intact")
    with pytest.raises(OutputError, match="lien symbolique"), output_path(target) as temporary:
        temporary.write_bytes(b"nouveau")
        target.symlink_to(elsewhere)  # swapped in while we were writing
    assert target.is_symlink() and elsewhere.read_bytes() == b"intact"
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------- inputs that are no files
@pytest.mark.parametrize("command", ["generate", "check"])
def test_a_fifo_or_device_as_allocations_csv_is_refused_without_reading_it(tmp_path, command):
    fifo = tmp_path / "allocations.csv"
    os.mkfifo(fifo)
    for source in (fifo, Path("/dev/zero")):
        args = ["--allocations", source]
        args += ["-o", tmp_path / "g"] if command == "generate" else [CLEAN]
        result = run(command, *args, timeout=60)  # reading either would block or never end
        out = text(result)
        assert result.returncode == 2 and "pas un fichier CSV ordinaire" in out
        assert str(source.name) in out
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
