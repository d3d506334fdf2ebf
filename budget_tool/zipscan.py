"""The streaming part of the pre-check: every zip entry decompressed once, its bytes counted.

Why a module of its own: ``precheck`` grew past the project's guide of ~400 lines a module.
This half reads the content of the parts (the judgement of the file's kind, its zip directory,
the limits and the French messages stay in ``precheck``, which calls in here): a streaming
decompression counting real bytes (declared sizes may lie), a DOCTYPE/ENTITY scan, counts of
rows, cells and elements, and a pass over the areas of ranged elements. Like ``precheck``, it
never imports openpyxl (nor numpy). It imports ``precheck`` at module level; ``precheck``
imports it only inside the function that uses it, so there is no import cycle.
"""

from __future__ import annotations

import codecs
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from zipfile import ZipInfo

from budget_tool.package import CONTENT_TYPES
from budget_tool.precheck import (
    _ZIP_MAGIC,
    Limits,
    PathLike,
    _check_running,
    _int,
    _printable,
    _refuse,
    scanned_as_xml,
)

_CHUNK = 256 * 1024
# Expat reads UTF-8, UTF-16 and ASCII-compatible single-byte encodings only: these cover them.
_FORBIDDEN_XML = tuple(
    token.encode(enc)
    for token in ("<!DOCTYPE", "<!ENTITY")
    for enc in ("ascii", "utf-16-le", "utf-16-be")
)
_MACRO_MARK = b"macroEnabled"
# Start tags, read on the decoded text of a part: the local name, whatever the prefix.
_TAG = re.compile(r"<(?:[^\s<>/:=\"'!?]+:)?([^\s<>/:=\"'!?]+)(?=[\s/>])")
# Elements whose ref openpyxl expands into one cell object per cell of the range (merged
# cells, hyperlinks on a range, comments): one tag may cost billions of cells.
_RANGED = frozenset({"mergeCell", "hyperlink", "comment"})
_KEEP_TEXT = 200  # characters kept between chunks: a start tag cut in two is still seen
_KEEP = max(len(m) for m in (*_FORBIDDEN_XML, _MACRO_MARK)) - 1


@dataclass
class _Count:
    """What the tags of one XML part will cost once openpyxl has built them."""

    elements: int = 0
    rows: int = 0
    cells: int = 0
    ranged: bool = False  # holds <mergeCell>, <hyperlink> or <comment>: ranges to expand
    excess: str = ""  # "rows" or "cells" past their limit: counting stops there

    def add(self, names: list[str], seen: list[str], limits: Limits) -> None:
        """Add the tags of a window, less those of its kept tail (counted with the chunk
        before)."""
        self.elements += len(names) - len(seen)
        self.rows += names.count("row") - seen.count("row")
        self.cells += names.count("c") - seen.count("c")
        self.ranged = self.ranged or not _RANGED.isdisjoint(names)
        if self.rows > limits.max_rows_per_sheet:
            self.excess = "rows"
        elif self.cells > limits.max_cells_per_sheet:
            self.excess = "cells"


def _scan_entries(
    path: PathLike, data: bytes, infos: list[ZipInfo], limits: Limits
) -> tuple[bool, dict[str, str], dict[str, int]]:
    """Stream every entry once.  Returns whether the content types declare macros, the parts
    with too many rows or cells ({part: "rows" or "cells"}), and the parts holding ranges to
    expand with their count of cells ({part: cells})."""
    total, macro_type, elements = 0, False, 0
    oversized: dict[str, str] = {}
    ranged: dict[str, int] = {}
    for info in infos:
        found, count = _scan_entry(path, data, info, limits, total, elements)
        macro_type = found or macro_type
        elements += count.elements
        if count.excess:
            oversized[info.filename] = count.excess
        elif count.ranged:
            ranged[info.filename] = count.cells
        total += info.file_size  # equal to the real size once _scan_entry has returned
    return macro_type, oversized, ranged


def _scan_entry(
    path: PathLike, data: bytes, info: ZipInfo, limits: Limits, before: int, elements: int
) -> tuple[bool, _Count]:
    """Decompress one entry in chunks counting real bytes (declared sizes may lie), stopping at
    the first chunk past a limit.  DOCTYPE/ENTITY are searched in every chunk (the first one is
    the head of the part) plus the tail of the previous chunk, so a marker cut in two is seen.
    Start tags are counted on the decoded text the same way: a tag is counted in the chunk
    where it ends (all tags found, minus those already whole in the kept tail), until the rows
    or cells of the part pass their limit (the part is then refused, by its sheet's name, once
    every part is checked).  ``elements`` counts the tags of the parts already read: past that
    limit, the workbook is refused at once."""
    xml = scanned_as_xml(info.filename)
    look_for = _MACRO_MARK if info.filename == CONTENT_TYPES else b""
    size, crc, tail, found = 0, 0, b"", False
    count, decoder, text_tail = _Count(), None, ""
    for chunk, consumed in _inflate(path, data, info):
        size += len(chunk)
        crc = zlib.crc32(chunk, crc)
        _check_running(path, info.filename, size, consumed, before, limits)
        if size > info.file_size:
            _refuse(path, "lying", name=_printable(info.filename))
        window = tail + chunk
        if xml and any(marker in window for marker in _FORBIDDEN_XML):
            _refuse(path, "dtd")
        found = found or bool(look_for and look_for in window)
        tail = window[-_KEEP:]
        if xml and not count.excess:
            decoder = decoder or codecs.getincrementaldecoder(_encoding(chunk))("replace")
            text = text_tail + decoder.decode(chunk)
            count.add(_TAG.findall(text), _TAG.findall(text_tail), limits)
            text_tail = text[-_KEEP_TEXT:]
            if not count.excess and elements + count.elements > limits.max_xml_elements:
                _refuse(path, "elements", limit=_int(limits.max_xml_elements))
    if size != info.file_size:
        _refuse(path, "lying", name=_printable(info.filename))
    if crc != info.CRC:
        _refuse(path, "damaged")
    return found, count


