"""One defensive loading path for every workbook sent back by a local authority.

Why: the .xlsx files come from outside (e-mail, upload) and may be renamed, truncated or hostile
(zip bombs, XML entity expansion, external entities).  Every command opens workbooks through
:func:`load_workbook` or :func:`load_both`, which

1. read the file once, read-only, into memory (size capped) and hash it;
2. run the precheck on those bytes *before* openpyxl sees them: kind of file from its first
   bytes, zip directory sanity, real (streamed) decompressed sizes, CRC, no DTD or entity;
3. give the *same* bytes to openpyxl (which must use defusedxml) and turn any failure into
   :class:`~budget_tool.errors.WorkbookRefused` with a French reason, never a traceback.

openpyxl is imported inside the functions only, so that the CLI starts fast.
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import stat
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError

from budget_tool.errors import WorkbookRefused

if TYPE_CHECKING:
    from openpyxl import Workbook

PathLike = str | os.PathLike[str]

MB = 1024 * 1024
_CHUNK = 256 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_EOCD_MAGIC = b"PK\x05\x06"
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
_TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# Expat reads UTF-8, UTF-16 and ASCII-compatible single-byte encodings only: these cover them all.
_FORBIDDEN_XML = tuple(
    token.encode(enc)
    for token in ("<!DOCTYPE", "<!ENTITY")
    for enc in ("ascii", "utf-16-le", "utf-16-be")
)
_MACRO_MARK = b"macroEnabled"
_KEEP = max(len(m) for m in (*_FORBIDDEN_XML, _MACRO_MARK)) - 1
# Parts openpyxl never parses as XML (pictures may legitimately carry a DOCTYPE, e.g. SVG).
_NOT_XML = (
    ".bin",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".bmp",
    ".tif",
    ".tiff",
    ".emf",
    ".wmf",
    ".svg",
    ".wdp",
    ".ico",
)
_CONTENT_TYPES = "[Content_Types].xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_REQUIRED_PARTS = (_CONTENT_TYPES, "xl/workbook.xml", _WORKBOOK_RELS)
_OPENDOCUMENT = b"application/vnd.oasis.opendocument"
_ODS_MIMETYPE = _OPENDOCUMENT + b".spreadsheet"

_SAVE_AS_XLSX = "enregistrez-le au format « Classeur Excel (.xlsx) » puis renvoyez-le"
_DAMAGED = "fichier .xlsx tronqué ou endommagé : demandez un nouvel envoi du classeur"
_DANGEROUS_XML = (
    "le classeur contient une déclaration XML interdite (DOCTYPE ou ENTITY, utilisée "
    "par les fichiers piégés) : il est refusé sans être lu"
)
_BAD_XML = "contenu XML mal formé dans le classeur : fichier endommagé, demandez un nouvel envoi"
_MISSING_PART = "une partie interne du classeur est absente : fichier incomplet ou endommagé"
_TOO_BIG = "classeur trop volumineux ou trop complexe pour être lu"
_UNREADABLE = "classeur illisible : fichier endommagé ou contenu non pris en charge"


@dataclass(frozen=True)
class Limits:
    """Resource ceilings, far above any real annexe workbook but far below a zip bomb."""

    max_file_bytes: int = 50 * MB
    max_entries: int = 2_000
    max_entry_bytes: int = 100 * MB
    max_total_bytes: int = 300 * MB
    max_ratio: float = 200.0
    ratio_min_bytes: int = 1 * MB  # ratio only checked above this (tiny parts compress a lot)
    max_rows_per_sheet: int = 1_048_576  # Excel's own limit; enforced by the readers, not here


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Precheck:
    """What the precheck learnt: kept with the findings (sha256 identifies the exact file)."""

    is_macro_enabled: bool
    external_links: tuple[str, ...]
    warnings: tuple[str, ...]
    sha256: str


def precheck(path: PathLike, limits: Limits = DEFAULT_LIMITS) -> Precheck:
    """Check a file cheaply before openpyxl sees it; raise WorkbookRefused if it is refused."""
    data, digest = _read_file(path, limits)
    return _check_bytes(path, data, digest, limits)


def assert_defused() -> None:
    """Fail at start-up unless openpyxl parses XML through defusedxml.

    openpyxl sets ``openpyxl.DEFUSEDXML`` (from ``openpyxl.xml``) to True when defusedxml is
    importable and ``OPENPYXL_DEFUSEDXML`` is not "False"; ``openpyxl.xml.functions`` then binds
    defusedxml's ``iterparse`` (and ``fromstring``, unless lxml is used with
    ``resolve_entities=False``).  The readers import those names at import time, so we check the
    bound functions themselves, not only the flag.
    """
    import openpyxl
    import openpyxl.xml
    from openpyxl.reader import excel, strings
    from openpyxl.worksheet import _reader
    from openpyxl.xml import functions

    parsers = [functions.iterparse, _reader.iterparse, strings.iterparse]
    if not openpyxl.LXML:
        parsers += [functions.fromstring, excel.fromstring]
    flags_ok = openpyxl.DEFUSEDXML is True and openpyxl.xml.DEFUSEDXML is True
    bound_ok = all(getattr(p, "__module__", "").startswith("defusedxml") for p in parsers)
    if not (flags_ok and bound_ok):
        raise RuntimeError(
            "openpyxl n'utilise pas defusedxml (paquet absent ou OPENPYXL_DEFUSEDXML=False) : "
            "lecture des classeurs désactivée par sécurité"
        )


def load_workbook(
    path: PathLike, limits: Limits = DEFAULT_LIMITS, *, data_only: bool = False
) -> tuple[Workbook, Precheck]:
    """Precheck then load a workbook; any failure becomes WorkbookRefused (French reason).

    openpyxl receives the very bytes that were checked (io.BytesIO), so the file cannot change
    between check and parse, and openpyxl's own extension check does not apply (the kind of file
    is judged on its bytes).  ``read_only=True`` is never used: openpyxl's ReadOnlyWorksheet takes
    ``max_row`` from the sheet's ``<dimension ref>`` (``_get_size``) and ``_cells_by_row`` stops
    at ``idx > max_row``, so a stale or forged <dimension> silently drops the last rows.
    ``keep_vba=False``: macros are never kept; ``keep_links=True``: external links are reported.
    """
    assert_defused()
    data, digest = _read_file(path, limits)
    checked = _check_bytes(path, data, digest, limits)
    return _openpyxl_load(path, data, data_only), checked


def load_both(
    path: PathLike, limits: Limits = DEFAULT_LIMITS
) -> tuple[Workbook, Workbook, Precheck]:
    """Return (formulas workbook, cached-values workbook, precheck) from one read of the file.

    Both loads parse the same in-memory bytes, so formulas and cached values always come from
    the same version of the file, checked once.
    """
    assert_defused()
    data, digest = _read_file(path, limits)
    checked = _check_bytes(path, data, digest, limits)
    return _openpyxl_load(path, data, False), _openpyxl_load(path, data, True), checked


def _openpyxl_load(path: PathLike, data: bytes, data_only: bool) -> Workbook:
    """Parse checked bytes with openpyxl; its (English) warnings are not for finance officers."""
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            return openpyxl.load_workbook(
                io.BytesIO(data),
                read_only=False,
                data_only=data_only,
                keep_vba=False,
                keep_links=True,
            )
    except Exception as exc:  # every failure of a hostile file must become a French refusal
        raise WorkbookRefused(path, _reason_for(exc)) from exc


def _read_file(path: PathLike, limits: Limits) -> tuple[bytes, str]:
    """Read the file once, read-only and size-capped; return its bytes and their sha256."""
    try:
        info = Path(path).stat()
        if stat.S_ISDIR(info.st_mode):
            raise WorkbookRefused(path, "c'est un dossier, pas un classeur Excel (.xlsx)")
        if not stat.S_ISREG(info.st_mode):
            raise WorkbookRefused(path, "ce n'est pas un fichier ordinaire")
        if info.st_size > limits.max_file_bytes:
            raise WorkbookRefused(path, _too_big_file(info.st_size, limits))
        with open(path, "rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except FileNotFoundError as exc:
        raise WorkbookRefused(path, "fichier introuvable : vérifiez le nom et le dossier") from exc
    except (OSError, ValueError) as exc:
        raise WorkbookRefused(path, "fichier illisible (accès refusé ou chemin invalide)") from exc
    if not data:
        raise WorkbookRefused(path, "fichier vide (0 octet) : demandez un nouvel envoi du classeur")
    if len(data) > limits.max_file_bytes:
        raise WorkbookRefused(path, _too_big_file(len(data), limits))
    return data, hashlib.sha256(data).hexdigest()


def _check_bytes(path: PathLike, data: bytes, digest: str, limits: Limits) -> Precheck:
    """Run every precheck on the bytes; unexpected errors also end as a French refusal."""
    try:
        _check_kind(path, data)
        _check_entry_count(path, data, limits)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            _check_directory(path, infos, limits)
            _check_package_kind(path, archive, names)
            _check_declared_sizes(path, infos, limits)
            macro_type = _scan_entries(path, data, infos, limits)
            _check_sheet_parts(path, archive, names)
    except WorkbookRefused:
        raise
    except Exception as exc:
        raise WorkbookRefused(path, _reason_for(exc)) from exc
    return _summary(names, macro_type, digest)


def _check_kind(path: PathLike, data: bytes) -> None:
    """Judge the kind of file by its first bytes: users rename .xls, .csv and .html to .xlsx."""
    if data.startswith((_ZIP_MAGIC, _EOCD_MAGIC)):
        return
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_MARK in data:
            raise WorkbookRefused(
                path,
                (
                    "classeur protégé par un mot de passe : enregistrez-le sans mot de passe "
                    "(Fichier > Enregistrer sous… > décocher « Enregistrer avec mot de passe ») "
                    "puis renvoyez-le"
                ),
            )
        raise WorkbookRefused(
            path, f"ancien format Excel 97-2003 (.xls) : ouvrez-le et {_SAVE_AS_XLSX}"
        )
    if _looks_like_text(data[:4096]):
        raise WorkbookRefused(
            path,
            (
                "ce n'est pas un classeur Excel (.xlsx) mais un fichier texte (CSV ou HTML) "
                f"renommé : ouvrez-le dans Excel et {_SAVE_AS_XLSX}"
            ),
        )
    raise WorkbookRefused(
        path, "format de fichier non reconnu : ce n'est pas un classeur Excel (.xlsx)"
    )


def _looks_like_text(sample: bytes) -> bool:
    """True for CSV/HTML/XML text: a BOM, or no NUL and (almost) no control bytes."""
    if sample.startswith(_TEXT_BOMS):
        return True
    if b"\x00" in sample:
        return False
    controls = sum(1 for byte in sample if byte < 32 and byte not in b"\t\n\r\f")
    return controls * 100 <= len(sample)


def _check_entry_count(path: PathLike, data: bytes, limits: Limits) -> None:
    """Read the entry count from the end record, before zipfile parses a huge directory."""
    pos = data.rfind(_EOCD_MAGIC, max(0, len(data) - 65_557))
    if pos < 0 or pos + 22 > len(data):
        return  # zipfile will say whether the directory is readable
    count = int.from_bytes(data[pos + 10 : pos + 12], "little")
    if count != 0xFFFF and count > limits.max_entries:
        raise WorkbookRefused(path, _too_many(count, limits))


def _check_directory(path: PathLike, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Entry count, duplicate names (two parts, one name: which one is read?), ciphers, methods."""
    if len(infos) > limits.max_entries:
        raise WorkbookRefused(path, _too_many(len(infos), limits))
    counts = Counter(info.filename.casefold() for info in infos)
    duplicates = sorted(name for name, count in counts.items() if count > 1)
    if duplicates:
        raise WorkbookRefused(
            path,
            (
                f"l'entrée interne « {_printable(duplicates[0])} » figure deux fois dans le fichier : "
                "classeur fabriqué ou endommagé"
            ),
        )
    for info in infos:
        if info.flag_bits & 0x1:
            raise WorkbookRefused(path, "archive chiffrée : renvoyez le classeur sans protection")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookRefused(
                path, f"méthode de compression non prise en charge : {_SAVE_AS_XLSX}"
            )


