"""Pages from files: image files and PDFs become CapturedPages, the same as pages from a scanner."""

import io
import os
import re
import stat
import subprocess
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageChops, UnidentifiedImageError

from appliance.domain.errors import InvalidInputError
from scanner_agent.pages import CapturedPage

# Formats kept byte for byte as delivered (MPO is what Pillow calls a camera JPEG with a preview appended).
KEPT_AS_DELIVERED = {"PNG": "image/png", "JPEG": "image/jpeg", "MPO": "image/jpeg", "TIFF": "image/tiff"}
# Lossless formats that are not fit to archive as they are; their pixels are stored as PNG.
CONVERTED_TO_PNG = {"BMP", "PPM"}
PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA", "I;16"}
COLOUR_MODES = {"1": "bitonal"} | dict.fromkeys(["L", "LA", "I", "I;16", "F"], "greyscale")  # any other mode: colour
MAX_PAGE_PIXELS = 100_000_000  # A1 at 300 dpi is 70 Mpx; a page over this would need gigabytes to rasterise
PDF_INFO_TIMEOUT_SECONDS = 60
PDF_PAGE_TIMEOUT_SECONDS = 300
PDF_MARKER = b"%PDF-"
PDF_HEADER_WINDOW = 1024  # the PDF specification lets "%PDF-" start anywhere in the first 1024 bytes
PAGE_SIZE_LINE = re.compile(r"^Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+) pts", re.MULTILINE)
PAGE_COUNT_LINE = re.compile(r"^Pages:\s+(\d+)", re.MULTILINE)


class UnreadableFileError(InvalidInputError):
    """A file that cannot give pages: not an image or PDF, damaged, encrypted, or not a regular file."""

    code = "unreadable_file"

    def __init__(self, path: Path, reason: str, page: int | None = None):
        self.path = path
        self.reason = reason
        self.page = page
        where = path.name if page is None else f"{path.name} page {page}"
        super().__init__(f"{where}: {reason}")


def pages_from_file(path: Path, default_dpi: int = 300) -> Iterator[CapturedPage]:
    """Check an image or PDF file now and return an iterator over its pages, one page made at a time.

    Raises UnreadableFileError before returning when the file is not a regular file, not an image or PDF, damaged,
    or encrypted; the iterator raises it (with the page number) for a page that fails later.
    """
    if not 10 <= default_dpi <= 2400:
        raise InvalidInputError(f"a resolution of {default_dpi} dpi is outside 10-2400")
    stream = _open_regular_file(path)
    try:
        if PDF_MARKER in stream.read(PDF_HEADER_WINDOW):
            pages = _pdf_pages(path, stream, _pdf_page_sizes(path, stream, default_dpi), default_dpi)
        else:
            pages = _image_pages(path, stream, _open_checked_image(path, stream), default_dpi)
    except BaseException:
        stream.close()
        raise
    weakref.finalize(pages, stream.close)  # an iterator dropped before its first page never runs its own cleanup
    return pages


def expand_paths(paths: list[Path]) -> list[Path]:
    """The files `dangan ingest PATH...` reads: files as given, directories walked in natural name order.

    Hidden names are skipped inside directories; symbolic links given on the command line are followed, those met
    in a walk are not (they are listed, and pages_from_file refuses them). Raises UnreadableFileError for a path
    that does not exist.
    """
    expanded: list[Path] = []
    for path in paths:
        if not path.exists():
            raise UnreadableFileError(path, "no such file or directory")
        if path.is_dir():
            expanded.extend(_walk(path))
        else:
            expanded.append(path.resolve() if path.is_symlink() else path)
    return expanded


def natural_sort_key(name: str) -> tuple:
    """A key that sorts names as people do: page2 before page10, case ignored, ties broken by the exact name."""
    parts = re.split(r"(\d+)", name)
    return tuple(int(part) if index % 2 else part.casefold() for index, part in enumerate(parts)), name


def run_tool(arguments: list[str], descriptor: int, timeout: float) -> bytes:
    """Run a poppler tool that reads the open file `descriptor` and return its standard output.

    Raises subprocess.CalledProcessError or subprocess.TimeoutExpired; FileNotFoundError when it is not installed.
    """
    try:
        completed = subprocess.run(arguments, capture_output=True, pass_fds=(descriptor,), timeout=timeout, check=True)
    except FileNotFoundError as error:
        raise FileNotFoundError(f"{arguments[0]} is not installed (Debian package poppler-utils)") from error
    return completed.stdout


