"""Watermarked views of scanned pages: a display rendition made once per page, a stamp per view, PDF downloads.

Decoding a 300-dpi original costs ~100 ms, so the original is decoded once into a display rendition (a JPEG at most
1400 px wide, stored by the caller as a derivative). Each view stamps that rendition: a tiled diagonal watermark over
the whole page, so that a crop cannot remove it, and a solid strip at the bottom. The overlay is rendered once per
text and size (the same viewer opens many pages in the same minute) and composited with a mask in C.
"""

import functools
import io
import threading
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from appliance.adapters.catalogue_pdf import FONT_CANDIDATES, FontMissingError, register_font
from appliance.domain.errors import InvalidInputError
from appliance.domain.watermark import Watermark

DEFAULT_MAX_WIDTH = 1400
RENDITION_QUALITY = 85
STAMP_QUALITY = 85  # baseline, not optimised: optimising saves 6% of the bytes for 6 ms more a view
TILE_ANGLE = 30  # degrees counter-clockwise
TILE_OPACITY = 0.30
TILE_INK = 96  # grey: seen on white paper and on black print alike
STRIP_BACKGROUND, STRIP_INK = 24, 255
OVERLAY_CACHE_SIZE = 16  # ~3 MB each at 1400 x 1980
PDF_LONG_SIDE = 841.89  # points: A4's long side; the short side follows the image's aspect
_RENDERING = threading.Lock()
_DECODING_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError)


class InvalidImageError(InvalidInputError):
    """Bytes that are not a usable page image: corrupt, of an unknown format, or a decompression bomb."""

    code = "invalid_image"


