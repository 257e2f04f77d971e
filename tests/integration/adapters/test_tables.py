import datetime

from openpyxl import Workbook

from appliance.adapters.tables import read_rows
from appliance.domain.catalogue_table import Formula


def workbook_file(tmp_path, rows, start_row: int = 1, name: str = "t.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=start_row + offset, column=column, value=value)
    path = tmp_path / name
    workbook.save(path)
    return path


def test_rows_keep_their_excel_numbers_after_blank_rows(tmp_path):
    path = workbook_file(tmp_path, [["档号", "日期"], ["Z109-WS·2011-Y-0001", 20110315]], start_row=4)
    filled = [(number, cells) for number, cells in read_rows(path) if any(cells)]
    assert filled == [(4, ["档号", "日期"]), (5, ["Z109-WS·2011-Y-0001", 20110315])]


def test_excel_dates_numbers_and_empty_cells(tmp_path):
    path = workbook_file(tmp_path, [["日期", "页数", "备注"], [datetime.datetime(2011, 3, 15), 12, None]])
    (_, _), (_, row) = [(number, cells) for number, cells in read_rows(path) if any(cells)]
    assert row[0] in (datetime.datetime(2011, 3, 15), datetime.date(2011, 3, 15))
    assert row[1:] == [12, None]


def test_a_formula_anywhere_is_reported_as_a_formula(tmp_path):
    path = workbook_file(tmp_path, [["档号", "页数"], ["Z109-WS·2011-Y-0001", "=SUM(1,2)"]])
    rows = list(read_rows(path))
    assert isinstance(rows[1][1][1], Formula)


def test_text_that_begins_like_a_formula_is_text(tmp_path):
    workbook = Workbook()
    workbook.active["A1"] = "题名"
    workbook.active["A2"] = "=not a formula"
    workbook.active["A2"].data_type = "s"
    path = tmp_path / "text.xlsx"
    workbook.save(path)
    rows = list(read_rows(path))
    assert rows[1][1] == ["=not a formula"] and not isinstance(rows[1][1][0], Formula)
