"""The use register (利用登记) as an xlsx workbook: a title row, Chinese headers, fixed widths, a frozen header.

Every text cell is stored as text. A borrower's purpose is their own words: "=1+1" or "@SUM(...)" must reach the
reader as those characters, never as a formula Excel would run.
"""

import datetime
import io

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@")
TITLE_ROW, HEADER_ROW = 1, 2


def write_register(title: str, columns: list[tuple[str, int]], rows: list[list]) -> bytes:
    """The workbook's bytes: `title` across the top, then (header, width) columns, then the rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "利用登记"
    _title(sheet, title, len(columns))
    for number, (header, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=number, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(number)].width = width
    for offset, row in enumerate(rows, start=HEADER_ROW + 1):
        for number, value in enumerate(row, start=1):
            _put(sheet.cell(row=offset, column=number), value)
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=1)  # title and header stay while scrolling
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _title(sheet, title: str, width: int) -> None:
    cell = sheet.cell(row=TITLE_ROW, column=1, value=_clean(title))
    cell.font = Font(bold=True, size=14)
    cell.alignment = Alignment(horizontal="center")
    if width > 1:
        sheet.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=width)


def _put(cell, value) -> None:
    if value is None:
        return
    if isinstance(value, bool | int | float | datetime.date):
        cell.value = value
        if isinstance(value, datetime.datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, datetime.date):
            cell.number_format = "yyyy-mm-dd"
        return
    text = _clean(str(value))
    cell.value = text
    cell.data_type = "s"  # openpyxl takes a leading "=" for a formula: say it is a string, whatever it begins with
    if text.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True  # and Excel keeps it text when someone edits the cell


def _clean(text: str) -> str:
    """Control characters cannot be stored in xlsx; they carry nothing a reader needs."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)
