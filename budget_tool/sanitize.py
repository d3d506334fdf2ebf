"""Text typed by a département, made safe to write into our outputs.

It stays text: control characters are removed; in CSV, a cell that a spreadsheet would run as a
formula (starting with = + - @, tab or carriage return) is prefixed with an apostrophe. In xlsx
it is written with ``write_string``, which never makes a formula or a link.
"""

from __future__ import annotations

import re

# Control characters, and the two non-characters U+FFFE and U+FFFF that xlsx cannot hold.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value: object) -> str:
    """Control characters removed (tabs and line feeds kept as spaces / new lines)."""
    text = "" if value is None else str(value)
    return _CONTROL.sub("", text.replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n"))


def csv_cell(value: object) -> str:
    """A text cell for CSV: a leading formula character is neutralised with an apostrophe."""
    text = "" if value is None else str(value)
    text = _CONTROL.sub("", text)
    return "'" + text if text.startswith(_FORMULA_START) else text
