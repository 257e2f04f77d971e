"""Pages from image files and PDFs, with real Pillow, real pdfinfo and real pdftoppm."""

import io
import itertools
import os
import time
import tracemalloc
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw
from reportlab.lib import pdfencrypt
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from appliance.domain.errors import InvalidInputError
from scanner_agent import file_sources
from scanner_agent.file_sources import UnreadableFileError, expand_paths, natural_sort_key, pages_from_file


def drawn_image(mode: str = "RGB", size: tuple[int, int] = (240, 320)) -> Image.Image:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 200, 80), fill=(200, 30, 30))
    draw.text((30, 120), "Dangan 0001", fill="black")
    return image.convert(mode)


def write_image(path: Path, image_format: str, mode: str = "RGB", **options) -> Path:
    drawn_image(mode).save(path, image_format, **options)
    return path


def write_pdf(path: Path, pages: int, colour_page: int | None = None, **options) -> Path:
    document = canvas.Canvas(str(path), pagesize=A4, **options)
    for number in range(1, pages + 1):
        if number == colour_page:
            document.setFillColorRGB(0.1, 0.3, 0.9)
            document.rect(100, 400, 200, 200, fill=1)
            document.setFillColorRGB(0, 0, 0)
        document.drawString(72, 720, f"Page {number}")
        document.showPage()
    document.save()
    return path


def pixels_equal(first: Image.Image, second: Image.Image) -> bool:
    return first.mode == second.mode and ImageChops.difference(first, second).getbbox() is None


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory) -> Path:
    return write_pdf(tmp_path_factory.mktemp("long") / "long.pdf", 2000)


def test_png_is_kept_byte_for_byte(tmp_path):
    path = write_image(tmp_path / "scan.png", "PNG", dpi=(200, 200))
    [page] = pages_from_file(path)
    assert page.data == path.read_bytes()
    assert (page.media_type, page.resolution, page.colour_mode) == ("image/png", 200, "colour")
    assert page.origin == "scan.png#1"


def test_jpeg_is_kept_byte_for_byte_and_sniffed_not_guessed_from_its_name(tmp_path):
    path = write_image(tmp_path / "photo.png", "JPEG", dpi=(150, 150), quality=80)
    [page] = pages_from_file(path)
    assert page.data == path.read_bytes()
    assert (page.media_type, page.resolution) == ("image/jpeg", 150)


def test_single_page_tiff_is_kept_and_modes_name_the_colour(tmp_path):
    bitonal = write_image(tmp_path / "fax.tif", "TIFF", mode="1", compression="group4", dpi=(204, 196))
    grey = write_image(tmp_path / "grey.png", "PNG", mode="L")
    [fax_page] = pages_from_file(bitonal)
    [grey_page] = pages_from_file(grey, default_dpi=240)
    assert (fax_page.data, fax_page.media_type) == (bitonal.read_bytes(), "image/tiff")
    assert (fax_page.colour_mode, fax_page.resolution) == ("bitonal", 204)
    assert (grey_page.colour_mode, grey_page.resolution) == ("greyscale", 240)  # no pHYs chunk: the default dpi


