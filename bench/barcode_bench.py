"""Barcode benchmark: decode time per page and cover sheet separation accuracy on degraded scans.

    .venv/bin/python bench/barcode_bench.py [--quick] [--covers N] [--timing-pages N] [--cpu K] [--no-results]

Pages are the cover sheets the appliance prints (render_cover_sheets → pdftoppm at 300 dpi) and official-document
text pages (render_text_page), "scanned" by sample_batch.degrade. Timing: noisy 300 dpi A4 pages, cover and text,
through decode_payloads in this process and through IsolatedDecoder (child process; as an image, and as the
bytes of a PNG or JPEG file, which the child decodes), pinned to one CPU (the child inherits the pin).
Accuracy: N covers over every combination of rotation 0/90/180/270, skew 0/±3°, scanner noise,
JPEG quality 40 and 200 dpi; a cover counts when its payload and nothing else is read. The same number of degraded
text pages must give no payload at all. Writes bench/results/<date>-barcodes.{json,txt}; takes about 4 minutes.
"""
# ruff: noqa: E402  (the repository root goes on sys.path first, for bench)

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import argparse
import datetime
import io
import itertools
import json
import os
import time

from PIL import Image
from pyzbar import pyzbar

from appliance.adapters.coversheet_pdf import CoverSheet, render_cover_sheets
from appliance.adapters.sample_batch import degrade, demo_documents, rasterise_pdf, render_text_page
from appliance.domain.codes import ClassKey, parse_archival_code
from appliance.domain.coversheet import SEPARATOR_PAYLOAD, batch_payload, item_payload
from bench.measures import Figure, percentile
from bench.results_file import RESULTS_DIR, machine, source_state
from scanner_agent.barcodes import SYMBOLS, IsolatedDecoder, decode_payloads

NOISY = {"grain": 25, "noise": 0.005}  # gaussian sensor noise (sd 25 grey levels) and 0.5% salt and pepper
QUIET = {"grain": 8}  # no scanner is noise-free
COMBINATIONS = list(itertools.product((0, 90, 180, 270), (0.0, 3.0, -3.0), (QUIET, NOISY), (None, 40), (300, 200)))
PER_PAGE_TARGET_MS = 60.0  # the bar: ≥ 1,000 pages a minute on one core
ACCURACY_TARGET = 0.99


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tiny run to show the script works (no results file)")
    parser.add_argument("--covers", type=int, default=240, help="degraded cover sheets (and as many text pages)")
    parser.add_argument("--timing-pages", type=int, default=60, help="noisy 300 dpi pages of each kind timed")
    parser.add_argument("--cpu", type=int, default=os.cpu_count() - 1, help="the CPU the run is pinned to")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/results/<date>-barcodes.*")
    options = parser.parse_args(argv)
    if options.quick:
        options.covers, options.timing_pages, options.no_results = 8, 4, True
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    os.sched_setaffinity(0, {options.cpu})
    started = time.perf_counter()
    log(f"pinned to CPU {options.cpu}; load average {os.getloadavg()[0]:.2f}")
    covers, texts = cover_pages(), text_pages()
    figures = measure_timing(covers, texts, options.timing_pages) + measure_accuracy(covers, texts, options.covers)
    table = format_figures(figures)
    wall_seconds = time.perf_counter() - started
    print()
    print(table)
    print(f"\nwhole run: {wall_seconds:,.0f} s")
    if not options.no_results:
        print(f"results written to {write_results(figures, options, table, wall_seconds)}")
    return 0


def cover_pages() -> list[tuple[str, Image.Image]]:
    """Twelve printed covers at 300 dpi: ITEM codes, BATCH classes (with and without department), SEP."""
    items = [item_payload(parse_archival_code(f"Z109-WS·{year}-{retention}-{department}-{number:04d}"))
             for year, retention, department, number in [(2011, "Y", "BGS", 1), (2015, "D30", "CWK", 27),
                                                         (2019, "D10", "RSK", 312), (2023, "Y", "BGS", 4096)]]
    batches = [batch_payload(ClassKey("Z109", "WS", year, retention, department))
               for year, retention, department in [(2011, "D30", "BGS"), (2020, "Y", None), (2024, "D10", "CWK")]]
    payloads = items + batches + [SEPARATOR_PAYLOAD] * 2 + items[:1] + batches[:1] + [SEPARATOR_PAYLOAD]
    sheets = [CoverSheet(payload, "档案封面", ["题名：关于印发《档案管理办法》的通知", "年度：2011", "机构：办公室"])
              for payload in payloads]
    return list(zip(payloads, rasterise_pdf(render_cover_sheets(sheets), 300), strict=True))


def text_pages() -> list[Image.Image]:
    """The text pages of the demo stack: headed first pages, full body pages and short last pages."""
    return [render_text_page(lines) for document in demo_documents() for lines in document.pages]


