"""What the officer sends back: one printable A4 report (PDF) per département.

It reads the consolidation's own tables (suivi, synthese, propositions, actions, anomalies), so
the report says exactly what the data say: figures per volet, what the State owes or must
recover (art. 6 and 8), plan against actual per action, every finding with its cell, the Chorus
imputation and the SHA-256 of the files it rests on. PDF through fpdf2, with the DejaVu Sans font
shipped in ``data/fonts`` (embedded in each file: « € », « œ » and accents print anywhere). The
shipped file is DejaVu Sans cut down with fontTools to Latin, punctuation, « € » and a few signs
(36 Kio instead of 740): fpdf2 parses and subsets it again for every report.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

from budget_tool.atomic import write_bytes_atomic
from budget_tool.consolidation import Consolidation
from budget_tool.followup import IMPUTATION, IMPUTATION_LABELS, FollowUp
from budget_tool.numbers import format_euros
from budget_tool.sanitize import clean_text

FONTS = Path(__file__).resolve().parent / "data" / "fonts"
FONT = "DejaVu"
GREY, BLUE = (237, 237, 237), (217, 225, 242)
# One face only (no bold): each font file is parsed and subset again for every report (~25 ms);
# headings and labels stand out in dark blue instead.
STRONG = ""
DARK, INK = (31, 56, 100), (0, 0, 0)


def notice_name(code: str, year: int | None) -> str:
    return f"rapport-{code}-{year or ''}.pdf".replace("-.pdf", ".pdf")


def write_notices(
    result: Consolidation,
    folder: Path,
    followups: Mapping[str, FollowUp] | None = None,
    today: date | None = None,
) -> list[Path]:
    """One PDF per département of the follow-up tables; returns the files written."""
    if result.suivi is None:
        return []
    groups = grouped(result)
    written = []
    for code in groups["suivi"]:
        followup = (followups or {}).get(code)
        data = notice_pdf(result, code, followup, today or date.today(), groups)
        target = Path(folder) / notice_name(code, result.year)
        write_bytes_atomic(target, data)
        written.append(target)
    return written


TABLES = ("suivi", "synthese", "propositions", "actions", "anomalies", "fichiers")
Groups = dict[str, dict[str, list[dict]]]


def grouped(result: Consolidation) -> Groups:
    """Each table's records by département code, read once for all the reports."""
    groups: Groups = {}
    for name in TABLES:
        frame = getattr(result, name)
        groups[name] = {}
        for record in frame.to_dict("records") if frame is not None else []:
            groups[name].setdefault(record.get("departement") or "", []).append(record)
    return groups


def notice_pdf(
    result: Consolidation,
    code: str,
    followup: FollowUp | None,
    today: date,
    groups: Groups | None = None,
) -> bytes:
    """The report of one département, as the bytes of a PDF."""
    tables = groups or grouped(result)

    def records(name: str) -> list[dict]:
        return tables[name].get(code, [])

    pdf = _Document(code, result.year)
    pdf.add_page()
    suivi = records("suivi")[0]
    _identity(pdf, suivi, followup, today, result.year)
    _volets(pdf, records("synthese"), followup)
    _money(pdf, records("propositions"), suivi)
    _actions(pdf, records("actions"))
    _findings(pdf, records("anomalies"))
    _imputation(pdf, followup)
    _files(pdf, records("fichiers"))
    return bytes(pdf.output())


def _document_class():
    from fpdf import FPDF

    class Document(FPDF):
        def __init__(self, code: str, year: int | None) -> None:
            super().__init__(orientation="P", unit="mm", format="A4")
            self.code, self.year = code, year
            self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
            self.set_auto_page_break(True, margin=18)
            self.set_margins(15, 15, 15)
            self.set_title(f"Convention insertion emploi {year or ''} - département {code}")
            self.set_author("budget-tool")
            self.set_creation_date(_fixed_date())  # the same inputs give the same bytes

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT, "", 7)
            self.set_text_color(*INK)
            self.cell(
                0,
                5,
                f"Convention départementale pour l'insertion et l'emploi {self.year or ''} · "
                f"département {self.code} · page {self.page_no()}/{{nb}}",
                align="C",
            )

    return Document


def _Document(code: str, year: int | None):  # noqa: N802 (a class made on first use)
    return _document_class()(code, year)


