"""Template versions: one folder a version in ``workbook_templates/`` (``2024.1/``, ``2025.1/``…).

A version is named ``YEAR.N``: it serves the conventions from ``YEAR`` on, until a version of a
later year exists; ``N`` counts the revisions within a year (``2024.2`` replaces ``2024.1`` for the
workbooks generated after it). A workbook names its own version in its identification block, so a
returned workbook is always read with the template it was generated from.

Only folder names are read here (no TOML): listing versions costs one directory scan.
"""

from __future__ import annotations

import re
from pathlib import Path

from budget_tool.errors import TemplateError, UsageError

_VERSION = re.compile(r"(\d{4})\.(\d+)")


def version_key(version: str) -> tuple[int, int]:
    """``"2024.10"`` -> ``(2024, 10)``: versions sort by year, then revision."""
    match = _VERSION.fullmatch(version)
    if not match:
        raise ValueError(version)
    return int(match.group(1)), int(match.group(2))


def version_year(version: str) -> int:
    """The first year a version serves."""
    return version_key(version)[0]


def is_version(name: str) -> bool:
    return _VERSION.fullmatch(name) is not None


def available_versions(folder: Path) -> list[str]:
    """The versions of a templates folder, oldest first. A folder whose name is not ``YEAR.N``
    is a mistake of whoever prepared it (``2025`` for ``2025.1``): said, not skipped."""
    try:
        entries = [p for p in Path(folder).iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError as exc:
        raise TemplateError(f"{folder} : dossier des modèles illisible ({exc.strerror}).") from exc
    wrong = sorted(p.name for p in entries if not is_version(p.name))
    if wrong:
        raise TemplateError(
            f"{folder} : dossier(s) de modèle mal nommé(s) : {', '.join(wrong)} "
            "(attendu : ANNÉE.N, par exemple 2025.1)."
        )
    versions = sorted((p.name for p in entries), key=version_key)
    if not versions:
        raise TemplateError(
            f"{folder} : aucun modèle (un dossier par version, par exemple 2024.1/, "
            "avec annexe-2.toml, annexe-3.toml et categories.toml)."
        )
    return versions


def newest_version(folder: Path) -> str:
    return available_versions(folder)[-1]


def default_year(folder: Path, requested: str | None = None) -> int:
    """The year ``generate`` works for when none is given: the requested version's year, else the
    newest version's (the campaign being prepared)."""
    if requested:
        return version_year(_known(folder, requested))
    return version_year(newest_version(folder))


def version_for_year(folder: Path, year: int, requested: str | None = None) -> str:
    """The version a new workbook of ``year`` is generated with.

    Without ``requested``: the newest version that serves ``year`` (its latest revision, or the
    latest earlier year's template when the year has none of its own). A requested version is
    taken as asked, unless it is of a later year than the workbook's (a 2025 template cannot
    describe a 2024 convention).
    """
    versions = available_versions(folder)
    serving = [v for v in versions if version_year(v) <= year]
    if requested:
        _known(folder, requested, versions)
        if version_year(requested) > year:
            shown = ", ".join(serving) or "aucun"
            raise UsageError(
                f"le modèle {requested} sert à partir de {version_year(requested)} : pas pour "
                f"{year} (modèle(s) possibles pour {year} : {shown})."
            )
        return requested
    if not serving:
        raise UsageError(
            f"aucun modèle pour {year} dans {folder} (le plus ancien, {versions[0]}, sert à partir "
            f"de {version_year(versions[0])})."
        )
    return serving[-1]


def _known(folder: Path, requested: str, versions: list[str] | None = None) -> str:
    versions = versions if versions is not None else available_versions(folder)
    if requested not in versions:
        raise UsageError(
            f"modèle « {requested} » inconnu dans {folder} (versions disponibles : "
            f"{', '.join(versions)})."
        )
    return requested
