"""Mangled workbooks: random changes to a valid workbook of ours always end in a report (read or
refused in French), never a traceback, a hang or a stray English warning.

The seed is fixed and the work bounded by a count of cases (about 30 s in all), never by the
clock.  Two kinds of cases:

- the container is mangled (bytes of the .xlsx itself: zip headers, directory, compressed data),
  which the precheck must refuse cleanly;
- the parts are mangled and zipped again with correct checksums, so that openpyxl, the reader and
  the rules see them: random bytes, and values that broke readers before (``1e999``, ``A0``,
  ``XFE1``, ``t="e"``, ``#REF!``, a sheet state, a style index out of range...).

A failing case names its batch and number and is kept in pytest's temporary folder.
"""

from __future__ import annotations

import random
import re
import warnings
from pathlib import Path

import pytest

import tests.hostile_files as hostile
from budget_tool import sampledata
from budget_tool.checker import check
from budget_tool.generate import output_name, write_workbook
from budget_tool.report import Report, to_json, to_text

SEED = 20240617
BATCHES = 6
CONTAINER_CASES = 50  # per batch: refused in a few milliseconds each
PART_CASES = 85  # per batch: most are read through, about 60 ms each

# Values put in place of a cell value, a reference, a type, a formula or an attribute.
VALUES = [b"", b"-1", b"1e999", b"-1E400", b"1e12", b"NaN", b"#REF!", b"#DIV/0!", b"12,5"]
VALUES += [b"99999999999999999999999", b"0", b"45352", b"abc", "１２".encode(), b"TRUE"]
REFS = [b"A0", b"XFE1", b"A1048577", b"XFD1048576", b"ZZZZ1", b"", b"A-1", b"1A", b"B4", b"a1"]
TYPES = [b"e", b"b", b"s", b"str", b"inlineStr", b"n", b"d", b"x", b""]
FORMULAS = [b"", b"#REF!", b"1/0", b"SUM(", b"A1", b"'Volet 9'!A1", b'INDIRECT("A1")']
FORMULAS += [b"SUM(A1:XFD1048576)", b"A1:A3", b"[1]Feuil1!A1", b"_xlfn.UNKNOWN(1)"]
ATTRIBUTES = [b"9999", b"-1", b"", b"A1:A0", b"veryHidden", b"hidden", b"Volet 1", b"0"]
ATTRIBUTES += [b"1:99999", b"A1:XFD1048576", b"Synth\xc3\xa8se"]
TARGETS = [
    (rb"<v>([^<]*)</v>", VALUES),
    (rb' r="([^"]*)"', REFS),
    (rb' t="([^"]*)"', TYPES),
    (rb"<f>([^<]*)</f>", FORMULAS),
    (rb' (?:s|ref|sqref|state|name|sheetId|count|spans|r:id|Target)="([^"]*)"', ATTRIBUTES),
    (rb"<t[^>]*>([^<]*)</t>", VALUES + REFS),
]


@pytest.fixture(scope="module")
def sources(tmp_path_factory, plans) -> list[dict[str, bytes]]:
    """The parts of both annexes, filled and saved with their cached results."""
    folder = tmp_path_factory.mktemp("sources")
    found = []
    for annexe, lines in (
        ("annexe-2", sampledata.plan_lines),
        ("annexe-3", sampledata.bilan_lines),
    ):
        plan = plans[annexe]
        path = folder / output_name(plan.template, plan.params)
        write_workbook(plan, path, lines(plan))
        found.append(hostile.read_entries(path))
    return found


def mangle_bytes(rng: random.Random, data: bytes, span: int) -> tuple[bytes, str]:
    """One to four random changes: a byte set, a run deleted, a run repeated or random bytes."""
    out, done = bytearray(data), []
    for _ in range(rng.randint(1, 4)):
        if not out:
            break
        pos, size = rng.randrange(len(out)), rng.randint(1, span)
        kind = rng.choice(["set", "delete", "repeat", "insert"])
        if kind == "set":
            out[pos] = rng.randrange(256)
        elif kind == "delete":
            del out[pos : pos + size]
        elif kind == "repeat":
            out[pos:pos] = out[pos : pos + size]
        else:
            out[pos:pos] = bytes(rng.randrange(256) for _ in range(size))
        done.append(f"{kind}@{pos}")
    return bytes(out), " ".join(done)


def mangle_part(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    """Often a value that readers choke on, put where such values go; else random bytes."""
    if rng.random() < 0.7:
        pattern, choices = rng.choice(TARGETS)
        matches = list(re.finditer(pattern, data))
        if matches:
            match, value = rng.choice(matches), rng.choice(choices)
            changed = data[: match.start(1)] + value + data[match.end(1) :]
            return changed, f"{match.group(0)[:40]!r}->{value!r}@{match.start(1)}"
    return mangle_bytes(rng, data, 40)


def run_check(path: Path, case: str) -> Report:
    """check() as the CLI calls it, then both renderings; warnings are errors here."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("error", RuntimeWarning)
        try:
            report = check(path)
            to_text(report)
            to_json([report])
        except Exception as exc:  # keep the file and say which case it was
            raise AssertionError(f"{case}: {type(exc).__name__}: {exc} (fichier {path})") from exc
    assert isinstance(report, Report), case
    if report.refused is not None:
        assert report.exit_code() == 3 and report.refused.strip(), case
    return report


@pytest.mark.parametrize("batch", range(BATCHES))
def test_mangled_container_is_refused_cleanly(tmp_path, sources, batch):
    rng = random.Random(f"{SEED}-conteneur-{batch}")
    outcomes = {"refusé": 0, "lu": 0}
    for number in range(CONTAINER_CASES):
        source = hostile.zip_bytes(rng.choice(sources))
        data, done = mangle_bytes(rng, source, 200)
        path = tmp_path / f"conteneur-{batch}-{number}.xlsx"
        path.write_bytes(data)
        report = run_check(path, f"lot {batch}, cas {number} ({done})")
        outcomes["refusé" if report.refused else "lu"] += 1
        path.unlink()
    assert outcomes["refusé"] > CONTAINER_CASES // 2, outcomes  # damage is seen, not ignored


@pytest.mark.parametrize("batch", range(BATCHES))
def test_mangled_parts_end_in_a_report_or_a_clean_refusal(tmp_path, sources, batch):
    rng = random.Random(f"{SEED}-parties-{batch}")
    outcomes = {"refusé": 0, "lu": 0}
    for number in range(PART_CASES):
        entries = dict(rng.choice(sources))
        changes = []
        parts = [n for n in entries if n.endswith((".xml", ".rels"))]
        sheets = [n for n in parts if n.startswith("xl/worksheets/")]
        for _ in range(rng.randint(1, 3)):
            name = rng.choice(sheets if rng.random() < 0.7 else parts)  # sheets hold the figures
            entries[name], done = mangle_part(rng, entries[name])
            changes.append(f"{name}: {done}")
        path = tmp_path / f"parties-{batch}-{number}.xlsx"
        path.write_bytes(hostile.zip_bytes(entries))
        report = run_check(path, f"lot {batch}, cas {number} ({'; '.join(changes)})")
        outcomes["refusé" if report.refused else "lu"] += 1
        path.unlink()
    assert outcomes["lu"] >= PART_CASES // 20, outcomes  # the reader and rules were exercised
