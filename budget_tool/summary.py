"""Write a ``Consolidation``: the summary workbook (xlsxwriter), CSV files and JSON.

Every text that came from a département is written as text (``write_string``: never a formula
nor a link); amounts are numbers with euro formats; outputs are written atomically.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from functools import cache
from pathlib import Path

from budget_tool.consolidation import OUTPUT_MARKER, Consolidation
from budget_tool.numbers import decimal_text
from budget_tool.output import ensure_folder, output_path
from budget_tool.sanitize import clean_text
from budget_tool.tables import MONEY_COLUMNS, SYNTHESE_HEADERS
from budget_tool.templates import ANNEXES, load_template
from budget_tool.tracking import EXTRA_MONEY, EXTRA_PERCENT, extra_tables

EURO = '#,##0.00 "€"'
SHEETS = ("Synthèse", "Anomalies", "Lignes", "Fichiers")
WIDTHS = {
    "message": 90,
    "raison": 50,
    "chemin": 50,
    "sha256": 20,
    "fichier": 42,
    "nom": 16,
    # the follow-up sheets' texts
    "annexe2": 30,
    "annexe3": 30,
    "proposition": 36,
    "detail_volets": 50,
    "avance_origine": 22,
    "fichier_bilan": 38,
    "libelle_action": 55,
    "action": 22,
    # narrow columns: short codes and counts (their headers wrap)
    "departement": 6,
    "volet": 6,
    "region": 14,
    "annee": 6,
    "erreurs": 8,
    "avertissements": 10,
    "erreurs_bilan": 8,
    "jours_de_retard": 8,
    "ecart_pct": 9,
    "taux_execution": 9,
    "dans_suivi": 9,
    "cellule": 8,
}
MONEY_WIDTH = 12  # « 2 870 000,00 € » at 9 pt
# The statut column is as wide as its sheet's texts: a word for a file, a sentence (wrapped) for
# a département.
SHEET_WIDTHS = {
    "Synthèse": {"statut": 36},
    "Fichiers": {"statut": 10},
    "Suivi": {"statut": 44},
    "Propositions de paiement": {"statut": 40},
}
SMALLEST_PRINT = 8.0  # points: no printed text below (the cells are 9 pt)


def write_summary(result: Consolidation, target: Path | str) -> Path | str:
    """The summary workbook; ``target`` is a path, or « - » for standard output."""
    import xlsxwriter

    target = target if target == "-" else Path(target)
    with output_path(target) as temporary:
        book = xlsxwriter.Workbook(
            str(temporary),
            {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
        )
        book.set_custom_property("budget_tool.output", OUTPUT_MARKER)
        book.set_properties(
            {"title": f"Consolidation {result.year or ''}", "author": "budget-tool"}
        )
        formats = _formats(book)
        tables = {
            "Synthèse": (result.synthese, SYNTHESE_HEADERS),
            "Anomalies": (result.anomalies, {}),
            "Lignes": (result.lignes, {}),
            "Fichiers": (result.fichiers, {}),
        }
        for name, (frame, headers) in tables.items():
            top = _title_block(book, result, formats) if name == "Synthèse" else 0
            _write_table(book, name, frame, headers, formats, top)
        for name, frame, headers in extra_tables(result).values():
            _write_table(book, name, frame, headers, formats)
        _chart(book, result)
        book.close()
    return target


NUMBER_FORMATS = {
    "money": EURO,
    "percent": '0.0" %"',  # a gap already in percent (-5.6)
    "rate": "0 %",  # a rate (0.5)
    "number": "0.00",
    "integer": "0",
    "date": "dd/mm/yyyy",
    "text": "@",
}


def _formats(book) -> dict:
    """Each number format, plain and bold for the total row."""
    base = {"font_name": "Arial", "font_size": 9, "valign": "top"}
    total = {"bold": True, "top": 1, "bg_color": "#EDEDED"}
    header = {**base, "bold": True, "text_wrap": True, "bg_color": "#D9E1F2", "border": 1}
    formats = {
        "header": book.add_format(header),
        "title": book.add_format({**base, "bold": True, "font_size": 13}),
        "subtitle": book.add_format(base),
    }
    for name, code in NUMBER_FORMATS.items():
        # texts wrap within their column: none runs past the table, on screen or on paper
        number = {"text_wrap": True} if name == "text" else {"num_format": code}
        formats[name] = book.add_format({**base, **number})
        formats[name + "_total"] = book.add_format({**base, **number, **total})
    formats["digest"] = book.add_format(base)  # a SHA-256 is read whole on screen, not wrapped
    return formats


def _title_block(book, result: Consolidation, formats: dict) -> int:
    """Title, region, year and date above the Synthèse table; returns the table's first row."""
    sheet = book.add_worksheet("Synthèse")
    frame = result.synthese
    found = frame["region"] if frame is not None and "region" in frame else []
    regions = sorted({r for r in found if isinstance(r, str) and r})
    year = result.year or ""
    sheet.write_string(
        0, 0, f"Consolidation des annexes 2 et 3 - {year}".strip(" -"), formats["title"]
    )
    where = f"Région : {', '.join(regions) or 'non renseignée'}"
    made = f"Établie le {dt.date.today():%d/%m/%Y} par budget-tool"
    sheet.write_string(1, 0, clean_text(f"{where} · Année : {year} · {made}"), formats["subtitle"])
    return 3


