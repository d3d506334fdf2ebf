"""The 101 French départements (codes, official names, 2024 regions) and their lookup.

Data come from ``budget_tool/data/departements.csv`` (INSEE order: 2A and 2B between 19 and 21),
read once with the csv module; pandas is deliberately not used, to keep start-up fast.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from budget_tool.errors import UsageError

_ADMITTED = "01 à 95 (2A et 2B pour la Corse), 971 à 974, 976"


@dataclass(frozen=True)
class Departement:
    """One département: INSEE code ("01", "2A", "971"), official name and region."""

    code: str
    nom: str
    region: str

    @property
    def label(self) -> str:
        """Code and name for display, e.g. ``"23 - Creuse"``."""
        return f"{self.code} - {self.nom}"


def normalize_code(raw: str) -> str:
    """Remove all whitespace, upper-case and pad one digit ("1" -> "01", "2a" -> "2A").

    The result is not validated: use :func:`lookup` for that.
    """
    code = "".join(str(raw).split()).upper()
    if len(code) == 1 and code.isdigit():
        code = "0" + code
    return code


@cache
def all_departements() -> tuple[Departement, ...]:
    """All 101 départements, in file order (loaded once)."""
    resource = files("budget_tool") / "data" / "departements.csv"
    text = resource.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return tuple(Departement(row["code"], row["nom"], row["region"]) for row in reader)


@cache
def _by_code() -> dict[str, Departement]:
    return {dep.code: dep for dep in all_departements()}


def lookup(code: str) -> Departement:
    """The département for ``code`` (normalised first); UsageError in French if unknown."""
    found = _by_code().get(normalize_code(code))
    if found is None:
        shown = str(code).strip()
        raise UsageError(f"Code département inconnu : « {shown} ». Codes admis : {_ADMITTED}.")
    return found


def regions() -> tuple[str, ...]:
    """The 18 region names, in order of first appearance in the file."""
    return tuple(dict.fromkeys(dep.region for dep in all_departements()))


def by_region(region: str) -> tuple[Departement, ...]:
    """The départements of ``region`` (exact official name), in file order.

    Raises UsageError for an unknown region name, so that a typo is not taken for an empty region.
    """
    wanted = region.strip()
    found = tuple(dep for dep in all_departements() if dep.region == wanted)
    if not found:
        raise UsageError(
            f"Région inconnue : « {wanted} ». Régions admises : {', '.join(sorted(regions()))}."
        )
    return found
