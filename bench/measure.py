"""Time whole processes: one fresh process per run, wall time and peak memory of that run alone.

``os.wait4`` gives the rusage of the one child it reaps, including its own waited-for children
(LibreOffice's ``soffice`` script execs ``oosplash``, which waits for ``soffice.bin``), so the
peak memory is per run, not the maximum over every child so far as with
``resource.getrusage(RUSAGE_CHILDREN)``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class Sample:
    seconds: float
    cpu_seconds: float  # user + system time of the process and its waited-for children
    max_rss_mb: float  # peak resident memory of the process (and its waited-for children)
    returncode: int


@dataclass
class Measure:
    """One command measured several times; ``prepare`` runs (untimed) before each run."""

    key: str
    label: str
    command: Sequence[str]
    runs: int
    ok_codes: tuple[int, ...] = (0,)
    prepare: Callable[[], None] | None = None
    timeout: float = 3600
    warmup: bool = False
    samples: list[Sample] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(s.seconds for s in self.samples) if self.samples else None

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(s.cpu_seconds for s in self.samples) if self.samples else None

    @property
    def low(self) -> float | None:
        return min(s.seconds for s in self.samples) if self.samples else None

    @property
    def high(self) -> float | None:
        return max(s.seconds for s in self.samples) if self.samples else None

    @property
    def peak_mb(self) -> float | None:
        return max(s.max_rss_mb for s in self.samples) if self.samples else None


def run_once(
    command: Sequence[str], timeout: float = 3600, env: Mapping[str, str] | None = None
) -> tuple[Sample, str]:
    """Run ``command`` once (stdout discarded); the sample and the tail of its stderr."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=env,
            start_new_session=True,  # a timeout kills the whole group (soffice.bin included)
        )
        timer = threading.Timer(timeout, _kill_group, (process.pid,))
        timer.start()
        try:
            _pid, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        errors.seek(0)
        tail = errors.read()[-600:].decode("utf-8", "replace").strip()
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    rss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    cpu = usage.ru_utime + usage.ru_stime
    return Sample(seconds, cpu, rss_mb, process.returncode), tail


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def run_group(
    measures: Sequence[Measure],
    log: Callable[[str], None],
    env: Mapping[str, str] | None = None,
) -> None:
    """Run the measures of a group round-robin (A B C, A B C…), so that a slow drift of the
    machine weighs on all of them alike; a warm-up run first for those that ask for it."""
    for measure in measures:
        if measure.warmup:
            if measure.prepare:
                measure.prepare()
            sample, tail = run_once(measure.command, measure.timeout, env)
            log(f"  (échauffement) {measure.label} : {sample.seconds:.3f} s")
            if sample.returncode not in measure.ok_codes:
                measure.failures.append(f"code {sample.returncode} : {tail}")
    for index in range(max((m.runs for m in measures), default=0)):
        for measure in measures:
            if index >= measure.runs:
                continue
            if measure.prepare:
                measure.prepare()
            sample, tail = run_once(measure.command, measure.timeout, env)
            if sample.returncode not in measure.ok_codes:
                measure.failures.append(f"code {sample.returncode} : {tail}")
                log(f"  ÉCHEC {measure.label} (code {sample.returncode}) : {tail[-300:]}")
                continue
            measure.samples.append(sample)
            log(
                f"  {measure.label} [{index + 1}/{measure.runs}] : {sample.seconds:.3f} s, "
                f"{sample.max_rss_mb:.0f} Mo"
            )
