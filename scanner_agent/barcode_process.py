"""The child side of IsolatedDecoder: reads pages from stdin, answers with one JSON line each on stdout.

    python -m scanner_agent.barcode_process [--test-hooks]

Request: a JSON header line {"format": "file" | "raw", "length": n, "width", "height", "dpi"} then n bytes (a PNG
or other image file, or raw 8-bit greyscale pixels). Answer: {"payloads": [...], "blank": bool} or {"error": text}
for a page that is not an image. zbar may kill this process (assert, segfault); the parent then starts another.
"""

import io
import json
import os
import signal
import sys
import time

from PIL import Image

from scanner_agent.barcodes import DECODE_DPI, DEFAULT_DPI, page_dpi, read_page

# Test-only: with --test-hooks, a page whose bytes start with one of these makes the child crash or hang, so tests
# can show a real crash does not stop a batch. Without the flag these bytes are just a page that is not an image.
TEST_CRASH_MARKER = b"DANGAN-TEST-CRASH"
TEST_HANG_MARKER = b"DANGAN-TEST-HANG"


def main(arguments: list[str]) -> int:
    test_hooks = "--test-hooks" in arguments
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints (ours or a library's) must not corrupt answers
    sys.stdout = sys.stderr
    requests = sys.stdin.buffer
    while True:
        header_line = requests.readline()
        if not header_line:
            return 0  # the parent closed the pipe: a normal stop
        header = json.loads(header_line)
        body = requests.read(header["length"])
        if test_hooks:
            _run_test_hook(body)
        answers.write(json.dumps(_answer(header, body)).encode("ascii") + b"\n")
        answers.flush()


def _answer(header: dict, body: bytes) -> dict:
    try:
        reading = read_page(_image(header, body), default_dpi=header.get("dpi") or DEFAULT_DPI)
    except Exception as error:  # anything Python raises here is about this page; the next page must still go
        return {"error": f"{type(error).__name__}: {error}"}
    return {"payloads": reading.payloads, "blank": reading.blank}


def _image(header: dict, body: bytes) -> Image.Image:
    if header["format"] == "raw":
        image = Image.frombytes("L", (header["width"], header["height"]), body)
        image.info["dpi"] = (header["dpi"], header["dpi"])
        return image
    with Image.open(io.BytesIO(body)) as opened:
        dpi = page_dpi(opened, header.get("dpi") or DEFAULT_DPI)
        full_width = opened.width
        if opened.format == "JPEG" and dpi > DECODE_DPI:
            # A JPEG decodes straight to a half or quarter size greyscale image, several times faster.
            opened.draft("L", (round(full_width * DECODE_DPI / dpi), round(opened.height * DECODE_DPI / dpi)))
        image = opened.convert("L")
    image.info["dpi"] = (dpi * image.width / full_width,) * 2
    return image


def _run_test_hook(body: bytes) -> None:
    if body.startswith(TEST_CRASH_MARKER):
        os.kill(os.getpid(), signal.SIGSEGV)
    if body.startswith(TEST_HANG_MARKER):
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
