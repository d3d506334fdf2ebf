"""The consolidation's chart, drawn by the server as inline SVG (no JavaScript, no library):
per département, the three amounts of State money of the summary workbook's « Graphique »
sheet: the ceiling, the State share planned (annexe 2), the State contribution due (annexe 3)."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from budget_tool.numbers import format_euros

SERIES = (
    ("plafond", "Plafond (art. 4.1)", "#000091"),
    ("part_etat_prevue", "Part État prévue (annexe 2)", "#6a6af4"),
    ("contribution_due", "Contribution État due (annexe 3)", "#18753c"),
)
BAR, GAP, LEFT, TOP, HEIGHT = 18, 28, 90, 40, 260


def state_money_chart(records: list[dict]) -> str:
    """An accessible SVG (title, description, one <title> per bar), or "" when nothing to draw."""
    groups: dict[str, list[Decimal]] = {}
    for record in records:
        if record.get("nom") == "Total région" or not record.get("departement"):
            continue
        sums = groups.setdefault(str(record["departement"]), [Decimal(0)] * len(SERIES))
        for i, (key, _, _) in enumerate(SERIES):
            value = record.get(key)
            sums[i] += value if isinstance(value, Decimal) else Decimal(0)
    if not groups:
        return ""
    top = max(max(values) for values in groups.values()) or Decimal(1)
    step = len(SERIES) * BAR + GAP
    width = max(LEFT + step * len(groups) + 20, 860)  # room for the legend
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{TOP + HEIGHT + 70}" viewBox="0 0 {width} {TOP + HEIGHT + 70}" '
        'aria-labelledby="graphique-titre" class="graphique">',
        '<title id="graphique-titre">Argent de l\'État par département : plafond, part prévue '
        "et contribution due (tous volets)</title>",
    ]
    parts += _axis(top, width)
    for index, (code, values) in enumerate(sorted(groups.items())):
        x0 = LEFT + index * step
        for i, ((_, label, colour), value) in enumerate(zip(SERIES, values, strict=True)):
            h = float(value / top) * HEIGHT if value > 0 else 0
            parts.append(
                f'<rect x="{x0 + i * BAR}" y="{TOP + HEIGHT - h:.1f}" width="{BAR - 2}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(code)} : {escape(label)} '
                f"{escape(format_euros(value))}</title></rect>"
            )
        parts.append(
            f'<text x="{x0 + len(SERIES) * BAR / 2:.0f}" y="{TOP + HEIGHT + 18}" '
            f'text-anchor="middle" font-size="13">{escape(code)}</text>'
        )
    parts += _legend(TOP + HEIGHT + 40)
    parts.append("</svg>")
    return "".join(parts)


def _axis(top: Decimal, width: int) -> list[str]:
    parts = []
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        y = TOP + HEIGHT - fraction * HEIGHT
        amount = format_euros(Decimal(str(round(float(top) * fraction)))).replace(",00", "")
        parts.append(
            f'<line x1="{LEFT - 4}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#dddddd"/>'
            f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{escape(amount)}</text>"
        )
    return parts


def _legend(y: int) -> list[str]:
    parts, x = [], LEFT
    for _, label, colour in SERIES:
        parts.append(
            f'<rect x="{x}" y="{y - 11}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 18}" y="{y}" font-size="12">{escape(label)}</text>'
        )
        x += 18 + 7 * len(label) + 30
    return parts