def _walk(directory: Path) -> Iterator[Path]:
    with os.scandir(directory) as scanned:
        entries = [entry for entry in scanned if not entry.name.startswith(".")]
    for entry in sorted(entries, key=lambda entry: natural_sort_key(entry.name)):
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))
        else:
            yield Path(entry.path)


def _open_regular_file(path: Path) -> BinaryIO:
    # lstat first so that a device (a tape rewinds on open) or a FIFO is never opened; then open without following a
    # link and check again on the descriptor, so a file swapped in between is caught too.
    try:
        _require_regular(path, os.lstat(path))
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise UnreadableFileError(path, "no such file") from None
    except OSError as error:
        raise UnreadableFileError(path, f"cannot be opened: {error.strerror}") from None
    stream = os.fdopen(descriptor, "rb")
    try:
        status = os.fstat(descriptor)
        _require_regular(path, status)
        if status.st_size == 0:
            raise UnreadableFileError(path, "empty file")
    except BaseException:
        stream.close()
        raise
    return stream


def _require_regular(path: Path, status: os.stat_result) -> None:
    kinds = {stat.S_ISDIR: "a directory", stat.S_ISLNK: "a symbolic link", stat.S_ISFIFO: "a named pipe",
             stat.S_ISSOCK: "a socket", stat.S_ISCHR: "a character device", stat.S_ISBLK: "a block device"}
    for test, kind in kinds.items():
        if test(status.st_mode):
            raise UnreadableFileError(path, f"not a regular file but {kind}")


def _open_checked_image(path: Path, stream: BinaryIO) -> Image.Image:
    """Open an image after Pillow's verify(); a single-frame image is also decoded now, since no later step would."""
    image_format = "image"
    try:
        stream.seek(0)
        with Image.open(stream) as probe:
            image_format = probe.format
            probe.verify()
        stream.seek(0)
        image = Image.open(stream)
        if image.format not in KEPT_AS_DELIVERED and image.format not in CONVERTED_TO_PNG:
            raise UnreadableFileError(path, f"{image.format} images are not taken; use PNG, JPEG, TIFF, BMP or PNM")
        _check_pixels(path, image.width * image.height, None)
        if not _is_multipage_tiff(image):
            image.load()
        return image
    except UnidentifiedImageError:
        raise UnreadableFileError(path, "not an image or PDF") from None
    except Image.DecompressionBombError:
        raise UnreadableFileError(path, f"over {MAX_PAGE_PIXELS / 1e6:.0f} megapixels") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise UnreadableFileError(path, f"truncated or damaged {image_format} ({error})") from None


def _image_pages(path: Path, stream: BinaryIO, image: Image.Image, default_dpi: int) -> Iterator[CapturedPage]:
    with stream, image:
        if not _is_multipage_tiff(image):
            yield _whole_file_page(path, stream, image, default_dpi)
            return
        for index in range(image.n_frames):
            yield _tiff_frame_page(path, image, index, default_dpi)


def _is_multipage_tiff(image: Image.Image) -> bool:
    # Only TIFF frames are pages; the extra frames of an animated PNG or a camera's MPO JPEG are not.
    return image.format == "TIFF" and getattr(image, "n_frames", 1) > 1


def _whole_file_page(path: Path, stream: BinaryIO, image: Image.Image, default_dpi: int) -> CapturedPage:
    resolution = _resolution(image, default_dpi)
    if image.format in KEPT_AS_DELIVERED:
        stream.seek(0)
        data, media_type = stream.read(), KEPT_AS_DELIVERED[image.format]
    else:
        data, media_type = _lossless_bytes(image, resolution)
    return CapturedPage(data, media_type, resolution, _colour_mode(image.mode), f"{path.name}#1")


def _tiff_frame_page(path: Path, image: Image.Image, index: int, default_dpi: int) -> CapturedPage:
    try:
        image.seek(index)
        image.load()
        resolution = _resolution(image, default_dpi)
        data, media_type = _lossless_bytes(image, resolution)
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise UnreadableFileError(path, f"TIFF frame cannot be decoded ({error})", page=index + 1) from None
    return CapturedPage(data, media_type, resolution, _colour_mode(image.mode), f"{path.name}#{index + 1}")


def _lossless_bytes(image: Image.Image, resolution: int) -> tuple[bytes, str]:
    """PNG when PNG holds the mode exactly (it is what a browser shows); else a deflated single-frame TIFF (CMYK)."""
    output = io.BytesIO()
    icc_profile = image.info.get("icc_profile")
    extra = {"icc_profile": icc_profile} if icc_profile else {}
    if image.mode in PNG_MODES:
        image.save(output, "PNG", dpi=(resolution, resolution), **extra)
        return output.getvalue(), "image/png"
    image.save(output, "TIFF", compression="tiff_adobe_deflate", dpi=(resolution, resolution), **extra)
    return output.getvalue(), "image/tiff"


