"""The archiving stamp on an access copy, with real tesseract, reportlab, pikepdf and poppler (pdftotext, pdftoppm)."""

import io
import re
import subprocess

import pikepdf
import pytest
from PIL import Image, ImageChops
from reportlab.lib.pagesizes import A4, A7, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from appliance.adapters.archive_stamp import stamp_first_page
from appliance.adapters.ocr import recognise_page
from appliance.adapters.sample_batch import render_text_page
from appliance.adapters.searchable_pdf import merge_pages
from appliance.domain.archive_stamp import ArchiveStamp
from appliance.domain.codes import parse_archival_code
from appliance.domain.errors import InvalidInputError

RASTER_DPI = 50
PIXELS_PER_MM = RASTER_DPI / 25.4
STAMP = ArchiveStamp.from_code(parse_archival_code("Z109-WS·2011-Y-BGS-0007"), "办公室", 3)


@pytest.fixture(scope="module")
def ocr_page_pdf() -> bytes:
    buffer = io.BytesIO()
    render_text_page(["关于报送档案移交目录的函", "请于2012年6月30日前报送。"]).save(buffer, "PNG", dpi=(300, 300))
    return recognise_page(buffer.getvalue()).pdf


@pytest.fixture(scope="module")
def access_copy(ocr_page_pdf: bytes) -> bytes:
    """What the worker makes: an OCR page first, then two more pages."""
    return merge_pages([ocr_page_pdf, text_pdf(A4, "Second page", "Third page")])


def text_pdf(page_size, *page_texts: str, rotate: int = 0) -> bytes:
    """A plain PDF with one line of Latin text near the bottom left of each page (reportlab's built-in font)."""
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer, pagesize=page_size)
    for text in page_texts:
        document.setPageRotation(rotate)
        document.drawString(10 * mm, 20 * mm, text)
        document.showPage()
    document.save()
    return buffer.getvalue()


