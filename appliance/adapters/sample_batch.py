"""Sample scans for tests, benchmarks and the development box's virtual scanner: printed pages, then "scanned".

Cover sheets are the very PDFs the appliance prints (render_cover_sheets), rasterised by poppler, so a test reads
what a person would feed to a scanner. `degrade` adds what a scanner adds: rotation, skew, noise, JPEG, resolution.
"""

import io
import random
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

from appliance.adapters.coversheet_pdf import CoverSheet, render_cover_sheets
from appliance.domain.codes import ClassKey, parse_archival_code
from appliance.domain.coversheet import SEPARATOR_PAYLOAD, batch_payload, item_payload

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
A4_MM = (210.0, 297.0)
BODY_POINTS = 15  # between 三号 (16 pt) and 小三 (15 pt), the body size of a printed official document
LINE_SPACING = 1.75  # 28-29 pt line pitch, as on GB/T 9704 paper
MARGINS_MM = (28.0, 37.0)  # left/right, top: the official-document type area


def _pixels(millimetres: float, dpi: int) -> int:
    return round(millimetres / 25.4 * dpi)


def render_text_page(lines: list[str], dpi: int = 300) -> Image.Image:
    """An A4 greyscale page with `lines` printed black on white in WQY MicroHei; long lines wrap, and lines that
    would run past the bottom margin are left off (a sample page, not a typesetter).

    Raises ValueError for a dpi outside 50-1200.
    """
    if not 50 <= dpi <= 1200:
        raise ValueError(f"dpi {dpi} is outside 50-1200")
    width, height = _pixels(A4_MM[0], dpi), _pixels(A4_MM[1], dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT_PATH, round(BODY_POINTS / 72 * dpi))
    left, top = _pixels(MARGINS_MM[0], dpi), _pixels(MARGINS_MM[1], dpi)
    pitch = round(BODY_POINTS / 72 * dpi * LINE_SPACING)
    y = top
    for line in _wrap(lines, font, width - 2 * left):
        if y + pitch > height - top:
            break  # the page is full; a sample page never needs more
        draw.text((left, y), line, fill=0, font=font)
        y += pitch
    page.info["dpi"] = (dpi, dpi)
    return page


def _wrap(lines: list[str], font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    # Chinese wraps between any two characters, so a character-wise greedy fill is correct enough here.
    wrapped: list[str] = []
    for line in lines:
        current = ""
        for character in line:
            if current and font.getlength(current + character) > width:
                wrapped.append(current)
                current = ""
            current += character
        wrapped.append(current)
    return wrapped


def rasterise_pdf(pdf_bytes: bytes, dpi: int) -> list[Image.Image]:
    """Every page of a PDF as a greyscale image at `dpi`, rendered by poppler's pdftoppm.

    Raises ValueError for a dpi outside 50-1200 and RuntimeError when pdftoppm fails (e.g. not a PDF).
    """
    if not 50 <= dpi <= 1200:
        raise ValueError(f"dpi {dpi} is outside 50-1200")
    with tempfile.TemporaryDirectory(prefix="dangan-rasterise-") as directory:
        source = Path(directory) / "input.pdf"
        source.write_bytes(pdf_bytes)
        result = subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(source), f"{directory}/page"],
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"pdftoppm failed ({result.returncode}): {result.stderr.strip()}")
        # pdftoppm pads the page number to the width of the page count, so names sort in page order.
        return [_loaded(path, dpi) for path in sorted(Path(directory).glob("page-*.png"))]


def _loaded(path: Path, dpi: int) -> Image.Image:
    with Image.open(path) as opened:
        image = opened.convert("L")
    image.info["dpi"] = (dpi, dpi)
    return image


