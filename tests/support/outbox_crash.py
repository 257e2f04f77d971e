"""A child process for the outbox crash tests: it puts and/or delivers documents and can pause at a named point.

Run as `python -m tests.support.outbox_crash --outbox DIR [--put FIRST COUNT] [--url URL --deliver]
[--pause-at POINT]`. At POINT it prints `PAUSED POINT` and sleeps, so a test can SIGKILL it exactly there:
  between-pages     inside put(), after page 2 of a document was written
  after-put         after every put() returned, before any delivery
  after-response    the appliance answered, before the receipt was written
  receipt-written   the receipt is on disk, before the entry moved to sent/
It prints `PUT <key>` for every acknowledged document and `DELIVERED <n> PENDING <m>` at the end.
The sample documents are deterministic, so the test process can rebuild them and compare bytes.
"""

import argparse
import io
import queue
import random
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from PIL import Image

from appliance.domain.intake_manifest import BatchInfo, CaptureInfo
from scanner_agent.delivery import Backoff, Deliverer, IntakeClient
from scanner_agent.outbox import SENT, Outbox
from scanner_agent.pages import CapturedPage, SplitDocument

REPOSITORY = Path(__file__).resolve().parents[2]
TOKEN = "agent-token"
BATCH = BatchInfo(id="6f1c1a52-3f0e-4d55-9a55-1b8d0c6d9e01", origin="scan", device="pnm:0", operator="",
                  started_at="2024-05-06T07:08:09+00:00")
CAPTURE = CaptureInfo(preset="colour", source="ADF", duplex=False)


def sample_document(number: int, pages: int = 3, width: int = 200, height: int = 100) -> SplitDocument:
    """Document `number` of the sample batch: noise PNG pages, the same bytes on every call."""
    generator = random.Random(number)
    captured = []
    for page in range(pages):
        image = Image.frombytes("L", (width, height), generator.randbytes(width * height))
        stream = io.BytesIO()
        image.save(stream, format="PNG", compress_level=0)  # noise does not compress; don't spend time trying
        captured.append(CapturedPage(stream.getvalue(), "image/png", 300, "greyscale", f"pnm:0 page {page + 1}"))
    return SplitDocument(sequence=number, cover_payload=f"DA1:ITEM:Z109-WS.2011-Y-BGS-{number:04d}", pages=captured)


def pause(point: str) -> None:
    print(f"PAUSED {point}", flush=True)
    time.sleep(3600)


class CrashingOutbox(Outbox):
    def __init__(self, directory: Path, pause_at: str | None):
        super().__init__(directory)
        self.pause_at = pause_at

    def _write_page(self, path: Path, data: bytes) -> None:
        super()._write_page(path, data)
        if self.pause_at == "between-pages" and path.name.startswith("page-2."):
            pause(self.pause_at)

    def _finish(self, path: Path, destination: str) -> None:
        if self.pause_at == "receipt-written" and destination == SENT:
            pause(self.pause_at)
        super()._finish(path, destination)


class PausingClient(IntakeClient):
    def __init__(self, url: str, pause_at: str | None):
        super().__init__(url, TOKEN, timeout=5.0)
        self.pause_at = pause_at

    def deliver(self, entry):
        result = super().deliver(entry)
        if self.pause_at == "after-response":
            pause(self.pause_at)
        return result


def main(arguments: list[str]) -> int:
    options = _parser().parse_args(arguments)
    outbox = CrashingOutbox(options.outbox, options.pause_at)
    outbox.recover()
    if options.put:
        first, count = options.put
        for number in range(first, first + count):
            document = sample_document(number, options.pages, *options.page_size)
            print(f"PUT {outbox.put(document, BATCH, CAPTURE)}", flush=True)
    if options.pause_at == "after-put":
        pause(options.pause_at)
    delivered = _deliver(outbox, options) if options.deliver else 0
    print(f"DELIVERED {delivered} PENDING {len(outbox.pending())}", flush=True)
    return 1 if options.deliver and outbox.pending() else 0


def _deliver(outbox: Outbox, options) -> int:
    deliverer = Deliverer(outbox, PausingClient(options.url, options.pause_at), Backoff(0.01, 0.05, 0))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    delivered = deliverer.run_once()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"MAXRSS-GROWTH-KB {after - before}", flush=True)
    return delivered


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outbox", type=Path, required=True)
    parser.add_argument("--put", type=int, nargs=2, metavar=("FIRST", "COUNT"))
    parser.add_argument("--pages", type=int, default=3)
    parser.add_argument("--page-size", type=int, nargs=2, default=(200, 100), metavar=("WIDTH", "HEIGHT"))
    parser.add_argument("--url")
    parser.add_argument("--deliver", action="store_true")
    parser.add_argument("--pause-at", choices=("between-pages", "after-put", "after-response", "receipt-written"))
    return parser


# ---- used by the tests, in the parent process ----------------------------------------------------------------


def command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "tests.support.outbox_crash", *arguments]


def run_child(*arguments: str, timeout: float = 30) -> subprocess.CompletedProcess:
    """Run the child to the end and return what it printed."""
    return subprocess.run(command(*arguments), cwd=REPOSITORY, capture_output=True, text=True, timeout=timeout)


def start_child(*arguments: str) -> subprocess.Popen:
    """Start the child; its output lines are collected by a thread into `process.lines` (a queue)."""
    process = subprocess.Popen(command(*arguments), cwd=REPOSITORY, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    process.lines = queue.Queue()
    threading.Thread(target=_collect, args=(process,), daemon=True).start()
    return process


def _collect(process: subprocess.Popen) -> None:
    for line in process.stdout:
        process.lines.put(line.rstrip("\n"))
    process.lines.put(None)


def wait_for_line(process: subprocess.Popen, expected: str, timeout: float = 20) -> list[str]:
    """Read the child's output until a line equals `expected`; returns the lines read. Fails on exit or timeout."""
    lines, deadline = [], time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = process.lines.get(timeout=remaining)
        except queue.Empty:
            break
        if line is None:
            raise AssertionError(f"child exited before {expected!r}: {lines} {process.stderr.read()}")
        lines.append(line)
        if line == expected:
            return lines
    raise AssertionError(f"child did not print {expected!r} within {timeout} s; printed {lines}")


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the child: no handler, no flush, no cleanup runs."""
    process.send_signal(signal.SIGKILL)
    process.wait(10)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