def _write_table(
    book, name: str, frame, headers: dict[str, str], formats: dict, top: int = 0
) -> None:
    sheet = book.get_worksheet_by_name(name) or book.add_worksheet(name)
    columns = list(frame.columns) if frame is not None else []
    widths = [column_width(name, key) for key in columns]
    for col, key in enumerate(columns):
        sheet.write_string(
            top, col, headers.get(key) or column_headers().get(key, key), formats["header"]
        )
        sheet.set_column(col, col, widths[col])
    records = frame.to_dict("records") if frame is not None else []
    for index, record in enumerate(records, start=top + 1):
        is_total = name == "Synthèse" and record.get("nom") == "Total région"
        for col, key in enumerate(columns):
            _write_value(sheet, index, col, key, record.get(key), formats, is_total)
        height = None if name == "Lignes" else _row_height(record, columns, widths)
        if height:  # « Lignes » is data for a pivot table: one row high, whatever its texts
            sheet.set_row(index, height)
    sheet.freeze_panes(top + 1, 0)
    _page_setup(sheet, widths, columns)
    sheet.repeat_rows(top)
    sheet.set_footer("&L&8&A&R&8Page &P / &N")
    if columns:
        last_row = top + max(len(records), 1)
        totals = sum(1 for r in records if name == "Synthèse" and r.get("nom") == "Total région")
        filter_rows = last_row - totals  # the total rows (one per set of départements) stay out
        sheet.autofilter(top, 0, max(filter_rows, top + 1), len(columns) - 1)
    sheet.set_row(top, 36)


def column_width(sheet: str, key: str) -> float:
    """A column's width in characters, on a given sheet of the summary workbook."""
    own = SHEET_WIDTHS.get(sheet, {})
    return own.get(key, WIDTHS.get(key, MONEY_WIDTH if key in MONEY_COLUMNS else 12))