def degrade(image: Image.Image, *, rotation: int = 0, skew: float = 0.0, noise: float = 0.0, grain: float = 0.0,
            jpeg_quality: int | None = None, dpi: int | None = None, seed: int = 0) -> Image.Image:
    """A "scanned" copy of a greyscale page: the same arguments and seed always give the same pixels.

    rotation: 0/90/180/270 degrees counter-clockwise (a sheet fed sideways or upside down); skew: a small angle in
    degrees, the corners filled white; dpi: resample to this resolution; noise: the fraction of pixels turned black
    or white (salt and pepper); grain: gaussian sensor noise, standard deviation in grey levels; jpeg_quality: a JPEG
    round trip at that quality. Raises ValueError for a rotation that is not a multiple of 90 or a noise outside 0-1.
    """
    if rotation % 90 or not 0 <= noise <= 1:
        raise ValueError(f"rotation {rotation} must be a multiple of 90 and noise {noise} within 0-1")
    source_dpi = round(image.info.get("dpi", (300, 300))[0])
    page = image.convert("L")
    if rotation % 360:
        page = page.rotate(rotation % 360, expand=True)
    if skew:
        page = page.rotate(skew, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if dpi and dpi != source_dpi:
        size = (round(page.width * dpi / source_dpi), round(page.height * dpi / source_dpi))
        page = page.resize(size, Image.Resampling.LANCZOS)
    generator = random.Random(seed)
    if grain:
        page = _add_grain(page, grain, generator)
    if noise:
        page = _add_salt_and_pepper(page, noise, generator)
    if jpeg_quality is not None:
        page = _jpeg_round_trip(page, jpeg_quality)
    page.info = {"dpi": (dpi or source_dpi,) * 2}  # drop what a JPEG round trip left (jfif density)
    return page


def _random_layer(size: tuple[int, int], generator: random.Random) -> Image.Image:
    return Image.frombytes("L", size, generator.randbytes(size[0] * size[1]))


def _add_grain(page: Image.Image, sigma: float, generator: random.Random) -> Image.Image:
    # The mean of four uniform layers is close to normal (sd 255 / sqrt(48) = 36.8); scale it to sigma around 128.
    layers = [_random_layer(page.size, generator) for _ in range(4)]
    mean = ImageChops.add(ImageChops.add(layers[0], layers[1], 2), ImageChops.add(layers[2], layers[3], 2), 2)
    centred = mean.point(lambda value: max(0, min(255, round(128 + (value - 127.5) * sigma / 36.8))))
    return ImageChops.add(page, centred, 1, -128)


def _add_salt_and_pepper(page: Image.Image, fraction: float, generator: random.Random) -> Image.Image:
    cut = fraction * 256 / 2
    pepper = _random_layer(page.size, generator).point(lambda value: 0 if value < cut else 255)
    salt = _random_layer(page.size, generator).point(lambda value: 255 if value < cut else 0)
    return ImageChops.lighter(ImageChops.darker(page, pepper), salt)


def _jpeg_round_trip(page: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as reopened:
        return reopened.convert("L")


@dataclass(frozen=True)
class SampleDocument:
    """One document of a sample stack: its cover sheet (payload None: no cover) and the text of each page."""

    payload: str | None
    heading: str = ""
    lines: list[str] = field(default_factory=list)
    pages: list[list[str]] = field(default_factory=list)


def write_sample_batch(directory: Path, documents: list[SampleDocument], dpi: int = 300) -> list[Path]:
    """Write a stack as scanned, in feed order, as 0001.png, 0002.png, ...: each cover sheet, then its pages.

    Raises InvalidInputError for a bad payload (see render_cover_sheets) and ValueError for a dpi outside 50-1200.
    """
    directory.mkdir(parents=True, exist_ok=True)
    sheets = [CoverSheet(document.payload, document.heading, document.lines)
              for document in documents if document.payload is not None]
    covers = iter(rasterise_pdf(render_cover_sheets(sheets), dpi) if sheets else [])
    written: list[Path] = []
    for document in documents:
        pages = [next(covers)] if document.payload is not None else []
        pages += [render_text_page(lines, dpi) for lines in document.pages]
        for page in pages:
            path = directory / f"{len(written) + 1:04d}.png"
            page.save(path, dpi=(dpi, dpi), compress_level=1)  # fast; the files are throw-away samples
            written.append(path)
    return written


def demo_documents() -> list[SampleDocument]:
    """A realistic demo stack: a BATCH sheet for 办公室 2011 (定期30年), then three notices split by SEP sheets."""
    batch = ClassKey("Z109", "WS", 2011, "D30", "BGS")
    notices = [_notice("关于印发《档案管理办法》的通知", "办发〔2011〕12号", "档案管理办法", pages=2),
               _notice("关于做好2011年度文书档案归档工作的通知", "办发〔2011〕27号", "归档工作要求", pages=1),
               _notice("关于调整办公室内设机构职责的通知", "办发〔2011〕35号", "内设机构职责调整方案", pages=3)]
    batch_lines = ["全宗号：Z109　滨江市人民政府办公室", "门类：文书（WS）", "年度：2011",
                   "保管期限：定期30年（D30）", "机构：办公室（BGS）", "说明：本批次文件以分隔页分件"]
    documents = [SampleDocument(batch_payload(batch), "批次封面", batch_lines, notices[0])]
    for pages in notices[1:]:
        documents.append(SampleDocument(SEPARATOR_PAYLOAD, "文件分隔页", ["下一件文件从此页之后开始"], pages))
    return documents


def demo_item_document() -> SampleDocument:
    """A document with an ITEM cover for a registered item (Z109-WS·2011-Y-BGS-0001), for a filing demo."""
    code = parse_archival_code("Z109-WS·2011-Y-BGS-0001")
    lines = [f"档号：{code}", "题名：关于印发《滨江市档案工作规划》的通知", "年度：2011", "保管期限：永久",
             "机构：办公室"]
    return SampleDocument(item_payload(code), "档案封面", lines, _notice("关于印发《滨江市档案工作规划》的通知",
                                                                     "办发〔2011〕3号", "档案工作规划", pages=1))


def _notice(title: str, number: str, subject: str, pages: int) -> list[list[str]]:
    first = ["滨江市人民政府办公室文件", "", number, "", title, "", "各区县人民政府，市政府各部门：",
             f"　　现将《{subject}》印发给你们，请结合实际，认真贯彻执行。执行中遇到的问题，请及时报告市政府办公室。"]
    body = [f"　　第{index}条　各单位应当按照本办法的规定，做好文件材料的收集、整理、归档和移交工作，"
            "确保档案齐全完整、真实可靠。" for index in range(1, 9)]
    last = ["", "滨江市人民政府办公室", "2011年3月15日", "", "（此件公开发布）"]
    if pages == 1:
        return [first + last]
    return [first] + [body for _ in range(pages - 2)] + [body[:3] + last]
