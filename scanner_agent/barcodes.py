"""Reading a scanned page: the cover sheet payloads on it (QR and Code 128, via zbar) and whether it is blank.

Measured on this machine (bench/barcode_bench.py): zbar on a noisy greyscale page is slow and often finds nothing;
the same page downscaled to about 150 dpi and binarised at mid-grey reads both codes in ~20-30 ms. zbar scans rows and
columns in both directions and QR is rotation-free, so a sheet fed sideways or upside down reads upright.
"""

import json
import os
import select
import signal
import subprocess
import sys
import time
from ctypes import c_void_p, cast, string_at

from PIL import Image, ImageChops, ImageFilter
from pyzbar import wrapper as zbar
from pyzbar.wrapper import ZBarConfig, ZBarSymbol

from scanner_agent.pages import PageReading

DECODE_DPI = 150  # at 300 dpi a noisy page reads nothing; at 75-100 dpi a 0.4 mm Code 128 is lost (FIELD_NOTES)
DEFAULT_DPI = 300
SYMBOLS = (ZBarSymbol.QRCODE, ZBarSymbol.CODE128)  # all a cover sheet carries; fewer decoders run faster
SCAN_DENSITY = 2  # measured: scanning every second row and column reads the same covers in ~35% less time
GREY_FOURCC = int.from_bytes(b"Y800", "little")  # zbar's name for 8-bit greyscale
FIRST_THRESHOLD = 128
RETRY_THRESHOLDS = (88, 168)  # a dark (toner-heavy) and a light (faded, grey paper) print
CODE_HINT_DPI = 19  # a QR code stays a dark patch at this scale; text averages to pale grey
CODE_HINT_LEVEL = 80
CODE_HINT_AREA_MM2 = 100.0  # measured: a cover sheet's QR code ~1,200 mm², a full page of body text ~2 mm²
BLANK_DPI = 75
INK_LEVEL = 128  # show-through and grey noise are lighter than this once averaged at 75 dpi
BLANK_BORDER_MM = 8.0  # scanner edges and shadows are no ink on the page
BLANK_INK_MM2 = 1.0  # measured: a lone "1" leaves ~1.8 mm² of ink, 附件 ~15 mm²; keeping a blank costs less than
# dropping a page, so the bar sits low and only clustered ink counts: a dust speck is a lone pixel at 75 dpi
CLUSTER_PIXELS = 3  # an ink pixel counts when its 3x3 neighbourhood holds at least this many ink pixels
MM_PER_INCH = 25.4
PLAUSIBLE_PAGE_MM = (50.0, 650.0)  # the longest side, from a receipt to an A2 drawing
DECODE_TIMEOUT_SECONDS = 10.0  # a page takes ~30 ms; only a stuck zbar takes seconds
CHILD_MODULE = "scanner_agent.barcode_process"


class DecodeFailed(PageReading):
    """A page that could not be decoded (the decoder crashed or took too long): treat as "no cover, note it"."""

    def __init__(self, problem: str):
        super().__init__(payloads=[], blank=False, problem=problem)


def page_dpi(image: Image.Image, default: int = DEFAULT_DPI) -> int:
    """The page's resolution from its metadata (`image.info["dpi"]`), else `default`; also `default` when the
    metadata makes the page implausibly large or small (many files say 72 or 1 dpi, meaning nothing)."""
    try:
        value = round(float(image.info["dpi"][0]))
        longest_side_mm = max(image.size) / value * MM_PER_INCH
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError):
        return default
    return value if PLAUSIBLE_PAGE_MM[0] <= longest_side_mm <= PLAUSIBLE_PAGE_MM[1] else default


def read_page(image: Image.Image, default_dpi: int = DEFAULT_DPI) -> PageReading:
    """The payloads on a page and whether it is blank, from one greyscale conversion."""
    dpi = page_dpi(image, default_dpi)
    grey = _scaled(_greyscale(image), dpi, DECODE_DPI)
    dpi = min(dpi, DECODE_DPI)
    return PageReading(payloads=_payloads(grey, dpi), blank=_blank(grey, dpi))


def decode_payloads(image: Image.Image, default_dpi: int = DEFAULT_DPI) -> list[str]:
    """The distinct QR and Code 128 texts on a page, in the order zbar found them.

    Bytes that are not ASCII come back as U+FFFD, so the cover sheet parser refuses them rather than guessing.
    """
    dpi = page_dpi(image, default_dpi)
    return _payloads(_scaled(_greyscale(image), dpi, DECODE_DPI), min(dpi, DECODE_DPI))