def print_layout(widths: list[float]) -> tuple[str, int]:
    """The paper (A4, else A3, landscape) and the number of pages across that keep the 9 pt
    cells at ``SMALLEST_PRINT`` or more once the spreadsheet fits the width to the pages."""
    from budget_tool.paper import MARGINS, PAPERS, column_points

    # LibreOffice's fitted scale comes out a little under the columns' arithmetic (measured on
    # its PDFs): a tenth of margin keeps the 8 points
    needed = sum(column_points(w) for w in widths) * SMALLEST_PRINT / 9.0 * 1.1
    for paper in ("A4", "A3"):
        printable = PAPERS[paper][1] - (MARGINS["left"] + MARGINS["right"]) * 72
        if needed <= printable:
            return paper, 1
    return "A3", -(-int(needed) // int(printable))


def _page_setup(sheet, widths: list[float], columns: list[str]) -> None:
    from budget_tool.paper import MARGINS, PAPERS

    paper, across = print_layout(widths)
    sheet.set_landscape()
    sheet.set_paper(PAPERS[paper][0])
    sheet.set_margins(left=MARGINS["left"], right=MARGINS["right"])
    sheet.fit_to_pages(across, 0)
    if across > 1 and "nom" in columns:  # each page says whose row it is
        sheet.repeat_columns(0, columns.index("nom"))


def _row_height(record: dict, columns: list[str], widths: list[float]) -> float | None:
    """Texts wrap within their column (« Statut », a message, the detail of a proposal): the row
    is as high as its longest text needs, 12 points a line of 9 points; None for one line."""
    lines = 1
    for key, width in zip(columns, widths, strict=True):
        text = record.get(key)
        if isinstance(text, str) and text and not key.startswith("sha256"):
            lines = max(lines, -(-len(text) // max(1, int(width * 1.1))))
    return 12.0 * lines if lines > 1 else None


def _write_value(sheet, row: int, col: int, key: str, value, formats: dict, is_total: bool) -> None:
    """One cell, formatted by what the column holds (euros, %, ETP, date, text)."""
    suffix = "_total" if is_total else ""
    if _missing(value):  # None, NaN or NA
        sheet.write_blank(row, col, None, formats["text" + suffix])
    elif isinstance(value, bool):
        sheet.write_string(row, col, "oui" if value else "non", formats["text" + suffix])
    elif isinstance(value, dt.date):
        sheet.write_datetime(
            row, col, dt.datetime.combine(value, dt.time()), formats["date" + suffix]
        )
    elif isinstance(value, Decimal | int | float):
        sheet.write_number(row, col, float(value), formats[_number_format(key, value) + suffix])
    elif key.startswith("sha256"):
        sheet.write_string(row, col, clean_text(value), formats["digest"])
    else:
        sheet.write_string(row, col, clean_text(value), formats["text" + suffix])


def _number_format(key: str, value: object) -> str:
    kind = column_types().get(key, "")
    if key == "ecart_pct" or key in EXTRA_PERCENT:
        return "percent"
    if kind == "percent":
        return "rate"
    if key in MONEY_COLUMNS or key in EXTRA_MONEY or kind == "money":
        return "money"
    return "integer" if isinstance(value, int) else "number"


@cache
def column_types() -> dict[str, str]:
    """The value type of every line column of the templates (the same key means the same type)."""
    types: dict[str, str] = {}
    for template_id in ANNEXES:
        for column in load_template(template_id).columns:
            types.setdefault(column.key, column.type)
    return types


@cache
def column_headers() -> dict[str, str]:
    """French headers for the tables' keys: the templates' own, then ours."""
    headers = dict(OTHER_HEADERS)
    for template_id in ANNEXES:
        for column in load_template(template_id).columns:
            headers.setdefault(column.key, f"{column.header} {column.subheader}".strip())
    return headers


OTHER_HEADERS = {
    "fichier": "Fichier",
    "chemin": "Chemin",
    "sha256": "Empreinte SHA-256",
    "modele": "Modèle",
    "departement": "Code",
    "annexe": "Annexe",
    "annee": "Année",
    "statut": "Statut",
    "raison": "Raison",
    "erreurs": "Erreurs",
    "avertissements": "Avertissements",
    "feuille": "Feuille",
    "cellule": "Cellule",
    "code": "Contrôle",
    "gravite": "Gravité",
    "message": "Message",
    "article": "Article",
    "valeur": "Valeur trouvée",
    "volet": "Volet",
    "ligne": "Ligne",
    "section": "Section",
    "groupe": "Bloc ou nature",
    "libelle": "Libellé du modèle",
    "compte": "Comptée (hors « Pour info »)",
}


def _chart(book, result: Consolidation) -> None:
    """A native chart: per département, the ceiling, the State share planned (annexe 2) and the
    State contribution due (annexe 3), all volets together: three amounts of State money."""
    frame = result.synthese
    if frame is None or frame.empty:
        return
    keys = ("plafond", "part_etat_prevue", "contribution_due")
    grouped: dict[str, list[Decimal | None]] = {}
    for record in frame.to_dict("records"):
        if record["nom"] != "Total région":
            sums = grouped.setdefault(f"{record['departement']} - {record['nom']}", [None] * 3)
            for i, key in enumerate(keys):
                if isinstance(record[key], Decimal):  # an annexe not received stays a gap
                    sums[i] = (sums[i] or Decimal(0)) + record[key]
    sheet = book.add_worksheet("Graphique")
    headers = [
        "Département",
        "Plafond (art. 4.1)",
        "Part État prévue (annexe 2)",
        "Contribution État due (annexe 3)",
    ]
    euro = book.add_format({"num_format": EURO})
    wrap = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, wrap)
    sheet.set_row(0, 30)  # the headers whole, on two lines
    for index, (label, values) in enumerate(grouped.items(), start=1):
        sheet.write_string(index, 0, clean_text(label))
        for col, value in enumerate(values, start=1):
            if value is None:
                sheet.write_blank(index, col, None, euro)
            else:
                sheet.write_number(index, col, float(value), euro)
    count = len(grouped)
    chart = book.add_chart({"type": "column"})
    for col, header in enumerate(headers[1:], start=1):
        chart.add_series(
            {
                "name": header,
                "categories": ["Graphique", 1, 0, count, 0],
                "values": ["Graphique", 1, col, count, col],
            }
        )
    chart.set_title({"name": "Plafond, part État prévue et contribution due, par département"})
    chart.set_y_axis({"num_format": '#,##0 "€"'})
    chart.show_blanks_as("gap")  # no bar, not a bar at 0 €, for an annexe not received
    chart.set_size({"width": 820, "height": 420})
    sheet.insert_chart("F2", chart)
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 3, 18)
    sheet.set_landscape()
    sheet.set_paper(8)  # A3: the table and the chart side by side, the table at 8 pt or more
    sheet.fit_to_pages(1, 1)


def _missing(value) -> bool:
    """None, NaN or pandas' NA: an empty cell."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    return type(value).__name__ == "NAType"


# The last three only with a follow-up file (tracking.extra_tables).
CSV_TABLES = ("synthese", "anomalies", "lignes", "fichiers", "suivi", "propositions", "actions")


def write_csv(result: Consolidation, folder: Path, sep: str = ";") -> list[Path]:
    """One CSV per table, for French spreadsheets (``csvout``: « ; », decimal comma, UTF-8 with
    BOM, texts neutralised); ``sep=","`` for scripts (decimal point)."""
    from budget_tool.csvout import write_csv_file

    folder = ensure_folder(folder)
    written = []
    for name in (*CSV_TABLES[:4], *extra_tables(result)):
        frame = getattr(result, name)
        rows = (
            [_csv_field(record[key], key) for key in frame.columns]
            for record in frame.to_dict("records")
        )
        target = Path(folder) / f"{name}.csv"
        write_csv_file(target, list(frame.columns), rows, sep)
        written.append(target)
    return written


def _csv_field(value, key: str = "") -> object:
    """A value for ``csvout``: numbers stay numbers, missing values empty, the rest text. A
    year or a count that pandas made a float (a column with gaps) is written as the integer."""
    if _missing(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and value.is_integer() and _number_format(key, value) != "money":
        return int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def to_json(result: Consolidation) -> str:
    def convert(value):
        if _missing(value):
            return None
        if isinstance(value, Decimal):
            return decimal_text(value)
        if isinstance(value, dt.date):
            return value.isoformat()
        if hasattr(value, "item"):  # numpy scalars
            return value.item()
        if isinstance(value, int):
            return value
        return clean_text(value) if isinstance(value, str) else value  # valid UTF-8 too

    payload = {
        "schema": "1",
        "year": result.year,
        **{
            name: [
                {k: convert(v) for k, v in r.items()}
                for r in getattr(result, name).to_dict("records")
            ]
            for name in ("synthese", "anomalies", "lignes", "fichiers", *extra_tables(result))
        },
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)
