"""Sample scans: text pages, degraded copies and whole stacks written as a scanner would deliver them."""

import pytest
from PIL import Image, ImageChops

from appliance.adapters.sample_batch import (
    SampleDocument,
    degrade,
    demo_documents,
    rasterise_pdf,
    render_text_page,
    write_sample_batch,
)
from appliance.domain.coversheet import SEPARATOR_PAYLOAD
from scanner_agent.barcodes import decode_payloads, is_blank


@pytest.fixture(scope="module")
def page() -> Image.Image:
    return render_text_page(["关于印发《档案管理办法》的通知", "办发〔2011〕12号"])


def test_a_text_page_is_a4_greyscale_with_black_text_on_white(page):
    assert page.mode == "L" and page.size == (2480, 3508) and page.info["dpi"] == (300, 300)
    darkest, lightest = page.getextrema()
    assert (darkest, lightest) == (0, 255)
    assert render_text_page(["x"], dpi=150).size == (1240, 1754)


def test_long_lines_wrap_inside_the_margins():
    page = render_text_page(["档案" * 200])
    left, top, right, bottom = ImageChops.invert(page).getbbox()
    assert left >= 300 and right <= page.width - 300 and bottom - top > 1000  # ~28 mm margins, many lines


def test_a_resolution_outside_50_to_1200_dpi_is_refused():
    with pytest.raises(ValueError):
        render_text_page(["x"], dpi=20)


def test_degrading_is_deterministic_with_the_seed():
    page = render_text_page(["关于印发《档案管理办法》的通知"], dpi=100)
    settings = {"skew": 3.0, "grain": 20, "noise": 0.01, "jpeg_quality": 40}
    first, again = degrade(page, seed=4, **settings), degrade(page, seed=4, **settings)
    assert first.tobytes() == again.tobytes()
    assert degrade(page, seed=5, **settings).tobytes() != first.tobytes()


def test_rotation_and_resolution_change_the_geometry(page):
    turned = degrade(page, rotation=90, dpi=150)
    assert turned.size == (1754, 1240) and turned.info == {"dpi": (150, 150)}
    assert degrade(page, rotation=180).getbbox() is not None


def test_a_rotation_that_is_not_a_quarter_turn_is_refused(page):
    with pytest.raises(ValueError):
        degrade(page, rotation=45)


def test_something_that_is_not_a_pdf_fails_to_rasterise():
    with pytest.raises(RuntimeError, match="pdftoppm failed"):
        rasterise_pdf(b"not a pdf", 150)


def test_a_stack_is_written_in_feed_order_covers_first(tmp_path):
    documents = [SampleDocument(None, pages=[["无封面的第一页"]]),
                 SampleDocument(SEPARATOR_PAYLOAD, "文件分隔页", [], [["第一页"], ["第二页"]])]
    paths = write_sample_batch(tmp_path / "stack", documents, dpi=150)
    assert [path.name for path in paths] == ["0001.png", "0002.png", "0003.png", "0004.png"]
    pages = [Image.open(path) for path in paths]
    assert [decode_payloads(page) for page in pages] == [[], [SEPARATOR_PAYLOAD], [], []]
    assert not any(is_blank(page) for page in pages)


def test_the_demo_stack_is_a_batch_of_three_documents_split_by_separators(tmp_path):
    paths = write_sample_batch(tmp_path, demo_documents(), dpi=150)
    covers = [payloads for path in paths if (payloads := decode_payloads(Image.open(path)))]
    assert covers == [["DA1:BATCH:Z109/WS/2011/D30/BGS"], [SEPARATOR_PAYLOAD], [SEPARATOR_PAYLOAD]]
    assert len(paths) == 3 + 2 + 1 + 3
