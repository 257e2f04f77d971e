"""The console's pages in Debian's Chromium against gunicorn, at desktop size and at 390 px: browsing the tree to an
item, the watermarked viewer, reviewing an intake document, and a scan on the virtual scanner watched live."""

import hashlib
import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from appliance.adapters.watermark import display_rendition
from appliance.domain.codes import ClassKey
from tests.support.browser import scroll_width, sign_in, submit, watch_csp_violations
from tests.support.browser_pages import (
    DEMO_ITEM,
    add_item_with_pages,
    card_states,
    deliver_document,
    grey,
    load_virtual_stack,
    marker,
    mean_brightness,
    original_page,
    reload_until,
    scan_stack,
    share_changed,
    text_page_png,
    wait_for_images,
    wait_for_new_batch_to_finish,
    watch_card,
)

pytestmark = pytest.mark.slow

PHONE_WIDTH = 390
AGENT = "e2e-agent"  # the agent `dangan run` starts in the harness (DANGAN_AGENT_NAME)
SCAN_SECONDS = 60  # a 6-sheet stack takes ~5 s here; OCR in the worker competes for the two cores
VIEWER_CLASS = ClassKey("Z109", "WS", 2012, "D10", "BGS")  # a class of the viewer tests' own


@dataclass
class Screen:
    """A browser page at one size, with the checks every page visited must pass."""

    page: Page
    width: int
    violations: list[str]

    def check(self) -> None:
        """At 390 px the document does not scroll sideways (wide tables scroll inside `.scroll`); no CSP refusals."""
        if self.width <= PHONE_WIDTH:
            assert scroll_width(self.page) <= self.width, f"{self.page.url} is wider than {self.width} px"
        assert self.violations == [], f"{self.page.url}: {self.violations}"

    def follow(self, locator) -> None:
        """Click a link and check the page it leads to."""
        with self.page.expect_navigation():
            locator.click()
        self.check()


@pytest.fixture(params=["desktop", "phone"])
def screen(request) -> Screen:
    page = request.getfixturevalue(f"{request.param}_page")
    return Screen(page, page.viewport_size["width"], watch_csp_violations(page))


@pytest.fixture(scope="module")
def agent_api(playwright_driver, running_appliance):
    """HTTP as the scanner agent: the agent token, no browser cookies."""
    context = playwright_driver.request.new_context(
        base_url=running_appliance.base_url,
        extra_http_headers={"Authorization": f"Bearer {running_appliance.agent_token}",
                            "X-Dangan-Agent": "e2e-delivery"})
    yield context
    context.dispose()


def signed_in(screen: Screen, running_appliance, person) -> Page:
    sign_in(screen.page, running_appliance.base_url, person.username, person.password)
    screen.check()
    return screen.page


def open_branch(details, handle: str) -> None:
    """Open a <details> of the tree by clicking `handle` in its summary, unless the page drew it open."""
    if details.get_attribute("open") is None:
        details.locator(handle).click()
    expect(details).to_have_attribute("open", "")


def test_an_archivist_browses_the_tree_to_a_class_and_opens_the_demo_item(running_appliance, new_person, screen):
    page = signed_in(screen, running_appliance, new_person(["archivist"], prefix="browse"))
    screen.follow(page.get_by_role("link", name="Z109", exact=True))
    expect(page.locator("h1")).to_have_text("Z109 滨江市人民政府办公室")
    tree = page.locator("details.tree")
    screen.follow(tree.get_by_role("link", name="2011", exact=True))  # the year's branch is drawn once chosen
    open_branch(tree, "> summary")  # with a year chosen the tree starts folded, above the list
    expect(tree.get_by_role("link", name="2011", exact=True)).to_have_attribute("aria-current", "page")  # chosen
    retention = tree.locator("li:has(> details > summary > a:text-is('永久')) > details")
    open_branch(retention, "> summary > span.muted")  # the count, not the link: the branch opens in place
    screen.check()
    screen.follow(retention.get_by_role("link", name="办公室"))
    assert re.search(r"year=2011.*retention=Y.*department=BGS", page.url), page.url
    # the branch's ancestors are marked current as well (see the report): the class is the last of them
    expect(tree.locator("a[aria-current=page]")).to_have_text("办公室")  # only the class shown is current
    listing = page.locator("table.catalogue")
    expect(listing).to_contain_text("关于印发《滨江市档案工作规划》的通知")
    screen.follow(listing.get_by_role("link", name=DEMO_ITEM))
    expect(page.locator("h1")).to_have_text("关于印发《滨江市档案工作规划》的通知")
    expect(page.locator("dd.code")).to_have_text(DEMO_ITEM)
    expect(page.locator("table.history")).to_contain_text("item.create")


def test_the_fonds_page_title_is_the_fonds_and_the_appliance(running_appliance, new_person, desktop_page):
    person = new_person(["archivist"], prefix="title")
    sign_in(desktop_page, running_appliance.base_url, person.username, person.password)
    desktop_page.goto(running_appliance.base_url + "/fonds/Z109")
    assert desktop_page.title() == "Z109 滨江市人民政府办公室 — 档案"


def test_the_item_page_names_the_state_in_chinese(running_appliance, new_person, desktop_page):
    person = new_person(["archivist"], prefix="state")
    sign_in(desktop_page, running_appliance.base_url, person.username, person.password)
    desktop_page.goto(f"{running_appliance.base_url}/items/{DEMO_ITEM}")
    assert desktop_page.locator(".code-line .badge.state-intake").inner_text() == "待归档"


