from appliance.domain.catalogue import Scheme
from appliance.domain.catalogue_tree import ClassCount, build_tree

COUNTS = [ClassCount(2011, "D10", "BGS", 4), ClassCount(2011, "Y", "BGS", 3), ClassCount(2011, "Y", "RSC", 2),
          ClassCount(2012, "D30", "RSC", 1)]


def test_years_come_newest_first_with_the_levels_of_the_scheme_below():
    tree = build_tree(COUNTS, Scheme.YEAR_RETENTION_DEPARTMENT)
    assert [(node.value, node.items) for node in tree] == [(2012, 1), (2011, 9)]
    assert [(node.value, node.items) for node in tree[1].children] == [("Y", 5), ("D10", 4)]  # 永久 before 10 年
    assert [(node.value, node.items) for node in tree[1].children[0].children] == [("BGS", 3), ("RSC", 2)]
    assert tree[1].children[0].children[1].path == {"year": 2011, "retention": "Y", "department": "RSC"}


def test_a_scheme_with_the_department_before_retention_nests_that_way():
    tree = build_tree(COUNTS, Scheme.YEAR_DEPARTMENT_RETENTION)
    assert [(node.value, node.items) for node in tree[1].children] == [("BGS", 7), ("RSC", 2)]
    assert [node.value for node in tree[1].children[0].children] == ["Y", "D10"]


def test_a_scheme_without_departments_stops_at_retention():
    tree = build_tree([ClassCount(2011, "Y", None, 3), ClassCount(2011, "Y", None, 2)], Scheme.YEAR_RETENTION)
    assert [(node.value, node.items, node.children) for node in tree[0].children] == [("Y", 5, [])]


def test_no_items_no_tree():
    assert build_tree([], Scheme.YEAR_RETENTION) == []
