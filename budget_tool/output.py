"""The one way out: every file budget-tool writes goes through this module.

Rules (README, « Fichiers écrits ») :
- a target is a new name in an existing folder, or an existing *regular* file (replaced);
  a device, FIFO, folder, socket or symbolic link is refused before anything is written
  (exit code 2): ``-o /dev/full`` never turns a device into a file, a link is never replaced;
- ``-`` is standard output, as in every Unix tool (``./-`` is a file named « - »);
- writing is atomic: a temporary file beside the target, flushed to disk, then renamed over it;
  an interrupted or failed run leaves the previous file (or nothing), never half a file; inside
  ``staged()``, the renames of several outputs wait until all of them are written, so that a
  full disk on the last one leaves none of them half done;
- every ``OSError`` becomes :class:`OutputError`, a French message naming the path: exit code 2
  when the path itself is the problem (access refused, read-only disk, name too long, a folder
  missing), 3 when writing failed (disk full, file size limit, input/output error).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from budget_tool.errors import BudgetToolError
from budget_tool.names import shown

STDOUT = "-"  # the string « - » only: Path("-") (from ``./-``) is a file named « - »
_TEMP_PREFIX = ".~budget-tool-"
_staged: list[list[tuple[Path, Path | str]]] = []  # open staged() blocks: (temporary, target)


class OutputError(BudgetToolError):
    """An output could not be written; the message names the path, nothing was written."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# errno -> (French reason, exit code): 2 = choose another path, 3 = the write itself failed.
_OS_REASONS: dict[int, tuple[str, int]] = {
    errno.EACCES: ("accès refusé (droits insuffisants sur le fichier ou le dossier)", 2),
    errno.EPERM: ("opération non permise sur ce fichier ou ce dossier", 2),
    errno.EROFS: ("le disque est en lecture seule", 2),
    errno.ENAMETOOLONG: ("nom de fichier trop long", 2),
    errno.ENOTDIR: ("un élément du chemin n'est pas un dossier", 2),
    errno.ENOENT: ("le dossier n'existe pas", 2),
    errno.EISDIR: ("c'est un dossier, pas un fichier", 2),
    errno.ELOOP: ("trop de liens symboliques dans le chemin", 2),
    errno.EEXIST: ("un fichier de ce nom existe déjà", 2),
    errno.ENOSPC: ("disque plein", 3),
    errno.EDQUOT: ("quota de disque dépassé", 3),
    errno.EFBIG: ("fichier trop gros pour la limite fixée par le système (ulimit -f)", 3),
    errno.EIO: ("erreur d'entrée/sortie du disque", 3),
    errno.EPIPE: ("la sortie a été fermée avant la fin de l'écriture", 3),
}


def os_reason(exc: OSError) -> tuple[str, int]:
    """The French reason for an OS error (never the English strerror), and its exit code."""
    default = (f"erreur système {errno.errorcode.get(exc.errno or 0, '?')}", 3)
    return _OS_REASONS.get(exc.errno or 0, default)


def os_error(path: object, exc: OSError, doing: str = "écriture impossible") -> OutputError:
    """A French message for an OS error on ``path``."""
    reason, code = os_reason(exc)
    return OutputError(f"{shown(path)} : {doing} : {reason} ; rien n'a été écrit.", code)


