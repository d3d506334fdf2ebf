"""How each kind of cell looks in a generated workbook: one place for colours and formats.

Input cells are pale yellow and unlocked (France Travail's "Pour info" inputs grey and italic:
information, not the département's own lines); everything else is locked. Totals get darker the
higher they add up, so that a printed page reads like the model.
"""

from __future__ import annotations

from typing import Any

INPUT_FILL = "#FFF2CC"
INFO_FILL = "#F2F2F2"
INFO_FONT = "#7F7F7F"
NUMBER_FORMATS = {
    "money": '#,##0.00 "€"',
    "unit_price": '#,##0.00## "€"',
    "etp": "0.00",
    "count": "#,##0.00",
    "percent": "0 %",
    "date": "dd/mm/yyyy",
}
_BASE: dict[str, Any] = {"font_name": "Arial", "font_size": 9, "valign": "vcenter", "border": 1}
_STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 13, "border": 0},
    "subtitle": {"bold": True, "font_size": 11, "border": 0},
    "ident_label": {"bold": True, "border": 0},
    "ident_value": {"border": 0, "align": "left"},
    "plafond_label": {"bold": True, "bg_color": "#DDEBF7"},
    "plafond": {"bold": True, "bg_color": "#DDEBF7"},
    "group_header": {"bold": True, "align": "center", "bg_color": "#B4C6E7"},
    "header": {"bold": True, "align": "center", "text_wrap": True, "bg_color": "#D9E1F2"},
    "subheader": {"bold": True, "align": "center", "bg_color": "#D9E1F2"},
    "section": {"bold": True, "font_size": 10, "bg_color": "#BDD7EE"},
    "subsection": {"bold": True, "italic": True, "bg_color": "#DDEBF7"},
    "group": {"bold": True, "bg_color": "#EDEDED"},
    "line": {"text_wrap": True},
    "info_line": {"italic": True, "font_color": INFO_FONT, "text_wrap": True},
    "info_total": {"italic": True, "font_color": INFO_FONT, "bg_color": INFO_FILL},
    "total_note": {
        "italic": True,
        "font_color": INFO_FONT,
        "bg_color": INFO_FILL,
        "text_wrap": True,
    },
    # Line rows are two lines high (the templates' line_height): what is typed wraps within them.
    "input": {"bg_color": INPUT_FILL, "locked": False, "text_wrap": True},
    "info_input": {
        "bg_color": INFO_FILL,
        "italic": True,
        "font_color": INFO_FONT,
        "locked": False,
        "text_wrap": True,
    },
    "group_total": {"bold": True, "bg_color": "#EDEDED"},
    "section_total": {"bold": True, "bg_color": "#D9D9D9"},
    "grand_total": {"bold": True, "font_size": 10, "bg_color": "#A6A6A6"},
    "extra_label": {"bold": True, "align": "right"},
    "extra": {"bold": True, "bg_color": "#E2EFDA"},
    "summary": {},
    "volet_label": {"bold": True},
    "summary_total": {"bold": True, "bg_color": "#D9D9D9"},
    "figure_label": {"bold": True, "align": "right"},
    "figure": {"bold": True, "bg_color": "#E2EFDA"},
    "note": {"italic": True, "text_wrap": True, "valign": "top", "border": 0},
}
# Styles whose fill runs across the whole row, as bands in the printed page.
BAND_STYLES = {
    "section",
    "subsection",
    "group",
    "group_total",
    "section_total",
    "grand_total",
    "info_total",
}


def format_properties(style: str, value_type: str) -> dict[str, Any]:
    """xlsxwriter format properties for a cell of this style holding this type of value."""
    props = {**_BASE, **_STYLES.get(style, {})}
    if value_type in NUMBER_FORMATS:
        props["num_format"] = NUMBER_FORMATS[value_type]
    if value_type in ("flag", "percent"):
        props["align"] = "center"
    if style in ("line", "info_line") and value_type in ("money", "unit_price", "etp"):
        # a line left empty shows nothing, not « 0,00 »
        number = NUMBER_FORMATS[value_type]
        props["num_format"] = f'{number};-{number};""'
    return props


FLAG_COLOURS: dict[str, dict[str, Any]] = {
    "Non": {"bg_color": "#F8CBAD", "font_color": "#9C0006", "bold": True},
    "Inconnue": {"bg_color": "#FFEB9C", "font_color": "#9C5700", "bold": True},
    "DÉPASSEMENT": {"bg_color": "#F8CBAD", "font_color": "#9C0006", "bold": True},
    "PLAFONNÉE": {"bg_color": "#FFEB9C", "font_color": "#9C5700", "bold": True},
    "OK": {"bg_color": "#C6EFCE", "font_color": "#006100"},
    "Oui": {"font_color": "#006100"},
}

# The model's example labels (« Rémunération XX », « Structure XXX ») while left as they are on an
# empty line: they read as examples, on screen and on paper, not as expenses.
PLACEHOLDER_FONT = {"italic": True, "font_color": "#A6A6A6"}
# The ceiling on a volet sheet, when the check beside it is not « OK ».
CEILING_ALERT = {"bg_color": "#F8CBAD", "font_color": "#9C0006", "bold": True}