def measure_timing(covers: list, texts: list, count: int) -> list[Figure]:
    log(f"timing: {count} noisy 300 dpi covers and {count} text pages")
    pages = {"cover": [degrade(covers[index % len(covers)][1], seed=index, **NOISY) for index in range(count)],
             "text": [degrade(texts[index % len(texts)], seed=index, **NOISY) for index in range(count)]}
    figures = []
    with IsolatedDecoder() as decoder:
        for kind, images in pages.items():
            figures += latency(f"decode_payloads, {kind} page", timed(decode_payloads, images), PER_PAGE_TARGET_MS)
            figures += latency(f"IsolatedDecoder.read, {kind} page", timed(decoder.read, images), PER_PAGE_TARGET_MS)
        for file_format in ("PNG", "JPEG"):  # what the agent holds for a captured page: the bytes of a file
            files = [encoded(image, file_format) for image in pages["cover"]]
            figures += latency(f"IsolatedDecoder.read, {file_format} bytes, cover", timed(decoder.read, files),
                               PER_PAGE_TARGET_MS)
        baseline = timed(naive_decode, pages["text"][: max(2, count // 6)])
    figures += latency("naive (grey 150 dpi, 4 rotations), text page", baseline, None)
    return figures


def encoded(image: Image.Image, file_format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, file_format, dpi=(300, 300), **({"quality": 85} if file_format == "JPEG" else {}))
    return buffer.getvalue()


def naive_decode(image: Image.Image) -> list:
    """The obvious way, for comparison: zbar on the greyscale 150 dpi page, then on each rotation if nothing."""
    small = image.reduce(2)
    for angle in (0, 90, 180, 270):
        found = pyzbar.decode(small.rotate(angle, expand=True) if angle else small, symbols=SYMBOLS)
        if found:
            return found
    return []


def timed(call, images: list) -> list[float]:
    call(images[0])  # warm up: first-call imports and the child's start
    samples = []
    for image in images:
        start = time.perf_counter()
        call(image)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def latency(name: str, samples_ms: list[float], target_ms: float | None) -> list[Figure]:
    note = f"{len(samples_ms)} pages, {60_000 / percentile(samples_ms, 0.5):,.0f} pages/min at the median"
    return [Figure(f"{name} p50", percentile(samples_ms, 0.5), "ms", target_ms, note=note),
            Figure(f"{name} p95", percentile(samples_ms, 0.95), "ms")]


def measure_accuracy(covers: list, texts: list, count: int) -> list[Figure]:
    log(f"accuracy: {count} degraded covers and {count} degraded text pages over {len(COMBINATIONS)} combinations")
    exact, misses, false_positives, failures = 0, [], 0, 0
    with IsolatedDecoder() as decoder:
        for index in range(count):
            settings = scan_settings(index)
            payload, cover = covers[index % len(covers)]
            reading = decoder.read(degrade(cover, seed=index, **settings))
            failures += reading.problem is not None
            if reading.payloads == [payload]:
                exact += 1
            else:
                misses.append(f"{payload} {settings} → {reading.payloads or reading.problem}")
            text_reading = decoder.read(degrade(texts[index % len(texts)], seed=index, **settings))
            false_positives += bool(text_reading.payloads)
            failures += text_reading.problem is not None
    for miss in misses:
        log(f"missed: {miss}")
    note = f"{exact} of {count} covers read exactly"
    return [Figure("separation accuracy (degraded covers)", exact / count * 100, "%", ACCURACY_TARGET * 100, True,
                   note),
            Figure("false positives (degraded text pages)", false_positives, "pages", 0, note=f"{count} pages"),
            Figure("decoder failures (crash or timeout)", failures, "pages", 0)]


def scan_settings(index: int) -> dict:
    rotation, skew, noise, jpeg_quality, dpi = COMBINATIONS[index % len(COMBINATIONS)]
    return {"rotation": rotation, "skew": skew, **noise, "jpeg_quality": jpeg_quality, "dpi": dpi}


def format_figures(figures: list[Figure]) -> str:
    lines = [f"{'figure':<52} {'value':>12} {'target':>10}  verdict", "-" * 86]
    for figure in figures:
        target = "" if figure.target is None else f"{'≥' if figure.at_least else '≤'} {figure.target:g}"
        lines.append(f"{figure.name:<52} {figure.value:>9.1f} {figure.unit:<3}{target:>9}  {figure.verdict}")
        if figure.note:
            lines.append(f"    ({figure.note})")
    return "\n".join(lines)


def write_results(figures: list[Figure], options, table: str, wall_seconds: float) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stem = RESULTS_DIR / f"{datetime.date.today().isoformat()}-barcodes"
    document = {"date": datetime.date.today().isoformat(), "machine": machine(), "source": source_state(REPO_ROOT),
                "settings": {"covers": options.covers, "timing_pages": options.timing_pages, "cpu": options.cpu,
                             "wall_seconds": round(wall_seconds, 1), "load_average": os.getloadavg()[0]},
                "figures": [figure.as_dict() for figure in figures],
                "notes": "One CPU; the machine may have been shared with other work during the run."}
    stem.with_suffix(".json").write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    stem.with_suffix(".txt").write_text(table + "\n")
    return stem.with_suffix(".json")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
