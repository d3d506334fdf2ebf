"""Frozen dataclasses describing an annexe template, as declared in ``workbook_templates/``.

The spec says *what* a workbook holds (sheets, sections, groups, lines, columns, formulas written
in a small expression language, see ``expr.py``); ``plan.py`` turns it into cell positions. Nothing
here knows a cell address except the column letters that the template itself declares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

# Value types of a column or figure; they drive number formats, validation and parsing.
# "unit_price": euros per unit (« coût unitaire »), to the ten-thousandth (0,6030 €/km); an
# amount ("money") is to the cent.
VALUE_TYPES = ("text", "money", "unit_price", "etp", "count", "date", "category", "flag", "percent")


@dataclass(frozen=True)
class Column:
    """A column of the line table of a volet sheet."""

    key: str
    letter: str
    header: str
    type: str = "text"
    input: bool = False
    formula: str | None = None  # expression over other column keys of the same row
    summed: bool = False  # summed on every total row
    subheader: str = ""
    width: float = 14
    fixed: str | None = None  # "nature" or "objet": a fixed label written by the template
    prefill: str | None = None  # "placeholder": the model's placeholder label, as a hint


@dataclass(frozen=True)
class Group:
    """Lines of one nature (annexe 2) or one block of expenses (annexe 3)."""

    label: str = ""  # nature (annexe 2) or block title (annexe 3); may be empty
    heading: str = ""  # an optional heading row written before the group
    lines: tuple[str, ...] = ()  # fixed line labels (annexe 2)
    placeholders: tuple[str, ...] = ()  # the model's placeholder labels (annexe 3)
    line_count: int = 0  # free lines (annexe 3); 0 for fixed lines
    total_label: str = ""  # label of the group total row, when the total is "after"
    counted: bool = True  # False for the "Pour info" France Travail rows
    nature: str | None = None  # text of the "nature" column when it is not the label ("" = none)
    total_with_next: bool = False  # no total of its own: the next group's total adds its lines
    heading_total: bool = False  # the heading row adds this group and the next ones up to the
    # next heading (annexe 3: the model's "-  €" on a block heading)
    pair: str = ""  # action key shared with the other annexe (plan against actual); "" = section's


@dataclass(frozen=True)
class Section:
    label: str
    groups: tuple[Group, ...]
    headings: tuple[str, ...] = ()
    total_label: str = ""  # empty: no section total row
    label_total: bool = False  # the section's label row adds its groups (annexe 3 headings)
    # "counted": the section total adds the counted groups (and the volet total adds it);
    # "all_for_info": it adds every group, France Travail's "Pour info" included, is shown for
    # information, and the volet total adds the counted groups' totals instead
    total_scope: str = "counted"
    total_note: str = ""  # a note written beside the section total's label
    pair: str = ""  # action key shared with the other annexe's section or group (pairing.py)


@dataclass(frozen=True)
class ExtraRow:
    """A row under the volet total, e.g. the volet 2 State and CD shares (art. 3.3)."""

    key: str
    label: str
    column: str
    formula: str


@dataclass(frozen=True)
class Volet:
    number: int
    state_rate: Decimal
    sections: tuple[Section, ...]
    extra_rows: tuple[ExtraRow, ...] = ()
    optional: bool = False  # volet 3: only where the département has one
    headers: tuple[tuple[str, str], ...] = ()  # (column key, header) where this volet's differs


@dataclass(frozen=True)
class CeilingCheck:
    """A figure under PLAFOND DEPARTEMENT on each volet sheet, where the officer types.

    Its formula may name the sheet's anchors (``plafond``, ``total.<column>``, an earlier
    check's key) and ``synthesis.<column>``: that column of this volet's synthesis row."""

    key: str
    label: str
    formula: str
    type: str = "money"


@dataclass(frozen=True)
class SummaryColumn:
    key: str
    header: str
    type: str = "money"
    formula: str | None = None
    total: str = "sum"  # "sum", "formula" or "none"
    width: float = 14


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    formula: str
    type: str = "money"


@dataclass(frozen=True)
class Synthesis:
    sheet: str
    title: str
    columns: tuple[SummaryColumn, ...]
    figures: tuple[Figure, ...]
    total_label: str = "Total"
    volet_label: str = "Volet {volet}"
    notes: tuple[str, ...] = ()  # how the figures are read (art. 3.3...), written under them
    paper: str = "A4"  # printed on this paper, landscape


@dataclass(frozen=True)
class Checks:
    """What the checker needs to know about the lines and figures, by column or anchor key."""

    line_amount: str  # the column holding a line's amount
    line_texts: tuple[str, ...] = ()  # free-text columns scanned for ineligible expenses
    units: tuple[str, ...] = ()  # (number of units, unit cost), annexe 3
    lump: str = ""  # the lump-sum column, used when the units are not both given
    period: tuple[str, ...] = ()  # (start, end) date columns
    delta: tuple[str, ...] = ()  # (amount asked, delta in euros), annexe 2
    ceiling_amount: str = ""  # synthesis column compared with the ceiling (art. 4.1)
    ceiling_base: str = ""  # annexe 3: eligible expenses, which x rate give the uncapped share
    ceiling_rate: str = ""
    cofinancing_volet: int = 0  # art. 3.3: volet whose State share is capped
    cofinancing_share: str = ""  # anchor of that share on the volet sheet
    cofinancing_cost: str = ""  # anchor of the total cost it is a share of
    advance: str = ""  # synthesis column of the advance (art. 6): a value when it was paid
    advance_figure: str = ""  # the figure that totals it
    advance_paid_label: str = ""  # its header then, with {date}: « Avance versée le {date} »


@dataclass(frozen=True)
class Category:
    label: str
    eligible: bool


@dataclass(frozen=True)
class Template:
    """One annexe, as a whole."""

    id: str
    version: str
    name: str
    file_stem: str
    sheet_name: str  # e.g. "Volet {volet}"
    titles: tuple[str, ...]
    identification: tuple[tuple[str, str], ...]  # (key, label) rows on every sheet
    plafond_label: str
    column_groups: tuple[tuple[str, str, str], ...]  # (label, first key, last key)
    columns: tuple[Column, ...]
    group_total: str  # "after": total row after the lines; "header": on the group's title row
    volet_total_label: str
    volets: tuple[Volet, ...]
    synthesis: Synthesis
    checks: Checks | None = None
    categories: tuple[Category, ...] = field(default=())
    lists_sheet: str = "Listes"
    ceiling_checks: tuple[CeilingCheck, ...] = ()
    paper: str = "A4"  # volet sheets are printed on this paper, landscape ("A4" or "A3")
    line_height: float = 0  # points per line row (0: the spreadsheet's default)
    header_height: float = 78  # points, the row of column headers (the model's long headers)

    @property
    def label(self) -> str:
        """What the workbook shows and the checker recognises: id and version."""
        return f"budget-tool {self.id} v{self.version}"

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    def header(self, column: Column, volet: Volet) -> str:
        """The column's header on this volet's sheet (a volet may word one differently)."""
        return dict(volet.headers).get(column.key, column.header)

    def volet(self, number: int) -> Volet:
        for volet in self.volets:
            if volet.number == number:
                return volet
        raise KeyError(number)