def _fixed_date():
    from datetime import UTC, datetime

    return datetime(2000, 1, 1, tzinfo=UTC)


def _heading(pdf, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(FONT, STRONG, 11)
    pdf.set_fill_color(*BLUE)
    pdf.set_text_color(*DARK)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT", fill=True)
    pdf.set_text_color(*INK)
    pdf.set_fill_color(255, 255, 255)
    pdf.ln(1)
    pdf.set_font(FONT, "", 9)


def _para(pdf, text: str, size: float = 9, height: float = 5) -> None:
    """A paragraph over the full width, wrapped by our cached measure (see ``_table``)."""
    pdf.set_font(FONT, "", size)
    lines = _Measure(pdf, size).wrap(text, pdf.w - pdf.l_margin - pdf.r_margin)
    for text_line in lines:
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        y = pdf.get_y()
        pdf.text(pdf.l_margin, y + height * 0.75, text_line)
        pdf.set_xy(pdf.l_margin, y + height)
    pdf.set_font(FONT, "", 9)


def _line(pdf, label: str, value: str) -> None:
    """A label and its value, the value wrapped in the rest of the width."""
    measure = _Measure(pdf, size=9)
    room = pdf.w - pdf.r_margin - pdf.l_margin - 62
    lines = measure.wrap(value, room)
    if pdf.get_y() + len(lines) * 5 > pdf.page_break_trigger:
        pdf.add_page()
    y = pdf.get_y()
    pdf.set_font(FONT, STRONG, 9)
    pdf.set_text_color(*DARK)
    pdf.text(pdf.l_margin, y + 3.8, label)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "", 9)
    for number, text in enumerate(lines):
        pdf.text(pdf.l_margin + 62, y + 3.8 + number * 5, text)
    pdf.set_xy(pdf.l_margin, y + len(lines) * 5 + 0.5)


def _identity(pdf, suivi: dict, followup: FollowUp | None, today: date, year) -> None:
    pdf.set_font(FONT, STRONG, 14)
    _para(
        pdf,
        f"Convention départementale pour l'insertion et l'emploi {year or ''}\n"
        f"Bilan financier et suite donnée : {suivi['departement']} - {clean_text(suivi['nom'])}",
        14,
        7,
    )
    pdf.ln(2)
    pdf.set_font(FONT, "", 9)
    if followup is not None:
        _line(pdf, "Convention n°", clean_text(followup.params.convention))
    _line(pdf, "Situation au", f"{today:%d/%m/%Y}")
    _line(pdf, "Statut du dossier", clean_text(suivi["statut"]))
    _line(pdf, "Échéance du bilan (art. 3.2)", _date(suivi["echeance_bilan"]))
    for key, label in (
        ("annexe2", "Plan de financement (annexe 2)"),
        ("annexe3", "Bilan financier (annexe 3)"),
    ):
        received = _date(suivi.get(f"date_reception_{key}"))
        name = clean_text(suivi.get(key) or "") or "non reçu"
        _line(pdf, label, name + (f", reçu le {received}" if received else ""))
    if followup is not None and followup.amendment is not None:
        amendment = followup.amendment
        _line(
            pdf,
            "Avenant (art. 9)",
            f"{clean_text(amendment.reference)} du {amendment.date:%d/%m/%Y} : ses plafonds "
            "s'appliquent (les plafonds initiaux sont rappelés ci-dessous).",
        )


VOLET_COLUMNS = (
    ("Volet", 12, "volet"),
    ("Plafond initial", 21, "initial"),
    ("Plafond en vigueur", 21, "plafond"),
    ("Part État prévue (annexe 2)", 21, "part_etat_prevue"),
    ("Dépenses déclarées", 21, "depenses_declarees"),
    ("dont éligibles", 21, "eligibles"),
    ("Contribution due", 21, "contribution_due"),
    ("Avance", 21, "avance_versee"),
    ("Solde (+ dû, - à reverser)", 21, "solde"),
)


