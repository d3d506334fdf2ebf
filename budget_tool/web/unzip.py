"""A region's returns sent as one .zip: unpacked safely into the private folder.

Entry names are never used as paths: each entry is written under a name of ours and its own name
is only shown. The limits are the pre-check's (number of entries, real decompressed bytes counted
while inflating, compression ratio) and the upload limit per file; an encrypted archive, a
compression method we do not inflate, or a damaged stream refuse the whole archive.
"""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path

from budget_tool.errors import WorkbookRefused
from budget_tool.precheck import DEFAULT_LIMITS, Limits
from budget_tool.web.uploads import Upload, our_name, size_text
from budget_tool.zipscan import _inflate

_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}


class ArchiveRefused(Exception):
    """The archive cannot be unpacked (French message naming it)."""


def unpack(
    archive: Upload, first_number: int, max_file_bytes: int, limits: Limits = DEFAULT_LIMITS
) -> list[Upload]:
    """The files of the archive, written as ``envoi-NNN.xlsx`` next to it, then the archive removed."""
    name = archive.name
    data = archive.path.read_bytes()
    try:
        with zipfile.ZipFile(archive.path) as handle:
            infos = [i for i in handle.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ArchiveRefused(f"« {name} » n'est pas une archive .zip lisible") from exc
    if len(infos) > limits.max_entries:
        raise ArchiveRefused(
            f"« {name} » contient trop de fichiers ({len(infos)}, maximum {limits.max_entries})"
        )
    unpacked: list[Upload] = []
    total = 0
    for number, info in enumerate(infos, start=first_number):
        shown = _entry_name(info.filename)
        if info.flag_bits & 0x1:
            raise ArchiveRefused(
                f"« {name} » est une archive chiffrée : envoyez-la sans mot de passe"
            )
        if info.compress_type not in _METHODS:
            raise ArchiveRefused(
                f"« {name} » : méthode de compression non prise en charge pour « {shown} »"
            )
        target = archive.path.parent / our_name(
            number, _hidden_mark(info.filename) + shown.rsplit("/", 1)[-1]
        )
        size = _extract(data, info, target, name, shown, max_file_bytes, limits)
        total += size
        if total > limits.max_total_bytes:
            raise ArchiveRefused(
                f"« {name} » : contenu décompressé trop volumineux (bombe zip probable)"
            )
        stamp = dt.datetime(*info.date_time).timestamp()
        os.utime(target, (stamp, stamp))  # the most recent of two copies is the one kept
        unpacked.append(Upload(archive.field, shown, target, size))
    archive.path.unlink()
    return unpacked


def _extract(
    data: bytes,
    info: zipfile.ZipInfo,
    target: Path,
    name: str,
    shown: str,
    max_bytes: int,
    limits: Limits,
) -> int:
    size = 0
    try:
        with target.open("xb") as out:
            for chunk, consumed in _inflate(name, data, info):
                size += len(chunk)
                if size > max_bytes:
                    raise ArchiveRefused(
                        f"« {shown} » (dans « {name} ») dépasse {size_text(max_bytes)}"
                    )
                if size > limits.ratio_min_bytes and size > limits.max_ratio * max(consumed, 1):
                    raise ArchiveRefused(
                        f"« {shown} » (dans « {name} ») : taux de compression anormal (bombe zip probable)"
                    )
                out.write(chunk)
    except WorkbookRefused as exc:
        raise ArchiveRefused(f"« {name} » : archive endommagée ({shown})") from exc
    return size


def _entry_name(filename: str) -> str:
    """The entry's path inside the archive, for display (``region/annexe2-….xlsx``)."""
    from budget_tool.web.uploads import display_name

    parts = [p for p in filename.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    return "/".join(display_name(p) for p in parts[-2:]) or "fichier sans nom"


def _hidden_mark(filename: str) -> str:
    """Entries in a hidden folder (``.git/``, ``__MACOSX/``) are set aside like hidden files."""
    parts = filename.replace("\\", "/").split("/")
    hidden = any(
        p.startswith(".") or p == "__MACOSX" for p in parts[:-1] if p not in ("", ".", "..")
    )
    return "." if hidden else ""
