"""Template + parameters -> ``WorkbookPlan``: where every label, input and formula goes.

The one place that turns the declarative template into rows and columns; the generator and the
reader both go through it, so they cannot disagree on a cell's address.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from itertools import groupby

from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell

from budget_tool import expr
from budget_tool.layout_blocks import (
    IDENT_VALUE_COL,
    column_index,
    fill,
    identification,
    text_height,
    write_header_block,
)
from budget_tool.layout_synthesis import (
    SynthesisBuilder,
    advance_cells,
    advance_paid,
    advance_paid_label,
    ceiling_checks,
)
from budget_tool.plan import (
    FORMULA,
    INPUT,
    LABEL,
    VALUE,
    Cell,
    Line,
    Parameters,
    SheetPlan,
    WorkbookPlan,
)
from budget_tool.spec import Column, Group, Section, Template, Volet

# Imported from here by the generator, the reader, the checker and the tests.
__all__ = [
    "advance_cells",
    "advance_paid_label",
    "build_plan",
    "column_index",
    "fill",
    "text_height",
]


def build_plan(template: Template, params: Parameters) -> WorkbookPlan:
    """The plan of one département's workbook.

    Laying a template out is the same for every département with the same volets and year: it
    is done once (a skeleton, with each formula's text rendered) and the département's own
    values (identification, ceilings) are then put in a copy of the cells.
    """
    key = (id(template), params.volets, params.year)
    if key not in _SKELETONS:
        skeleton_params = Parameters(
            "00", "", "", params.year, "", dict.fromkeys(params.volets, Decimal(0))
        )
        _SKELETONS[key] = (template, _with_formula_texts(_lay_out(template, skeleton_params)))
    return _with_values(_SKELETONS[key][1], params)


_SKELETONS: dict[tuple[int, tuple[int, ...], int], tuple[Template, WorkbookPlan]] = {}


def _lay_out(template: Template, params: Parameters) -> WorkbookPlan:
    sheets = [_synthesis_placeholder(template)]
    for number in params.volets:
        sheets.append(_VoletBuilder(template, template.volet(number), params).build())
    lists, names = _lists_sheet(template)
    plan = WorkbookPlan(template, params, sheets + [lists], names)
    SynthesisBuilder(plan).build(sheets[0])
    for sheet in plan.volet_sheets():
        ceiling_checks(plan, sheet)
    return plan


def _with_formula_texts(plan: WorkbookPlan) -> WorkbookPlan:
    """Render every formula once: the generator writes this text, the checker compares with it."""
    for sheet in plan.sheets:
        for position, cell in sheet.cells.items():
            if cell.kind == FORMULA and cell.node is not None:
                sheet.cells[position] = replace(cell, text=expr.to_excel(cell.node, sheet.name))
    return plan


def _with_values(skeleton: WorkbookPlan, params: Parameters) -> WorkbookPlan:
    """A copy of the skeleton's cells holding this département's identification and ceilings;
    everything else (lines, anchors, formulas) is shared and must not be modified."""
    values = identification(skeleton.template, params)
    sheets = []
    for sheet in skeleton.sheets:
        cells = dict(sheet.cells)
        for anchor, position in sheet.anchors.items():
            if anchor.startswith("ident."):
                cells[position] = replace(
                    cells[position], value=values[anchor.removeprefix("ident.")]
                )
        if sheet.volet is not None:
            position = sheet.anchors["plafond"]
            cells[position] = replace(cells[position], value=Decimal(params.ceilings[sheet.volet]))
        elif sheet.name == skeleton.template.synthesis.sheet and params.advance is not None:
            advance_paid(skeleton.template, params, sheet, cells)
        sheets.append(replace(sheet, cells=cells))
    return WorkbookPlan(skeleton.template, params, sheets, skeleton.defined_names)


class _VoletBuilder:
    """Lays out one volet sheet, row after row, remembering the rows that totals add up."""

    def __init__(self, template: Template, volet: Volet, params: Parameters) -> None:
        self.template, self.volet, self.params = template, volet, params
        name = fill(template, template.sheet_name, params, volet.number)
        self.sheet = SheetPlan(name=name, volet=volet.number, paper=template.paper)
        self.cols = {c.key: column_index(c) for c in template.columns}
        self.summed = [c for c in template.columns if c.summed]
        self.first_summed = min(self.cols[c.key] for c in self.summed)
        self.row = 0

    def build(self) -> SheetPlan:
        titles = [
            fill(self.template, t, self.params, self.volet.number) for t in self.template.titles
        ]
        self.row = write_header_block(self.sheet, self.template, self.params, titles)
        ceiling = self.params.ceilings[self.volet.number]
        self.sheet.add(
            Cell(self.row, 0, LABEL, style="plafond_label", value=self.template.plafond_label)
        )
        self.sheet.add(Cell(self.row, IDENT_VALUE_COL, VALUE, "money", "plafond", Decimal(ceiling)))
        self.sheet.anchors["plafond"] = (self.row, IDENT_VALUE_COL)
        self.row += 1
        for check in self.template.ceiling_checks:  # formulas: see layout_synthesis.ceiling_checks
            self.sheet.add(Cell(self.row, 0, LABEL, style="plafond_label", value=check.label))
            self.sheet.anchors[check.key] = (self.row, IDENT_VALUE_COL)
            self.row += 1
        self.row += 1
        self._column_headers()
        volet_members: list[int] = []
        for section in self.volet.sections:
            volet_members += self._section(section)
        label = fill(self.template, self.template.volet_total_label, self.params, self.volet.number)
        total_row = self._total_row(label, volet_members, "grand_total")
        for column in self.summed:
            self.sheet.anchors[f"total.{column.key}"] = (total_row, self.cols[column.key])
        self._extra_rows()
        for column in self.template.columns:
            self.sheet.widths[self.cols[column.key]] = column.width
        return self.sheet

    def _column_headers(self) -> None:
        groups_row = self.row
        if not self.template.column_groups:  # no row of column groups: the headers come first
            self.row -= 1
        header_row, sub_row = self.row + 1, self.row + 2
        for label, first, last in self.template.column_groups:
            c1, c2 = self.cols[first], self.cols[last]
            self.sheet.add(Cell(groups_row, c1, LABEL, style="group_header", value=label))
            if c2 > c1:
                self.sheet.merges.append((groups_row, c1, groups_row, c2))

        def header_of(column: Column) -> str:
            return self.template.header(column, self.volet)

        for header, run in groupby(self.template.columns, key=header_of):
            span = list(run)
            c1, c2 = self.cols[span[0].key], self.cols[span[-1].key]
            self.sheet.add(Cell(header_row, c1, LABEL, style="header", value=header))
            if not span[0].subheader:
                self.sheet.merges.append((header_row, c1, sub_row, c2))
                continue
            for sub in span:
                sub_col = self.cols[sub.key]
                self.sheet.add(
                    Cell(sub_row, sub_col, LABEL, style="subheader", value=sub.subheader)
                )
            if c2 > c1:
                self.sheet.merges.append((header_row, c1, header_row, c2))
        self.sheet.header_rows = (groups_row, sub_row)
        self.sheet.row_heights[header_row] = self.template.header_height
        self.sheet.freeze_row = sub_row + 1
        self.row = sub_row + 1

    def _section(self, section: Section) -> list[int]:
        """Writes a section; returns the rows that the volet total adds for it."""
        self.sheet.blocks.append(self.row)
        last = self.first_summed - 1 if section.label_total else None
        label_row = self._label_row(section.label, "section", last_col=last)
        for title in section.headings:
            self._label_row(title, "subsection")
        counted: list[int] = []
        every: list[int] = []
        carried: list[int] = []  # lines of groups whose total is the next group's
        heading: tuple[int, list[int]] | None = None
        for group in section.groups:
            if group.heading:
                self._close_heading(heading)
                heading = self._group_heading(group)
            rows = self._group(section, group, carried)
            if group.total_with_next:
                carried += rows
                continue
            carried = []
            every += rows
            counted += rows if group.counted else []
            if heading is not None:
                heading[1].extend(rows)
        self._close_heading(heading)
        counted, every = counted + carried, every + carried
        if section.label_total:
            self._sums(label_row, counted, "section")
        if not section.total_label:
            return [label_row] if section.label_total else counted
        if section.total_scope == "all_for_info":  # France Travail's means shown, never counted
            self._total_row(section.total_label, every, "section_total", False, section.total_note)
            return counted
        return [
            self._total_row(section.total_label, counted, "section_total", True, section.total_note)
        ]

    def _group_heading(self, group: Group) -> tuple[int, list[int]] | None:
        """A heading row before a group; with ``heading_total`` it adds the groups under it."""
        self.sheet.blocks.append(self.row)
        last = self.first_summed - 1 if group.heading_total else None
        row = self._label_row(group.heading, "subsection", last_col=last)
        return (row, []) if group.heading_total else None

    def _close_heading(self, heading: tuple[int, list[int]] | None) -> None:
        if heading is not None:
            self._sums(heading[0], heading[1], "subsection")

    def _group(self, section: Section, group: Group, carried: list[int]) -> list[int]:
        """Writes a group; returns its total row (or its lines when it has no total). A total
        also adds ``carried``: the lines of the groups before it that have none of their own."""
        header_total = self.template.group_total == "header" and group.label
        if header_total:
            self.sheet.blocks.append(self.row)
        header_row = (
            self._label_row(group.label, "group", last_col=self.first_summed - 1)
            if header_total
            else None
        )
        lines = self._lines(section, group)
        if header_row is not None:
            self._sums(header_row, carried + lines, "group_total")
            return [header_row]
        if group.total_label and not group.total_with_next:
            style = "group_total"
            return [self._total_row(group.total_label, carried + lines, style, group.counted)]
        return lines

    def _lines(self, section: Section, group: Group) -> list[int]:
        labels = list(group.lines) or list(group.placeholders)
        count = len(group.lines) or max(group.line_count, len(group.placeholders))
        rows = []
        for index in range(count):
            label = labels[index] if index < len(labels) else ""
            self._line(section, group, label, first=index == 0)
            rows.append(self.row - 1)
        nature = next((c for c in self.template.columns if c.fixed == "nature"), None)
        if nature and len(rows) > 1:
            col = self.cols[nature.key]
            self.sheet.merges.append((rows[0], col, rows[-1], col))
        if nature:
            self._fit_rows(rows, _nature_text(group), nature.width)
        return rows

    def _fit_rows(self, rows: list[int], text: str, width: float) -> None:
        """Give wrapped labels the height they need: spreadsheets do not grow rows on loading."""
        needed = text_height(text, width)
        per_row = max(needed / len(rows), 12.0)
        for row in rows:
            self.sheet.row_heights[row] = max(self.sheet.row_heights.get(row, 12.0), per_row)

    def _line(self, section: Section, group: Group, label: str, first: bool) -> None:
        row, style = self.row, "line" if group.counted else "info_line"
        self.sheet.lines.append(
            Line(row, self.volet.number, section.label, group.label, label, group.counted)
        )
        if self.template.line_height:
            self.sheet.row_heights[row] = max(
                self.sheet.row_heights.get(row, 0), self.template.line_height
            )
        for column in self.template.columns:
            col = self.cols[column.key]
            if column.fixed == "nature" and not first:
                continue  # merged with the group's first line
            if column.fixed:
                text = _nature_text(group) if column.fixed == "nature" else label
                self.sheet.add(Cell(row, col, LABEL, style=style, value=text, key=column.key))
                self._fit_rows([row], text, column.width)
            elif column.input:
                hint = label if column.prefill == "placeholder" and label else None
                kind = "input" if group.counted else "info_input"
                self.sheet.add(Cell(row, col, INPUT, column.type, kind, hint, key=column.key))
            elif column.formula:
                node = expr.bind(expr.parse(column.formula), self._same_row(row))
                self.sheet.add(
                    Cell(row, col, FORMULA, column.type, style, node=node, key=column.key)
                )
        self.row += 1

    def _same_row(self, row: int):
        def resolve(name: str) -> expr.Node:
            return expr.Ref(self.sheet.name, row, self.cols[name])

        return resolve

    def _label_row(self, text: str, style: str, last_col: int | None = None) -> int:
        """A row holding only a label, merged across the table (or up to ``last_col``)."""
        row = self.row
        self.sheet.add(Cell(row, 0, LABEL, style=style, value=text))
        end = max(self.cols.values()) if last_col is None else last_col
        if end > 0:
            self.sheet.merges.append((row, 0, row, end))
        width = sum(c.width for c in self.template.columns if self.cols[c.key] <= end)
        self._fit_rows([row], text, width)
        self.row += 1
        return row

    def _total_row(
        self, label: str, members: list[int], style: str, counted: bool = True, note: str = ""
    ) -> int:
        style = style if counted else "info_total"
        last = self.first_summed - (2 if note else 1)
        row = self._label_row(label, style, last_col=last)
        if note:  # e.g. what a "Pour info" total adds, beside its label
            self.sheet.add(Cell(row, last + 1, LABEL, style="total_note", value=note))
            width = next(c.width for c in self.template.columns if self.cols[c.key] == last + 1)
            self._fit_rows([row], note, width)
        self._sums(row, members, style)
        return row

    def _sums(self, row: int, members: list[int], style: str) -> None:
        for column in self.summed:
            col = self.cols[column.key]
            node = expr.sum_of([expr.Ref(self.sheet.name, r, col) for r in members])
            self.sheet.add(Cell(row, col, FORMULA, column.type, style, node=node, key=column.key))

    def _extra_rows(self) -> None:
        if self.volet.extra_rows:
            self.row += 1
        for extra in self.volet.extra_rows:
            col = self.cols[extra.column]
            label_col = max(0, col - 3)
            self.sheet.add(Cell(self.row, label_col, LABEL, style="extra_label", value=extra.label))
            self.sheet.merges.append((self.row, label_col, self.row, col - 1))
            node = expr.bind(expr.parse(extra.formula), self._anchor_resolver())
            self.sheet.add(Cell(self.row, col, FORMULA, "money", "extra", node=node, key=extra.key))
            self.sheet.anchors[extra.key] = (self.row, col)
            self.row += 1

    def _anchor_resolver(self):
        def resolve(name: str) -> expr.Node:
            if name == "volet.state_rate":  # the volet's rate, from the template
                return expr.Num(self.volet.state_rate)
            return self.sheet.ref(name)

        return resolve


def _nature_text(group: Group) -> str:
    return group.label if group.nature is None else group.nature


def _synthesis_placeholder(template: Template) -> SheetPlan:
    return SheetPlan(name=template.synthesis.sheet, paper=template.synthesis.paper)


def _lists_sheet(template: Template) -> tuple[SheetPlan, dict[str, str]]:
    """The hidden sheet behind the drop-down list: too long for an inline list (255 chars)."""
    sheet = SheetPlan(name=template.lists_sheet, hidden=True)
    sheet.add(Cell(0, 0, LABEL, style="header", value="Catégorie de dépense (art. 4.2)"))
    sheet.add(Cell(0, 1, LABEL, style="header", value="Éligible"))
    for index, category in enumerate(template.categories, start=1):
        sheet.add(Cell(index, 0, VALUE, value=category.label))
        sheet.add(Cell(index, 1, VALUE, value="Oui" if category.eligible else "Non"))
    sheet.widths = {0: 50, 1: 10}
    last = len(template.categories)
    quoted = quote_sheetname(sheet.name)
    first_cell = xl_rowcol_to_cell(1, 0, row_abs=True, col_abs=True)
    names = {
        expr.CATEGORY_LIST: f"={quoted}!{first_cell}:{xl_rowcol_to_cell(last, 0, True, True)}",
        expr.ELIGIBILITY_TABLE: f"={quoted}!{first_cell}:{xl_rowcol_to_cell(last, 1, True, True)}",
    }
    return sheet, names