def saved(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "stamped.pdf"
    path.write_bytes(pdf)
    return str(path)


def page_text(pdf: bytes, page: int, tmp_path) -> str:
    arguments = ["pdftotext", "-f", str(page), "-l", str(page), saved(pdf, tmp_path), "-"]
    return re.sub(r"\s+", "", subprocess.run(arguments, capture_output=True, text=True, check=True).stdout)


def first_page_image(pdf: bytes, tmp_path) -> Image.Image:
    base = tmp_path / "first"
    arguments = ["pdftoppm", "-r", str(RASTER_DPI), "-f", "1", "-l", "1", "-png", "-singlefile"]
    subprocess.run([*arguments, saved(pdf, tmp_path), str(base)], check=True)
    return Image.open(base.with_suffix(".png")).convert("RGB")


def red_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """The bounding box (left, top, right, bottom) of the clearly red pixels, None when there are none."""
    red, green, blue = image.split()
    masks = (red.point(lambda value: 255 if value > 150 else 0), green.point(lambda value: 255 if value < 110 else 0),
             blue.point(lambda value: 255 if value < 110 else 0))
    return ImageChops.multiply(ImageChops.multiply(masks[0], masks[1]), masks[2]).getbbox()


def page_count(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(document.pages)


def contents(pdf: bytes) -> list[bytes]:
    """Each page's content streams, decoded and joined: what the page draws."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return [b"".join(stream.read_bytes() for stream in _streams(page.obj.Contents)) for page in document.pages]


def _streams(contents_object) -> list:
    return list(contents_object) if isinstance(contents_object, pikepdf.Array) else [contents_object]


def mm_in_pixels(length_mm: float) -> float:
    return length_mm * PIXELS_PER_MM


def test_the_first_page_shows_the_stamp_s_values_and_keeps_its_ocr_text(access_copy, tmp_path):
    text = page_text(stamp_first_page(access_copy, STAMP), 1, tmp_path)
    for value in ("Z109", "2011", "0007", "办公室", "永久", "全宗号", "保管期限"):
        assert value in text
    assert "档案移交目录" in text and "2012年6月30日" in text


def test_the_other_pages_and_the_page_count_are_unchanged(access_copy, tmp_path):
    stamped = stamp_first_page(access_copy, STAMP)
    assert page_count(stamped) == page_count(access_copy) == 3
    assert page_text(stamped, 2, tmp_path) == "Secondpage"
    assert page_text(stamped, 3, tmp_path) == "Thirdpage"
    before, after = contents(access_copy), contents(stamped)
    assert after[1:] == before[1:]
    assert before[0] in after[0]  # the page's own drawing is kept whole, the stamp is added around it


def test_the_input_is_left_as_it_was(access_copy, tmp_path):
    original = bytes(access_copy)
    stamp_first_page(access_copy, STAMP)
    assert access_copy == original
    assert "Z109" not in page_text(access_copy, 1, tmp_path)


def test_the_stamp_is_red_45_by_16_mm_10_mm_from_the_top_right_corner_and_nowhere_else(access_copy, tmp_path):
    image = first_page_image(stamp_first_page(access_copy, STAMP), tmp_path)
    left, top, right, bottom = red_box(image)
    assert right == pytest.approx(image.width - mm_in_pixels(10), abs=2)
    assert top == pytest.approx(mm_in_pixels(10), abs=2)
    assert right - left == pytest.approx(mm_in_pixels(45), abs=2)
    assert bottom - top == pytest.approx(mm_in_pixels(16), abs=2)
    assert red_box(first_page_image(access_copy, tmp_path)) is None  # the red came from the stamp


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_on_a_turned_page_the_stamp_is_upright_at_the_top_right_as_shown(rotate, tmp_path):
    image = first_page_image(stamp_first_page(text_pdf(A4, "Turned page", rotate=rotate), STAMP), tmp_path)
    left, top, right, bottom = red_box(image)
    assert right == pytest.approx(image.width - mm_in_pixels(10), abs=2)
    assert top == pytest.approx(mm_in_pixels(10), abs=2)
    assert (right - left, bottom - top) == (pytest.approx(mm_in_pixels(45), abs=2),
                                             pytest.approx(mm_in_pixels(16), abs=2))
    text = page_text(stamp_first_page(text_pdf(A4, "Turned page", rotate=rotate), STAMP), 1, tmp_path)
    assert "Z109" in text and "永久" in text


def test_a_landscape_page_gets_the_full_size_stamp(tmp_path):
    image = first_page_image(stamp_first_page(text_pdf(landscape(A4), "Wide page"), STAMP), tmp_path)
    left, top, right, bottom = red_box(image)
    assert right - left == pytest.approx(mm_in_pixels(45), abs=2)
    assert right == pytest.approx(image.width - mm_in_pixels(10), abs=2)


def test_on_a_page_narrower_than_a5_the_stamp_and_its_margins_shrink_in_proportion(tmp_path):
    scale = A7[0] / (148 * mm)  # A7 is half as wide as A5
    image = first_page_image(stamp_first_page(text_pdf(A7, "Small page"), STAMP), tmp_path)
    left, top, right, bottom = red_box(image)
    assert right - left == pytest.approx(mm_in_pixels(45 * scale), abs=2)
    assert bottom - top == pytest.approx(mm_in_pixels(16 * scale), abs=2)
    assert right == pytest.approx(image.width - mm_in_pixels(10 * scale), abs=2)
    assert "Z109" in page_text(stamp_first_page(text_pdf(A7, "Small page"), STAMP), 1, tmp_path)


def test_a_page_whose_box_does_not_start_at_the_origin_is_stamped_inside_it(tmp_path):
    with pikepdf.open(io.BytesIO(text_pdf(A4, "Offset page"))) as document:
        document.pages[0].mediabox = [100, 200, 100 + A4[0], 200 + A4[1]]
        buffer = io.BytesIO()
        document.save(buffer)
    image = first_page_image(stamp_first_page(buffer.getvalue(), STAMP), tmp_path)
    left, top, right, bottom = red_box(image)
    assert right == pytest.approx(image.width - mm_in_pixels(10), abs=2)
    assert top == pytest.approx(mm_in_pixels(10), abs=2)


def empty_pdf() -> bytes:
    buffer = io.BytesIO()
    with pikepdf.new() as document:
        document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("data, message", [
    (b"Dear archivist,\nplease find the file attached.\n", "not a readable PDF"),
    (b"", "not a readable PDF"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<", "not a readable PDF"),
    (empty_pdf(), "no page"),
])
def test_what_is_not_a_pdf_with_a_page_is_refused(data, message):
    with pytest.raises(InvalidInputError, match=message):
        stamp_first_page(data, STAMP)
