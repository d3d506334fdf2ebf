"""``Report``: what ``check`` found in one file, and its renderers (French text, JSON).

The JSON schema is documented in ``docs/json.md`` and versioned by ``SCHEMA_VERSION``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from budget_tool.findings import Finding, Severity
from budget_tool.names import shown as one_line
from budget_tool.names import valid_text
from budget_tool.numbers import format_euros, money_text, show_number
from budget_tool.sanitize import clean_text

SCHEMA_VERSION = "1"
EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3


@dataclass(frozen=True)
class VoletFigures:
    volet: int
    ceiling: Decimal
    figures: dict[str, Decimal]  # synthesis columns, recomputed from the inputs
    labels: dict[str, str] = field(default_factory=dict)  # their French headers
    types: dict[str, str] = field(default_factory=dict)


@dataclass
class Report:
    path: Path
    findings: list[Finding] = field(default_factory=list)
    annexe: str | None = None
    template_version: str | None = None
    departement: str | None = None
    departement_nom: str | None = None
    region: str | None = None
    year: int | None = None
    sha256: str | None = None
    volets: list[VoletFigures] = field(default_factory=list)
    totals: dict[str, Decimal] = field(default_factory=dict)
    lines: list[dict[str, object]] = field(default_factory=list)
    figures: list[tuple[str, object]] = field(
        default_factory=list
    )  # (label, value) under the table
    refused: str | None = None
    templates: Path | None = None  # the templates folder it was read with (None: the default)

    @classmethod
    def refused_file(cls, path: Path, reason: str, refusal: Finding) -> Report:
        return cls(path=path, findings=[refusal], refused=reason)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def valid(self) -> bool:
        return self.refused is None and self.count(Severity.ERREUR) == 0

    def exit_code(self, strict: bool = False) -> int:
        if self.refused is not None:
            return EXIT_REFUSED
        if self.count(Severity.ERREUR) or (strict and self.count(Severity.AVERTISSEMENT)):
            return EXIT_ERRORS
        return EXIT_OK

    def flatten(self) -> list[tuple[str, str]]:
        """(code, location) pairs, for tests and scripts: [("plafond-depasse", "'Synthèse'!E10")]."""
        return [(f.code, str(f.where) if f.where else "") for f in self.findings]

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def status(self) -> str:
        """``vide`` (nothing declared) comes before the other verdicts: such a file is never
        « conforme », and its figures found no payment."""
        if self.refused is not None:
            return "refusé"
        if any(f.code == "classeur-vide" for f in self.findings):
            return "vide"
        if self.count(Severity.ERREUR):
            return "erreurs"
        return "avertissements" if self.count(Severity.AVERTISSEMENT) else "conforme"

    def as_dict(self) -> dict[str, object]:
        return {
            "schema": SCHEMA_VERSION,
            "file": valid_text(str(self.path)),
            "sha256": self.sha256,
            "status": self.status(),
            "refused": self.refused,
            "annexe": self.annexe,
            "template_version": self.template_version,
            "departement": {
                "code": self.departement,
                "nom": self.departement_nom,
                "region": self.region,
            },
            "year": self.year,
            "counts": {s.value: self.count(s) for s in Severity},
            "volets": [
                {
                    "volet": v.volet,
                    "plafond": money_text(v.ceiling),
                    **{k: _figure(x, v.types.get(k, "money")) for k, x in v.figures.items()},
                }
                for v in self.volets
            ],
            "totals": {k: money_text(v) for k, v in self.totals.items()},
            "findings": [f.as_dict() for f in self.findings],
        }


def _figure(value: Decimal, value_type: str) -> str:
    """Amounts with their cents, rounded half up ("1234.50"): JSON floats would lose cents; a
    rate as the fraction it is ("0.5")."""
    return f"{value.normalize():f}" if value_type == "percent" else money_text(value)


def to_json(reports: list[Report]) -> str:
    payload = {"schema": SCHEMA_VERSION, "reports": [r.as_dict() for r in reports]}
    return json.dumps(payload, ensure_ascii=False, indent=2)


_COLOURS = {Severity.ERREUR: "red", Severity.AVERTISSEMENT: "yellow", Severity.INFORMATION: "cyan"}
_LABELS = {
    Severity.ERREUR: "ERREUR",
    Severity.AVERTISSEMENT: "AVERTISSEMENT",
    Severity.INFORMATION: "INFO",
}


def to_text(report: Report, colour: bool = False) -> str:
    """The French report: the file, its figures, findings grouped by sheet, a summary line."""
    import click

    def paint(text: str, severity: Severity) -> str:
        return click.style(text, fg=_COLOURS[severity], bold=True) if colour else text

    lines = [f"Fichier : {one_line(report.path)}"]  # a name cannot fake a report line
    if report.refused is not None:
        lines.append(paint(f"  REFUSÉ : {one_line(clean_text(report.refused))}", Severity.ERREUR))
        return "\n".join(lines)
    lines.append(
        f"  {report.annexe} v{report.template_version} · {report.departement} - {report.departement_nom} · {report.year}"
    )
    labels = [label for v in report.volets for label in v.labels.values()]
    width = max(len(label) for label in [*labels, *(label for label, _ in report.figures), ""])
    for volet in report.volets:
        lines.append(f"  Volet {volet.volet} :")
        for key, value in volet.figures.items():
            shown = show_number(value, volet.types.get(key, "money"))
            lines.append(f"    {volet.labels.get(key, key):<{width}} {shown:>16}")
    if report.figures:
        lines.append("  Ensemble :")
    for label, figure in report.figures:
        shown = format_euros(figure) if isinstance(figure, Decimal) else str(figure)
        lines.append(f"    {label:<{width}} {shown:>16}")
    by_sheet: dict[str, list[Finding]] = defaultdict(list)
    for item in sorted(
        report.findings, key=lambda f: (f.severity.rank, f.where.sheet if f.where else "")
    ):
        by_sheet[item.where.sheet if item.where else "Classeur"].append(item)
    for sheet, items in by_sheet.items():
        lines.append(f"  [{one_line(sheet)}]")
        for item in items:
            place = item.where.address if item.where and item.where.address else "-"
            article = f" (art. {item.article})" if item.article else ""
            lines.append(
                f"    {paint(_LABELS[item.severity], item.severity)} {place} {item.code} : {one_line(clean_text(item.message))}{article}"
            )
    lines.append(
        f"  Résumé : {report.count(Severity.ERREUR)} erreur(s), {report.count(Severity.AVERTISSEMENT)} "
        f"avertissement(s), {report.count(Severity.INFORMATION)} information(s) · {report.status()}"
    )
    return "\n".join(lines)
