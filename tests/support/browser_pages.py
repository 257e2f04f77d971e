"""Helpers for the console's page tests in a browser: records set up through the running box, and page checks.

Each test makes records of its own with unique content (a marker in the page text), so no test depends on another's
leftovers: a document delivered twice with the same pages is filed once, and a re-scan of the same sheets is too.
"""

import io
import time
import uuid
from pathlib import Path

from PIL import Image, ImageChops, ImageStat

from appliance.adapters.sample_batch import SampleDocument, render_text_page, write_sample_batch
from appliance.domain.actors import Actor
from appliance.domain.catalogue import Item, ItemFields
from appliance.domain.codes import ClassKey, parse_archival_code
from appliance.domain.coversheet import SEPARATOR_PAYLOAD, batch_payload, item_payload
from appliance.services.items import add_item
from tests.support.browser import RunningAppliance
from tests.support.intake_documents import delivered_raw

SETUP_ACTOR = Actor("e2e-setup", "127.0.0.1")
DEMO_ITEM = "Z109-WS·2011-Y-BGS-0001"
DEMO_BATCH_CLASS = ClassKey("Z109", "WS", 2011, "D30", "BGS")
STACK_DPI = 200  # the cover sheets' codes read well at 200 dpi (FIELD_NOTES "Barcodes"); 300 takes 60% longer


def marker() -> str:
    """A short text no other test prints on its pages."""
    return uuid.uuid4().hex[:12]


def text_page_png(lines: list[str], dpi: int = 100) -> bytes:
    """An A4 page with `lines` printed on it, as PNG bytes."""
    output = io.BytesIO()
    render_text_page(lines, dpi).save(output, format="PNG")
    return output.getvalue()


def add_item_with_pages(running: RunningAppliance, key: ClassKey, title: str, page_files: list[Path]) -> Item:
    """A new item in `key` holding the page files, made through the item services on the box's own database.

    Raises InvalidInputError for a class the fonds does not allow, NotFoundError for a missing page file.
    """
    box = running.appliance
    return add_item(box.uow_factory, box.blob_store, SETUP_ACTOR, key,
                    ItemFields.build(title=title, date=f"{key.year}0601"), page_files)


def original_page(running: RunningAppliance, archival_code: str, number: int) -> bytes:
    """The stored original of page `number` of an item (what the scanner delivered, before any watermark)."""
    box = running.appliance
    with box.uow_factory(read_only=True) as uow:
        _, pages = uow.catalogue.get_item_with_pages(parse_archival_code(archival_code).format())
    with box.blob_store.open(pages[number - 1].sha256) as handle:
        return handle.read()


def deliver_document(api, pages: list[bytes], cover: str | None = None) -> dict:
    """POST one document to /api/v1/intake as a scanner agent does; returns the receipt.

    `api` is a Playwright APIRequestContext that carries the agent token. Raises AssertionError when refused.
    """
    manifest, contents = delivered_raw(cover, pages, batch_id=str(uuid.uuid4()))
    parts = {"manifest": {"name": "manifest.json", "mimeType": "application/json",
                          "buffer": manifest.to_json().encode()}}
    for entry, data in zip(manifest.pages, contents, strict=True):
        parts[entry.part] = {"name": entry.file_name, "mimeType": entry.media_type, "buffer": data}
    response = api.post("/api/v1/intake", multipart=parts, headers={"Idempotency-Key": manifest.document_key})
    assert response.status == 201, f"intake refused the document: {response.status} {response.text()}"
    return response.json()


def scan_stack(text: str) -> list[SampleDocument]:
    """A stack like the demo's, each page printed with `text`: an ITEM cover for the demo item, a BATCH cover for
    Z109/WS/2011/D30/BGS, a separator; one page each."""
    # Pages differ from document to document: two documents with the same cover and pixels are one document to
    # the outbox (the same key), and the batch report would show the second as never delivered.
    pages = [[["滨江市人民政府办公室文件", f"浏览器测试 {text} 第{number}件"]] for number in (1, 2, 3)]
    return [SampleDocument(item_payload(parse_archival_code(DEMO_ITEM)), "档案封面", [f"档号：{DEMO_ITEM}"], pages[0]),
            SampleDocument(batch_payload(DEMO_BATCH_CLASS), "批次封面", ["保管期限：定期30年（D30）"], pages[1]),
            SampleDocument(SEPARATOR_PAYLOAD, "文件分隔页", ["下一件文件从此页之后开始"], pages[2])]


