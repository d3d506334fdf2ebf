"""Benchmark of budget-tool (``make bench``): « Speed that a national team never waits for ».

Builds a national set (the 101 départements, an annexe 2 and an annexe 3 each, filled with
realistic inputs) in ``bench/out/``, then times whole processes, a fresh one per run, side by
side with their references:

1. ``budget-tool --help`` (start-up);
2. ``budget-tool check`` of the largest annexe 3, against a headless LibreOffice recalculation of
   the same file and against the floor (a bare ``openpyxl.load_workbook`` in a fresh process);
3. ``budget-tool consolidate`` of the 202 files, with the follow-up file (``--allocations``,
   ``--date``), then again writing the 101 per-département PDF reports (``--reports``, its own
   row: LibreOffice writes no report, so the ratio compares the consolidation), against one LibreOffice
   converting them all with recalculation and against the floor (every file loaded once by
   openpyxl in one process); 50, 101 and 202 files to show the cost per file;
4. ``budget-tool generate --allocations`` for the 101 départements;
5. the peak memory (max RSS) of every run.

Prints a table (median, ratio, target, met or not) and rewrites ``bench/RESULTS.md``. Never fails
on a missed target: it measures, it does not judge. Usage::

    python bench/run.py [--repeat N] [--repeat-heavy N] [--quick] [--no-libreoffice]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import dataset  # noqa: E402
from measure import Measure, run_group  # noqa: E402

from budget_tool import libreoffice as lo  # noqa: E402
from budget_tool.libreoffice import soffice  # noqa: E402

SIZES = (50, 101, 202)
LOAD_ONE = "import sys, openpyxl; openpyxl.load_workbook(sys.argv[1])"
LOAD_ALL = (
    "import sys, pathlib, openpyxl\n"
    "for path in sorted(pathlib.Path(sys.argv[1]).glob('*.xlsx')):\n"
    "    openpyxl.load_workbook(path)\n"
)
# Same settings as budget_tool.libreoffice: recalculate every formula on loading (0 = always).
RECALC_PROFILE = lo.RECALC_PROFILE


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def budget_tool_command() -> list[str]:
    """The installed console script next to this Python (not a pyenv shim, which adds ~0.1 s
    of shell before Python even starts), else ``python -m budget_tool``."""
    script = Path(sys.executable).parent / "budget-tool"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "budget_tool"]


def child_environment(out: Path) -> dict[str, str]:
    """Bytecode cached as in a normal install (PYTHONDONTWRITEBYTECODE would make every process
    compile budget_tool again), in bench/out/ rather than next to the sources."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(out / "pycache")
    return env


def fresh(folder: Path):
    def prepare() -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    return prepare


def libreoffice_command(executable: str, profile: Path, files, out_dir: Path) -> list[str]:
    """As ``budget_tool.libreoffice.convert`` runs it, with a kept (warm) recalculation profile:
    LibreOffice is then measured at its best, not with a first-start profile."""
    return [
        executable,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        "xlsx",
        "--outdir",
        str(out_dir),
        *map(str, files),
    ]


def recalc_profile(folder: Path) -> Path:
    user = folder / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(RECALC_PROFILE, encoding="utf-8")
    return folder


# ---------------------------------------------------------------------------------------------
# Results table


@dataclass
class Row:
    label: str
    median: str = ""
    spread: str = ""
    cpu: str = ""
    rss: str = ""
    ratio: str = ""
    target: str = ""
    met: str = ""


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def timing_row(m: Measure | None, label: str | None = None) -> Row:
    if m is None:
        return Row(label or "?", "non mesuré")
    if not m.samples:
        return Row(label or m.label, "échec", target="", met=(m.failures or ["?"])[0][:80])
    runs = len(m.samples)
    return Row(
        label or m.label,
        median=seconds(m.median),
        spread=f"{seconds(m.low)} – {seconds(m.high)} ({runs} run{'s' if runs > 1 else ''})",
        cpu=seconds(m.cpu_median),
        rss=f"{m.peak_mb:.0f} Mo",
    )


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("oui" if ok else "**NON**")


