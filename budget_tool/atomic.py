"""Atomic writing, kept for the callers that import it: a thin wrapper over ``output.py``, the
one way out (regular files only, links never replaced, ``-`` = standard output, French errors).

An interrupted run leaves the previous file (or nothing), never half a workbook.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from budget_tool.output import ensure_folder, is_stdout, output_path, write_bytes


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``. As before,
    a missing parent folder is created (new code should call ``output.output_path``)."""
    _parent(target)
    with output_path(target) as temporary:
        yield temporary


def write_bytes_atomic(target: Path, data: bytes) -> None:
    _parent(target)
    write_bytes(target, data)


def _parent(target: Path) -> None:
    if not is_stdout(target):
        ensure_folder(Path(target).parent)
