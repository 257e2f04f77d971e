import pytest

from appliance.domain.catalogue import (
    AccessLabel,
    ItemFields,
    Scheme,
    check_class_fits_scheme,
    normalise_title,
    parse_access_label,
    parse_document_date,
    parse_scheme,
)
from appliance.domain.codes import ClassKey
from appliance.domain.errors import InvalidInputError


@pytest.mark.parametrize("text", ["20110315", "20000229", " 20111231 "])
def test_valid_dates(text):
    assert parse_document_date(text) == text.strip()


@pytest.mark.parametrize(
    ("text", "reason"),
    [("2011315", "8 digits"), ("2011-03-15", "8 digits"), ("20110230", "calendar"), ("20111301", "calendar"),
     ("19000229", "calendar"), ("", "8 digits")],
)
def test_invalid_dates(text, reason):
    with pytest.raises(InvalidInputError, match=reason):
        parse_document_date(text)


def test_supplied_titles_are_kept_in_square_brackets():
    assert normalise_title("[关于会议的记录]") == ("[关于会议的记录]", True)
    assert normalise_title("［关于会议的记录］") == ("[关于会议的记录]", True)
    assert normalise_title("关于会议的通知") == ("关于会议的通知", False)


@pytest.mark.parametrize("title", ["", "   ", "[ ]"])
def test_empty_titles_are_refused(title):
    with pytest.raises(InvalidInputError):
        normalise_title(title)


@pytest.mark.parametrize("marking", ["秘密", "机密", "绝密"])
def test_classified_markings_are_refused(marking):
    with pytest.raises(InvalidInputError, match="classified"):
        parse_access_label(marking)


def test_access_labels_in_chinese_and_english():
    assert parse_access_label("公开") is AccessLabel.PUBLIC
    assert parse_access_label("Restricted") is AccessLabel.RESTRICTED
    with pytest.raises(InvalidInputError, match="unknown access label"):
        parse_access_label("保密")


def test_schemes_decide_whether_a_department_belongs_in_the_code():
    with_department = ClassKey("Z109", "WS", 2011, "Y", "BGS")
    without = ClassKey("Z109", "WS", 2011, "Y", None)
    check_class_fits_scheme(with_department, Scheme.YEAR_DEPARTMENT_RETENTION)
    check_class_fits_scheme(without, Scheme.YEAR_RETENTION)
    with pytest.raises(InvalidInputError, match="needs one"):
        check_class_fits_scheme(without, Scheme.YEAR_RETENTION_DEPARTMENT)
    with pytest.raises(InvalidInputError, match="takes no department"):
        check_class_fits_scheme(with_department, Scheme.YEAR_RETENTION)


def test_scheme_levels_give_the_tree_order():
    assert Scheme.YEAR_DEPARTMENT_RETENTION.levels == ("year", "department", "retention")
    assert parse_scheme("Year-Retention") is Scheme.YEAR_RETENTION
    with pytest.raises(InvalidInputError, match="unknown classification scheme"):
        parse_scheme("department-year")


def test_item_fields_validate_every_column():
    fields = ItemFields.build(title="[会议记录]", date="20110315", responsible=" 办公室 ", pages=3,
                              access_label="公开")
    assert fields.supplied_title and fields.responsible == "办公室" and fields.access_label is AccessLabel.PUBLIC
    with pytest.raises(InvalidInputError, match="备注"):
        ItemFields.build(title="t", date="20110315", notes="x" * 2001)
    with pytest.raises(InvalidInputError, match="页数"):
        ItemFields.build(title="t", date="20110315", pages=-1)
