"""Print the consolidated table of ``make demo`` as a French reader expects it: amounts in
euros with grouped thousands and a decimal comma (« 120 000,00 € »), one line per volet.

Usage: python samples/show_synthese.py demo-out/tables/synthese.csv
"""

from __future__ import annotations

import csv
import sys
from decimal import Decimal, InvalidOperation

from budget_tool.numbers import format_euros

COLUMNS = {
    "departement": "Dépt",
    "nom": "Département",
    "volet": "Volet",
    "plafond": "Plafond",
    "contribution_due": "Contribution due",
    "avance_versee": "Avance versée",
    "solde_a_verser": "Solde à verser",
    "trop_percu": "Trop-perçu",
    "statut": "Statut",
}
AMOUNTS = {"plafond", "contribution_due", "avance_versee", "solde_a_verser", "trop_percu"}


def cell(key: str, text: str) -> str:
    if key in AMOUNTS and text:
        try:
            return format_euros(Decimal(text.replace(",", ".")))
        except InvalidOperation:
            return text
    return text


def main(path: str) -> None:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    table = [list(COLUMNS.values())] + [[cell(k, row[k]) for k in COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    for line in table:
        print(
            "  ".join(
                text.rjust(width) if key in AMOUNTS else text.ljust(width)
                for key, text, width in zip(COLUMNS, line, widths, strict=True)
            ).rstrip()
        )


if __name__ == "__main__":
    main(sys.argv[1])
