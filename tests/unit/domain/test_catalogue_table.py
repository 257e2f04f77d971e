import datetime

import pytest

from appliance.domain.catalogue import AccessLabel
from appliance.domain.catalogue_table import (
    Formula,
    RowError,
    map_headers,
    neutralise,
    normalise_header,
    parse_row,
    unneutralise,
)
from appliance.domain.errors import InvalidInputError

HEADERS = ["序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"]
POSITIONS = {name: index for index, name in enumerate(HEADERS)}


def row(**values):
    defaults = {"序号": 1, "档号": "Z109-WS·2011-Y-BGS-0001", "文号": "Z办发〔2011〕1号", "责任者": "办公室",
                "题名": "关于档案工作的通知", "日期": "20110315", "密级": "内部", "页数": "3", "备注": ""}
    defaults.update(values)
    return [defaults[name] for name in HEADERS]


def test_headers_with_spaces_and_in_english_are_understood():
    assert normalise_header("题　名") == "题名"
    assert normalise_header(" 责 任 者 ") == "责任者"
    assert normalise_header("Archival code") == "档号"


def test_unknown_duplicate_and_missing_headers_are_named():
    with pytest.raises(InvalidInputError, match="unknown column '盒号'"):
        map_headers([*HEADERS, "盒号"], 1)
    with pytest.raises(InvalidInputError, match="column 题名 appears twice"):
        map_headers([*HEADERS, "题名"], 1)
    with pytest.raises(InvalidInputError, match="missing: 日期、页数"):
        map_headers(["档号", "责任者", "题名"], 2)


def test_a_row_becomes_a_code_and_fields():
    code, fields = parse_row(row(), POSITIONS, 2, AccessLabel.INTERNAL)
    assert code.format() == "Z109-WS·2011-Y-BGS-0001"
    assert (fields.title, fields.pages, fields.doc_number) == ("关于档案工作的通知", 3, "Z办发〔2011〕1号")


def test_excel_values_are_converted():
    cells = row(日期=datetime.datetime(2011, 3, 15), 页数=3.0, 密级=None)
    _, fields = parse_row(cells, POSITIONS, 2, AccessLabel.PUBLIC)
    assert fields.date == "20110315" and fields.pages == 3 and fields.access_label is AccessLabel.PUBLIC
    _, fields = parse_row(row(日期=20110315, 页数=12), POSITIONS, 2, AccessLabel.INTERNAL)
    assert fields.date == "20110315" and fields.pages == 12


@pytest.mark.parametrize(
    ("change", "column", "text"),
    [
        ({"日期": "20110230"}, "日期", "calendar"),
        ({"档号": "Z109-WS·2011-X-BGS-0001"}, "档号", "malformed"),
        ({"页数": "三"}, "页数", "whole number"),
        ({"页数": 2.5}, "页数", "whole number"),
        ({"题名": ""}, "题名", "empty"),
        ({"密级": "机密"}, "密级", "classified"),
        ({"题名": Formula("=HYPERLINK(\"x\")")}, "题名", "formula"),
        ({"备注": "x" * 40000}, "备注", "40,000 characters"),
        ({"责任者": "y" * 301}, "责任者", "at most 300"),
    ],
)
def test_bad_cells_are_named_by_row_and_column(change, column, text):
    with pytest.raises(RowError) as caught:
        parse_row(row(**change), POSITIONS, 7, AccessLabel.INTERNAL)
    assert caught.value.problem.row == 7
    assert caught.value.problem.column == column
    assert text in caught.value.problem.message


@pytest.mark.parametrize("text", ["=1+1", "+86 10", "-3", "@SUM(A1)", "\tx", "普通文本", "'quoted"])
def test_neutralised_cells_come_back_unchanged(text):
    exported = neutralise(text)
    assert not exported.startswith(("=", "+", "-", "@", "\t"))
    assert unneutralise(exported) == text
