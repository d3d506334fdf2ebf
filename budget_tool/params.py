"""Turn what a user typed (options or an allocations CSV) into ``Parameters``, or say why not.

Every problem is a ``UsageError`` in French naming the option, or the file, line and column;
everything is validated before anything is written.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from budget_tool.departements import lookup
from budget_tool.errors import UsageError
from budget_tool.numbers import parse_amount
from budget_tool.plan import Parameters

CSV_COLUMNS = ("departement", "plafond_volet1", "plafond_volet2", "plafond_volet3")


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


_MAX_CSV_BYTES = 10 * 1024 * 1024  # 101 départements take a few kilobytes


def _read_csv_text(path: Path) -> str:
    """The CSV's text; a FIFO or device (which could block or never end), a huge or unreadable
    file is refused in French, naming the file."""
    import stat

    from budget_tool.names import shown

    try:
        info = Path(path).stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_CSV_BYTES:
            raise UsageError(
                f"{shown(path)} : ce n'est pas un fichier CSV ordinaire (dossier, périphérique, "
                "tube, ou plus de 10 Mo)."
            )
        return Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{shown(path)} : fichier illisible (pas en UTF-8 : enregistrez-le en « CSV UTF-8 »)."
        ) from exc
    except OSError as exc:
        from budget_tool.output import os_reason

        raise UsageError(f"{shown(path)} : fichier illisible ({os_reason(exc)[0]}).") from exc


def read_allocations(path: Path, year: int) -> list[Parameters]:
    """Every row of an allocations CSV (``;`` or ``,`` separated, UTF-8 with or without BOM)."""
    text = _read_csv_text(path)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise UsageError(
            f"{path} : fichier vide (attendu : une ligne d'en-tête {', '.join(CSV_COLUMNS)})."
        )
    dialect = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.DictReader(lines, delimiter=dialect)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in CSV_COLUMNS[:3] if name not in header]
    if missing:
        raise UsageError(
            f"{path} : colonne(s) manquante(s) : {', '.join(missing)} "
            f"(attendues : {', '.join(CSV_COLUMNS)})."
        )
    rows = list(reader)
    result, seen = [], set()
    for number, row in enumerate(rows, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        where = f"{path}, ligne {number}"
        allocation = Allocation(
            row["departement"],
            row["plafond_volet1"],
            row["plafond_volet2"],
            row.get("plafond_volet3") or None,
            row.get("convention") or None,
        )
        try:
            params = build_parameters(allocation, int(row.get("annee") or year), where)
        except UsageError as exc:
            raise UsageError(f"{where} : {exc}" if where not in str(exc) else str(exc)) from exc
        except ValueError as exc:
            raise UsageError(f"{where} : année invalide « {row.get('annee')} ».") from exc
        if params.code in seen:
            raise UsageError(f"{where} : département {params.code} présent deux fois.")
        seen.add(params.code)
        result.append(params)
    if not result:
        raise UsageError(f"{path} : aucune ligne d'allocation.")
    return result
