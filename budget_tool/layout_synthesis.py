"""The synthesis sheet's layout: a row per volet, a total row, the figures of articles 4.1 and 6;
the ceiling checks of each volet sheet, which read its synthesis row; the advance cells.

``layout.build_plan`` calls it once the volet sheets are laid out (the synthesis reads them).
"""

from __future__ import annotations

from dataclasses import replace

from budget_tool import expr
from budget_tool.layout_blocks import fill, text_height, write_header_block
from budget_tool.plan import FORMULA, LABEL, VALUE, Cell, Parameters, SheetPlan, WorkbookPlan
from budget_tool.spec import Template


class SynthesisBuilder:
    """The synthesis sheet: a row per volet, a total row, the figures of articles 4.1 and 6."""

    def __init__(self, plan: WorkbookPlan) -> None:
        self.plan = plan
        self.spec = plan.template.synthesis
        self.cols = {c.key: i for i, c in enumerate(self.spec.columns)}

    def build(self, sheet: SheetPlan) -> None:
        template, params = self.plan.template, self.plan.params
        row = write_header_block(sheet, template, params, [fill(template, self.spec.title, params)])
        row += 1
        for column in self.spec.columns:
            sheet.add(Cell(row, self.cols[column.key], LABEL, style="header", value=column.header))
            sheet.widths[self.cols[column.key]] = column.width
        sheet.widths[0] = max(sheet.widths.get(0, 12), 20)
        sheet.row_heights[row] = 64
        sheet.header_rows = (row, row)
        sheet.freeze_row = row + 1
        volet_rows = []
        for volet_sheet in self.plan.volet_sheets():
            row += 1
            volet_rows.append(row)
            self._volet_row(sheet, row, volet_sheet)
        row += 1
        self._total_row(sheet, row, volet_rows)
        self._figures(sheet, row + 2)

    def _volet_row(self, sheet: SheetPlan, row: int, volet_sheet: SheetPlan) -> None:
        volet = self.plan.template.volet(volet_sheet.volet or 0)
        label = self.spec.volet_label.format(volet=volet.number)

        def resolve(name: str) -> expr.Node:
            if name == "volet.state_rate":
                return expr.Num(volet.state_rate)
            if name.startswith("volet."):
                return volet_sheet.ref(name.removeprefix("volet."))
            return expr.Ref(sheet.name, row, self.cols[name])

        for column in self.spec.columns:
            col = self.cols[column.key]
            if not column.formula:
                sheet.add(Cell(row, col, VALUE, style="volet_label", value=label, key=column.key))
                continue
            node = expr.bind(expr.parse(column.formula), resolve)
            if isinstance(node, expr.Num):
                sheet.add(Cell(row, col, VALUE, column.type, "summary", node.value, key=column.key))
            else:
                sheet.add(
                    Cell(row, col, FORMULA, column.type, "summary", node=node, key=column.key)
                )
        sheet.anchors[f"volet{volet.number}.row"] = (row, 0)

    def _total_row(self, sheet: SheetPlan, row: int, volet_rows: list[int]) -> None:
        def resolve(name: str) -> expr.Node:
            return expr.Ref(sheet.name, row, self.cols[name])

        for column in self.spec.columns:
            col = self.cols[column.key]
            sheet.anchors[f"total.{column.key}"] = (row, col)
            if not column.formula:
                sheet.add(Cell(row, col, LABEL, style="summary_total", value=self.spec.total_label))
            elif column.total == "sum":
                node = expr.sum_of([expr.Ref(sheet.name, r, col) for r in volet_rows])
                sheet.add(
                    Cell(row, col, FORMULA, column.type, "summary_total", node=node, key=column.key)
                )
            elif column.total == "formula":
                node = expr.bind(expr.parse(column.formula), resolve)
                sheet.add(
                    Cell(row, col, FORMULA, column.type, "summary_total", node=node, key=column.key)
                )
            else:  # nothing to add up (a rate, a flag): an empty cell in the total's band
                sheet.add(Cell(row, col, LABEL, style="summary_total", value=""))

    def _figures(self, sheet: SheetPlan, row: int) -> None:
        value_col = min(4, len(self.spec.columns) - 1)
        for figure in self.spec.figures:
            sheet.add(Cell(row, 0, LABEL, style="figure_label", value=figure.label))
            sheet.merges.append((row, 0, row, value_col - 1))
            node = expr.bind(expr.parse(figure.formula), lambda name: sheet.ref(name))
            sheet.add(
                Cell(row, value_col, FORMULA, figure.type, "figure", node=node, key=figure.key)
            )
            sheet.anchors[figure.key] = (row, value_col)
            row += 1
        last_col = len(self.spec.columns) - 1
        for note in self.spec.notes:  # the reading of the figures, for whoever reads them
            row += 1
            sheet.add(Cell(row, 0, LABEL, style="note", value=note))
            sheet.merges.append((row, 0, row, last_col))
            width = sum(c.width for c in self.spec.columns)
            sheet.row_heights[row] = max(text_height(note, width), 24.0)


