"""Searching in Debian's Chromium against gunicorn, at desktop size and at 390 px: a person types two Chinese
characters into the header's search box and finds the document they mean among the first results."""

import pytest
from playwright.sync_api import expect

from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.domain.jobs import PAGE_OCR, Derivative
from appliance.services.items import add_item
from appliance.services.search import index_item
from tests.support.browser import scroll_width, sign_in, watch_csp_violations
from tests.support.browser_pages import SETUP_ACTOR, marker

pytestmark = pytest.mark.slow

PHONE_WIDTH = 390
SEARCH_CLASS = ClassKey("Z109", "WS", 2014, "D10", "BGS")  # a class of this module's own
TITLE = "关于白鹭洲湿地保护工作的通知"


def file_with_text(running_appliance, page_text: str) -> str:
    """An item whose one page has `page_text` as its OCR text, indexed as the worker would; its archival code."""
    box = running_appliance.appliance
    item = add_item(box.uow_factory, box.blob_store, SETUP_ACTOR, SEARCH_CLASS,
                    ItemFields.build(title=TITLE, date="20140601"))
    with box.uow_factory() as uow:
        page, pdf = box.blob_store.put_bytes(f"page {marker()}".encode()), box.blob_store.put_bytes(b"%PDF search")
        uow.blobs.add(page)
        uow.blobs.add(pdf)
        uow.jobs.add_derivative(Derivative(page.sha256, PAGE_OCR, "test/1", pdf.sha256, page_text))
        uow.blobs.add_pages(item.id, [page.sha256])
        index_item(uow, item.id)
        uow.commit()
    return item.archival_code


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_two_characters_typed_in_the_header_find_the_document(running_appliance, new_person, request, size):
    page = request.getfixturevalue(f"{size}_page")
    violations = watch_csp_violations(page)
    code = file_with_text(running_appliance, f"为加强白鹭洲湿地保护，现就有关事项通知如下。编号 {marker()}")
    person = new_person(["archivist"], prefix="search")
    sign_in(page, running_appliance.base_url, person.username, person.password)
    box = page.locator("form.search-box input[name=q]")
    box.fill("鹭洲")
    with page.expect_navigation():
        box.press("Enter")
    hits = page.locator("li.hit")
    expect(hits.first).to_be_visible()
    first_codes = [hits.nth(index).locator("a.code").inner_text() for index in range(min(3, hits.count()))]
    assert code in first_codes, first_codes
    hit = page.locator("li.hit", has=page.get_by_role("link", name=code, exact=True))
    expect(hit.locator(".snippet mark").first).to_have_text("鹭洲")
    expect(page.locator("form.search-form input[name=q]")).to_have_value("鹭洲")
    if page.viewport_size["width"] <= PHONE_WIDTH:
        assert scroll_width(page) <= PHONE_WIDTH
    assert violations == []