def test_three_page_tiff_gives_three_lossless_png_pages(tmp_path):
    frames = [drawn_image("1"), drawn_image("L"), drawn_image("RGB")]
    path = tmp_path / "stack.tiff"
    frames[0].save(path, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate", dpi=(300, 300))
    pages = list(pages_from_file(path))
    assert [page.origin for page in pages] == ["stack.tiff#1", "stack.tiff#2", "stack.tiff#3"]
    assert [page.colour_mode for page in pages] == ["bitonal", "greyscale", "colour"]
    for page, frame in zip(pages, frames, strict=True):
        assert (page.media_type, page.resolution) == ("image/png", 300)
        assert pixels_equal(Image.open(io.BytesIO(page.data)), frame)


def test_cmyk_tiff_frame_stays_tiff_because_png_has_no_cmyk(tmp_path):
    frames = [drawn_image("CMYK"), drawn_image("RGB")]
    path = tmp_path / "print.tif"
    frames[0].save(path, "TIFF", save_all=True, append_images=frames[1:])
    first, second = pages_from_file(path)
    assert (first.media_type, second.media_type) == ("image/tiff", "image/png")
    assert pixels_equal(Image.open(io.BytesIO(first.data)), frames[0])


def test_bmp_and_pnm_become_png_with_the_same_pixels(tmp_path):
    for name, image_format in [("old.bmp", "BMP"), ("raw.pgm", "PPM")]:
        path = write_image(tmp_path / name, image_format, mode="L")
        [page] = pages_from_file(path)
        assert page.media_type == "image/png"
        assert pixels_equal(Image.open(io.BytesIO(page.data)), Image.open(path))


def test_five_page_pdf_gives_five_png_pages_at_the_asked_dpi(tmp_path):
    path = write_pdf(tmp_path / "report.pdf", 5, colour_page=3)
    pages = list(pages_from_file(path, default_dpi=100))
    assert [page.origin for page in pages] == [f"report.pdf#{number}" for number in range(1, 6)]
    assert [page.colour_mode for page in pages] == ["greyscale", "greyscale", "colour", "greyscale", "greyscale"]
    for page in pages:
        image = Image.open(io.BytesIO(page.data))
        assert (page.media_type, page.resolution, image.format) == ("image/png", 100, "PNG")
        assert image.size == (827, 1170)  # A4 (595 x 842 pt) at 100 dpi, rounded up by pdftoppm
        assert round(image.info["dpi"][0]) == 100


def test_only_the_pages_taken_from_a_2000_page_pdf_are_rasterised(long_pdf, monkeypatch):
    runs = []
    real_run_tool = file_sources.run_tool

    def counting_run_tool(arguments, descriptor, timeout):
        runs.append(arguments)
        return real_run_tool(arguments, descriptor, timeout)

    monkeypatch.setattr(file_sources, "run_tool", counting_run_tool)
    started = time.perf_counter()
    pages = list(itertools.islice(pages_from_file(long_pdf, default_dpi=72), 3))
    elapsed = time.perf_counter() - started
    assert [page.origin for page in pages] == ["long.pdf#1", "long.pdf#2", "long.pdf#3"]
    assert [arguments[0] for arguments in runs] == ["pdfinfo", "pdftoppm", "pdftoppm", "pdftoppm"]
    assert [arguments[arguments.index("-f") + 1] for arguments in runs[1:]] == ["1", "2", "3"]
    assert elapsed < 5, f"three pages took {elapsed:.1f} s: the whole document was rasterised?"


def test_memory_stays_flat_across_pages(long_pdf):
    one_pixmap = 414 * 585 * 3  # an A4 page at 50 dpi as pdftoppm's RGB output
    pages = pages_from_file(long_pdf, default_dpi=50)
    next(pages)
    tracemalloc.start()
    try:
        for page in itertools.islice(pages, 30):
            assert page.media_type == "image/png"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * one_pixmap, f"peak of {peak} bytes over 30 pages: more than one page is held at a time"


def test_a_page_that_fails_later_names_its_page_number(tmp_path):
    path = write_pdf(tmp_path / "shrinking.pdf", 3)
    pages = pages_from_file(path, default_dpi=50)
    assert next(pages).origin == "shrinking.pdf#1"
    with path.open("r+b") as stream:  # the file is damaged under us after its first page was delivered
        stream.truncate(path.stat().st_size // 3)
    with pytest.raises(UnreadableFileError) as raised:
        next(pages)
    assert raised.value.page == 2
    assert "shrinking.pdf page 2: not a readable PDF" in str(raised.value)


def test_owner_password_only_pdf_is_read(tmp_path):
    encryption = pdfencrypt.StandardEncryption("", ownerPassword="owner", canPrint=0)
    path = write_pdf(tmp_path / "locked-copy.pdf", 2, encrypt=encryption)
    assert len(list(pages_from_file(path, default_dpi=50))) == 2


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("noise.pdf", os.urandom(4096), "not an image or PDF"),
        ("header-only.pdf", b"%PDF-1.4\n" + os.urandom(4096), "not a readable PDF"),
        ("notes.txt", "档案 not an image".encode(), "not an image or PDF"),
        ("empty.png", b"", "empty file"),
    ],
)
def test_files_that_are_not_pages_are_refused_up_front(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError, match=reason) as raised:
        pages_from_file(path)
    assert isinstance(raised.value, InvalidInputError)
    assert raised.value.page is None


