"""Borrowing in Debian's Chromium against the running appliance: a reader asks to read an item, an approver approves
it, the reader sees its page watermarked, the grant expires in the worker, and the reader is refused from then on."""

import datetime
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from appliance.adapters.db.tables import ViewingGrantRow
from appliance.adapters.watermark import display_rendition
from appliance.domain.codes import ClassKey
from appliance.services.audit import latest_events
from tests.support.browser import scroll_width, sign_in, submit, watch_csp_violations
from tests.support.browser_pages import (
    add_item_with_pages,
    grey,
    marker,
    mean_brightness,
    original_page,
    share_changed,
    text_page_png,
    wait_for_images,
)

pytestmark = pytest.mark.slow

BORROW_CLASS = ClassKey("Z109", "WS", 2013, "D10", "BGS")  # a class of this test's own
PHONE_WIDTH = 390
EXPIRY_WAIT_SECONDS = 20  # the worker looks for grants due about every second


def follow(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def ask_to_read(page, base: str, code: str) -> int:
    """From the item page through the form to /borrowing; returns the request's number."""
    page.goto(f"{base}/items/{code}")
    expect(page.locator("p.grant-note")).to_have_attribute("data-grant", "none")
    follow(page, page.locator("p.borrow a"))
    expect(page.locator("textarea[name=items]")).to_have_value(code)  # prefilled from the item page
    page.select_option("select[name=purpose_category]", "work")
    page.fill("textarea[name=purpose]", "核对会议纪要的原文")
    page.select_option("select[name=form]", "read")
    page.fill("input[name=days]", "1")
    submit(page)
    card = page.locator("li.card").filter(has_text=code)
    expect(card).to_have_attribute("data-state", "pending")
    request_id = int(card.get_attribute("id").removeprefix("request-"))
    expect(page.locator("p.flash")).to_contain_text(str(request_id))
    return request_id


def approve(page, base: str, person, request_id: int) -> None:
    sign_in(page, base, person.username, person.password)
    page.goto(base + "/approvals")
    submit(page, f"form[action='/approvals/{request_id}'] button[value=approve]")
    expect(page.locator("p.flash").first).to_contain_text(str(request_id))


def view_page_one(page, running_appliance, code: str) -> str:
    """Open the item's first page in the viewer, check the image is the watermarked rendition; returns its URL."""
    follow(page, page.locator("p.actions").get_by_role("link", name="查看"))
    wait_for_images(page, "figure.page-view img")
    expect(page.locator("figure.page-view figcaption")).to_contain_text("图像上带有您的姓名")  # the notice
    source = page.locator("figure.page-view img").evaluate("image => image.src")
    stamped = page.request.get(source)
    assert stamped.status == 200 and stamped.headers["content-type"] == "image/jpeg"
    plain = grey(display_rendition(original_page(running_appliance, code, 1)))
    shown = grey(stamped.body())
    assert shown.size == plain.size
    bottom = (0, shown.height - 10, shown.width, shown.height)
    assert mean_brightness(shown, bottom) < 80 < 240 < mean_brightness(plain, bottom)  # the strip naming the viewer
    assert share_changed(shown, plain) > 0.01  # the tiled watermark across the page
    return source


def grants_of(box, request_id: int) -> list[tuple[int, datetime.datetime | None]]:
    """(id, ended_at) of the request's viewing grants."""
    with box.uow_factory(read_only=True) as uow:
        query = select(ViewingGrantRow.id, ViewingGrantRow.ended_at).where(ViewingGrantRow.request_id == request_id)
        return [tuple(row) for row in uow.session.execute(query)]


def expire_soon(box, request_id: int) -> int:
    """Move the request's grant to end in two seconds; returns the grant's id.

    The only thing faked here is the passing of time: a grant lasts at least a day, which a test cannot wait for.
    Ending it is left to the running worker's expire_grants, as in service.
    """
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=2)
    with box.uow_factory() as uow:
        uow.session.execute(update(ViewingGrantRow).where(ViewingGrantRow.request_id == request_id)
                            .values(expires_at=soon))
        uow.commit()
    ((grant_id, _),) = grants_of(box, request_id)
    return grant_id


def wait_until_ended(box, request_id: int) -> None:
    deadline = time.monotonic() + EXPIRY_WAIT_SECONDS
    while grants_of(box, request_id)[0][1] is None:
        assert time.monotonic() < deadline, f"the worker did not end the grant within {EXPIRY_WAIT_SECONDS} s"
        time.sleep(0.25)


def test_a_reader_borrows_sees_the_page_watermarked_and_is_refused_once_the_grant_expires(
        running_appliance, new_person, phone_page, desktop_page, tmp_path):
    base, box = running_appliance.base_url, running_appliance.appliance
    scan = tmp_path / "page-1.png"
    scan.write_bytes(text_page_png(["滨江市人民政府办公室文件", f"借阅测试 {marker()}"], dpi=200))  # as scanned
    code = add_item_with_pages(running_appliance, BORROW_CLASS, "关于借阅测试的通知", [scan]).archival_code  # 内部
    reader = new_person(["reader"], prefix="borrower")
    violations = watch_csp_violations(phone_page)
    sign_in(phone_page, base, reader.username, reader.password)  # the reader on a phone
    request_id = ask_to_read(phone_page, base, code)
    assert scroll_width(phone_page) <= PHONE_WIDTH
    approve(desktop_page, base, new_person(["approver"], prefix="lender"), request_id)

    phone_page.reload()
    card = phone_page.locator(f"li#request-{request_id}")
    expect(card).to_have_attribute("data-state", "approved")
    expect(card.locator("li.grant")).to_have_attribute("data-grant", "in-force")
    follow(phone_page, card.locator("li.grant a.code"))
    expect(phone_page.locator("p.grant-note")).to_have_attribute("data-grant", "in-force")
    image_url = view_page_one(phone_page, running_appliance, code)
    viewed = [event for event in latest_events(box.uow_factory, 50)
              if event.action == "item.view_page" and event.actor == reader.username]
    assert viewed and viewed[0].object_id == code and "grant" in viewed[0].details

    grant_id = expire_soon(box, request_id)
    wait_until_ended(box, request_id)
    expired = [event for event in latest_events(box.uow_factory, 50)
               if event.action == "grant.expire" and event.object_id == str(grant_id)]
    assert expired and expired[0].details["user"] == reader.username

    refused = phone_page.reload()  # the viewer again
    assert refused.status == 403
    expect(phone_page.locator("p.error")).to_contain_text("needs an approved borrowing in force")
    assert phone_page.request.get(image_url).status == 403
    phone_page.goto(f"{base}/items/{code}")
    expect(phone_page.locator("p.grant-note")).to_have_attribute("data-grant", "ended")
    expect(phone_page.locator("p.actions").get_by_role("link", name="查看")).to_have_count(0)
    phone_page.goto(f"{base}/borrowing")
    expect(phone_page.locator(f"li#request-{request_id} li.grant")).to_have_attribute("data-grant", "ended")
    assert violations == []
