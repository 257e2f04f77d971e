from dataclasses import replace

from appliance.domain.archival_checks import (
    CheckName,
    Finding,
    ItemCheckReport,
    Rule,
    code_findings,
    format_findings,
    gap_findings,
    logging_findings,
    metadata_findings,
    page_count_findings,
    required_field_findings,
)
from appliance.domain.catalogue import Item, ItemFields, ItemState
from appliance.domain.codes import parse_archival_code
from appliance.domain.intake import PLACEHOLDER_TITLE

CODE = parse_archival_code("Z109-WS·2011-Y-BGS-0003")
FIELDS = ItemFields.build(title="关于档案工作的通知", date="20110315", responsible="办公室", pages=3)
ITEM = Item(1, CODE, FIELDS, ItemState.INTAKE, "2011-03-15T00:00:00+00:00")


def rules(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(finding.check.value, finding.rule.value) for finding in findings]


def test_a_report_passes_only_without_findings_and_gives_a_verdict_per_check():
    clean = ItemCheckReport("c")
    assert clean.passed and all(clean.verdicts.values())
    failed = ItemCheckReport("c", (Finding(CheckName.USABILITY, Rule.PAGES_OPEN, "page 1 does not open"),))
    assert not failed.passed
    assert failed.verdicts == {CheckName.AUTHENTICITY: True, CheckName.INTEGRITY: True, CheckName.USABILITY: False,
                               CheckName.SECURITY: True}
    assert failed.as_dict()["findings"] == [{"check": "usability", "rule": "pages-open",
                                             "message": "page 1 does not open"}]


def test_valid_metadata_passes_and_a_date_outside_the_code_year_fails():
    assert metadata_findings(ITEM) == []
    wrong_year = replace(ITEM, fields=replace(FIELDS, date="20100101"))
    assert rules(metadata_findings(wrong_year)) == [("authenticity", "metadata-valid")]
    not_a_day = replace(ITEM, fields=replace(FIELDS, date="20110231"))
    assert "not a real calendar day" in metadata_findings(not_a_day)[0].message
    too_long = replace(ITEM, fields=replace(FIELDS, notes="x" * 2001))
    assert "at most 2000" in metadata_findings(too_long)[0].message


def test_the_code_must_be_well_formed_match_its_parts_and_be_unique():
    assert code_findings("Z109-WS·2011-Y-BGS-0003", CODE, 1) == []
    assert code_findings("Z109-WS.2011-Y-BGS-0003", CODE, 1) == [], "the ASCII form is the same code"
    assert rules(code_findings("Z109-WS 2011", CODE, 1)) == [("authenticity", "code-well-formed")]
    assert rules(code_findings("Z109-WS·2011-Y-BGS-0004", CODE, 1)) == [("authenticity", "code-well-formed")]
    duplicate = code_findings("Z109-WS·2011-Y-BGS-0003", CODE, 2)
    assert rules(duplicate) == [("authenticity", "code-unique")]
    assert "2 items carry item number 0003 in class Z109-WS·2011-Y-BGS" in duplicate[0].message


def test_required_fields_must_be_filled_in():
    assert required_field_findings(FIELDS) == []
    empty = replace(FIELDS, responsible=" ", date="")
    assert [finding.message for finding in required_field_findings(empty)] == ["责任者 (responsible) is empty",
                                                                              "日期 (date) is empty"]
    placeholder = replace(FIELDS, title=PLACEHOLDER_TITLE)
    assert "placeholder" in required_field_findings(placeholder)[0].message


def test_the_page_count_must_match_the_stored_pages():
    assert page_count_findings(3, 3) == []
    assert rules(page_count_findings(4, 3)) == [("integrity", "page-count")]
    assert "页数 says 4 but 3 page images are stored" in page_count_findings(4, 3)[0].message
    assert "页数 is 0" in page_count_findings(0, 0)[0].message


def test_a_gap_in_the_class_fails_every_item_of_it():
    assert gap_findings(CODE, [1, 2, 3]) == []
    findings = gap_findings(CODE, [1, 3, 4, 7])
    assert rules(findings) == [("integrity", "item-numbers-gapless")]
    assert findings[0].message == "class Z109-WS·2011-Y-BGS lacks item number(s) 0002, 0005–0006"


def test_only_archival_formats_are_allowed():
    assert format_findings(["image/tiff", "image/png", "image/jpeg", "application/pdf"]) == []
    findings = format_findings(["image/png", "application/octet-stream", "image/gif"])
    assert [finding.message.split(",")[0] for finding in findings] == [
        "page 2 is application/octet-stream", "page 3 is image/gif"]


def test_the_creation_and_every_page_must_be_logged():
    pages = ["a" * 64, "b" * 64]
    assert logging_findings(True, pages, pages) == []
    assert rules(logging_findings(False, pages, pages)) == [("security", "intake-logged")]
    stray = logging_findings(True, pages[:1], pages)
    assert [finding.message for finding in stray] == [f"page {'b' * 12}… was never logged as added"]
    removed = logging_findings(True, pages, pages[:1])
    assert "is not among the item's pages" in removed[0].message
    reordered = logging_findings(True, pages, pages[::-1])
    assert [finding.message for finding in reordered] == ["the pages are not in the order the audit log added them"]
    twice = logging_findings(True, pages, pages + pages[:1])
    assert rules(twice) == [("security", "no-stray-files")], "a page added once but present twice is a stray"


def test_an_empty_required_field_is_reported_once_under_integrity():
    empty_date = replace(ITEM, fields=replace(FIELDS, date=""))
    assert metadata_findings(empty_date) == []
    assert rules(required_field_findings(empty_date.fields)) == [("integrity", "required-fields")]
