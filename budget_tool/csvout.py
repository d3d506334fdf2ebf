"""CSV for French spreadsheets: the one function every CSV writer uses.

Excel and LibreOffice in French split a CSV on « ; » and read « 1234,56 » as a number: that is
the default. ``sep=","`` gives the international form (decimal point), for scripts. Always UTF-8
with a BOM (without it, Excel reads the accents as Windows-1252).

Text typed by a département stays text: a field that a spreadsheet could read as a formula is
neutralised with an apostrophe wherever a cell can start, at the start of the field and after a
line break inside it (« = + - @ », tab, carriage return; see ``sanitize.neutralised``). Numbers
(int, float, Decimal) are written as numbers, negative ones included: a number column is not
text and is never prefixed.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from budget_tool.numbers import decimal_text
from budget_tool.output import write_bytes
from budget_tool.sanitize import clean_text, neutralised

SEPARATORS = (";", ",")
BOM = "\ufeff"


def csv_field(value: object, sep: str = ";") -> str:
    """One field: empty, a number in the separator's convention, or neutralised text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, Decimal | int | float):
        text = decimal_text(Decimal(str(value))) if isinstance(value, float) else str(value)
        text = decimal_text(value) if isinstance(value, Decimal) else text
        return text.replace(".", ",") if sep == ";" else text
    return neutralised(clean_text(value))


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]], sep: str = ";") -> str:
    """The whole CSV as text, records ended by CRLF as RFC 4180 says; the BOM first for the
    spreadsheets (« ; »), none for scripts (« , »: a plain CSV reader keeps its header clean)."""
    if sep not in SEPARATORS:
        raise ValueError(f"séparateur CSV inconnu : {sep!r}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralised(clean_text(h)) for h in header])
    for row in rows:
        writer.writerow([csv_field(value, sep) for value in row])
    return (BOM if sep == ";" else "") + buffer.getvalue()


def write_csv_file(
    target: Path | str, header: Sequence[str], rows: Iterable[Sequence[object]], sep: str = ";"
) -> None:
    """Write a CSV table through the output layer (atomic, regular files only, ``-`` = stdout)."""
    write_bytes(target, csv_text(header, rows, sep).encode("utf-8", errors="replace"))