@pytest.mark.parametrize(("image_format", "reason"), [("PNG", "truncated or damaged PNG"), ("JPEG", "truncated")])
def test_truncated_images_are_refused_before_any_page(tmp_path, image_format, reason):
    whole = write_image(tmp_path / "whole", image_format)
    cut = tmp_path / f"cut.{image_format.lower()}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])
    with pytest.raises(UnreadableFileError, match=reason):
        pages_from_file(cut)


def test_encrypted_pdf_is_refused(tmp_path):
    encryption = pdfencrypt.StandardEncryption("secret", ownerPassword="owner")
    path = write_pdf(tmp_path / "secret.pdf", 1, encrypt=encryption)
    with pytest.raises(UnreadableFileError, match="secret.pdf: PDF is encrypted"):
        pages_from_file(path)


def test_image_formats_we_do_not_archive_are_refused(tmp_path):
    path = write_image(tmp_path / "animation.gif", "GIF")
    with pytest.raises(UnreadableFileError, match="GIF images are not taken"):
        pages_from_file(path)


def test_things_that_are_not_regular_files_are_refused(tmp_path):
    target = write_image(tmp_path / "real.png", "PNG")
    (tmp_path / "link.png").symlink_to(target)
    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "folder.png").mkdir()
    expected = {"link.png": "a symbolic link", "pipe.png": "a named pipe", "folder.png": "a directory",
                "missing.png": "no such file"}
    for name, reason in expected.items():
        with pytest.raises(UnreadableFileError, match=reason):
            pages_from_file(tmp_path / name)
    with pytest.raises(UnreadableFileError, match="a character device"):
        pages_from_file(Path("/dev/null"))


def test_a_resolution_out_of_range_is_refused(tmp_path):
    with pytest.raises(InvalidInputError, match="5000 dpi"):
        pages_from_file(write_image(tmp_path / "a.png", "PNG"), default_dpi=5000)


def test_expand_paths_walks_directories_in_natural_order_and_skips_hidden_names(tmp_path):
    box = tmp_path / "box"
    (box / "part2").mkdir(parents=True)
    (box / ".cache").mkdir()
    for name in ["page10.png", "page2.png", "Page1.png", ".thumbs.png", "part2/a.pdf", ".cache/x.png"]:
        (box / name).write_bytes(b"x")
    single = tmp_path / "single.pdf"
    single.write_bytes(b"x")
    (tmp_path / "alias.pdf").symlink_to(single)
    found = expand_paths([single, box, tmp_path / "alias.pdf"])
    assert found == [single, box / "Page1.png", box / "page2.png", box / "page10.png", box / "part2" / "a.pdf",
                     single.resolve()]


def test_expand_paths_refuses_a_missing_path(tmp_path):
    with pytest.raises(UnreadableFileError, match="no such file or directory"):
        expand_paths([tmp_path / "nowhere"])


def test_natural_sort_key_orders_numbers_by_value():
    names = ["scan10.pdf", "scan9.pdf", "Scan1.pdf", "scan09b.pdf", "a"]
    assert sorted(names, key=natural_sort_key) == ["a", "Scan1.pdf", "scan9.pdf", "scan09b.pdf", "scan10.pdf"]
