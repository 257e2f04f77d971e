"""The archiving stamp's content (归档章, DA/T 22-2015): built from an archival code, checked, laid out in cells."""

import dataclasses

import pytest

from appliance.domain.archive_stamp import CELL_LABELS, ArchiveStamp
from appliance.domain.codes import parse_archival_code
from appliance.domain.errors import InvalidInputError


def valid_stamp(**changes) -> ArchiveStamp:
    fields = {"fonds": "Z109", "year": 2011, "item_number": 7, "department": "办公室", "retention_name": "永久",
              "pages": 3}
    return ArchiveStamp(**(fields | changes))


def test_a_stamp_from_a_code_carries_its_fonds_year_item_retention_and_the_department_name():
    stamp = ArchiveStamp.from_code(parse_archival_code("Z109-WS·2011-D30-BGS-0007"), "办公室", 12)
    assert stamp == ArchiveStamp("Z109", 2011, 7, "办公室", "定期30年", 12)


@pytest.mark.parametrize("retention, name", [("Y", "永久"), ("D30", "定期30年"), ("D10", "定期10年")])
def test_the_retention_is_printed_by_its_chinese_name(retention, name):
    code = parse_archival_code(f"Z109-WS·2011-{retention}-0001")
    assert ArchiveStamp.from_code(code, None, 1).retention_name == name


@pytest.mark.parametrize("department_name", [None, "", "   "])
def test_without_a_department_name_the_code_s_department_is_printed(department_name):
    code = parse_archival_code("Z109-WS·2011-Y-RSC-0001")
    assert ArchiveStamp.from_code(code, department_name, 1).department == "RSC"


def test_a_fonds_not_arranged_by_department_leaves_the_cell_empty():
    stamp = ArchiveStamp.from_code(parse_archival_code("Z109-WS·2011-Y-0001"), None, 1)
    assert stamp.cells()[1][0] == ""


def test_cells_follow_the_standard_layout_with_the_item_number_as_in_the_code():
    stamp = ArchiveStamp.from_code(parse_archival_code("Z109-WS·2011-D10-BGS-0042"), "办公室", 5)
    assert CELL_LABELS == (("全宗号", "年度", "件号"), ("机构（问题）", "保管期限", "页数"))
    assert stamp.cells() == (("Z109", "2011", "0042"), ("办公室", "定期10年", "5"))


def test_a_five_digit_item_number_is_printed_whole():
    assert valid_stamp(item_number=12345).cells()[0][2] == "12345"


def test_the_stamp_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        valid_stamp().pages = 4


@pytest.mark.parametrize("changes, message", [
    ({"pages": 0}, "pages 0"),
    ({"pages": -3}, "pages -3"),
    ({"pages": 100000}, "pages 100000"),
    ({"pages": True}, "pages True"),
    ({"pages": "3"}, "pages '3'"),
    ({"fonds": "z1"}, "fonds number 'z1'"),
    ({"year": 211}, "year 211"),
    ({"item_number": 0}, "item number 0"),
    ({"retention_name": "永远"}, "retention '永远'"),
    ({"department": "办公\n室"}, "one line"),
    ({"department": " 办公室"}, "one line"),
    ({"department": "某某市人民政府办公厅秘书处文书科"}, "longer than 12"),
])
def test_nonsense_is_refused_with_a_message_naming_the_field(changes, message):
    with pytest.raises(InvalidInputError, match=message):
        valid_stamp(**changes)


def test_an_item_without_pages_gets_no_stamp():
    with pytest.raises(InvalidInputError, match="pages 0"):
        ArchiveStamp.from_code(parse_archival_code("Z109-WS·2011-Y-0001"), None, 0)