def display_rendition(source: bytes, max_width: int = DEFAULT_MAX_WIDTH) -> bytes:
    """The page for the screen: RGB or greyscale, at most `max_width` px wide, as a JPEG.

    Raises InvalidImageError for bytes that are not a readable image or that would decode to more than
    PIL.Image.MAX_IMAGE_PIXELS pixels, and ValueError for a max_width below 1.
    """
    if max_width < 1:
        raise ValueError(f"max_width must be at least 1, not {max_width}")
    image = _opened(source, "page image")
    _allow_reduced_decoding(image, max_width)
    icc_profile = image.info.get("icc_profile") if image.mode == "RGB" else None
    page = _decoded(image, "page image")
    ImageOps.exif_transpose(page, in_place=True)  # a phone photo stands upright; in place: no 26 MB copy
    page = _display_mode(page)
    if page.width > max_width:
        height = max(1, round(page.height * max_width / page.width))
        page = page.resize((max_width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    # Baseline, not progressive: every view decodes the rendition, and a progressive one decodes 2-3 times slower.
    return _jpeg(page, RENDITION_QUALITY, optimize=True, icc_profile=icc_profile)


def stamp(rendition: bytes, watermark: Watermark) -> bytes:
    """The rendition with the viewer's watermark tiled across it and a strip at its foot, as a JPEG of its size.

    Raises InvalidImageError when the rendition is not a readable image and FontMissingError without a CJK font.
    """
    image = _opened(rendition, "rendition")
    icc_profile = image.info.get("icc_profile")
    page = _display_mode(_decoded(image, "rendition"))
    overlay = _overlay(watermark.lines(), page.size, page.mode)
    page = _inked(page, overlay.tiles)
    page.paste(overlay.strip, (0, page.height - overlay.strip.height))
    return _jpeg(page, STAMP_QUALITY, icc_profile=icc_profile)


def watermarked_pdf(renditions: list[bytes], watermark: Watermark) -> bytes:
    """A download: one page per rendition, each with the watermark drawn over it as vector text.

    Raises InvalidImageError for an empty list or a rendition that is not a JPEG (make it with display_rendition)
    and FontMissingError without a CJK font.
    """
    if not renditions:
        raise InvalidImageError("a watermarked PDF needs at least one page")
    scans = [_jpeg_header(rendition, number) for number, rendition in enumerate(renditions, start=1)]
    font = register_font()
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer, pageCompression=1)
    document.setTitle("档案 Dangan: watermarked copy")
    document.setCreator("Dangan")
    document.setSubject(f"watermarked copy: {watermark.text()}")
    for scan in scans:
        width, height = _page_size(*scan.size)
        document.setPageSize((width, height))
        _draw_vector_watermark(document, watermark, font, width, height)
        document.showPage()
    document.save()
    return _with_scans_beneath(buffer.getvalue(), renditions, scans)


def overlay_cache_info() -> tuple[int, int, int, int]:
    """The rendered-overlay cache's (hits, misses, maxsize, currsize), a named tuple, for benchmarks and health."""
    return _overlay.cache_info()


def _opened(data: bytes, what: str) -> Image.Image:
    """The image with its header read but nothing decoded; bombs are refused before any pixel is decoded."""
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        raise InvalidImageError(f"the {what} is refused as a decompression bomb ({error})") from error
    except _DECODING_ERRORS as error:
        raise InvalidImageError(f"the {what} is not a readable image ({error})") from error
    limit = Image.MAX_IMAGE_PIXELS
    # Pillow only warns between the limit and twice it; a page that large is refused here.
    if limit is not None and image.width * image.height > limit:
        image.close()
        raise InvalidImageError(f"the {what} is refused as a decompression bomb: {image.width}x{image.height} "
                                f"pixels is over the limit of {limit:,}")
    return image


def _decoded(image: Image.Image, what: str) -> Image.Image:
    try:
        image.load()
    except _DECODING_ERRORS as error:
        raise InvalidImageError(f"the {what} is corrupt ({error})") from error
    return image


def _allow_reduced_decoding(image: Image.Image, max_width: int) -> None:
    # A JPEG can be decoded at 1/2, 1/4 or 1/8 scale for a fraction of the time (draft keeps it >= the request).
    if image.format != "JPEG" or image.width <= max_width:
        return
    turned = image.getexif().get(ImageOps.ExifTags.Base.Orientation, 1) in (5, 6, 7, 8)
    final_width = image.height if turned else image.width
    scale = max_width / final_width
    image.draft(image.mode, (max(1, int(image.width * scale)), max(1, int(image.height * scale))))


def _display_mode(image: Image.Image) -> Image.Image:
    """Greyscale ("L") for grey and bitonal pages, RGB for the rest; transparency flattened onto white paper."""
    if image.mode in ("L", "RGB"):
        return image
    if image.mode == "1":
        return image.convert("L")
    if image.mode.startswith("I;16") or image.mode == "I":
        return image.point(lambda value: value / 256).convert("L")  # 16-bit grey: convert("L") would clip
    if image.mode in ("LA", "RGBA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flattened = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
        return flattened.convert("L" if image.mode == "LA" else "RGB")
    return image.convert("RGB")


def _inked(page: Image.Image, mask: Image.Image) -> Image.Image:
    """The page with the tile ink laid through the mask."""
    if page.mode == "L":
        page.paste(TILE_INK, (0, 0), mask)
        return page
    # A colour fill through a mask takes 15 ms on an RGB page; three grey fills, band by band, take half that.
    bands = page.split()
    for band in bands:
        band.paste(TILE_INK, (0, 0), mask)
    return Image.merge(page.mode, bands)


def _jpeg(image: Image.Image, quality: int, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, **{key: value for key, value in options.items() if value})
    return buffer.getvalue()


@dataclass(frozen=True)
class _Overlay:
    tiles: Image.Image  # "L" alpha mask of the page's size
    strip: Image.Image  # solid, in the page's mode


@functools.lru_cache(maxsize=OVERLAY_CACHE_SIZE)
def _overlay(lines: tuple[str, ...], size: tuple[int, int], mode: str) -> _Overlay:
    width, height = size
    font_size = max(10, round(min(width, height * 0.75) / 44))
    with _RENDERING:  # the cached FreeType faces are shared, and a face is not safe to use from two threads at once
        tiles = _tiled_mask(lines, size, _font(font_size))
        return _Overlay(tiles, _strip(" · ".join(lines), width, font_size, mode))


def _tiled_mask(lines: tuple[str, ...], size: tuple[int, int], font: ImageFont.FreeTypeFont) -> Image.Image:
    """The lines as a block, turned and repeated in staggered rows that run past every edge of the page."""
    spacing = round(font.size * 0.35)
    measure = ImageDraw.Draw(Image.new("L", (1, 1)))
    left, top, right, bottom = measure.multiline_textbbox((0, 0), "\n".join(lines), font=font, spacing=spacing)
    block = Image.new("L", (right - left + font.size, bottom - top + font.size), 0)
    ImageDraw.Draw(block).multiline_text((font.size // 2 - left, font.size // 2 - top), "\n".join(lines),
                                         fill=round(255 * TILE_OPACITY), font=font, spacing=spacing)
    tile = block.rotate(TILE_ANGLE, resample=Image.Resampling.BICUBIC, expand=True)
    mask = Image.new("L", size, 0)
    step_x, step_y = tile.width + font.size * 2, round(tile.height * 0.75)
    for row, y in enumerate(range(-tile.height // 2, size[1], step_y)):
        for x in range(-tile.width // 2 - (row % 2) * step_x // 2, size[0], step_x):
            mask.paste(tile, (x, y), tile)  # the tile masks itself: neighbours' empty corners do not erase it
    return mask


def _strip(text: str, width: int, font_size: int, mode: str) -> Image.Image:
    """A dark band the page's width with the text in white, the font shrunk until the text fits."""
    size = font_size
    while size > 8 and _font(size).getlength(text) > width - size:
        size -= 1
    font = _font(size)
    strip = Image.new("L", (width, round(size * 1.7)), STRIP_BACKGROUND)
    ImageDraw.Draw(strip).text((width // 2, strip.height // 2), text, fill=STRIP_INK, font=font, anchor="mm")
    return strip if mode == "L" else strip.convert(mode)


@functools.lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_font_path()), size, index=0)


def _font_path() -> Path:
    for path in FONT_CANDIDATES:
        if path.is_file():
            return path
    raise FontMissingError("no CJK TrueType font found: install fonts-wqy-microhei (make run does)")


def _jpeg_header(rendition: bytes, number: int) -> Image.Image:
    image = _opened(rendition, f"rendition of page {number}")
    if image.format != "JPEG" or image.mode not in ("L", "RGB"):
        raise InvalidImageError(f"page {number} is a {image.format} {image.mode} image, not a display "
                                "rendition (a greyscale or RGB JPEG)")
    return image


def _with_scans_beneath(pdf: bytes, renditions: list[bytes], scans: list[Image.Image]) -> bytes:
    """The watermark pages with each JPEG embedded as it is (DCTDecode) and drawn under the watermark."""
    # Not reportlab's drawImage: it wraps every JPEG in ASCII85 (a quarter larger) in pure Python (~100 ms a page).
    with pikepdf.open(io.BytesIO(pdf)) as document:
        embedded: dict[bytes, pikepdf.Stream] = {}  # the same page twice is stored once
        for page, rendition, scan in zip(document.pages, renditions, scans, strict=True):
            if rendition not in embedded:
                embedded[rendition] = pikepdf.Stream(
                    document, rendition, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                    Width=scan.width, Height=scan.height, BitsPerComponent=8, Filter=pikepdf.Name.DCTDecode,
                    ColorSpace=pikepdf.Name.DeviceGray if scan.mode == "L" else pikepdf.Name.DeviceRGB)
            name = page.add_resource(embedded[rendition], pikepdf.Name.XObject, prefix="Scan")
            width, height = float(page.mediabox[2]), float(page.mediabox[3])
            drawing = f"q {width:.3f} 0 0 {height:.3f} 0 0 cm {name} Do Q".encode()
            page.contents_add(pikepdf.Stream(document, drawing), prepend=True)
        output = io.BytesIO()
        document.save(output, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return output.getvalue()


def _page_size(pixel_width: int, pixel_height: int) -> tuple[float, float]:
    scale = PDF_LONG_SIDE / max(pixel_width, pixel_height)
    return pixel_width * scale, pixel_height * scale


def _draw_vector_watermark(document: canvas.Canvas, watermark: Watermark, font: str, width: float,
                           height: float) -> None:
    lines = watermark.lines()
    font_size = min(width, height * 0.75) / 44
    line_width = max(stringWidth(line, font, font_size) for line in lines)
    document.saveState()
    document.setFont(font, font_size)
    document.setFillGray(TILE_INK / 255, alpha=TILE_OPACITY)
    step_x, step_y = line_width + font_size * 4, font_size * len(lines) * 3
    for row in range(-1, int(height / step_y) + 2):
        for column in range(-1, int(width / step_x) + 2):
            document.saveState()
            document.translate(column * step_x + (row % 2) * step_x / 2, row * step_y)
            document.rotate(TILE_ANGLE)
            for index, line in enumerate(lines):
                document.drawString(0, -index * font_size * 1.3, line)
            document.restoreState()
    document.restoreState()
    _draw_vector_strip(document, watermark.text(), font, width, font_size)


def _draw_vector_strip(document: canvas.Canvas, text: str, font: str, width: float, font_size: float) -> None:
    size = min(font_size, (width - font_size) / max(1.0, stringWidth(text, font, 1)))
    document.saveState()
    document.setFillGray(STRIP_BACKGROUND / 255)
    document.rect(0, 0, width, size * 1.7, stroke=0, fill=1)
    document.setFillGray(STRIP_INK / 255)
    document.setFont(font, size)
    document.drawCentredString(width / 2, size * 0.55, text)
    document.restoreState()


class WatermarkImaging:
    """The page-imaging port that appliance.services.viewing takes, backed by the functions above."""

    display_rendition = staticmethod(display_rendition)
    stamp = staticmethod(stamp)
    watermarked_pdf = staticmethod(watermarked_pdf)
