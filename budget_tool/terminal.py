"""Terminal conventions for the CLI: colour and cursor codes only on a real terminal, and
standard streams that never end in a traceback.

- no colour nor cursor movement with ``NO_COLOR`` (any value), ``TERM=dumb``, or when the stream
  is not a terminal; an explicit ``--color`` still wins (no-color.org);
- a closed standard output or error (``>&-``) is replaced by /dev/null, so that no file we open
  takes its place; a non-UTF-8 one gets ``\\xe9``-style escapes instead of an encoding error;
- an output that fails (``> /dev/full``, a closed pipe) ends with a French message, code 3.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import IO, Any


def prepare_streams() -> None:
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:  # closed: keep the descriptor taken, by /dev/null
            with _suppress():
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:
                    os.dup2(null, fd)
                    os.close(null)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with _suppress():
                reconfigure(errors="backslashreplace")


def is_terminal(stream: IO[Any] | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):
        return False


def plain_terminal() -> bool:
    """The user asked for no colour nor cursor codes, or the terminal cannot show them."""
    return "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb"


def use_colour(flag: bool | None, stream: IO[Any] | None = None) -> bool:
    if flag is not None:
        return flag
    return not plain_terminal() and is_terminal(stream if stream is not None else sys.stdout)


def finish(code: object) -> object:
    """Flush standard output before exiting; a failure becomes a French message and code 3."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except (OSError, ValueError) as exc:
        _silence_stdout()
        if getattr(exc, "errno", None) != errno.EPIPE:  # a reader that stopped (| head): no message
            _say("Erreur : sortie standard : écriture impossible (disque plein ou sortie fermée).")
            return 3
    return code


def _silence_stdout() -> None:
    with _suppress():
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)


def _say(message: str) -> None:
    with _suppress():
        if sys.stderr is not None:
            sys.stderr.write(message + "\n")
            sys.stderr.flush()


def _suppress() -> contextlib.suppress:
    """A stream that is closed or broken is given up on quietly."""
    return contextlib.suppress(OSError, ValueError)