def ceiling_checks(plan: WorkbookPlan, sheet: SheetPlan) -> None:
    """The figures under PLAFOND DEPARTEMENT (their rows were kept free by the volet builder):
    they may read this volet's synthesis row, laid out after the volet sheets."""
    synthesis = plan.synthesis
    row = synthesis.anchors[f"volet{sheet.volet}.row"][0]
    columns = [c.key for c in plan.template.synthesis.columns]

    def resolve(name: str) -> expr.Node:
        if name.startswith("synthesis."):
            return expr.Ref(synthesis.name, row, columns.index(name.removeprefix("synthesis.")))
        return sheet.ref(name)

    for check in plan.template.ceiling_checks:
        r, c = sheet.anchors[check.key]
        node = expr.bind(expr.parse(check.formula), resolve)
        sheet.add(Cell(r, c, FORMULA, check.type, "plafond", node=node, key=check.key))


def advance_cells(template: Template, sheet: SheetPlan) -> tuple[tuple[int, int], list[int], int]:
    """Where the advance of art. 6 stands on the synthesis: its header cell, the column's
    volet rows (in volet order) and its column; col -1 when the template has none."""
    checks = template.checks
    keys = [c.key for c in template.synthesis.columns]
    if checks is None or checks.advance not in keys:
        return (0, 0), [], -1
    col = keys.index(checks.advance)
    volets = sorted(k for k in sheet.anchors if k.startswith("volet") and k.endswith(".row"))
    return (sheet.header_rows[0], col), [sheet.anchors[k][0] for k in volets], col


def advance_paid_label(template: Template, params: Parameters) -> str | None:
    """« Avance versée le JJ/MM/AAAA (art. 6) » when the advance paid is known, else None."""
    if params.advance is None or template.checks is None or not template.checks.advance:
        return None
    when = f"{params.advance_date:%d/%m/%Y}" if params.advance_date else "?"
    return template.checks.advance_paid_label.format(date=when)


def advance_paid(template: Template, params: Parameters, sheet: SheetPlan, cells: dict) -> None:
    """The advance actually paid: locked values per volet (split in proportion to the
    ceilings), its header and its figure saying when it was paid."""
    from budget_tool.advance import split

    assert template.checks is not None and params.advance is not None
    header, rows, col = advance_cells(template, sheet)
    if col < 0:
        return
    label = advance_paid_label(template, params) or ""
    cells[header] = replace(cells[header], value=label)
    shares = split(params.advance, dict(params.ceilings))
    for number, row in zip(params.volets, rows, strict=True):
        cell = cells[(row, col)]
        cells[(row, col)] = Cell(row, col, VALUE, "money", cell.style, shares[number], key=cell.key)
    figure = sheet.anchors.get(template.checks.advance_figure)
    if figure is not None:
        cells[(figure[0], 0)] = replace(cells[(figure[0], 0)], value=label)
