from appliance.domain.checks import check_date_year, check_page_count, find_gaps, missing_ranges
from appliance.domain.codes import ClassKey


def test_missing_ranges_from_one():
    assert list(missing_ranges([3, 4, 7, 7, 10])) == [(1, 2), (5, 6), (8, 9)]
    assert list(missing_ranges([1, 2, 3])) == []


def test_gaps_are_reported_per_class():
    key = ClassKey("Z109", "WS", 2011, "Y", "BGS")
    findings = list(find_gaps([(key, [1, 2, 5])]))
    assert [str(finding) for finding in findings] == ["[gap] Z109-WS·2011-Y-BGS: item number(s) 0003–0004 missing"]


def test_date_and_page_checks():
    assert check_date_year("c", 2011, "20110101") is None
    assert "not in the code's year 2012" in check_date_year("c", 2012, "20110101").message
    assert check_page_count("c", 3, 3) is None
    assert "3 page images" in check_page_count("c", 4, 3).message
    assert "页数 is 0" in check_page_count("c", 0, None).message