def os_cause(exc: BaseException) -> OSError | None:
    """The OSError behind ``exc``: itself, or wrapped (xlsxwriter's FileCreateError holds it as
    its first argument), or its cause; None for any other failure (a bug: let it show)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        if isinstance(current, OSError):
            return current
        seen.append(current)
        wrapped = current.args[0] if current.args else None
        if isinstance(wrapped, OSError):
            return wrapped
        current = current.__cause__ or current.__context__
    return None


def is_stdout(target: object) -> bool:
    return isinstance(target, str) and target == STDOUT


def check_target(target: Path | str) -> None:
    """Refuse (exit 2, nothing written) a target that is not a regular file nor a new name in
    an existing, writable folder. Called before any work, and again just before the rename."""
    if is_stdout(target):
        return
    path = Path(target)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise os_error(path, exc) from exc
    if info is not None:
        _check_existing(path, info.st_mode)
    _check_folder(path)


def _check_existing(path: Path, mode: int) -> None:
    if stat.S_ISLNK(mode):
        raise OutputError(
            f"{shown(path)} : c'est un lien symbolique ; budget-tool ne remplace jamais un lien "
            "(choisissez un autre nom) ; rien n'a été écrit."
        )
    if stat.S_ISDIR(mode):
        raise OutputError(
            f"{shown(path)} : c'est un dossier ; indiquez un nom de fichier ; rien n'a été écrit."
        )
    if not stat.S_ISREG(mode):
        raise OutputError(
            f"{shown(path)} : ce n'est pas un fichier ordinaire (périphérique, tube ou socket) : "
            "budget-tool n'écrit que dans des fichiers ordinaires ; rien n'a été écrit."
        )


def _check_folder(path: Path) -> None:
    folder = path.parent
    try:
        info = os.stat(folder)
    except OSError as exc:
        reason = "le dossier n'existe pas" if exc.errno == errno.ENOENT else None
        if reason is None:
            raise os_error(folder, exc) from exc
        raise OutputError(
            f"{shown(path)} : le dossier {shown(folder)} n'existe pas ; créez-le d'abord ; "
            "rien n'a été écrit."
        ) from exc
    if not stat.S_ISDIR(info.st_mode):
        raise OutputError(
            f"{shown(path)} : {shown(folder)} n'est pas un dossier ; rien n'a été écrit."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        error = OSError(errno.EROFS if _read_only(folder) else errno.EACCES, "")
        raise os_error(path, error)


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def ensure_folder(folder: Path | str) -> Path:
    """An output *folder* named by the user (``generate -o``, ``--csv``): created if missing."""
    path = Path(folder)
    try:
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            raise OutputError(f"{shown(path)} : ce n'est pas un dossier ; rien n'a été écrit.")
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_error(path, exc, "création du dossier impossible") from exc
    return path


@contextlib.contextmanager
def staged() -> Iterator[None]:
    """Several outputs, all or none: each is written to its temporary file, and only when the
    block ends without error are they all flushed and renamed (or copied to standard output)."""
    pending: list[tuple[Path, Path | str]] = []
    _staged.append(pending)
    try:
        yield
        for temporary, target in pending:
            _finish(temporary, target)
    finally:
        _staged.remove(pending)
        for temporary, _target in pending:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def output_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path to write to; on success it becomes ``target`` atomically (or is
    copied to standard output for ``-``). Any OSError becomes a French OutputError."""
    check_target(target)
    if is_stdout(target):
        handle, name = tempfile.mkstemp(prefix="budget-tool-")
        os.close(handle)
        temporary = Path(name)
    else:
        temporary = _temporary_beside(Path(target))
    keep = False
    try:
        yield temporary
        if not is_stdout(target):
            _flush(temporary)  # a full disk shows here, before any output is renamed
        if _staged:
            _staged[-1].append((temporary, target))
            keep = True
        else:
            _finish(temporary, target)
    except OutputError:
        raise
    except Exception as exc:
        cause = os_cause(exc)
        if cause is None:
            raise
        raise os_error("(sortie standard)" if is_stdout(target) else target, cause) from exc
    finally:
        if not keep:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)


def _finish(temporary: Path, target: Path | str) -> None:
    try:
        if is_stdout(target):
            _copy_to_stdout(temporary)
        else:
            _commit(temporary, Path(target))
    except OSError as exc:
        raise os_error("(sortie standard)" if is_stdout(target) else target, exc) from exc


def _temporary_beside(path: Path) -> Path:
    try:
        handle, name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise os_error(path, exc) from exc
    os.close(handle)
    return Path(name)


def _flush(temporary: Path) -> None:
    with temporary.open("rb+") as written:
        os.fsync(written.fileno())
    os.chmod(temporary, _file_mode())  # mkstemp makes it private: give it the usual mode


def _commit(temporary: Path, target: Path) -> None:
    check_target(target)  # it may have become a link or a device meanwhile
    os.replace(temporary, target)


def _copy_to_stdout(temporary: Path) -> None:
    stream = getattr(sys.stdout, "buffer", None)
    if stream is None:
        raise OutputError("(sortie standard) : la sortie standard est fermée ; rien n'a été écrit.")
    try:
        sys.stdout.flush()
        with temporary.open("rb") as source:
            shutil.copyfileobj(source, stream)
        stream.flush()
    except OSError as exc:
        raise os_error("(sortie standard)", exc) from exc


def write_bytes(target: Path | str, data: bytes) -> None:
    """Write ``data`` to ``target`` (``-`` = standard output), atomically."""
    with output_path(target) as temporary:
        temporary.write_bytes(data)


def write_text(target: Path | str, text: str) -> None:
    """UTF-8 text (always valid UTF-8: unpaired surrogates are replaced)."""
    write_bytes(target, text.encode("utf-8", errors="replace"))


def _file_mode() -> int:
    """0o666 less the umask, the mode an ordinary new file gets (colleagues can read it)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
