"""Benchmark of ``budget-tool serve`` (``make bench``): starts the real server in its own process
(its defaults: one worker process per core), then

1. 20 concurrent ``POST /api/check`` of an annexe 3, sent at the same instant: the time until
   the last answer (target: all within 2 s), over several rounds;
2. 500 sequential checks: the resident memory of the whole server (web process, the process the
   workers are forked from, the workers) before and after (target: growth under 50 MB).

Prints its figures and writes ``bench/RESULTS-web.md``. It measures, it does not judge: a missed
target is printed, never an exit code. Usage::

    python bench/web.py [--rounds N] [--sequential N] [--workers N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKBOOK = ROOT / "samples" / "annexe3-23-2024-conforme.xlsx"
CONCURRENT, TARGET_SECONDS, TARGET_GROWTH_MB = 20, 2.0, 50.0


def multipart(path: Path) -> tuple[bytes, str]:
    boundary = "budget-tool-bench-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="fichiers"; filename="{path.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    body = head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def post(url: str, body: bytes, content_type: str) -> float:
    """Seconds until the whole answer is read; fails loudly on anything but 200."""
    start = time.perf_counter()
    request = urllib.request.Request(url, body, {"Content-Type": content_type}, method="POST")
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
    return time.perf_counter() - start


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (Linux /proc), in MB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(workers: int | None) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "budget_tool", "serve", "--port", str(port)]
    if workers:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/", timeout=1).read()
            return process, base
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("le serveur n'a pas démarré")


def concurrent_round(url: str, body: bytes, content_type: str) -> list[float]:
    """CONCURRENT requests released together; each one's time from the common start."""
    barrier = threading.Barrier(CONCURRENT + 1)
    times: list[float] = [0.0] * CONCURRENT
    errors: list[str] = []

    def one(index: int) -> None:
        barrier.wait()
        try:
            times[index] = post(url, body, content_type)
        except Exception as exc:  # reported below, the round is not counted as met
            errors.append(str(exc))
            times[index] = float("inf")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join()
    if errors:
        print(f"  erreurs : {errors[:3]}", file=sys.stderr)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sequential", type=int, default=500)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    body, content_type = multipart(WORKBOOK)
    process, base = start_server(args.workers)
    url = base + "/api/check"
    try:
        for _ in range(4):  # warm-up: every worker has checked once
            post(url, body, content_type)
        load = os.getloadavg()[0]
        rounds = [max(concurrent_round(url, body, content_type)) for _ in range(args.rounds)]
        rss_before, cpu_before = tree_rss_mb(process.pid), cpu_seconds(process.pid)
        sequential = [post(url, body, content_type) for _ in range(args.sequential)]
        rss_after, cpu_after = tree_rss_mb(process.pid), cpu_seconds(process.pid)
        load = max(load, os.getloadavg()[0])
    finally:
        process.terminate()
        process.wait(timeout=30)

    worst, median = max(rounds), statistics.median(rounds)
    growth = rss_after - rss_before
    rows = [
        (
            f"{CONCURRENT} `POST /api/check` simultanés (annexe 3) : dernière réponse",
            f"médiane {median:.2f} s, pire {worst:.2f} s sur {len(rounds)} tours",
            f"≤ {TARGET_SECONDS:.0f} s",
            "oui" if worst <= TARGET_SECONDS else "non",
        ),
        (
            f"{args.sequential} contrôles à la suite : mémoire du serveur (tous ses processus)",
            f"{rss_before:.0f} Mo → {rss_after:.0f} Mo ({growth:+.0f} Mo)",
            f"≤ +{TARGET_GROWTH_MB:.0f} Mo",
            "oui" if growth <= TARGET_GROWTH_MB else "non",
        ),
        (
            "un contrôle seul, à la suite (médiane)",
            f"{statistics.median(sequential):.3f} s",
            "",
            "",
        ),
        (
            "CPU du processus web (réception, envoi) par requête",
            f"{(cpu_after - cpu_before) / max(args.sequential, 1) * 1000:.1f} ms",
            "",
            "",
        ),
    ]
    table = ["| mesure | résultat | cible | atteinte |", "|---|---|---|---|"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    print("\n".join(table))
    print(f"charge de la machine (load average sur 1 min, le plus haut) : {load:.1f}")
    cores = os.cpu_count()
    text = (
        "# budget-tool serve : banc d'essai\n\n"
        f"`python bench/web.py` (make bench), le {dt.date.today():%d/%m/%Y}, {cores} cœurs, "
        f"serveur réel (`budget-tool serve`, {args.workers or cores} processus de contrôle), "
        f"fichier {WORKBOOK.name} ; charge de la machine pendant la mesure (load average "
        f"sur 1 min) : {load:.1f} : au-delà du nombre de cœurs, d'autres processus prennent leur "
        "part du processeur et les temps s'allongent d'autant.\n\n" + "\n".join(table) + "\n"
    )
    (HERE / "RESULTS-web.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
