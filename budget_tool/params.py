"""Turn what a user typed (options or an allocations CSV) into ``Parameters``, or say why not.

Every problem is a ``UsageError`` in French naming the option, or the file, line and column;
everything is validated before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from budget_tool.departements import lookup
from budget_tool.errors import UsageError
from budget_tool.numbers import parse_amount
from budget_tool.plan import Parameters


@dataclass(frozen=True)
class Allocation:
    """What the State allocates to one département (art. 4.1), before validation."""

    departement: str
    volet1: str | Decimal
    volet2: str | Decimal
    volet3: str | Decimal | None = None
    convention: str | None = None


def parse_ceiling(
    raw: str | Decimal | None, where: str, *, optional: bool = False
) -> Decimal | None:
    """A ceiling in euros: a number ≥ 0 with at most two decimals; empty only if optional."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if optional:
            return None
        raise UsageError(f"{where} : plafond manquant.")
    value = raw if isinstance(raw, Decimal) else parse_amount(str(raw))
    if value is None:
        raise UsageError(
            f"{where} : « {raw} » n'est pas un montant en euros (ex. 150000 ou 150 000,00)."
        )
    if value < 0:
        raise UsageError(f"{where} : le plafond ne peut pas être négatif ({raw}).")
    if value != value.quantize(Decimal("0.01")):
        raise UsageError(f"{where} : au plus deux décimales (centimes) ({raw}).")
    return value


def check_year(year: int) -> int:
    if not 2024 <= year <= 2100:
        raise UsageError(f"Année invalide : {year} (la convention commence en 2024).")
    return year


def build_parameters(allocation: Allocation, year: int, where: str = "") -> Parameters:
    prefix = f"{where}, " if where else ""
    departement = lookup(allocation.departement)
    ceilings = {
        1: parse_ceiling(allocation.volet1, f"{prefix}plafond du volet 1"),
        2: parse_ceiling(allocation.volet2, f"{prefix}plafond du volet 2"),
    }
    volet3 = parse_ceiling(allocation.volet3, f"{prefix}plafond du volet 3", optional=True)
    if volet3 is not None:
        ceilings[3] = volet3
    convention = allocation.convention or f"{check_year(year)}-{departement.code}"
    return Parameters(
        code=departement.code,
        nom=departement.nom,
        region=departement.region,
        year=check_year(year),
        convention=convention.strip(),
        ceilings={k: v for k, v in ceilings.items() if v is not None},
    )


def read_allocations(path: Path, year: int) -> list[Parameters]:
    """Every row of an allocations (or follow-up) CSV, with the ceilings in force: those of the
    latest amendment where there is one. The parsing is ``followup.read_followup``'s."""
    from budget_tool.followup import read_followup

    return [item.params for item in read_followup(Path(path), year)]