def _resolution(image: Image.Image, default_dpi: int) -> int:
    # The horizontal figure is taken: a fax's 204 x 196 dpi is "204". No unit or a nonsense figure: the default.
    dots_per_inch = image.info.get("dpi", (0, 0))[0]
    return round(dots_per_inch) if 10 <= dots_per_inch <= 10_000 else default_dpi


def _colour_mode(mode: str) -> str:
    return COLOUR_MODES.get(mode, "colour")


def _check_pixels(path: Path, pixels: float, page: int | None) -> None:
    if pixels > MAX_PAGE_PIXELS:
        reason = f"{pixels / 1e6:.0f} megapixels is over the limit of {MAX_PAGE_PIXELS / 1e6:.0f}; use a lower dpi"
        raise UnreadableFileError(path, reason, page=page)


def _pdf_page_sizes(path: Path, stream: BinaryIO, dpi: int) -> list[tuple[float, float]]:
    """Every page's size in points from one pdfinfo run; refuses an encrypted, damaged, empty or oversized PDF."""
    source = f"/dev/fd/{stream.fileno()}"
    try:
        report = run_tool(["pdfinfo", "-f", "1", "-l", "2147483647", source], stream.fileno(), PDF_INFO_TIMEOUT_SECONDS)
    except subprocess.CalledProcessError as error:
        raise UnreadableFileError(path, _pdf_problem(error.stderr)) from None
    except subprocess.TimeoutExpired:
        raise UnreadableFileError(path, f"pdfinfo took over {PDF_INFO_TIMEOUT_SECONDS} s") from None
    text = report.decode("utf-8", "replace")
    count = PAGE_COUNT_LINE.search(text)
    if count is None or int(count.group(1)) == 0:
        raise UnreadableFileError(path, "PDF has no pages")
    sizes = [(float(width), float(height)) for _, width, height in PAGE_SIZE_LINE.findall(text)]
    for number, (width, height) in enumerate(sizes, start=1):
        _check_pixels(path, width / 72 * dpi * height / 72 * dpi, number)
    return sizes


def _pdf_problem(standard_error: bytes) -> str:
    message = standard_error.decode("utf-8", "replace")
    if "Incorrect password" in message:
        return "PDF is encrypted (it needs a password to open)"
    last_line = message.strip().splitlines()[-1] if message.strip() else "pdfinfo failed"
    return f"not a readable PDF ({last_line})"


def _pdf_pages(path: Path, stream: BinaryIO, sizes: list, dpi: int) -> Iterator[CapturedPage]:
    with stream:
        for number in range(1, len(sizes) + 1):
            yield _pdf_page(path, stream.fileno(), number, dpi)


def _pdf_page(path: Path, descriptor: int, number: int, dpi: int) -> CapturedPage:
    # PPM to a pipe and PNG by Pillow: as fast as pdftoppm's own PNG, and lets a page without colour be stored grey.
    arguments = ["pdftoppm", "-r", str(dpi), "-f", str(number), "-l", str(number), "-cropbox", f"/dev/fd/{descriptor}"]
    try:
        pixmap = run_tool(arguments, descriptor, PDF_PAGE_TIMEOUT_SECONDS)
        with Image.open(io.BytesIO(pixmap)) as image:
            image.load()
            simplest = _simplest_mode(image)
    except subprocess.CalledProcessError as error:
        raise UnreadableFileError(path, _pdf_problem(error.stderr), page=number) from None
    except subprocess.TimeoutExpired:
        raise UnreadableFileError(path, f"rasterising took over {PDF_PAGE_TIMEOUT_SECONDS} s", page=number) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise UnreadableFileError(path, f"pdftoppm gave no usable image ({error})", page=number) from None
    data, media_type = _lossless_bytes(simplest, dpi)
    return CapturedPage(data, media_type, dpi, _colour_mode(simplest.mode), f"{path.name}#{number}")


def _simplest_mode(image: Image.Image) -> Image.Image:
    """The same pixels in the smallest mode: greyscale when no pixel has colour, bitonal when all are black or white."""
    red, green, blue = image.split()
    if ImageChops.difference(red, green).getbbox() or ImageChops.difference(green, blue).getbbox():
        return image
    if any(red.histogram()[1:255]):
        return red
    return red.convert("1", dither=Image.Dither.NONE)