def _volets(pdf, rows: list[dict], followup: FollowUp | None) -> None:
    _heading(pdf, "Chiffres par volet (art. 4.1, 6 et 8)")
    rows = [r for r in rows if r.get("nom") != "Total région"]
    if not rows:
        _para(pdf, "Aucune annexe reçue : aucun chiffre à rapprocher.")
        return
    initial = followup.initial_ceilings if followup else {}
    table = [[label for label, _, _ in VOLET_COLUMNS]]
    totals: dict[str, Decimal] = {}
    for row in rows:
        volet = int(row["volet"])
        values = {**row, "initial": initial.get(volet, row.get("plafond")), "solde": _balance(row)}
        for key, value in values.items():
            if isinstance(value, Decimal):
                totals[key] = totals.get(key, Decimal(0)) + value
        table.append([f"Volet {volet}", *(_cell(values.get(k)) for _, _, k in VOLET_COLUMNS[1:])])
    if len(rows) > 1:
        table.append(["Total", *(_cell(totals.get(k)) for _, _, k in VOLET_COLUMNS[1:])])
    _table(pdf, table, [w for _, w, _ in VOLET_COLUMNS])


def _balance(row: dict) -> Decimal | None:
    owed, back = row.get("solde_a_verser"), row.get("trop_percu")
    if not isinstance(owed, Decimal) or not isinstance(back, Decimal):
        return None
    return owed - back


def _money(pdf, proposals: list[dict], suivi: dict) -> None:
    _heading(pdf, "Ce que l'État doit verser ou doit récupérer (art. 6)")
    if not proposals:
        return
    row = proposals[0]
    amount = row.get("montant")
    if not isinstance(amount, Decimal):
        _line(pdf, "Proposition", clean_text(row.get("proposition") or ""))
        if isinstance(suivi.get("avance"), Decimal):
            _line(
                pdf,
                "Avance",
                f"{format_euros(suivi['avance'])}, {clean_text(suivi['avance_origine'])} : le "
                "solde ou le trop-perçu sera établi sur le bilan final.",
            )
        return
    sentence = {
        "à verser": f"L'État doit verser au Conseil départemental un solde de {format_euros(amount)}.",
        "à recouvrer": f"Le Conseil départemental doit reverser à l'État un trop-perçu de {format_euros(amount)}.",
    }.get(row.get("sens") or "", "Rien n'est à verser ni à recouvrer.")
    pdf.set_font(FONT, STRONG, 10)
    _para(pdf, sentence, 10, 6)
    pdf.set_font(FONT, "", 9)
    _line(
        pdf,
        "Contribution due",
        f"{format_euros(row['contribution_due'])} (somme des volets, chacun plafonné)",
    )
    _line(pdf, "Avance", f"{format_euros(row['avance'])}, {clean_text(row['avance_origine'])}")
    _line(pdf, "Détail par volet", clean_text(row.get("detail_volets") or ""))
    _line(pdf, "Proposition", clean_text(row.get("proposition") or ""))


def _actions(pdf, rows: list[dict]) -> None:
    if not rows:
        return
    _heading(pdf, "Prévu et réalisé par action (art. 8 : inexécution des dépenses prévues)")
    table = [["Volet", "Action", "Prévu", "Réalisé", "Écart", "Exécution"]]
    for row in rows:
        rate = row.get("taux_execution")
        table.append(
            [
                str(row["volet"]),
                clean_text(row["libelle_action"]),
                _cell(row.get("prevu")),
                _cell(row.get("realise")),
                _cell(row.get("ecart")),
                f"{rate} %".replace(".", ",") if isinstance(rate, Decimal) else "",
            ]
        )
    _table(pdf, table, [12, 78, 24, 24, 24, 18])


def _findings(pdf, rows: list[dict]) -> None:
    _heading(pdf, "Constats sur les fichiers reçus")
    if not rows:
        _para(pdf, "Aucun constat.")
        return
    order = {"erreur": 0, "avertissement": 1, "information": 2}
    table = [["Gravité", "Fichier et cellule", "Constat"]]
    for row in sorted(rows, key=lambda r: order.get(r.get("gravite", ""), 3)):
        place = " ".join(x for x in (clean_text(row.get("annexe") or ""), _place(row)) if x)
        article = f" (art. {row['article']})" if row.get("article") else ""
        article = "" if article.strip() in row["message"] else article
        table.append([row.get("gravite", ""), place, clean_text(row["message"]) + article])
    _table(pdf, table, [24, 40, 116], align_numbers=False)


