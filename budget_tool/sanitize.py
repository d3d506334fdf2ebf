"""Text typed by a département, made safe to write into our outputs.

It stays text: control characters are removed; in CSV, a cell that a spreadsheet would run as a
formula (starting with = + - @, tab or carriage return, at the start of the field or of a line
inside it) gets an apostrophe there. In xlsx it is written with ``write_string``, which never
makes a formula or a link.
"""

from __future__ import annotations

import re

from budget_tool.names import valid_text

# Control characters, and the two non-characters U+FFFE and U+FFFF that xlsx cannot hold.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def clean_text(value: object) -> str:
    """Control characters removed (tabs and line feeds kept as spaces / new lines); bytes of a
    file name that is not UTF-8 shown as ``\\xff`` (xlsx, CSV and JSON must be valid UTF-8)."""
    text = "" if value is None else valid_text(str(value))
    return _CONTROL.sub("", text.replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n"))


# A formula character at the start of a line, maybe behind spaces; or a lone tab / CR there.
_LINE_FORMULA = re.compile(r"(^|[\r\n])(?=[ \t\r]*[=+\-@]|[\t\r])")


def neutralised(text: str) -> str:
    """An apostrophe before every formula character that starts the text or one of its lines:
    wherever a spreadsheet (or a tool splitting on line breaks) could start a cell."""
    return _LINE_FORMULA.sub(lambda m: m.group(1) + "'", text)
