"""Watermarked views with real Pillow, reportlab, pikepdf and poppler's pdftotext, on 300-dpi A4 pages."""

import datetime
import io
import struct
import subprocess
import unicodedata
import zlib

import pikepdf
import pytest
from PIL import Image, ImageChops, ImageDraw

from appliance.adapters.sample_batch import render_text_page
from appliance.adapters.watermark import display_rendition, stamp, watermarked_pdf
from appliance.domain.errors import InvalidInputError
from appliance.domain.watermark import Watermark

MOMENT = datetime.datetime(2026, 11, 27, 13, 5, tzinfo=datetime.UTC)
VIEWER = Watermark("zhangsan", "张三", MOMENT, "10.0.0.7")
LINES = ["关于进一步加强机关档案工作的意见", "各部门应当在每年6月30日前，将上一年度形成的文件材料整理归档。"]


def encoded(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.fixture(scope="module")
def grey_page() -> Image.Image:
    return render_text_page(LINES * 6)


@pytest.fixture(scope="module")
def rendition(grey_page: Image.Image) -> bytes:
    return display_rendition(encoded(grey_page, "PNG", compress_level=1))


def colour_page(grey_page: Image.Image) -> Image.Image:
    """The grey page on cream paper with a red seal, as a colour scan would look."""
    page = Image.merge("RGB", (grey_page, grey_page, grey_page.point(lambda value: value * 0.94)))
    ImageDraw.Draw(page).ellipse((1500, 2600, 2100, 3200), outline=(200, 20, 20), width=24)
    return page


def test_a_300_dpi_page_becomes_1400_wide_greyscale_jpeg_with_its_aspect(grey_page, rendition):
    assert grey_page.size == (2480, 3508)
    image = decoded(rendition)
    assert (image.format, image.mode, image.size) == ("JPEG", "L", (1400, 1980))


@pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
def test_a_colour_page_stays_colour(grey_page, image_format):
    image = decoded(display_rendition(encoded(colour_page(grey_page), image_format, quality=90), max_width=1000))
    assert (image.mode, image.size) == ("RGB", (1000, 1415))
    red, green, blue = image.getpixel((round(1800 * 1000 / 2480), round(2612 * 1000 / 2480)))
    assert red > 120 and green < 90 and blue < 90  # the seal's ring survived the scaling


def test_a_small_page_is_not_enlarged():
    image = decoded(display_rendition(encoded(Image.new("RGB", (600, 800), "white"), "PNG")))
    assert image.size == (600, 800)


def test_a_photo_turned_by_its_exif_orientation_stands_upright():
    photo = Image.new("RGB", (3000, 2000), "white")
    ImageDraw.Draw(photo).rectangle((0, 0, 299, 1999), fill="black")  # a dark band down the left edge
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    image = decoded(display_rendition(encoded(photo, "JPEG", exif=exif), max_width=1000))
    assert image.size == (1000, 1500)
    assert max(image.getpixel((500, 40))) < 40 and min(image.getpixel((500, 1460))) > 215  # the band is on top


def test_a_bitonal_tiff_becomes_greyscale_and_keeps_its_print(grey_page):
    bitonal = grey_page.convert("1")
    image = decoded(display_rendition(encoded(bitonal, "TIFF", compression="group4")))
    assert (image.mode, image.size) == ("L", (1400, 1980))
    assert image.getextrema()[0] < 60  # the text is still dark after the downscale


def test_sixteen_bit_grey_is_scaled_not_clipped():
    mid_grey = Image.new("I;16", (400, 300), 32768)
    image = decoded(display_rendition(encoded(mid_grey, "PNG")))
    assert image.mode == "L" and 120 <= image.getpixel((200, 150)) <= 136


def test_transparency_is_flattened_onto_white():
    image = decoded(display_rendition(encoded(Image.new("RGBA", (300, 200), (0, 0, 0, 0)), "PNG")))
    assert image.mode == "RGB" and min(image.getpixel((150, 100))) >= 250


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height bilevel pixels: what a decompression bomb looks like."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


@pytest.mark.parametrize("data, message", [
    (b"Dear archivist,\nplease find the file attached.\n", "not a readable image"),
    (b"", "not a readable image"),
    (png_claiming(100_000, 100_000), "decompression bomb"),
])
def test_what_is_not_a_usable_image_is_refused(data, message):
    with pytest.raises(InvalidInputError, match=message):
        display_rendition(data)


def test_a_truncated_png_is_refused(grey_page):
    whole = encoded(grey_page, "PNG", compress_level=1)
    with pytest.raises(InvalidInputError, match="corrupt"):
        display_rendition(whole[: len(whole) // 2])


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_page_just_over_the_pixel_limit_is_refused_not_warned_about(monkeypatch):
    # Pillow itself only warns up to twice its limit.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    with pytest.raises(InvalidInputError, match="over the limit of 10,000"):
        display_rendition(encoded(Image.new("L", (150, 100), 255), "PNG"))


def grid_cells(image: Image.Image, columns: int, rows: int):
    for row in range(rows):
        for column in range(columns):
            yield image.crop((column * image.width // columns, row * image.height // rows,
                              (column + 1) * image.width // columns, (row + 1) * image.height // rows))


def changed_fraction(cell: Image.Image) -> float:
    histogram = cell.point(lambda value: 255 if value > 12 else 0).histogram()
    return histogram[255] / (cell.width * cell.height)


def test_the_stamp_covers_the_whole_page_and_corners(rendition):
    original = decoded(rendition)
    stamped = decoded(stamp(rendition, VIEWER))
    assert (stamped.format, stamped.mode, stamped.size) == ("JPEG", "L", original.size)
    above_strip = ImageChops.difference(original, stamped).crop((0, 0, original.width, original.height - 80))
    fractions = [changed_fraction(cell) for cell in grid_cells(above_strip, 5, 7)]
    assert min(fractions) > 0.004, fractions  # each of 35 cells, corners included, has ink (re-encoding alone: 0)
    assert max(fractions) < 0.5  # and the page stays readable under it


def test_the_stamp_has_a_solid_strip_with_light_text_at_the_foot(rendition):
    foot = decoded(stamp(rendition, VIEWER)).crop((0, 1980 - 30, 1400, 1980 - 10))
    histogram = foot.histogram()
    dark, light = sum(histogram[:60]), sum(histogram[200:])
    assert dark > 0.6 * foot.width * foot.height and light > 500


def test_a_colour_rendition_is_stamped_in_colour(grey_page):
    rendition = display_rendition(encoded(colour_page(grey_page), "PNG", compress_level=1))
    stamped = decoded(stamp(rendition, VIEWER))
    assert (stamped.mode, stamped.size) == ("RGB", (1400, 1980))


def test_each_viewer_gets_their_own_stamp(rendition):
    other = Watermark("lisi", "李四", MOMENT + datetime.timedelta(minutes=1), "10.0.0.8")
    first, again, second = stamp(rendition, VIEWER), stamp(rendition, VIEWER), stamp(rendition, other)
    assert first == again
    difference = ImageChops.difference(decoded(first), decoded(second))
    assert changed_fraction(difference) > 0.004


def test_a_hostile_display_name_still_stamps(rendition):
    hostile = Watermark("zhangsan", "\u202e" + "长名字😀\x00\n" * 2000, MOMENT, "2001:db8::1")
    assert decoded(stamp(rendition, hostile)).size == (1400, 1980)


def test_a_tiny_rendition_is_stamped_at_its_size():
    assert decoded(stamp(display_rendition(encoded(Image.new("L", (3, 2), 255), "PNG")), VIEWER)).size == (3, 2)


def test_stamp_refuses_what_is_not_an_image():
    with pytest.raises(InvalidInputError, match="not a readable image"):
        stamp(b"%PDF-1.7 not a picture", VIEWER)


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "download.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_pdf_has_a_page_per_rendition_with_the_watermark_as_text(grey_page, rendition, tmp_path):
    landscape = display_rendition(encoded(colour_page(grey_page).rotate(90, expand=True), "JPEG"))
    pdf = watermarked_pdf([rendition, landscape, rendition], VIEWER)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == 3
        width, height = (float(value) for value in document.pages[1].mediabox[2:])
        assert width > height and abs(width / height - 1980 / 1400) < 0.01
        images = list(document.pages[0].get_images().values())
        assert [(image.Width, image.Height, image.Filter) for image in images] == [(1400, 1980, "/DCTDecode")]
        assert images[0].read_raw_bytes() == rendition  # embedded as it is: no second loss, no ASCII85 bloat
        alphas = [state.get("/ca") for state in document.pages[0].Resources.ExtGState.values()]
        assert any(alpha is not None and 0 < float(alpha) < 1 for alpha in alphas)  # tiles are see-through
        shown = [operator for _, operator in pikepdf.parse_content_stream(document.pages[0])
                 if str(operator) == "Tj"]
        assert len(shown) >= 3 * 12  # three lines in at least a dozen tiles, and the strip
    text = "".join(pdf_text(pdf, tmp_path).split())
    assert "zhangsan" in text and "10.0.0.7" in text


def test_control_characters_in_a_display_name_do_not_reach_the_pdf(rendition, tmp_path):
    hostile = Watermark("zhangsan", "张三\x00\u202e\x1b伪\u200b造", MOMENT, "10.0.0.7\r\n")
    pdf = watermarked_pdf([rendition], hostile)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        subject = str(document.docinfo["/Subject"])
        assert subject == "watermarked copy: 张三伪造 (zhangsan) · 2026-11-27 13:05 UTC · 10.0.0.7"
    text = pdf_text(pdf, tmp_path)
    assert "zhangsan" in text and "伪" in text
    leaked = {character for character in text if unicodedata.category(character) in ("Cc", "Cf")} - {"\n", "\f"}
    assert not leaked


@pytest.mark.parametrize("renditions, message", [([], "at least one page"), ([b"not a jpeg"], "not a readable")])
def test_a_pdf_of_nothing_or_of_garbage_is_refused(renditions, message):
    with pytest.raises(InvalidInputError, match=message):
        watermarked_pdf(renditions, VIEWER)


def test_a_pdf_page_must_be_a_rendition_not_an_original(grey_page):
    with pytest.raises(InvalidInputError, match="page 1 is a PNG"):
        watermarked_pdf([encoded(grey_page, "PNG", compress_level=1)], VIEWER)