def build_rows(m: dict[str, Measure], sizes: tuple[int, ...]) -> list[Row]:
    def med(key: str) -> float | None:
        return m[key].median if key in m and m[key].samples else None

    rows: list[Row] = []

    row = timing_row(m.get("help"), "1. `budget-tool --help` (démarrage)")
    value = med("help")
    row.target, row.met = "≤ 0,15 s", verdict(None if value is None else value <= 0.15)
    rows.append(row)

    row = timing_row(m.get("check"), "2. `budget-tool check` (annexe 3, 1 fichier)")
    rows.append(row)
    row = timing_row(m.get("lo_one"), "2. LibreOffice headless, recalcul du même fichier")
    check, lo_one, floor_one = med("check"), med("lo_one"), med("load_one")
    if check and lo_one:
        row.ratio = f"LibreOffice / check = {lo_one / check:.2f}×"
        row.target, row.met = "≥ 5× (check plus rapide)", verdict(lo_one / check >= 5)
    rows.append(row)
    row = timing_row(m.get("load_one"), "2. plancher : `openpyxl.load_workbook` seul")
    if check and floor_one:
        row.ratio = f"check / plancher = {check / floor_one:.2f}×"
        row.target, row.met = "≤ 1,5×", verdict(check / floor_one <= 1.5)
    rows.append(row)

    big = max(sizes)
    for size in sizes:
        key = f"consolidate_{size}"
        row = timing_row(m.get(key), f"3. `budget-tool consolidate`, {size} fichiers")
        value = med(key)
        if value:
            row.ratio = f"{value / size * 1000:.0f} ms / fichier"
        if size == big and value is not None:
            row.target, row.met = "≤ 15 s", verdict(value <= 15)
        rows.append(row)
    cons = med(f"consolidate_{big}")
    row = timing_row(m.get("lo_all"), f"3. LibreOffice headless, 1 processus, {big} fichiers")
    lo_all = med("lo_all")
    if cons and lo_all:
        row.ratio = f"LibreOffice / consolidate = {lo_all / cons:.2f}×"
        row.target, row.met = "≥ 5× (consolidate plus rapide)", verdict(lo_all / cons >= 5)
    rows.append(row)
    row = timing_row(m.get("load_all"), f"3. plancher : openpyxl charge les {big} fichiers")
    floor_all = med("load_all")
    if cons and floor_all:
        row.ratio = f"consolidate / plancher = {cons / floor_all:.2f}×"
    rows.append(row)
    row = timing_row(
        m.get("consolidate_reports"),
        f"3. `consolidate`, {big} fichiers, avec les 101 rapports PDF (`--reports`)",
    )
    value = med("consolidate_reports")
    if value is not None and cons:
        row.ratio = f"rapports : {(value - cons) / 101 * 1000:.0f} ms / département"
        row.target, row.met = "≤ 15 s", verdict(value <= 15)
    rows.append(row)
    rows += linearity_rows(m, sizes)
    row = timing_row(m.get("generate"), "4. `budget-tool generate --allocations`, 101 départements")
    value = med("generate")
    row.target, row.met = "≤ 20 s", verdict(None if value is None else value <= 20)
    rows.append(row)
    for key, label in ((f"consolidate_{big}", ""), ("consolidate_reports", ", avec les rapports")):
        if key in m and m[key].samples:
            peak = m[key].peak_mb
            rows.append(
                Row(
                    f"5. mémoire max de consolidate ({big} fichiers{label})",
                    median=f"{peak:.0f} Mo",
                    target="≤ 200 Mo",
                    met=verdict(peak <= 200),
                )
            )

    return rows


def linearity_rows(m: dict[str, Measure], sizes: tuple[int, ...]) -> list[Row]:
    """Marginal CPU cost per file between consecutive sizes: equal if the cost is linear (the
    fixed cost of start-up and of writing the summary cancels out). CPU time rather than wall
    time: it does not count the time the process waited for a core on a busy machine."""
    cpu = {n: m[f"consolidate_{n}"].cpu_median for n in sizes if m.get(f"consolidate_{n}")}
    cpu = {n: v for n, v in cpu.items() if v is not None}
    known = sorted(cpu)
    if len(known) < 3:
        return []
    steps = [(a, b, (cpu[b] - cpu[a]) / (b - a)) for a, b in zip(known, known[1:], strict=False)]
    fixed = cpu[known[0]] - steps[0][2] * known[0]
    text = " ; ".join(f"{a}→{b} : {cost * 1000:.0f} ms" for a, b, cost in steps)
    ratio = steps[-1][2] / steps[0][2] if steps[0][2] > 0 else float("inf")
    return [
        Row(
            "3. linéarité : coût CPU marginal par fichier",
            median=text,
            ratio=f"{ratio:.2f} (coût fixe ≈ {fixed:.1f} s)",
            target="≈ 1 (≤ 1,2)",
            met=verdict(ratio <= 1.2),
        )
    ]


HEADERS = ("Mesure", "Médiane", "Min – max", "CPU", "RSS max", "Ratio", "Cible", "Atteinte")