def is_blank(image: Image.Image, default_dpi: int = DEFAULT_DPI) -> bool:
    """Whether a page carries (almost) no ink: scanner noise, dust and faint show-through do not count as ink."""
    return _blank(_greyscale(image), page_dpi(image, default_dpi))


def _payloads(grey: Image.Image, dpi: int) -> list[str]:
    payloads = _decode(_binarised(grey, FIRST_THRESHOLD))
    if payloads or not _might_hold_a_code(grey, dpi):
        return payloads
    for threshold in RETRY_THRESHOLDS:
        payloads = _decode(_binarised(grey, threshold))
        if payloads:
            return payloads
    return _decode(grey)  # last resort: zbar's own thresholding


def _blank(grey: Image.Image, dpi: int) -> bool:
    small = _inner(_scaled(grey, dpi, BLANK_DPI), min(dpi, BLANK_DPI))
    return _clustered_ink_mm2(small, min(dpi, BLANK_DPI)) < BLANK_INK_MM2


def _decode(grey: Image.Image) -> list[str]:
    found: dict[str, None] = {}  # a dict keeps the first-seen order and drops the QR/Code 128 duplicate
    for data in _zbar_scan(grey):
        found[data.decode("ascii", errors="replace")] = None
    return list(found)


def _zbar_scan(grey: Image.Image) -> list[bytes]:
    # pyzbar.decode cannot set the scan density, so this drives zbar through pyzbar's ctypes wrapper.
    scanner = zbar.zbar_image_scanner_create()
    frame = zbar.zbar_image_create()
    try:
        zbar.zbar_image_scanner_set_config(scanner, ZBarSymbol.NONE, ZBarConfig.CFG_ENABLE, 0)
        for symbology in SYMBOLS:
            zbar.zbar_image_scanner_set_config(scanner, symbology, ZBarConfig.CFG_ENABLE, 1)
        for axis in (ZBarConfig.CFG_X_DENSITY, ZBarConfig.CFG_Y_DENSITY):
            zbar.zbar_image_scanner_set_config(scanner, ZBarSymbol.NONE, axis, SCAN_DENSITY)
        pixels = grey.tobytes()  # must outlive the scan: zbar reads it in place
        zbar.zbar_image_set_format(frame, GREY_FOURCC)
        zbar.zbar_image_set_size(frame, grey.width, grey.height)
        zbar.zbar_image_set_data(frame, cast(pixels, c_void_p), len(pixels), None)
        if zbar.zbar_scan_image(scanner, frame) < 0:
            raise RuntimeError("zbar refused the image format")
        return _symbol_texts(frame)
    finally:
        zbar.zbar_image_destroy(frame)
        zbar.zbar_image_scanner_destroy(scanner)


def _symbol_texts(frame) -> list[bytes]:
    texts = []
    symbol = zbar.zbar_image_first_symbol(frame)
    while symbol:
        texts.append(string_at(zbar.zbar_symbol_get_data(symbol), zbar.zbar_symbol_get_data_length(symbol)))
        symbol = zbar.zbar_symbol_next(symbol)
    return texts


def _might_hold_a_code(grey: Image.Image, dpi: int) -> bool:
    # Retries cost a full decode each; a text page (no dense dark patch) skips them.
    small = _scaled(grey, dpi, CODE_HINT_DPI)
    return _dark_area_mm2(small, CODE_HINT_DPI, CODE_HINT_LEVEL) >= CODE_HINT_AREA_MM2


def _greyscale(image: Image.Image) -> Image.Image:
    return image if image.mode == "L" else image.convert("L")