def _place(row: dict) -> str:
    sheet, cell = clean_text(row.get("feuille") or ""), clean_text(row.get("cellule") or "")
    return f"'{sheet}'!{cell}" if sheet and cell else sheet


def _imputation(pdf, followup: FollowUp | None) -> None:
    _heading(pdf, "Imputation de la dépense (art. 6)")
    given = followup.imputation if followup else {}
    for key in IMPUTATION:
        _line(pdf, IMPUTATION_LABELS[key], clean_text(given.get(key, "")) or "à compléter")


def _files(pdf, rows: list[dict]) -> None:
    _heading(pdf, "Fichiers sur lesquels ce rapport repose")
    if not rows:
        _para(pdf, "Aucun.")
    for row in rows:
        _para(
            pdf,
            f"{clean_text(row['fichier'])} ({row.get('statut', '')}) : SHA-256 {row.get('sha256', '')}",
            7,
            4,
        )


LINE = 3.6  # mm per text line in tables
PAD = 1.0  # mm inside each cell


def _table(pdf, rows: list[list[str]], widths: list[float], align_numbers: bool = True) -> None:
    """A bordered table, the first row as headings (grey, bold, repeated after a page break).

    Drawn with fpdf2's low-level calls and our own word wrap (widths cached per word): fpdf2's
    table API breaks lines character by character, ten times slower for the same page."""
    measure = _Measure(pdf)
    heading = [
        measure.wrap(text, w - 2 * PAD, bold=True) for text, w in zip(rows[0], widths, strict=True)
    ]
    _table_row(pdf, heading, widths, measure, bold=True)
    for values in rows[1:]:
        cells = [measure.wrap(text, w - 2 * PAD) for text, w in zip(values, widths, strict=True)]
        height = max(len(c) for c in cells) * LINE + 2 * PAD
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            _table_row(pdf, heading, widths, measure, bold=True)
        aligns = [align_numbers and text.endswith("€") for text in values]
        _table_row(pdf, cells, widths, measure, right=aligns)
    pdf.set_font(FONT, "", 9)
    pdf.ln(1)


def _table_row(pdf, cells, widths, measure, bold: bool = False, right=None) -> None:
    height = max(len(c) for c in cells) * LINE + 2 * PAD
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_font(FONT, STRONG if bold else "", 7)
    if bold:
        pdf.set_fill_color(*GREY)
    for index, (lines, width) in enumerate(zip(cells, widths, strict=True)):
        pdf.rect(x, y, width, height, style="DF" if bold else "D")
        for number, text in enumerate(lines):
            shift = width - 2 * PAD - measure.width(text, bold) if right and right[index] else 0
            pdf.text(x + PAD + shift, y + PAD + (number + 1) * LINE - 0.9, text)
        x += width
    pdf.set_fill_color(255, 255, 255)
    pdf.set_xy(pdf.l_margin, y + height)


class _Measure:
    """String widths in one font size, cached: most words come back on every row."""

    def __init__(self, pdf, size: float = 7) -> None:
        self.pdf, self.size = pdf, size
        self.cache: dict[tuple[str, bool], float] = {}

    def width(self, text: str, bold: bool = False) -> float:
        key = (text, bold)
        if key not in self.cache:
            self.pdf.set_font(FONT, STRONG if bold else "", self.size)
            self.cache[key] = self.pdf.get_string_width(text)
        return self.cache[key]

    def wrap(self, text: str, room: float, bold: bool = False) -> list[str]:
        lines: list[str] = []
        for paragraph in (text or "").split("\n"):
            line = ""
            for word in paragraph.split(" "):
                candidate = f"{line} {word}" if line else word
                if line and self.width(candidate, bold) > room:
                    lines.append(line)
                    line = word
                else:
                    line = candidate
                while self.width(line, bold) > room and len(line) > 1:  # a word wider than room
                    cut = len(line) - 1
                    while cut > 1 and self.width(line[:cut], bold) > room:
                        cut -= 1
                    lines.append(line[:cut])
                    line = line[cut:]
            lines.append(line)
        return lines or [""]


def _cell(value: object) -> str:
    if isinstance(value, Decimal):
        return format_euros(value)
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return clean_text(str(value))


def _date(value: object) -> str:
    return f"{value:%d/%m/%Y}" if isinstance(value, date) else ""
