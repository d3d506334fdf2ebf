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

from budget_tool.atomic import atomic_path, write_bytes_atomic
from budget_tool.consolidation import OUTPUT_MARKER, Consolidation
from budget_tool.numbers import decimal_text
from budget_tool.sanitize import clean_text, csv_cell
from budget_tool.tables import MONEY_COLUMNS, SYNTHESE_HEADERS
from budget_tool.templates import ANNEXES, load_template
from budget_tool.tracking import EXTRA_MONEY, EXTRA_PERCENT, EXTRA_WIDTHS, extra_tables

EURO = '#,##0.00 "€"'
SHEETS = ("Synthèse", "Anomalies", "Lignes", "Fichiers")
WIDTHS = {
    "message": 90,
    "raison": 50,
    "chemin": 50,
    "sha256": 20,
    "fichier": 42,
    "nom": 20,
    "statut": 30,
    **EXTRA_WIDTHS,
}


def write_summary(result: Consolidation, target: Path) -> Path:
    import xlsxwriter

    target = Path(target)
    with atomic_path(target) as temporary:
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
            _write_table(book, name, frame, headers, formats)
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
    formats = {"header": book.add_format(header)}
    for name, code in NUMBER_FORMATS.items():
        number = {} if name == "text" else {"num_format": code}
        formats[name] = book.add_format({**base, **number})
        formats[name + "_total"] = book.add_format({**base, **number, **total})
    return formats


def _write_table(book, name: str, frame, headers: dict[str, str], formats: dict) -> None:
    sheet = book.add_worksheet(name)
    columns = list(frame.columns) if frame is not None else []
    for col, key in enumerate(columns):
        sheet.write_string(
            0, col, headers.get(key) or column_headers().get(key, key), formats["header"]
        )
        sheet.set_column(col, col, WIDTHS.get(key, 16 if key in MONEY_COLUMNS else 12))
    records = frame.to_dict("records") if frame is not None else []
    for index, record in enumerate(records, start=1):
        is_total = name == "Synthèse" and record.get("nom") == "Total région"
        for col, key in enumerate(columns):
            _write_value(sheet, index, col, key, record.get(key), formats, is_total)
    sheet.freeze_panes(1, 0)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.set_footer("&L&8&A&R&8Page &P / &N")
    if columns:
        last_row = max(len(records), 1)
        totals = sum(1 for r in records if name == "Synthèse" and r.get("nom") == "Total région")
        filter_rows = last_row - totals  # the total rows (one per set of départements) stay out
        sheet.autofilter(0, 0, max(filter_rows, 1), len(columns) - 1)
    sheet.set_row(0, 36)


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
    else:
        sheet.write_string(row, col, clean_text(value), formats["text" + suffix])


def _number_format(key: str, value: object) -> str:
    kind = column_types().get(key, "")
    if key == "ecart_pct" or key in EXTRA_PERCENT or kind == "percent":
        return "percent" if key == "ecart_pct" or key in EXTRA_PERCENT else "rate"
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
    grouped: dict[str, list[Decimal]] = {}
    for record in frame.to_dict("records"):
        if record["nom"] != "Total région":
            sums = grouped.setdefault(
                f"{record['departement']} - {record['nom']}", [Decimal(0)] * 3
            )
            for i, key in enumerate(keys):
                sums[i] += record[key] if isinstance(record[key], Decimal) else Decimal(0)
    sheet = book.add_worksheet("Graphique")
    headers = [
        "Département",
        "Plafond (art. 4.1)",
        "Part État prévue (annexe 2)",
        "Contribution État due (annexe 3)",
    ]
    euro = book.add_format({"num_format": EURO})
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header)
    for index, (label, values) in enumerate(grouped.items(), start=1):
        sheet.write_string(index, 0, clean_text(label))
        for col, value in enumerate(values, start=1):
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
    chart.set_size({"width": 900, "height": 420})
    sheet.insert_chart("F2", chart)
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 3, 18)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 1)


def _missing(value) -> bool:
    """None, NaN or pandas' NA: an empty cell."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    return type(value).__name__ == "NAType"


def write_csv(result: Consolidation, folder: Path) -> list[Path]:
    """One CSV per table (UTF-8, comma, decimal point): for scripts, not for display."""
    import csv
    import io

    written = []
    for name in ("synthese", "anomalies", "lignes", "fichiers", *extra_tables(result)):
        frame = getattr(result, name)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(list(frame.columns))
        for record in frame.to_dict("records"):
            writer.writerow([_csv_value(record[key]) for key in frame.columns])
        target = Path(folder) / f"{name}.csv"
        write_bytes_atomic(target, buffer.getvalue().encode("utf-8"))
        written.append(target)
    return written


def _csv_value(value) -> str:
    if _missing(value):
        return ""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return csv_cell(clean_text(value))  # a lone carriage return would split the CSV record


def to_json(result: Consolidation) -> str:
    def convert(value):
        if _missing(value):
            return None
        if isinstance(value, Decimal):
            return _csv_value(value)
        if isinstance(value, dt.date):
            return value.isoformat()
        if hasattr(value, "item"):  # numpy scalars
            return value.item()
        if isinstance(value, int):
            return value
        return clean_text(value) if isinstance(value, str) else value

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
