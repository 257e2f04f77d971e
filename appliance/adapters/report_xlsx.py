"""Report figures as an xlsx workbook: a sheet per figure with a title row, Chinese headers, the rows, a total line
and a native bar or line chart of the charted columns.

Labels come from the catalogue (department names, titles): they are stored as text, never as formulas, the way
the use register's export stores a borrower's words (register_xlsx).
"""

import io
import re

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from appliance.adapters.register_xlsx import _clean, _put

TITLE_ROW, HEADER_ROW = 1, 2
SHEET_NAME_UNSAFE = re.compile(r"[\[\]:*?/\\]")
LABEL_WIDTH, VALUE_WIDTH, DETAIL_WIDTH = 18, 12, 28


def write_figures(title: str, figures: list) -> bytes:
    """The workbook's bytes: one sheet per figure (Figure of appliance.services.report_figures)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for figure in figures:
        sheet = workbook.create_sheet(_sheet_name(figure.title, used))
        _title(sheet, f"{title} — {figure.title}" if len(figures) > 1 else title, 1 + len(figure.column_titles))
        _table(sheet, figure)
        if figure.rows and figure.chart != "table":
            _chart(sheet, figure)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_name(title: str, used: set[str]) -> str:
    base = SHEET_NAME_UNSAFE.sub("_", _clean(title))[:28] or "sheet"
    name, number = base, 2
    while name in used:
        name, number = f"{base}{number}", number + 1
    used.add(name)
    return name


def _title(sheet, title: str, width: int) -> None:
    cell = sheet.cell(row=TITLE_ROW, column=1, value=_clean(title))
    cell.font = Font(bold=True, size=14)
    if width > 1:
        sheet.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=width)


def _table(sheet, figure) -> None:
    headers = ["项目", *figure.column_titles]
    details = len(figure.detail_columns)
    for number, header in enumerate(headers, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=number, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        width = LABEL_WIDTH if number == 1 else DETAIL_WIDTH if number <= 1 + details else VALUE_WIDTH
        sheet.column_dimensions[get_column_letter(number)].width = width
    row_number = HEADER_ROW
    for row_number, row in enumerate(figure.rows, start=HEADER_ROW + 1):
        for number, value in enumerate([row.label, *row.details, *row.values], start=1):
            _put(sheet.cell(row=row_number, column=number), value)
    if figure.has_total and figure.rows:
        total_row = row_number + 1
        sheet.cell(row=total_row, column=1, value="合计").font = Font(bold=True)
        for number, value in enumerate(figure.totals(), start=2 + details):
            sheet.cell(row=total_row, column=number, value=value).font = Font(bold=True)
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=2)


def _chart(sheet, figure) -> None:
    chart = LineChart() if figure.chart == "line" else BarChart()
    if figure.chart == "stacked":
        chart.grouping, chart.overlap = "stacked", 100
    chart.title = figure.title
    first = 2 + len(figure.detail_columns)
    last_row = HEADER_ROW + len(figure.rows)
    charted = figure.charted or len(figure.columns)
    data = Reference(sheet, min_col=first, max_col=first + charted - 1, min_row=HEADER_ROW, max_row=last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=HEADER_ROW + 1, max_row=last_row))
    chart.width, chart.height = 18, 9
    sheet.add_chart(chart, f"{get_column_letter(first + len(figure.columns) + 1)}{HEADER_ROW}")