def load_virtual_stack(running: RunningAppliance, documents: list[SampleDocument]) -> list[Path]:
    """Put `documents` in the virtual scanner's feeder in place of what it held (the agent reads it at each scan)."""
    stack = running.appliance.config.virtual_stack
    for old in stack.glob("*.png"):
        old.unlink()
    return write_sample_batch(stack, documents, dpi=STACK_DPI)


# JavaScript run in the page: note each state of an agent card's batch fields, as scanners.js rewrites them.
WATCH_CARD = """(agent) => {
  const card = document.querySelector(`article[data-agent="${agent}"]`);
  const names = ["batch-id", "batch-state", "pages", "documents"];
  const state = () => names.map((name) => card.querySelector(`[data-field="${name}"]`).textContent.trim());
  window.cardStates = [state()];
  new MutationObserver(() => window.cardStates.push(state()))
    .observe(card, {subtree: true, childList: true, characterData: true});
}"""
CARD_FINISHED = """([agent, before, finished]) => {
  const card = document.querySelector(`article[data-agent="${agent}"]`);
  const text = (name) => card.querySelector(`[data-field="${name}"]`).textContent.trim();
  return text("batch-id") !== before && text("batch-state") === finished;
}"""
IMAGES_LOADED = """(selector) => [...document.querySelectorAll(selector)]
  .every((image) => image.complete && image.naturalWidth > 0)"""


def watch_card(page, agent: str) -> None:
    """From now on, keep every state of the agent card's batch (id, state, pages, documents) in the page."""
    page.evaluate(WATCH_CARD, agent)


def card_states(page) -> list[tuple[str, str, str, str]]:
    """The distinct states the watched card went through, in order."""
    states = [tuple(state) for state in page.evaluate("window.cardStates")]
    return [state for index, state in enumerate(states) if index == 0 or state != states[index - 1]]


def wait_for_new_batch_to_finish(page, agent: str, before: str, finished: str, seconds: float) -> None:
    """Wait until the card shows a batch other than `before` in the state `finished` (its label on the page)."""
    page.wait_for_function(CARD_FINISHED, arg=[agent, before, finished], timeout=seconds * 1000)


def wait_for_images(page, selector: str) -> None:
    """Wait until every image matching `selector` has loaded with pixels (a broken image has naturalWidth 0)."""
    for image in page.locator(selector).all():
        image.scroll_into_view_if_needed()  # lazy images load only near the screen
    page.wait_for_function(IMAGES_LOADED, arg=selector)


def reload_until(page, done, seconds: float = 20) -> None:
    """Reload the page until `done(page)` is true; raises AssertionError when it is not within `seconds`."""
    deadline = time.monotonic() + seconds
    while not done(page):
        if time.monotonic() > deadline:
            raise AssertionError(f"{page.url} did not reach the expected state within {seconds} s")
        page.wait_for_timeout(500)
        page.reload()


def grey(jpeg: bytes) -> Image.Image:
    """Decoded JPEG bytes as a greyscale image."""
    with Image.open(io.BytesIO(jpeg)) as image:
        assert image.format == "JPEG", f"expected a JPEG, got {image.format}"
        return image.convert("L")


def mean_brightness(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    """The mean grey level (0 black, 255 white) inside `box` (left, top, right, bottom)."""
    return ImageStat.Stat(image.crop(box)).mean[0]


def share_changed(stamped: Image.Image, plain: Image.Image, threshold: int = 12) -> float:
    """The share of pixels of the upper nine tenths (above the strip) that differ by more than `threshold`."""
    box = (0, 0, plain.width, plain.height * 9 // 10)
    difference = ImageChops.difference(stamped.crop(box), plain.crop(box))
    changed = difference.point(lambda value: 255 if value > threshold else 0)
    return ImageStat.Stat(changed).mean[0] / 255