def test_the_viewer_shows_page_one_watermarked_and_the_history_records_the_view(
        running_appliance, new_person, screen, tmp_path):
    scan = tmp_path / "page-1.png"
    scan.write_bytes(text_page_png(["滨江市人民政府办公室文件", f"查看测试 {marker()}"], dpi=200))  # 1654 px wide
    item = add_item_with_pages(running_appliance, VIEWER_CLASS, "关于查阅档案的通知", [scan])
    person = new_person(["archivist"], prefix="viewer")
    page = signed_in(screen, running_appliance, person)
    page.goto(f"{running_appliance.base_url}/items/{item.archival_code}")
    screen.check()
    screen.follow(page.locator("p.actions").get_by_role("link", name="查看"))
    expect(page.locator(".viewer-bar")).to_contain_text("第 1 页")
    wait_for_images(page, "figure.page-view img")
    stamped = page.request.get(page.locator("figure.page-view img").evaluate("image => image.src"))
    assert stamped.headers["content-type"] == "image/jpeg"
    assert "no-store" in stamped.headers["cache-control"]
    plain = grey(display_rendition(original_page(running_appliance, item.archival_code, 1)))
    shown = grey(stamped.body())
    assert shown.size == plain.size and plain.width == 1400  # the display rendition, not the 1654 px original
    bottom = (0, shown.height - 10, shown.width, shown.height)
    assert mean_brightness(shown, bottom) < 80 < 240 < mean_brightness(plain, bottom)  # the dark strip
    assert share_changed(shown, plain) > 0.01  # the tiled watermark across the page
    screen.follow(page.locator(".viewer-bar a.code"))
    history = page.locator("table.history tbody tr").filter(has_text="item.view_page")
    expect(history.first).to_contain_text(person.username)


def test_an_intake_document_is_reviewed_and_filed_from_its_thumbnails(
        running_appliance, new_person, screen, agent_api):
    text = marker()
    pages = [text_page_png([f"无封面文件 {text}", f"第{number}页"]) for number in (1, 2)]
    receipt = deliver_document(agent_api, pages)
    assert receipt["state"] == "intake"
    person = new_person(["archivist"], prefix="review")
    page = signed_in(screen, running_appliance, person)
    screen.follow(page.locator("header nav").get_by_role("link", name="待整理"))
    document = f"文件 {receipt['document']}"
    screen.follow(page.locator("ul.cards").get_by_role("link", name=document, exact=True))
    expect(page.locator("h1")).to_have_text(document)
    expect(page.locator("ol.thumbnails img")).to_have_count(2)
    wait_for_images(page, "ol.thumbnails img")
    screen.check()
    if screen.width > PHONE_WIDTH:  # at desktop size: to the registered demo item
        page.fill("input[name=archival_code]", DEMO_ITEM)
        submit(page, "form[action$='/file'] button[type=submit]")
        expect(page.locator("p.flash")).to_have_text("已归入该条目。")
        expect(page.locator("dd.code")).to_have_text(DEMO_ITEM)
    else:  # at 390 px: a new item in a class
        page.fill("input[name=class]", "Z109/WS/2011/D30/BGS")
        submit(page, "form[action$='/new-item'] button[type=submit]")
        expect(page.locator("p.flash")).to_have_text("已根据该文件新建条目。")
        expect(page.locator("dd.code")).to_have_text(re.compile(r"^Z109-WS·2011-D30-BGS-\d{4}$"))
        expect(page.locator("ol.pages > li")).to_have_count(2)
    screen.check()
    newest = page.locator("table.history tbody tr").first  # the pages were added by this reviewer
    for text in (person.username, hashlib.sha256(pages[0]).hexdigest(), hashlib.sha256(pages[1]).hexdigest()):
        expect(newest).to_contain_text(text)


def test_an_operator_scans_the_virtual_stack_watches_it_live_and_reads_the_batch_report(
        running_appliance, new_person, screen):
    load_virtual_stack(running_appliance, scan_stack(marker()))
    page = signed_in(screen, running_appliance, new_person(["operator"], prefix="scan"))
    screen.follow(page.locator("header nav").get_by_role("link", name="扫描仪"))
    card = page.locator(f"article[data-agent='{AGENT}']")
    expect(card.locator(".device-card")).to_contain_text("virtual scanner (sample stack)")
    before = card.locator("[data-field=batch-id]").inner_text()
    card.get_by_label("灰度").check()
    submit(page, f"article[data-agent='{AGENT}'] .scan-button")
    expect(page.locator("p.flash")).to_contain_text("扫描")
    screen.check()
    page.evaluate("window.stayed = true")  # gone if the page were reloaded
    watch_card(page, AGENT)
    wait_for_new_batch_to_finish(page, AGENT, before, "已完成", SCAN_SECONDS)
    assert page.evaluate("window.stayed") is True
    states = [state for state in card_states(page) if state[0] not in ("", before)]
    # The new batch reached the card live, without a reload. Whether "扫描中" shows on the way depends on the
    # machine: on a quiet one the virtual scanner feeds six sheets within one heartbeat (measured: finished 2 s
    # after the request), so only the end state is certain.
    assert states and states[-1][1:] == ("已完成", "6", "3"), states  # 6 sheets, 3 documents
    screen.check()
    screen.follow(card.locator("[data-field=batch-link]"))
    expect(page.locator("h1 code")).to_have_text(states[-1][0])
    reload_until(page, lambda shown: not shown.locator(".document-card.undelivered").count())
    cards = page.locator(".document-card")
    expect(cards).to_have_count(3)
    expect(cards.nth(0)).to_contain_text(f"已归入对应条目 {DEMO_ITEM}")
    for number in (1, 2):
        expect(cards.nth(number)).to_contain_text(re.compile(r"新建条目\s+Z109-WS·2011-D30-BGS-\d{4}"))
    screen.check()
