import itertools

import pytest

from appliance.domain.codes import ArchivalCode, ClassKey, parse_archival_code, safe_file_name
from appliance.domain.errors import InvalidInputError


def test_parses_a_code_with_department():
    code = parse_archival_code("Z109-WS·2011-Y-BGS-0001")
    assert code == ArchivalCode("Z109", "WS", 2011, "Y", "BGS", 1)


def test_parses_a_code_without_department():
    code = parse_archival_code("Z109-WS·2011-D30-0012")
    assert code.department is None
    assert code.item_number == 12
    assert code.format() == "Z109-WS·2011-D30-0012"


def test_the_ascii_dot_form_means_the_same_code():
    assert parse_archival_code("Z109-WS.2011-D10-BGS-0007") == parse_archival_code("Z109-WS·2011-D10-BGS-0007")


def test_formats_with_middle_dot_and_safe_name_with_dot():
    code = ArchivalCode("J001", "WS", 2019, "D30", "RSC", 42)
    assert str(code) == "J001-WS\u00b72019-D30-RSC-0042"
    assert safe_file_name(code) == "J001-WS.2019-D30-RSC-0042"


@pytest.mark.parametrize(
    ("fonds", "department", "number"),
    list(itertools.product(["Z109", "0001", "ABCD"], [None, "BGS", "001"], [1, 9, 10, 999, 9999, 10000])),
)
@pytest.mark.parametrize("retention", ["Y", "D30", "D10"])
def test_format_and_parse_are_inverses(fonds, department, number, retention):
    code = ArchivalCode(fonds, "WS", 2011, retention, department, number)
    assert parse_archival_code(code.format()) == code
    assert parse_archival_code(code.format(".")) == code


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Z109-WS·2011-Y-BGS-1",  # item number not padded
        "Z109-WS·2011-Y-BGS-0000"[:-1],
        "Z109-WS·11-Y-BGS-0001",  # two-digit year
        "Z109-WS·2011-C-BGS-0001",  # retention of the pre-2015 rules
        "Z109-WS·2011-Y-BG-0001",  # department of two characters
        "Z10-WS·2011-Y-BGS-0001",  # fonds of three characters
        "z109-ws·2011-y-bgs-0001",  # lower case
        "Z109-WS-2011-Y-BGS-0001",  # hyphen where the level separator belongs
        "Z109-WS·2011-Y-BGS-0001-0002",
        "../../etc/passwd",
    ],
)
def test_malformed_codes_are_refused_with_an_example(text):
    with pytest.raises(InvalidInputError, match="e.g. Z109-WS·2011-Y-BGS-0001"):
        parse_archival_code(text)


def test_item_number_zero_is_refused():
    with pytest.raises(InvalidInputError, match="item number 0"):
        parse_archival_code("Z109-WS·2011-Y-BGS-0000")


def test_constructed_codes_are_checked_too():
    with pytest.raises(InvalidInputError, match="department code 'BG'"):
        ArchivalCode("Z109", "WS", 2011, "Y", "BG", 1)


def test_class_key_makes_codes_and_labels():
    key = ClassKey("Z109", "WS", 2011, "Y", "BGS")
    assert key.code_for(3).format() == "Z109-WS·2011-Y-BGS-0003"
    assert key.label() == "Z109-WS·2011-Y-BGS"
    assert ClassKey("Z109", "WS", 2011, "Y", None).label() == "Z109-WS·2011-Y"


def test_code_order_follows_item_number_within_a_class():
    codes = [ArchivalCode("Z109", "WS", 2011, "Y", "BGS", number) for number in (10, 2, 1)]
    assert [code.item_number for code in sorted(codes)] == [1, 2, 10]
