"""Load ``workbook_templates/<version>/*.toml`` into the frozen spec of ``spec.py``.

Every mistake in a template file is a ``TemplateError`` naming the file and the key, so that the
person preparing next year's template knows where to look.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import fields
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from budget_tool import expr
from budget_tool.errors import TemplateError
from budget_tool.paper import PAPERS
from budget_tool.spec import (
    VALUE_TYPES,
    Category,
    CeilingCheck,
    Checks,
    Column,
    ExtraRow,
    Figure,
    Group,
    Section,
    SummaryColumn,
    Synthesis,
    Template,
    Volet,
)
from budget_tool.versions import available_versions, newest_version, version_for_year

ANNEXES = ("annexe-2", "annexe-3")


def templates_dir() -> Path:
    """The folder of the templates: ``$BUDGET_TOOL_TEMPLATES``, or the package's own
    (``budget_tool/workbook_templates`` links to the repository's top-level folder; a wheel
    holds a copy)."""
    override = os.environ.get("BUDGET_TOOL_TEMPLATES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "workbook_templates"


def load_template(
    template_id: str, version: str | None = None, folder: Path | None = None
) -> Template:
    """The template ``annexe-2`` or ``annexe-3`` of a version (default: the newest) of a templates
    folder (default: ``templates_dir()``), read and validated once per process."""
    root = Path(folder) if folder is not None else templates_dir()
    return _load_template(template_id, version or newest_version(root), root)


@cache
def _load_template(template_id: str, version: str, root: Path) -> Template:
    path = root / version / f"{template_id}.toml"
    data = _read_toml(path)
    try:
        template = _build_template(path, data)
    except (KeyError, TypeError, ValueError) as exc:
        raise TemplateError(f"{path} : clé manquante ou invalide : {exc}") from exc
    _validate(path, template)
    if template.version != version:
        raise TemplateError(
            f"{path} : template.version = « {template.version} » mais le dossier s'appelle "
            f"« {version} » : ils doivent être identiques."
        )
    return template


def load_template_for_year(
    template_id: str, year: int, folder: Path | None = None, requested: str | None = None
) -> Template:
    """The template a new workbook of ``year`` is made with: the ``requested`` version if it can
    serve that year, else the newest version serving it (``versions.version_for_year``)."""
    root = Path(folder) if folder is not None else templates_dir()
    return _load_template(template_id, version_for_year(root, year, requested), root)


def known_labels(folder: Path | None = None) -> str:
    """Every template a workbook may name ("budget-tool annexe-2 v2024.1, …"), for messages."""
    root = Path(folder) if folder is not None else templates_dir()
    return ", ".join(
        f"budget-tool {tid} v{version}" for version in available_versions(root) for tid in ANNEXES
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise TemplateError(f"{path} : modèle introuvable") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{path} : syntaxe TOML invalide ({exc})") from exc


def _make(cls: type, raw: dict[str, Any], where: str, **converted: Any) -> Any:
    """Build a dataclass from a TOML table, refusing unknown keys (typos) with their place."""
    known = {f.name for f in fields(cls)}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"{where} : clé(s) inconnue(s) {sorted(unknown)}")
    return cls(**{**raw, **converted})


def _decimal(value: str, where: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"{where} : nombre invalide « {value} »") from exc


def _build_template(path: Path, data: dict[str, Any]) -> Template:
    head = dict(data["template"])
    categories_file = head.pop("categories_file", None)
    categories = _load_categories(path.parent / categories_file) if categories_file else ()
    columns = tuple(
        _make(Column, c, f"template.columns[{i}]") for i, c in enumerate(head.pop("columns"))
    )
    volets = tuple(_build_volet(v, i) for i, v in enumerate(data["volets"]))
    ceiling_checks = tuple(
        _make(CeilingCheck, c, f"template.ceiling_checks[{i}]")
        for i, c in enumerate(head.pop("ceiling_checks", ()))
    )
    return _make(
        Template,
        head,
        "template",
        titles=tuple(head["titles"]),
        identification=tuple(tuple(row) for row in head["identification"]),
        column_groups=tuple(tuple(group) for group in head.get("column_groups", ())),
        columns=columns,
        volets=volets,
        synthesis=_build_synthesis(data["synthesis"]),
        checks=_build_checks(data["checks"]) if "checks" in data else None,
        categories=categories,
        ceiling_checks=ceiling_checks,
    )


def _build_volet(raw: dict[str, Any], index: int) -> Volet:
    where = f"volets[{index}]"
    sections = []
    for s_index, section in enumerate(raw["sections"]):
        s_where = f"{where}.sections[{s_index}]"
        groups = tuple(
            _make(
                Group,
                g,
                f"{s_where}.groups[{g_index}]",
                lines=tuple(g.get("lines", ())),
                placeholders=tuple(g.get("placeholders", ())),
            )
            for g_index, g in enumerate(section["groups"])
        )
        headings = tuple(section.get("headings", ()))
        sections.append(_make(Section, section, s_where, groups=groups, headings=headings))
    extra = tuple(
        _make(ExtraRow, e, f"{where}.extra_rows[{i}]")
        for i, e in enumerate(raw.get("extra_rows", ()))
    )
    return _make(
        Volet,
        raw,
        where,
        state_rate=_decimal(raw["state_rate"], f"{where}.state_rate"),
        sections=tuple(sections),
        extra_rows=extra,
        headers=tuple(dict(raw.get("headers", {})).items()),
    )


def _build_synthesis(raw: dict[str, Any]) -> Synthesis:
    columns = tuple(
        _make(SummaryColumn, c, f"synthesis.columns[{i}]") for i, c in enumerate(raw["columns"])
    )
    figures = tuple(
        _make(Figure, f, f"synthesis.figures[{i}]") for i, f in enumerate(raw["figures"])
    )
    notes = tuple(str(note) for note in raw.get("notes", ()))
    return _make(Synthesis, raw, "synthesis", columns=columns, figures=figures, notes=notes)


def _build_checks(raw: dict[str, Any]) -> Checks:
    tuples = {k: tuple(raw[k]) for k in ("line_texts", "units", "period", "delta") if k in raw}
    return _make(Checks, raw, "checks", **tuples)


def _load_categories(path: Path) -> tuple[Category, ...]:
    data = _read_toml(path)
    try:
        return tuple(
            _make(Category, c, f"categories[{i}]") for i, c in enumerate(data["categories"])
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise TemplateError(f"{path} : clé manquante ou invalide : {exc}") from exc


def _validate(path: Path, template: Template) -> None:
    """Cross-checks that TOML cannot express: types, unique keys, formulas that parse."""
    problems: list[str] = []
    keys = [c.key for c in template.columns]
    if len(set(keys)) != len(keys):
        problems.append("template.columns : clés en double")
    for column in template.columns:
        if column.type not in VALUE_TYPES:
            problems.append(f"colonne {column.key} : type inconnu « {column.type} »")
        if column.formula:
            problems += _check_formula(column.formula, f"colonne {column.key}")
    if template.group_total not in ("after", "header"):
        problems.append("template.group_total : « after » ou « header »")
    for volet in template.volets:
        for extra in volet.extra_rows:
            problems += _check_formula(extra.formula, f"volet {volet.number}, ligne {extra.key}")
        problems += [
            f"volet {volet.number}, headers : colonne inconnue « {key} »"
            for key, _header in volet.headers
            if key not in keys
        ]
        problems += [
            f"volet {volet.number}, section « {s.label} » : total_scope « {s.total_scope} » "
            "(« counted » ou « all_for_info »)"
            for s in volet.sections
            if s.total_scope not in ("counted", "all_for_info")
        ]
    for check in template.ceiling_checks:
        problems += _check_formula(check.formula, f"ceiling_checks, {check.key}")
    if template.paper not in PAPERS or template.synthesis.paper not in PAPERS:
        problems.append(f"paper : l'un de {', '.join(PAPERS)}")
    for summary in template.synthesis.columns:
        if summary.formula:
            problems += _check_formula(summary.formula, f"synthèse, {summary.key}")
    for figure in template.synthesis.figures:
        problems += _check_formula(figure.formula, f"synthèse, {figure.key}")
    if any(c.type == "category" for c in template.columns) and not template.categories:
        problems.append("une colonne « category » demande categories_file")
    if problems:
        raise TemplateError(f"{path} : " + " ; ".join(problems))


def _check_formula(text: str, where: str) -> list[str]:
    try:
        expr.parse(text)
    except expr.ExpressionError as exc:
        return [f"{where} : formule invalide « {text} » ({exc})"]
    return []
