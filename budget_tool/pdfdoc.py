"""Drawing an A4 report with fpdf2: the document (DejaVu Sans, shipped), headings, labelled
lines, paragraphs and bordered tables.

Text is wrapped by our own measure (widths cached per word) and drawn with fpdf2's low-level
``text``: its ``multi_cell`` and ``table`` break lines character by character, several times
slower for the same page. The shipped ``data/fonts/DejaVuSans.ttf`` is DejaVu Sans cut down with
fontTools to Latin, punctuation, « € » and a few signs (36 Kio instead of 740): fpdf2 parses and
subsets it again for every report.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

FONTS = Path(__file__).resolve().parent / "data" / "fonts"
FONT = "DejaVu"
GREY, BLUE = (237, 237, 237), (217, 225, 242)
# One face only (no bold): each font file is parsed and subset again for every report (~25 ms);
# headings and labels stand out in dark blue instead.
STRONG = ""
DARK, INK = (31, 56, 100), (0, 0, 0)


@cache
def _document_class():
    """fpdf2 is imported on first use: ``budget-tool --help`` stays fast."""
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


def document(code: str, year: int | None):
    """A new A4 document with the shipped font and a footer naming the département."""
    return _document_class()(code, year)


def _fixed_date():
    from datetime import UTC, datetime

    return datetime(2000, 1, 1, tzinfo=UTC)


def heading(pdf, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(FONT, STRONG, 11)
    pdf.set_fill_color(*BLUE)
    pdf.set_text_color(*DARK)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT", fill=True)
    pdf.set_text_color(*INK)
    pdf.set_fill_color(255, 255, 255)
    pdf.ln(1)
    pdf.set_font(FONT, "", 9)


def para(pdf, text: str, size: float = 9, height: float = 5) -> None:
    """A paragraph over the full width, wrapped by our cached measure (see ``table``)."""
    pdf.set_font(FONT, "", size)
    lines = Measure(pdf, size).wrap(text, pdf.w - pdf.l_margin - pdf.r_margin)
    for text_line in lines:
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        y = pdf.get_y()
        pdf.text(pdf.l_margin, y + height * 0.75, text_line)
        pdf.set_xy(pdf.l_margin, y + height)
    pdf.set_font(FONT, "", 9)


def line(pdf, label: str, value: str) -> None:
    """A label and its value, the value wrapped in the rest of the width."""
    measure = Measure(pdf, size=9)
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


LINE = 3.6  # mm per text line in tables
PAD = 1.0  # mm inside each cell


def draw_table(pdf, rows: list[list[str]], widths: list[float], align_numbers: bool = True) -> None:
    """A bordered table, the first row as headings (grey, bold, repeated after a page break).

    Drawn with fpdf2's low-level calls and our own word wrap (widths cached per word): fpdf2's
    table API breaks lines character by character, ten times slower for the same page."""
    measure = Measure(pdf)
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


class Measure:
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
