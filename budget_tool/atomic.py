"""Write a file atomically: a temporary file in the target folder, flushed, then renamed.

An interrupted run leaves the previous file (or nothing), never half a workbook.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(
        prefix=".~budget-tool-", suffix=target.suffix, dir=target.parent
    )
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with temporary.open("rb+") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, _file_mode())  # mkstemp makes it private: give it the usual mode
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _file_mode() -> int:
    """0o666 less the umask, the mode an ordinary new file gets (colleagues can read it)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_bytes_atomic(target: Path, data: bytes) -> None:
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)
