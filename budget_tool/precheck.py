"""The cheap pre-check of a workbook's bytes and zip, before any XML parser sees them.

Why a module of its own: the .xlsx files come from outside and may be renamed, truncated or
hostile (zip bombs, XML entity expansion, external entities). Everything here looks only at
the raw bytes and the zip structure, with the standard library (and defusedxml for the few
small parts it parses): the kind of file by its first bytes, the zip directory, a streaming
decompression counting real bytes (declared sizes may lie), a DOCTYPE/ENTITY scan, counts of
rows, cells and elements, a pass over the areas of ranged elements (these streaming passes live
in ``zipscan``, imported lazily), and the detection of macros and external links. A refusal is
:class:`~budget_tool.errors.WorkbookRefused` with a French reason, never a traceback.
``safeload`` runs this pre-check and then parses the same bytes; this module never imports
openpyxl (nor numpy), so that the CLI starts fast.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError
from zipfile import ZipInfo

from budget_tool.errors import WorkbookRefused
from budget_tool.package import CONTENT_TYPES, PACKAGE_RELS, Package, PackageProblem, locate

PathLike = str | os.PathLike[str]
MB = 1024 * 1024
_ZIP_MAGIC, _EOCD_MAGIC = b"PK\x03\x04", b"PK\x05\x06"
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
# Parts openpyxl never parses as XML: pictures (an SVG may carry a DOCTYPE), embedded files.
_NOT_XML = re.compile(
    r"\.(bin|png|jpe?g|gif|bmp|tiff?|emf|wmf|svg|wdp|ico|pdf|xls[xmb]?|docx?|pptx?)$"
)


def scanned_as_xml(name: str) -> bool:
    """Whether the pre-check reads this part as XML (and refuses a DOCTYPE or ENTITY in it)."""
    return not _NOT_XML.search(name.lower())


# The only two fixed names of a package; every other part is found by relationships (package.py).
_REQUIRED_PARTS = (CONTENT_TYPES, PACKAGE_RELS)
_OPENDOCUMENT = b"application/vnd.oasis.opendocument"

_SAVE_AS = "enregistrez-le au format « Classeur Excel (.xlsx) » puis renvoyez-le"
_MESSAGES = {
    "missing": "fichier introuvable : vérifiez le nom et le dossier",
    "folder": "c'est un dossier, pas un classeur Excel (.xlsx)",
    "special": "ce n'est pas un fichier ordinaire",
    "unreadable_file": "fichier illisible (accès refusé ou chemin invalide)",
    "empty": "fichier vide (0 octet) : demandez un nouvel envoi du classeur",
    "file_size": "fichier trop volumineux ({size}, maximum {limit})",
    "password": "classeur protégé par un mot de passe : enregistrez-le sans mot de passe (Fichier "
    "> Enregistrer sous… > décocher « Enregistrer avec mot de passe ») puis renvoyez-le",
    "xls": f"ancien format Excel 97-2003 (.xls) : ouvrez-le et {_SAVE_AS}",
    "text": "ce n'est pas un classeur Excel (.xlsx) mais un fichier texte (CSV ou HTML) renommé : "
    f"ouvrez-le dans Excel et {_SAVE_AS}",
    "unknown": "format de fichier non reconnu : ce n'est pas un classeur Excel (.xlsx)",
    "damaged": "fichier .xlsx tronqué ou endommagé : demandez un nouvel envoi du classeur",
    "entries": "trop d'entrées internes ({count}, maximum {limit}) : classeur refusé",
    "duplicate": "l'entrée interne « {name} » figure deux fois : classeur fabriqué ou endommagé",
    "cipher": "archive chiffrée : renvoyez le classeur sans protection",
    "method": f"méthode de compression non prise en charge : {_SAVE_AS}",
    "ods": f"classeur LibreOffice (.ods) : {_SAVE_AS}",
    "odf": "document LibreOffice (OpenDocument) : ce n'est pas un classeur",
    "word": "document Word/PowerPoint renommé en .xlsx : renvoyez le bon fichier (classeur Excel)",
    "part": "partie obligatoire « {name} » absente : ce n'est pas un classeur .xlsx complet "
    "(fichier endommagé ou archive renommée)",
    "sheet": "la feuille « {name} » est déclarée mais absente du fichier : classeur incomplet",
    "strict": "classeur enregistré au format « Classeur Strict Open XML » (norme ISO 29500 "
    "stricte), que budget-tool ne lit pas : ouvrez-le dans Excel, Fichier > Enregistrer sous… > "
    "Type « Classeur Excel (*.xlsx) », puis renvoyez-le",
    "content_size": "contenu décompressé trop volumineux (maximum {entry} par partie, {total} au "
    "total ; bombe zip probable) : classeur refusé",
    "ratio": "taux de compression anormal pour « {name} » (bombe zip probable) : classeur refusé",
    "lying": "la taille déclarée de « {name} » ne correspond pas à son contenu réel : classeur "
    "fabriqué ou endommagé",
    "dtd": "le classeur contient une déclaration XML interdite (DOCTYPE ou ENTITY, utilisée par "
    "les fichiers piégés) : il est refusé sans être lu",
    "bad_xml": "contenu XML mal formé dans le classeur : fichier endommagé",
    "missing_part": "une partie interne du classeur est absente : fichier incomplet ou endommagé",
    "too_complex": "classeur trop volumineux ou trop complexe pour être lu",
    "rows": "{where} contient plus de {limit} lignes, bien plus qu'une annexe "
    "(données collées ou mise en forme étendue à toute la feuille ?) : supprimez les lignes en "
    "trop puis renvoyez le classeur",
    "cells": "{where} contient plus de {limit} cellules (cellules fusionnées et "
    "liens comptés), bien plus qu'une annexe : supprimez les lignes, colonnes ou fusions en "
    "trop puis renvoyez le classeur",
    "elements": "le classeur contient plus de {limit} éléments (cellules, styles, textes…), bien "
    "plus qu'une annexe : classeur refusé",
    "unreadable": "classeur illisible : fichier endommagé ou contenu non pris en charge",
}
_MACRO_WARNING = (
    "classeur avec macros (.xlsm) : les macros ne sont jamais exécutées ni "
    "conservées, seules les données sont lues"
)
_LINKS_WARNING = (
    "le classeur contient {count} liaison(s) vers d'autres classeurs : seules les "
    "valeurs enregistrées dans ce fichier sont lues, sans ouvrir les classeurs liés"
)


@dataclass(frozen=True)
class Limits:
    """Resource ceilings, far above any real annexe workbook but far below a zip bomb."""

    max_file_bytes: int = 50 * MB
    max_entries: int = 2_000
    max_entry_bytes: int = 100 * MB
    max_total_bytes: int = 300 * MB
    max_ratio: float = 200.0
    ratio_min_bytes: int = 1 * MB  # small parts legitimately compress a lot
    # Counted while streaming the parts, before openpyxl builds an object for nearly every XML
    # element (twice for check: ~1 KB and ~20 µs per cell, more per style).  An annexe has
    # under 200 rows and 2,000 cells per sheet, under 10,000 elements in all.
    max_rows_per_sheet: int = 100_000
    max_cells_per_sheet: int = 200_000  # <c> elements, plus the ranges openpyxl expands
    max_xml_elements: int = 500_000  # start tags in all the XML parts together


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Precheck:
    """What the precheck learnt; sha256 identifies the exact bytes that were read."""

    is_macro_enabled: bool
    external_links: tuple[str, ...]
    warnings: tuple[str, ...]
    sha256: str


def precheck(path: PathLike, limits: Limits = DEFAULT_LIMITS) -> Precheck:
    """Check a file cheaply before openpyxl sees it; raise WorkbookRefused if it is refused."""
    data, digest = _read_file(path, limits)
    return _check_bytes(path, data, digest, limits)


def _refuse(path: PathLike, key: str, **values: object) -> NoReturn:
    raise WorkbookRefused(path, _MESSAGES[key].format(**values))


def _refuse_size(path: PathLike, limits: Limits) -> NoReturn:
    _refuse(
        path, "content_size", entry=_mo(limits.max_entry_bytes), total=_mo(limits.max_total_bytes)
    )


def _read_file(path: PathLike, limits: Limits) -> tuple[bytes, str]:
    """Read the file once, read-only and size-capped; return its bytes and their sha256."""
    try:
        mode, size = (info := Path(path).stat()).st_mode, info.st_size
        if not stat.S_ISREG(mode):  # a FIFO or device could block or never end
            _refuse(path, "folder" if stat.S_ISDIR(mode) else "special")
        if size > limits.max_file_bytes:
            _refuse(path, "file_size", size=_mo(size), limit=_mo(limits.max_file_bytes))
        with open(path, "rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except FileNotFoundError as exc:
        raise WorkbookRefused(path, _MESSAGES["missing"]) from exc
    except (OSError, ValueError) as exc:
        raise WorkbookRefused(path, _MESSAGES["unreadable_file"]) from exc
    if not data:
        _refuse(path, "empty")
    if len(data) > limits.max_file_bytes:  # the file grew while we read it
        _refuse(path, "file_size", size=_mo(len(data)), limit=_mo(limits.max_file_bytes))
    return data, hashlib.sha256(data).hexdigest()


def _check_bytes(path: PathLike, data: bytes, digest: str, limits: Limits) -> Precheck:
    """Run every precheck on the bytes; unexpected errors also end as a French refusal."""
    from budget_tool.zipscan import _expanded_ranges, _scan_entries  # it imports this module

    try:
        _check_kind(path, data, limits)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            _check_package_kind(path, archive, names)
            _check_directory(path, infos, limits)
            macro_type, oversized, ranged = _scan_entries(path, data, infos, limits)
            package = _check_package(path, archive)
            oversized.update(_expanded_ranges(archive, ranged, limits))
            if oversized:
                _refuse_oversized(path, package, oversized, limits)
    except WorkbookRefused:
        raise
    except Exception as exc:
        raise WorkbookRefused(path, _reason_for(exc)) from exc
    return _summary(package, macro_type, digest)


def _check_kind(path: PathLike, data: bytes, limits: Limits) -> None:
    """Judge the kind of file by its first bytes (users rename .xls, .csv, .html to .xlsx), and
    read the entry count from the zip end record before zipfile parses a huge directory."""
    if data.startswith(_OLE_MAGIC):
        _refuse(path, "password" if _ENCRYPTED_MARK in data else "xls")
    if not data.startswith((_ZIP_MAGIC, _EOCD_MAGIC)):
        sample = data[:4096]
        controls = sum(1 for byte in sample if byte < 32 and byte not in b"\t\n\r\f")
        is_text = sample.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or (
            b"\x00" not in sample and controls * 100 <= len(sample)
        )
        _refuse(path, "text" if is_text else "unknown")
    pos = data.rfind(_EOCD_MAGIC, max(0, len(data) - 65_557))
    count = int.from_bytes(data[pos + 10 : pos + 12], "little") if pos >= 0 else 0
    if count != 0xFFFF and count > limits.max_entries:
        _refuse(path, "entries", count=count, limit=limits.max_entries)


def _check_directory(path: PathLike, infos: list[ZipInfo], limits: Limits) -> None:
    """Entry count, duplicate names (two parts, one name: which one is read?), ciphers, methods,
    declared sizes (checked again on real sizes while streaming)."""
    if len(infos) > limits.max_entries:
        _refuse(path, "entries", count=len(infos), limit=limits.max_entries)
    counts = Counter(info.filename.casefold() for info in infos)
    duplicates = sorted(name for name, count in counts.items() if count > 1)
    if duplicates:
        _refuse(path, "duplicate", name=_printable(duplicates[0]))
    for info in infos:
        if info.flag_bits & 0x1:
            _refuse(path, "cipher")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            _refuse(path, "method")
        _check_running(path, info.filename, info.file_size, info.compress_size, 0, limits)
    if sum(info.file_size for info in infos) > limits.max_total_bytes:
        _refuse_size(path, limits)


def _check_package_kind(path: PathLike, archive: zipfile.ZipFile, names: set[str]) -> None:
    """Recognise other zip formats renamed .xlsx (.ods, .docx, .pptx), then missing parts."""
    if "mimetype" in names:
        with archive.open("mimetype") as handle:
            mimetype = handle.read(100)
        if mimetype.startswith(_OPENDOCUMENT):
            _refuse(path, "ods" if mimetype.startswith(_OPENDOCUMENT + b".spreadsheet") else "odf")
    if "xl/workbook.xml" not in names and any(n.startswith(("word/", "ppt/")) for n in names):
        _refuse(path, "word")
    for part in _REQUIRED_PARTS:
        if part not in names:
            _refuse(path, "part", name=part)


def _check_running(
    path: PathLike, name: str, size: int, compressed: int, before: int, limits: Limits
) -> None:
    """Per-entry, total and ratio ceilings, on declared sizes first then on real streamed ones."""
    if size > limits.max_entry_bytes or before + size > limits.max_total_bytes:
        _refuse_size(path, limits)
    if size > limits.ratio_min_bytes and size > limits.max_ratio * max(compressed, 1):
        _refuse(path, "ratio", name=_printable(name))


def _check_package(path: PathLike, archive: zipfile.ZipFile) -> Package:
    """Find the workbook and its sheets by relationships, as a spreadsheet does (package.py);
    refuse a Strict Open XML workbook, a package that is no workbook, a sheet declared but
    absent (openpyxl would silently skip it: lost data). Every part is scanned by now."""
    try:
        return locate(archive)
    except PackageProblem as problem:
        _refuse(path, problem.key, name=_printable(problem.name))


def _refuse_oversized(
    path: PathLike, package: Package, oversized: dict[str, str], limits: Limits
) -> NoReturn:
    """Refuse a sheet with too many rows or cells, named by its title when the workbook lists
    it (the package was located from parts already streamed and checked)."""
    part, excess = next(iter(oversized.items()))
    limit = limits.max_rows_per_sheet if excess == "rows" else limits.max_cells_per_sheet
    title = {sheet: name for name, _state, sheet, _chart in package.sheets}.get(part)
    where = f"la feuille « {_printable(title)} »" if title else f"la partie « {_printable(part)} »"
    _refuse(path, excess, where=where, limit=_int(limit))


def _summary(package: Package, macro_type: bool, digest: str) -> Precheck:
    """Macros and external links (found by relationships) are accepted, but reported."""
    macro = macro_type or package.macros
    links = tuple(sorted(set(package.external_links)))
    notes = [_MACRO_WARNING] if macro else []
    if links:
        notes.append(_LINKS_WARNING.format(count=len(links)))
    return Precheck(macro, links, tuple(notes), digest)


def _reason_for(exc: BaseException) -> str:
    """French reason for a low-level failure, never the exception text (it may echo content).

    The whole cause chain is searched: openpyxl re-raises ValueError("Unable to read workbook").
    """
    from defusedxml import DefusedXmlException

    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 20:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for kinds, key in (
        ((DefusedXmlException,), "dtd"),
        ((MemoryError, RecursionError), "too_complex"),
        ((zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError), "damaged"),
        ((ParseError, ExpatError), "bad_xml"),
        ((KeyError,), "missing_part"),
    ):
        if any(isinstance(item, kinds) for item in chain):
            return _MESSAGES[key]
    return _MESSAGES["unreadable"]


def _printable(name: str) -> str:
    """An entry name is attacker-controlled: keep it short and printable in messages."""
    return "".join(c if c.isprintable() else "?" for c in name)[:80]


def _int(value: int) -> str:
    """100 000, grouped by three with a narrow no-break space, as in French."""
    return f"{value:,}".replace(",", "\u202f")


def _mo(size: float) -> str:
    return f"{size / MB:.1f}".replace(".", ",") + " Mo"