def _check_package_kind(path: PathLike, archive: zipfile.ZipFile, names: set[str]) -> None:
    """Recognise other zip formats renamed .xlsx (.ods, .docx, .pptx) and missing parts."""
    if "mimetype" in names:
        with archive.open("mimetype") as handle:
            mimetype = handle.read(100)
        if mimetype.startswith(_ODS_MIMETYPE):
            raise WorkbookRefused(path, f"classeur LibreOffice (.ods) : {_SAVE_AS_XLSX}")
        if mimetype.startswith(_OPENDOCUMENT):
            raise WorkbookRefused(
                path, "document LibreOffice (OpenDocument) : ce n'est pas un classeur"
            )
    if "xl/workbook.xml" not in names and any(n.startswith(("word/", "ppt/")) for n in names):
        raise WorkbookRefused(
            path,
            (
                "document Word/PowerPoint renommé en .xlsx : ce n'est pas un classeur Excel, "
                "renvoyez le bon fichier"
            ),
        )
    for part in _REQUIRED_PARTS:
        if part not in names:
            raise WorkbookRefused(
                path,
                (
                    f"partie obligatoire « {part} » absente : ce n'est pas un classeur .xlsx complet "
                    "(fichier endommagé ou archive renommée)"
                ),
            )


def _check_declared_sizes(path: PathLike, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Refuse at once on declared sizes; the real sizes are checked again while streaming."""
    for info in infos:
        _check_running(path, info.filename, info.file_size, info.compress_size, 0, limits)
    total = sum(info.file_size for info in infos)
    if total > limits.max_total_bytes:
        raise WorkbookRefused(path, _too_big_content(limits))


def _check_running(
    path: PathLike, name: str, size: int, compressed: int, before: int, limits: Limits
) -> None:
    """Size-per-entry, total-size and ratio ceilings (a zip bomb passes at least one of them)."""
    if size > limits.max_entry_bytes or before + size > limits.max_total_bytes:
        raise WorkbookRefused(path, _too_big_content(limits))
    if size > limits.ratio_min_bytes and size > limits.max_ratio * max(compressed, 1):
        raise WorkbookRefused(
            path,
            (
                f"taux de compression anormal pour « {_printable(name)} » (bombe zip probable) : "
                "classeur refusé"
            ),
        )


def _scan_entries(
    path: PathLike, data: bytes, infos: list[zipfile.ZipInfo], limits: Limits
) -> bool:
    """Stream every entry once; return True when the content types declare macros."""
    total = 0
    macro_type = False
    for info in infos:
        xml = not info.filename.lower().endswith(_NOT_XML)
        look_for = _MACRO_MARK if info.filename == _CONTENT_TYPES else b""
        size, found = _scan_entry(path, data, info, limits, total, xml=xml, look_for=look_for)
        total += size
        macro_type = macro_type or found
    return macro_type


def _scan_entry(
    path: PathLike,
    data: bytes,
    info: zipfile.ZipInfo,
    limits: Limits,
    before: int,
    *,
    xml: bool,
    look_for: bytes,
) -> tuple[int, bool]:
    """Decompress one entry in chunks, counting real bytes (declared sizes may lie).

    Stops at the first chunk past a limit; looks for DOCTYPE/ENTITY in every chunk, keeping the
    tail of the previous one so that a marker cut across two chunks is still seen.
    """
    size, crc, tail, found = 0, 0, b"", False
    for chunk, consumed in _inflate(path, data, info):
        size += len(chunk)
        crc = zlib.crc32(chunk, crc)
        _check_running(path, info.filename, size, consumed, before, limits)
        if size > info.file_size:
            raise WorkbookRefused(path, _lying_size(info.filename))
        window = tail + chunk
        if xml and any(marker in window for marker in _FORBIDDEN_XML):
            raise WorkbookRefused(path, _DANGEROUS_XML)
        found = found or bool(look_for and look_for in window)
        tail = window[-_KEEP:]
    if size != info.file_size:
        raise WorkbookRefused(path, _lying_size(info.filename))
    if crc != info.CRC:
        raise WorkbookRefused(path, _DAMAGED)
    return size, found


def _inflate(path: PathLike, data: bytes, info: zipfile.ZipInfo) -> Iterator[tuple[bytes, int]]:
    """Yield (decompressed chunk, compressed bytes consumed so far), never more than _CHUNK."""
    raw = _raw_data(path, data, info)
    if info.compress_type == zipfile.ZIP_STORED:
        for start in range(0, len(raw), _CHUNK):
            piece = bytes(raw[start : start + _CHUNK])
            yield piece, start + len(piece)
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    for start in range(0, len(raw), _CHUNK):
        pending: bytes | memoryview = raw[start : start + _CHUNK]
        fed = start + len(pending)
        while True:
            out = inflater.decompress(pending, _CHUNK)
            pending = inflater.unconsumed_tail
            if out:
                yield out, fed - len(pending)
            if inflater.eof or (not pending and len(out) < _CHUNK):
                break
        if inflater.eof:
            return
    raise WorkbookRefused(path, _DAMAGED)  # compressed stream ends too early


def _raw_data(path: PathLike, data: bytes, info: zipfile.ZipInfo) -> memoryview:
    """Locate an entry's compressed bytes through its local header (no copy)."""
    offset = info.header_offset
    header = data[offset : offset + 30]
    if len(header) < 30 or not header.startswith(_ZIP_MAGIC):
        raise WorkbookRefused(path, _DAMAGED)
    start = (
        offset
        + 30
        + int.from_bytes(header[26:28], "little")
        + int.from_bytes(header[28:30], "little")
    )
    end = start + info.compress_size
    if end > len(data):
        raise WorkbookRefused(path, _DAMAGED)
    return memoryview(data)[start:end]


def _check_sheet_parts(path: PathLike, archive: zipfile.ZipFile, names: set[str]) -> None:
    """Refuse a sheet announced but absent: openpyxl would silently skip it (data loss)."""
    from defusedxml.ElementTree import fromstring

    root = fromstring(archive.read(_WORKBOOK_RELS), forbid_dtd=True)
    for rel in root.iter():
        kind = rel.get("Type") or ""
        if rel.get("TargetMode") == "External" or not kind.endswith(("/worksheet", "/chartsheet")):
            continue
        target = rel.get("Target") or ""
        part = (
            target[1:]
            if target.startswith("/")
            else posixpath.normpath(posixpath.join("xl", target))
        )
        if part not in names:
            raise WorkbookRefused(
                path,
                (
                    f"la feuille « {_printable(part)} » est déclarée mais absente du fichier : "
                    "classeur incomplet ou endommagé"
                ),
            )


def _summary(names: set[str], macro_type: bool, digest: str) -> Precheck:
    """Build the Precheck: macros and external links are accepted but reported in French."""
    macro = macro_type or "xl/vbaProject.bin" in names
    links = tuple(
        sorted(
            n
            for n in names
            if n.lower().startswith("xl/externallinks/")
            and n.lower().endswith(".xml")
            and "/_rels/" not in n
        )
    )
    notes: list[str] = []
    if macro:
        notes.append(
            "classeur avec macros (.xlsm) : les macros ne sont jamais exécutées ni "
            "conservées, seules les données sont lues"
        )
    if links:
        notes.append(
            f"le classeur contient {len(links)} liaison(s) vers d'autres classeurs : seules "
            "les valeurs enregistrées dans ce fichier sont lues, les classeurs liés ne sont "
            "jamais ouverts"
        )
    return Precheck(macro, links, tuple(notes), digest)


def _reason_for(exc: BaseException) -> str:
    """French reason for a low-level failure; never the exception text (it may echo content)."""
    from defusedxml import DefusedXmlException

    chain = list(_exception_chain(exc))

    def seen(*kinds: type[BaseException]) -> bool:
        return any(isinstance(item, kinds) for item in chain)

    if seen(DefusedXmlException):
        return _DANGEROUS_XML
    if seen(MemoryError, RecursionError):
        return _TOO_BIG
    if seen(zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError):
        return _DAMAGED
    if seen(ParseError, ExpatError):
        return _BAD_XML
    if seen(KeyError):
        return _MISSING_PART
    return _UNREADABLE


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and its causes: openpyxl re-raises ValueError("Unable to read workbook")."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 20:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _printable(name: str) -> str:
    """An entry name is attacker-controlled: keep it short and printable in messages."""
    return "".join(c if c.isprintable() else "?" for c in name)[:80]


def _mo(size: float) -> str:
    return f"{size / MB:.1f}".replace(".", ",") + " Mo"


def _too_big_file(size: int, limits: Limits) -> str:
    return f"fichier trop volumineux ({_mo(size)}, maximum {_mo(limits.max_file_bytes)})"


def _too_many(count: int, limits: Limits) -> str:
    return f"trop d'entrées internes ({count}, maximum {limits.max_entries}) : classeur refusé"


def _too_big_content(limits: Limits) -> str:
    return (
        f"contenu décompressé trop volumineux (maximum {_mo(limits.max_entry_bytes)} par partie, "
        f"{_mo(limits.max_total_bytes)} au total ; bombe zip probable) : classeur refusé"
    )


def _lying_size(name: str) -> str:
    return (
        f"la taille déclarée de « {_printable(name)} » ne correspond pas à son contenu réel : "
        "classeur fabriqué ou endommagé"
    )
