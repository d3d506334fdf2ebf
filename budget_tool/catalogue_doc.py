"""The catalogue of codes as text (``budget-tool rules``) and as the docs page ``docs/regles.md``."""

from __future__ import annotations

from budget_tool.findings import CATALOGUE

FAMILIES = {
    "structure": "Structure du classeur",
    "formules": "Formules",
    "recalcul": "Recalcul",
    "saisies": "Saisies",
    "plafonds": "Plafonds et cofinancement (art. 4.1 et 3.3)",
    "eligibilite": "Éligibilité des dépenses (art. 4.2)",
    "consolidation": "Consolidation régionale",
}


def catalogue_text() -> str:
    lines = []
    for family, title in FAMILIES.items():
        lines.append(title)
        for rule in (r for r in CATALOGUE.values() if r.family == family):
            article = f" art. {rule.article}" if rule.article else ""
            lines.append(f"  {rule.code:<28} {rule.severity.value:<14}{article:<10} {rule.title}")
        lines.append("")
    return "\n".join(lines).rstrip()


def catalogue_markdown() -> str:
    lines = [
        "# Les contrôles de `budget-tool check`",
        "",
        "Page générée par `budget-tool rules --format markdown` (`make docs`) depuis le catalogue",
        "`budget_tool/findings.py` : ne pas la modifier à la main.",
        "",
        "Gravités : **erreur** (le fichier doit être corrigé ; code de sortie 1), **avertissement**",
        "(à vérifier), **information**.",
    ]
    for family, title in FAMILIES.items():
        lines += [
            "",
            f"## {title}",
            "",
            "| code | gravité | article | contrôle | message |",
            "|---|---|---|---|---|",
        ]
        for rule in (r for r in CATALOGUE.values() if r.family == family):
            message = rule.template.replace("|", "\\|")
            lines.append(
                f"| `{rule.code}` | {rule.severity.value} | {rule.article} | {rule.title} | {message} |"
            )
    return "\n".join(lines) + "\n"