def _scaled(grey: Image.Image, dpi: int, target_dpi: int) -> Image.Image:
    # Only ever shrink: upsampling a low-resolution scan adds time and no detail.
    if dpi <= target_dpi:
        return grey
    if dpi % target_dpi == 0:
        return grey.reduce(dpi // target_dpi)  # a box average: fast, and it averages the noise away
    size = (max(1, round(grey.width * target_dpi / dpi)), max(1, round(grey.height * target_dpi / dpi)))
    return grey.resize(size, Image.Resampling.BOX)


def _binarised(grey: Image.Image, threshold: int) -> Image.Image:
    return grey.point([0 if level < threshold else 255 for level in range(256)])


def _inner(grey: Image.Image, dpi: int) -> Image.Image:
    border = round(BLANK_BORDER_MM / MM_PER_INCH * dpi)
    if grey.width <= 4 * border or grey.height <= 4 * border:
        return grey
    return grey.crop((border, border, grey.width - border, grey.height - border))


def _clustered_ink_mm2(grey: Image.Image, dpi: int) -> float:
    ink = grey.point([255 if level < INK_LEVEL else 0 for level in range(256)])
    density = ink.filter(ImageFilter.Kernel((3, 3), [1] * 9, scale=9))  # 255 × the ink fraction around each pixel
    crowded = density.point([255 if level * 9 >= 255 * CLUSTER_PIXELS - 5 else 0 for level in range(256)])
    return ImageChops.multiply(ink, crowded).histogram()[255] * _pixel_area_mm2(dpi)


def _dark_area_mm2(grey: Image.Image, dpi: int, level: int) -> float:
    return sum(grey.histogram()[:level]) * _pixel_area_mm2(dpi)


def _pixel_area_mm2(dpi: int) -> float:
    return (MM_PER_INCH / dpi) ** 2


class IsolatedDecoder:
    """Reads pages in a long-lived child process, so a zbar crash or hang costs one page, not the agent.

    `with IsolatedDecoder() as decoder: reading = decoder.read(image_or_image_file_bytes)`. A page that crashes the
    child or takes longer than `timeout` seconds gives a DecodeFailed reading; the next page goes to a fresh child.
    One caller at a time. `test_hooks` lets tests crash or hang the child on purpose (see barcode_process).
    """

    def __init__(self, timeout: float = DECODE_TIMEOUT_SECONDS, default_dpi: int = DEFAULT_DPI,
                 test_hooks: bool = False):
        self.timeout = timeout
        self.default_dpi = default_dpi
        self.test_hooks = test_hooks
        self.restarts = 0  # children replaced after a crash or a timeout
        self._child: subprocess.Popen | None = None

    def __enter__(self) -> "IsolatedDecoder":
        self._start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def child_pid(self) -> int | None:
        return self._child.pid if self._child else None

    def read(self, page: Image.Image | bytes) -> PageReading:
        """The reading of one page (a PIL image, or the bytes of an image file such as a PNG); never raises for a
        page that cannot be decoded: it returns DecodeFailed with the reason."""
        header, body = self._request(page)
        if self._child is None:
            self._start()
        try:
            self._child.stdin.write(json.dumps(header).encode("ascii") + b"\n" + body)
            self._child.stdin.flush()
            answer = self._answer_line(time.monotonic() + self.timeout)
        except (BrokenPipeError, EOFError):
            return DecodeFailed(self._replace_child(f"the barcode decoder died ({self._exit_reason()})"))
        except TimeoutError:
            return DecodeFailed(self._replace_child(f"barcode decoding took longer than {self.timeout:g} s"))
        if "error" in answer:
            return DecodeFailed(f"the page could not be read as an image: {answer['error']}")
        return PageReading(payloads=answer["payloads"], blank=answer["blank"])

    def close(self) -> None:
        """Stop the child: it finishes on end of input; one that does not within a second is killed."""
        child, self._child = self._child, None
        if child is None:
            return
        child.stdin.close()
        try:
            child.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        child.stdout.close()

    def _start(self) -> None:
        command = [sys.executable, "-m", CHILD_MODULE] + (["--test-hooks"] if self.test_hooks else [])
        self._child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)

    def _request(self, page: Image.Image | bytes) -> tuple[dict, bytes]:
        if isinstance(page, bytes | bytearray | memoryview):
            return {"format": "file", "length": len(page), "dpi": self.default_dpi}, bytes(page)
        # Shrinking is plain Pillow, safe here; it cuts what crosses the pipe fourfold at 300 dpi.
        dpi = page_dpi(page, self.default_dpi)
        grey = _scaled(_greyscale(page), dpi, DECODE_DPI)
        body = grey.tobytes()
        header = {"format": "raw", "length": len(body), "width": grey.width, "height": grey.height,
                  "dpi": min(dpi, DECODE_DPI)}
        return header, body

    def _answer_line(self, deadline: float) -> dict:
        descriptor = self._child.stdout.fileno()
        received = b""
        while not received.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([descriptor], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(descriptor, 65536)
            if not chunk:
                raise EOFError
            received += chunk
        return json.loads(received)

    def _exit_reason(self) -> str:
        try:
            code = self._child.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return "stopped answering"
        return f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"

    def _replace_child(self, reason: str) -> str:
        self._child.kill()
        self._child.wait()
        self._child.stdin.close()
        self._child.stdout.close()
        self._child = None  # the next read starts a fresh child
        self.restarts += 1
        return reason
