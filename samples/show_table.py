"""Print a few columns of one of our CSV tables as a French reader expects them (``make demo``):
amounts in euros with grouped thousands and a decimal comma (« 120 000,00 € »), aligned.

Usage: python samples/show_table.py demo-out/tables/synthese.csv [COLUMN ...]
(without columns: the synthesis's own choice).
"""

from __future__ import annotations

import csv
import sys
from decimal import Decimal, InvalidOperation

from budget_tool.numbers import format_euros

SYNTHESE = ["departement", "nom", "volet", "plafond", "contribution_due", "avance_versee"]
SYNTHESE += ["solde_a_verser", "trop_percu", "statut"]
HEADERS = {
    "departement": "Dépt",
    "nom": "Département",
    "volet": "Volet",
    "plafond": "Plafond",
    "contribution_due": "Contribution due",
    "avance_versee": "Avance versée",
    "solde_a_verser": "Solde à verser",
    "trop_percu": "Trop-perçu",
    "statut": "Statut",
    "sens": "Sens",
    "montant": "Montant",
    "avance": "Avance",
    "avance_origine": "Origine de l'avance",
    "proposition": "Proposition",
}
AMOUNTS = {"plafond", "contribution_due", "avance_versee", "solde_a_verser", "trop_percu"}
AMOUNTS |= {"montant", "avance"}


def cell(key: str, text: str) -> str:
    if key in AMOUNTS and text:
        try:
            return format_euros(Decimal(text.replace(" ", "").replace(",", ".")))
        except InvalidOperation:
            return text
    return text


def main(path: str, columns: list[str]) -> None:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    columns = columns or SYNTHESE
    table = [[HEADERS.get(k, k) for k in columns]]
    table += [[cell(k, row.get(k, "")) for k in columns] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        print(
            "  ".join(
                text.rjust(width) if key in AMOUNTS else text.ljust(width)
                for key, text, width in zip(columns, line, widths, strict=True)
            ).rstrip()
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
