"""Image files fed through SANE's real `pnm` backend come back as PNG pages with the same pixels."""

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from appliance.domain.errors import InvalidInputError
from scanner_agent.devices.sane_scanner import settings_for
from scanner_agent.devices.virtual_scanner import open_virtual_scanner


def draw_pages(directory: Path) -> list[Path]:
    """A colour PNG, a greyscale TIFF and a 1-bit PNG, each with something drawn on it."""
    colour = Image.new("RGB", (420, 594), "white")
    ImageDraw.Draw(colour).ellipse((40, 60, 380, 300), fill=(200, 30, 40), outline=(0, 0, 120), width=6)
    grey = Image.new("L", (300, 420), 235)
    ImageDraw.Draw(grey).rectangle((30, 30, 270, 120), fill=40)
    bitonal = Image.new("1", (333, 211), 1)
    ImageDraw.Draw(bitonal).line((0, 0, 333, 211), fill=0, width=5)
    paths = [directory / "colour.png", directory / "grey.tiff", directory / "bitonal.png"]
    for image, path in zip([colour, grey, bitonal], paths, strict=True):
        image.save(path)
    return paths


def pixel_digest(image: Image.Image, mode: str) -> str:
    return hashlib.sha256(image.convert(mode).tobytes()).hexdigest()


def test_three_images_come_back_as_png_pages_with_the_same_pixels(sane_backends, tmp_path):
    paths = draw_pages(tmp_path)

    with open_virtual_scanner(paths) as scanner:
        scanner.apply(settings_for("colour"))
        pages = list(scanner.pages())

    assert [page.colour_mode for page in pages] == ["colour", "greyscale", "bitonal"]
    assert {(page.media_type, page.resolution, page.origin) for page in pages} == {("image/png", 300, "pnm:0")}
    for page, path, mode in zip(pages, paths, ["RGB", "L", "1"], strict=True):
        scanned, original = Image.open(io.BytesIO(page.data)), Image.open(path)
        assert (scanned.format, scanned.mode, scanned.size) == ("PNG", mode, original.size)
        assert pixel_digest(scanned, mode) == pixel_digest(original, mode)


def test_a_resolution_the_pnm_backend_lacks_is_refused(sane_backends, tmp_path):
    with open_virtual_scanner(draw_pages(tmp_path)[:1]) as scanner, \
            pytest.raises(InvalidInputError, match="resolution cannot be 600; allowed: 75, 90"):
        scanner.apply(settings_for("colour", resolution=600))


def test_a_missing_image_is_refused_before_scanning(sane_backends, tmp_path):
    with pytest.raises(InvalidInputError, match="not found: .*absent.png"):
        open_virtual_scanner([tmp_path / "absent.png"])


def test_a_file_that_is_not_an_image_is_refused(sane_backends, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a page")

    with open_virtual_scanner([text]) as scanner, pytest.raises(InvalidInputError, match="cannot read .*notes.txt"):
        list(scanner.pages())