def _encoding(head: bytes) -> str:
    """The encoding of an XML part, as Expat guesses it from its first bytes.  Expat reads
    only UTF-16 and ASCII-compatible encodings, whose tags are ASCII: UTF-8 will do for those."""
    if head.startswith((b"\xff\xfe", b"<\x00")):
        return "utf-16-le"
    if head.startswith((b"\xfe\xff", b"\x00<")):
        return "utf-16-be"
    return "utf-8"


def _inflate(path: PathLike, data: bytes, info: ZipInfo) -> Iterator[tuple[bytes, int]]:
    """Yield (decompressed chunk of at most _CHUNK bytes, compressed bytes consumed so far)."""
    offset = info.header_offset
    header = data[offset : offset + 30]
    if len(header) < 30 or not header.startswith(_ZIP_MAGIC):
        _refuse(path, "damaged")
    start = offset + 30 + int.from_bytes(header[26:28], "little")
    start += int.from_bytes(header[28:30], "little")  # file name, then extra field
    raw = memoryview(data)[start : start + info.compress_size]
    if len(raw) < info.compress_size:
        _refuse(path, "damaged")
    if info.compress_type == zipfile.ZIP_STORED:
        for pos in range(0, len(raw), _CHUNK):
            yield bytes(raw[pos : pos + _CHUNK]), min(pos + _CHUNK, len(raw))
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    for pos in range(0, len(raw), _CHUNK):
        pending: bytes | memoryview = raw[pos : pos + _CHUNK]
        fed = pos + len(pending)
        while True:
            out = inflater.decompress(pending, _CHUNK)
            pending = inflater.unconsumed_tail
            if out:
                yield out, fed - len(pending)
            if inflater.eof or (not pending and len(out) < _CHUNK):
                break
        if inflater.eof:
            return  # bytes after the end of the stream are never inflated
    _refuse(path, "damaged")  # the compressed stream ends too early


_RANGE_END = re.compile(r"^\$?([A-Za-z]{0,3})\$?(\d*)$")


def _range_bounds(ref: str) -> tuple[int, int, int, int] | None:
    """(first col, first row, last col, last row), 1-based, 0 where a range leaves it open
    ("A:C" has no rows, "1:3" no columns), as openpyxl's range_boundaries reads them; None when
    it is not a range. Kept here so that the pre-check does not import openpyxl (and numpy)."""
    first, _, last = ref.partition(":")
    ends = [_RANGE_END.match(part) for part in (first, last)]
    if not all(ends) or not first or not last:
        return None
    values = []
    for match in ends:
        letters, digits = match.groups()  # type: ignore[union-attr]
        col = 0
        for letter in letters.upper():
            col = col * 26 + ord(letter) - 64
        values.append((col, int(digits) if digits else 0))
    (c1, r1), (c2, r2) = values
    return c1, r1, c2, r2


def _expanded_ranges(
    archive: zipfile.ZipFile, ranged: dict[str, int], limits: Limits
) -> dict[str, str]:
    """The parts whose cells plus the cells of their ranges (merged cells, hyperlinks and
    comments on a range, which openpyxl makes one by one) exceed the limit: {part: "cells"}.
    Parsed now that their size and content have been checked: the scan refused any DOCTYPE or
    ENTITY in these parts, so the standard C parser is safe here (and several times faster)."""
    from xml.etree.ElementTree import iterparse

    def area(ref: str) -> int:
        if ":" not in ref:
            return 1
        bounds = _range_bounds(ref)
        if bounds is None:  # openpyxl cannot expand it either
            return 0
        first_col, first_row, last_col, last_row = bounds
        cols = (last_col or 16_384) - (first_col or 1) + 1  # "A:C": every row of the sheet
        rows = (last_row or 1_048_576) - (first_row or 1) + 1
        return max(cols, 0) * max(rows, 0)

    oversized = {}
    for part, cells in ranged.items():
        try:
            with archive.open(part) as stream:
                for _event, element in iterparse(stream):
                    if element.tag.rpartition("}")[2] in _RANGED:
                        cells += area(element.get("ref") or "")
                        if cells > limits.max_cells_per_sheet:
                            oversized[part] = "cells"
                            break
                    element.clear()
        except Exception:  # malformed: openpyxl will refuse it, or never read it
            continue
    return oversized
