"""The four checks of DA/T 70 on real items: real PNG pages in the blob store, a real audit log, both databases."""

import itertools
import os
from dataclasses import replace

import pytest
from PIL import Image
from sqlalchemy import text

from appliance.domain.archival_checks import CheckName
from appliance.domain.catalogue import ItemFields, ItemState
from appliance.domain.codes import ClassKey
from appliance.services.archival_checks import check_items
from appliance.services.items import add_item

BGS_2011 = ClassKey("Z109", "WS", 2011, "Y", "BGS")
FIELDS = ItemFields.build(title="关于档案工作的通知", date="20110315", responsible="办公室")
_shades = itertools.count(1)


@pytest.fixture
def page_files(tmp_path):
    """Makes `count` distinct small PNG pages."""
    def make(count: int = 3) -> list:
        paths = []
        for _ in range(count):
            shade = next(_shades)
            path = tmp_path / f"page-{shade}.png"
            Image.new("L", (40 + shade, 60), shade % 256).save(path, "PNG")
            paths.append(path)
        return paths
    return make


def add_clean_item(appliance, actor, files, media_type: str = "image/png") -> str:
    """File an item with its pages; the blobs are recorded first with their media type (add_item stores none)."""
    with appliance.uow_factory() as uow:
        for path in files:
            uow.blobs.add(replace(appliance.blob_store.put_file(path), media_type=media_type))
        uow.commit()
    return add_item(appliance.uow_factory, appliance.blob_store, actor, BGS_2011, FIELDS, files).archival_code


def check_one(appliance, code: str):
    [report] = check_items(appliance.uow_factory, appliance.blob_store, appliance.image_problem, [code])
    return report


def failed_checks(report) -> set[CheckName]:
    return {check for check, passed in report.verdicts.items() if not passed}


def rules(report) -> list[str]:
    return [finding.rule.value for finding in report.findings]


def execute(appliance, statement: str, **parameters) -> None:
    with appliance.engine.begin() as connection:
        connection.execute(text(statement), parameters)


def test_a_clean_item_passes_all_four_and_the_checks_write_no_audit_event(appliance, actor, fonds, page_files):
    code = add_clean_item(appliance, actor, page_files(3))
    with appliance.uow_factory(read_only=True) as uow:
        head_before = uow.audit.head()
    report = check_one(appliance, code)
    assert report.archival_code == code
    assert report.findings == () and report.passed
    with appliance.uow_factory(read_only=True) as uow:
        assert uow.audit.head() == head_before


def test_a_corrupted_page_file_fails_authenticity(appliance, actor, fonds, page_files):
    files = page_files(3)
    code = add_clean_item(appliance, actor, files)
    with appliance.uow_factory(read_only=True) as uow:
        _, pages = uow.catalogue.get_item_with_pages(code)
    stored = appliance.blob_store.path(pages[1].sha256)
    os.chmod(stored, 0o644)
    data = bytearray(stored.read_bytes())
    data[-20] ^= 0xFF  # one flipped byte inside the image data: same size, another digest
    stored.write_bytes(bytes(data))
    report = check_one(appliance, code)
    assert CheckName.AUTHENTICITY in failed_checks(report)
    digest_finding = next(finding for finding in report.findings if finding.rule.value == "digests-match")
    assert digest_finding.message.startswith("page 2: blob") and "damaged" in digest_finding.message


def test_a_page_that_is_not_an_image_fails_usability(appliance, actor, fonds, page_files, tmp_path):
    not_an_image = tmp_path / "page.png"
    not_an_image.write_text("this is a text file, not a scan")
    code = add_clean_item(appliance, actor, [*page_files(1), not_an_image])
    report = check_one(appliance, code)
    assert failed_checks(report) == {CheckName.USABILITY}
    assert rules(report) == ["pages-open"]
    assert report.findings[0].message.startswith("page 2 does not open: not a readable image")


def test_a_page_in_a_format_not_allowed_fails_usability(appliance, actor, fonds, page_files):
    code = add_clean_item(appliance, actor, page_files(1), media_type="application/octet-stream")
    report = check_one(appliance, code)
    assert failed_checks(report) == {CheckName.USABILITY}
    assert set(rules(report)) == {"format-allowed", "pages-open"}


def test_a_page_count_that_disagrees_with_the_pages_fails_integrity(appliance, actor, fonds, page_files):
    code = add_clean_item(appliance, actor, page_files(3))
    execute(appliance, "UPDATE items SET pages = 4 WHERE archival_code = :code", code=code)
    report = check_one(appliance, code)
    assert failed_checks(report) == {CheckName.INTEGRITY}
    assert [finding.message for finding in report.findings] == ["页数 says 4 but 3 page images are stored"]


def test_a_gap_in_the_item_numbers_fails_integrity(appliance, actor, fonds, page_files):
    codes = [add_clean_item(appliance, actor, page_files(1)) for _ in range(3)]
    execute(appliance, "DELETE FROM item_pages WHERE item_id = (SELECT id FROM items WHERE archival_code = :code)",
            code=codes[1])
    execute(appliance, "DELETE FROM items WHERE archival_code = :code", code=codes[1])
    reports = check_items(appliance.uow_factory, appliance.blob_store, appliance.image_problem,
                          [codes[0], codes[2]])
    for report in reports:
        assert failed_checks(report) == {CheckName.INTEGRITY}
        assert [finding.message for finding in report.findings] == [
            "class Z109-WS·2011-Y-BGS lacks item number(s) 0002"]


def test_an_item_with_no_creation_event_fails_security(appliance, actor, fonds, page_files):
    add_clean_item(appliance, actor, page_files(1))
    with appliance.uow_factory() as uow:
        code = BGS_2011.code_for(uow.catalogue.allocate_item_number(BGS_2011))
        uow.catalogue.add_item(code, replace(FIELDS, pages=1), ItemState.INTAKE)  # no audit event
        uow.commit()
    report = check_one(appliance, code.format())
    assert CheckName.SECURITY in failed_checks(report)
    assert "intake-logged" in rules(report)


def test_a_page_attached_outside_the_logged_intake_is_a_stray_file(appliance, actor, fonds, page_files):
    code = add_clean_item(appliance, actor, page_files(2))
    [stray] = page_files(1)
    with appliance.uow_factory() as uow:
        ref = replace(appliance.blob_store.put_file(stray), media_type="image/png")
        uow.blobs.add(ref)
        uow.blobs.add_pages(uow.catalogue.get_item(code).id, [ref.sha256])
        uow.catalogue.set_pages(uow.catalogue.get_item(code).id, 3)
        uow.commit()
    report = check_one(appliance, code)
    assert failed_checks(report) == {CheckName.SECURITY}
    assert [finding.message for finding in report.findings] == [f"page {ref.sha256[:12]}… was never logged as added"]


def test_malformed_and_unknown_codes_get_failing_reports_in_the_order_asked(appliance, actor, fonds, page_files):
    code = add_clean_item(appliance, actor, page_files(1))
    reports = check_items(appliance.uow_factory, appliance.blob_store, appliance.image_problem,
                          ["Z109-WS", "Z109-WS.2011-Y-BGS-0009", code.replace("·", ".")])
    assert [report.passed for report in reports] == [False, False, True]
    assert rules(reports[0]) == ["code-well-formed"]
    assert reports[1].findings[0].message == "no item Z109-WS·2011-Y-BGS-0009 in the catalogue"
    assert reports[2].archival_code == code
