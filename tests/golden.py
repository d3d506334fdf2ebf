"""Golden files for the generated workbooks (the XlsxWriter habit): unzip, normalise, compare.

``make golden`` (``python tests/golden.py``) rewrites ``tests/golden/`` on purpose; review the
diff before committing it. The golden département is 23, 2024, with three volets.
"""

from __future__ import annotations

import re
import shutil
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

GOLDEN_DIR = Path(__file__).parent / "golden"
_DATES = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")


def golden_params():
    from budget_tool.plan import Parameters

    ceilings = {1: Decimal("150000"), 2: Decimal("400000"), 3: Decimal("250000")}
    return Parameters("23", "Creuse", "Nouvelle-Aquitaine", 2024, "2024-23-001", ceilings)


def normalised_entries(xlsx: Path) -> dict[str, bytes]:
    """Every entry of the zip, with the dates that change on each save blanked out."""
    with zipfile.ZipFile(xlsx) as archive:
        return {
            name: _DATES.sub(rb"<dcterms:\1/>", archive.read(name)) for name in archive.namelist()
        }


def write_golden(out: Path = GOLDEN_DIR) -> None:
    from budget_tool.generate import generate

    shutil.rmtree(out, ignore_errors=True)
    scratch = out / "_scratch"
    for workbook in generate(golden_params(), scratch):
        target = out / workbook.stem
        for name, data in normalised_entries(workbook).items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(data)
    shutil.rmtree(scratch)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    write_golden()
    print(f"Fichiers de référence réécrits dans {GOLDEN_DIR} : relisez le diff avant de valider.")