def markdown_table(rows: list[Row]) -> str:
    lines = [
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join(["---"] + ["--:"] * 4 + ["---"] * 3) + "|",
    ]
    for r in rows:
        cells = (r.label, r.median, r.spread, r.cpu, r.rss, r.ratio, r.target, r.met)
        lines.append("| " + " | ".join(c or "" for c in cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Machine and versions


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    cpu_model = mhz = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and cpu_model is None:
                cpu_model = line.split(":", 1)[1].strip()
            elif line.startswith("cpu MHz") and mhz is None:
                mhz = f"{float(line.split(':', 1)[1]):.0f}"
    except OSError:
        pass
    cpu = cpu_model or cpu
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} Gio"
                break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "mhz": mhz or "",
        "memory": memory,
        "system": f"{platform.system()} {platform.release()}",
    }


def versions(executable: str | None) -> dict[str, str]:
    found = {"Python": platform.python_version()}
    for name in ("budget-tool", "openpyxl", "XlsxWriter", "pandas"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "absent"
    found["LibreOffice"] = "absent"
    if executable:
        try:
            out = subprocess.run(
                [executable, "--version"], capture_output=True, text=True, timeout=60
            ).stdout.strip()
            found["LibreOffice"] = out.splitlines()[0] if out else "?"
        except (OSError, subprocess.SubprocessError):
            found["LibreOffice"] = "?"
    try:
        head = subprocess.run(
            ["git", "-C", str(HERE.parent), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        found["commit"] = head or "?"
    except (OSError, subprocess.SubprocessError):
        found["commit"] = "?"
    return found


def write_results(path: Path, rows, info, vers, context: str) -> None:
    mhz = f", {info['mhz']} MHz" if info.get("mhz") else ""
    text = f"""# Banc d'essai de budget-tool

Écrit par `python bench/run.py` (`make bench`) le {dt.datetime.now():%Y-%m-%d %H:%M} : processus
complets, un processus neuf par mesure, médianes et ratios de médianes, cibles de l'issue « Speed
that a national team never waits for ».

- Jeu : {context}.
- Références : LibreOffice headless avec recalcul forcé au chargement (`OOXMLRecalcMode` 0, profil
  gardé d'un run à l'autre, premier démarrage non mesuré) ; plancher : `openpyxl.load_workbook`
  seul. CPU : temps utilisateur + système ; RSS max : mémoire résidente maximale du processus.
- Machine : {info["nproc"]} cœurs ({info["cpu"]}{mhz}), {info["memory"]} de mémoire,
  {info["system"]}.
- Versions : Python {vers["Python"]}, budget-tool {vers["budget-tool"]} ({vers["commit"]}),
  openpyxl {vers["openpyxl"]}, xlsxwriter {vers["XlsxWriter"]}, pandas {vers["pandas"]},
  {vers["LibreOffice"]}.

{markdown_table(rows)}
"""
    path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, help="runs per light measure (défaut 5)")
    parser.add_argument(
        "--repeat-heavy",
        type=int,
        help="runs for LibreOffice, consolidate, generate (défaut 3)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="court : 2 runs (1 pour LibreOffice, consolidate, generate)",
    )
    parser.add_argument("--no-libreoffice", action="store_true", help="sans LibreOffice")
    parser.add_argument("--out", type=Path, default=HERE / "out", help="dossier de travail")
    parser.add_argument(
        "--results", type=Path, default=HERE / "RESULTS.md", help="fichier de résultats"
    )
    args = parser.parse_args(argv)
    light = args.repeat or (2 if args.quick else 5)
    heavy = args.repeat_heavy or (1 if args.quick else 3)
    if args.repeat and not args.repeat_heavy and not args.quick:
        heavy = min(heavy, args.repeat)
    sizes = SIZES

    tool = budget_tool_command()
    executable = None if args.no_libreoffice else soffice()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    log(f"budget-tool : {' '.join(tool)} ; LibreOffice : {executable or 'non utilisé'}")

    log("Classeurs nationaux : génération et remplissage (101 départements × 2 annexes)…")
    national = dataset.build_national_set(out / "national")
    annexes3 = [f for f in national.files if f.name.startswith("annexe3")]
    one = max(annexes3, key=lambda f: (f.stat().st_size, f.name))
    folders = {n: dataset.subset(national.files, n, out / f"set-{n}") for n in sizes}
    allocations = dataset.write_allocations(national.params, out / "allocations-2024.csv")
    followup = dataset.write_followup(national.params, out / "suivi-2024.csv")
    log(
        f"  {len(national.files)} fichiers ({national.with_volet3} départements avec volet 3), "
        f"contrôle d'un fichier : {one.name} ({one.stat().st_size // 1024} Kio)"
    )

    env = child_environment(out)
    load_before = os.getloadavg()[0]
    profile_dir = Path(tempfile.mkdtemp(prefix="bench-lo-profile-", dir=out))
    profile = recalc_profile(profile_dir)
    measures: dict[str, Measure] = {}

    def add(measure: Measure) -> Measure:
        measures[measure.key] = measure
        return measure

    try:
        log("1. Démarrage")
        run_group(
            [add(Measure("help", "budget-tool --help", [*tool, "--help"], light, warmup=True))],
            log,
            env,
        )

        log("2. Un classeur : check, LibreOffice, plancher openpyxl")
        group = [
            add(Measure("check", "check", [*tool, "check", str(one)], light, (0, 1), warmup=True)),
            add(
                Measure(
                    "load_one",
                    "openpyxl.load_workbook",
                    [sys.executable, "-c", LOAD_ONE, str(one)],
                    light,
                    warmup=True,
                )
            ),
        ]
        if executable:
            lo_out = out / "lo-one"
            group.append(
                add(
                    Measure(
                        "lo_one",
                        "LibreOffice (1 fichier)",
                        libreoffice_command(executable, profile, [one], lo_out),
                        heavy,
                        prepare=fresh(lo_out),
                        warmup=True,  # the first start fills the profile: not measured
                    )
                )
            )
        run_group(group, log, env)

        log("3. Consolidation nationale : consolidate, LibreOffice, plancher openpyxl")
        big = max(sizes)
        group = [
            add(
                Measure(
                    f"consolidate_{n}",
                    f"consolidate {n} fichiers",
                    [*tool, "consolidate", str(folders[n]), "-o", str(out / f"synthese-{n}.xlsx")]
                    + ["--allocations", str(followup), "--date", "2025-05-15", "--quiet"],
                    heavy,
                    (0,),
                )
            )
            for n in sizes
        ]
        group.append(
            add(
                Measure(
                    "consolidate_reports",
                    f"consolidate {big} fichiers + rapports PDF",
                    [*tool, "consolidate", str(folders[big]), "-o", str(out / "synthese-r.xlsx")]
                    + ["--allocations", str(followup), "--date", "2025-05-15", "--quiet"]
                    + ["--reports", str(out / "rapports")],
                    heavy,
                    (0,),
                )
            )
        )
        group.append(
            add(
                Measure(
                    "load_all",
                    f"openpyxl charge {big} fichiers",
                    [sys.executable, "-c", LOAD_ALL, str(folders[big])],
                    heavy,
                )
            )
        )
        if executable:
            lo_out = out / "lo-all"
            files = sorted(folders[big].glob("*.xlsx"))
            group.append(
                add(
                    Measure(
                        "lo_all",
                        f"LibreOffice ({big} fichiers)",
                        libreoffice_command(executable, profile, files, lo_out),
                        heavy,
                        prepare=fresh(lo_out),
                    )
                )
            )
        run_group(group, log, env)
        if executable and measures["lo_all"].samples:
            produced = len(list((out / "lo-all").glob("*.xlsx")))
            log(f"  LibreOffice a produit {produced} fichiers sur {big}")

        log("4. Génération nationale")
        gen_out = out / "generate"
        run_group(
            [
                add(
                    Measure(
                        "generate",
                        "generate 101 départements",
                        [*tool, "generate", "--allocations", str(allocations), "-o", str(gen_out)],
                        heavy,
                        prepare=fresh(gen_out),
                    )
                )
            ],
            log,
            env,
        )
    finally:
        shutil.rmtree(profile_dir, ignore_errors=True)

    load_after = os.getloadavg()[0]
    rows = build_rows(measures, sizes)
    info, vers = machine(), versions(executable)
    context = (
        f"{len(national.files)} classeurs remplis ({national.with_volet3} départements avec "
        f"volet 3), contrôle de `{one.name}` ; {light} runs (légers), {heavy} runs (LibreOffice, "
        f"consolidate, generate){', mode --quick' if args.quick else ''} ; charge moyenne de "
        f"la machine {load_before:.2f} au début, {load_after:.2f} à la fin"
    )
    table = markdown_table(rows)
    print()
    print(f"Machine : {info['nproc']} cœurs, {info['cpu']} {info['mhz']} MHz, {info['memory']}")
    print("Versions : " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    print(f"Jeu : {context}")
    print()
    print(table)
    write_results(args.results, rows, info, vers, context)
    print(f"\nÉcrit : {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
