"""Watermark benchmark: display renditions of 300-dpi A4 scans, watermark stamps per view, a watermarked PDF.

    .venv/bin/python bench/watermark_bench.py [--pages 20] [--views 200] [--quick] [--profile PATH] [--no-results]

Pages: A4 text pages rendered at 300 dpi (2480 x 3508, appliance.adapters.sample_batch) with scanner grain, in four
kinds taken in turn: greyscale PNG, colour PNG (cream paper, red seal), colour JPEG (quality 90) and bitonal TIFF
(Group 4). Renditions: each page's display rendition, timed once (made once per page in production; the median per
kind is reported). Views: stamps of those renditions by a few viewers, one view a second of simulated time, so the
overlay cache hits while a viewer pages through in the same minute and misses when the minute turns or another
viewer starts; each view is classed hit or miss by the adapter's cache counters. The stamp median is judged against
the issue's 150 ms. Then the watermarked PDF of every rendition (20 by default). Writes
bench/results/<date>-watermark.json and .txt.
"""
# ruff: noqa: E402  (the repository root goes on sys.path first, for bench)

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import argparse
import datetime
import io
import os
import random
import statistics
import time

from PIL import Image, ImageDraw

from appliance.adapters.sample_batch import degrade, render_text_page
from appliance.adapters.watermark import display_rendition, overlay_cache_info, stamp, watermarked_pdf
from appliance.domain.watermark import Watermark
from bench.measures import Figure, Stopwatch, latency_figures, load_note, maybe_profiled, progress
from bench.results_file import write_named_results

SEED = 4
STAMP_TARGET_MS = 150.0
KINDS = ("greyscale PNG", "colour PNG", "colour JPEG", "bitonal TIFF")
VIEWERS = [("zhangsan", "张三"), ("lisi", "李四"), ("wangwu", "王五"), ("zhao.liu", "赵六（档案室）")]
START = datetime.datetime(2026, 11, 27, 13, 4, 30, tzinfo=datetime.UTC)
TEXT = ["滨江市档案局文件", "滨档发〔2011〕5号", "关于进一步加强机关档案工作的意见",
        "各部门应当在每年6月30日前，将上一年度形成的文件材料整理归档，移交综合档案室集中保管。",
        "电子文件应当以PDF/A格式归档，元数据符合GB/T 18894-2016的要求，并通过真实性、完整性、可用性和安全性检测。",
        "对检查中发现的问题，要认真分析原因，明确整改责任和时限，于2011年10月31日前将整改情况书面报送市档案局。"]


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=20, help="300-dpi source pages, kinds in turn (default 20)")
    parser.add_argument("--views", type=int, default=200, help="timed stamps (default 200)")
    parser.add_argument("--profile", type=Path, default=None, help="profile the views, save the stats here")
    parser.add_argument("--quick", action="store_true", help="a tiny run: 4 pages, 20 views, no results file")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/results/<date>-watermark.*")
    options = parser.parse_args(argv)
    if options.quick:
        options.pages, options.views, options.no_results = 4, 20, True
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    sources = source_pages(options.pages)
    progress(f"{len(sources)} pages of 2480x3508 rendered; load average {os.getloadavg()[0]:.2f}")
    renditions, figures = rendition_figures(sources)
    with maybe_profiled(options.profile):
        figures += stamp_figures(renditions, options.views)
    figures += pdf_figures([rendition for _, rendition in renditions])
    report = format_report(figures) + load_note()
    print("\n" + report)
    if not options.no_results:
        print(f"results written to {write_results(figures, report, options)}")
    return 0 if all(figure.verdict != "MISS" for figure in figures) else 1


def source_pages(count: int) -> list[tuple[str, bytes]]:
    """(kind, file bytes) for `count` distinct pages, the kinds in turn; seeded, so every run scans the same."""
    chooser = random.Random(SEED)
    pages = []
    for number in range(count):
        grey = degrade(render_text_page(chooser.sample(TEXT, len(TEXT)) * 3), grain=3, seed=number)
        kind = KINDS[number % len(KINDS)]
        pages.append((kind, encoded(kind, grey)))
    return pages


def encoded(kind: str, grey: Image.Image) -> bytes:
    buffer = io.BytesIO()
    if kind == "greyscale PNG":
        grey.save(buffer, "PNG", compress_level=1)  # quick to write; decoding costs about the same at any level
    elif kind == "bitonal TIFF":
        grey.point(lambda value: 255 if value > 128 else 0).convert("1").save(buffer, "TIFF", compression="group4")
    else:
        coloured(grey).save(buffer, *(("PNG",) if kind == "colour PNG" else ("JPEG",)), compress_level=1, quality=90)
    return buffer.getvalue()


def coloured(grey: Image.Image) -> Image.Image:
    """The grey page on cream paper with a red seal, as a colour scan would look."""
    page = Image.merge("RGB", (grey, grey.point(lambda value: value * 0.98), grey.point(lambda value: value * 0.92)))
    ImageDraw.Draw(page).ellipse((1500, 2600, 2100, 3200), outline=(200, 30, 30), width=24)
    return page


def rendition_figures(sources: list[tuple[str, bytes]]) -> tuple[list[tuple[str, bytes]], list[Figure]]:
    """Each page's display rendition, and the median time per kind of source."""
    display_rendition(sources[0][1])  # imports, font and codec set-up: not part of any page's time
    renditions, times = [], {kind: [] for kind in KINDS}
    for kind, data in sources:
        with Stopwatch() as watch:
            rendition = display_rendition(data)
        times[kind].append(watch.seconds * 1000)
        renditions.append((kind, rendition))
    figures = [Figure(f"rendition, {kind} (median of {len(samples)})", statistics.median(samples), "ms",
                      note="once per page, stored as a derivative")
               for kind, samples in times.items() if samples]
    sizes = [len(rendition) / 1024 for _, rendition in renditions]
    figures.append(Figure("rendition size, mean", statistics.mean(sizes), "KiB"))
    return renditions, figures


def views(count: int, page_count: int) -> list[tuple[int, Watermark]]:
    """(page index, watermark) for `count` views one second apart: a viewer reads a run of pages, then another."""
    chooser = random.Random(SEED)
    plan, viewer = [], chooser.choice(VIEWERS)
    for second in range(count):
        if chooser.random() < 0.1:
            viewer = chooser.choice(VIEWERS)
        address = f"10.0.{VIEWERS.index(viewer)}.{20 + VIEWERS.index(viewer)}"
        moment = START + datetime.timedelta(seconds=second)
        plan.append((second % page_count, Watermark(viewer[0], viewer[1], moment, address)))
    return plan


def stamp_figures(renditions: list[tuple[str, bytes]], count: int) -> list[Figure]:
    """Stamp latency over `count` views: p50 (judged), p95, p99, by kind of page and by cache outcome."""
    stamp(renditions[0][1], Watermark("warm-up", "", START - datetime.timedelta(days=1), "127.0.0.1"))
    samples, by_kind, misses = [], {}, []
    for index, watermark in views(count, len(renditions)):
        kind, rendition = renditions[index]
        misses_before = overlay_cache_info().misses
        start = time.perf_counter()
        stamp(rendition, watermark)
        elapsed = (time.perf_counter() - start) * 1000
        samples.append(elapsed)
        by_kind.setdefault("colour" if kind.startswith("colour") else "greyscale", []).append(elapsed)
        if overlay_cache_info().misses > misses_before:
            misses.append(elapsed)
    progress(f"{count} stamps, {len(misses)} overlay cache misses")
    figures = latency_figures("stamp", samples, STAMP_TARGET_MS, judged="p50")
    figures += [Figure(f"stamp p50, {kind} pages", statistics.median(values), "ms") for kind, values in by_kind.items()]
    if misses:
        figures.append(Figure("stamp p50 on an overlay cache miss", statistics.median(misses), "ms"))
    figures.append(Figure("overlay cache hits", 100 * (count - len(misses)) / count, "%"))
    return figures


def pdf_figures(renditions: list[bytes]) -> list[Figure]:
    watermark = Watermark("zhangsan", "张三", START, "10.0.0.7")
    with Stopwatch() as watch:
        pdf = watermarked_pdf(renditions, watermark)
    return [Figure(f"watermarked PDF of {len(renditions)} pages", watch.seconds * 1000, "ms"),
            Figure("watermarked PDF size per page", len(pdf) / len(renditions) / 1024, "KiB")]


def format_report(figures: list[Figure]) -> str:
    lines = [f"{'figure':<44} {'value':>16} {'target':>9}  verdict", "-" * 80]
    for figure in figures:
        target = "" if figure.target is None else f"{'≥' if figure.at_least else '≤'} {figure.target:g}"
        lines.append(f"{figure.name:<44} {figure.value:>9.1f} {figure.unit:<6} {target:>9}  {figure.verdict}")
        if figure.note:
            lines.append(f"{'':<3}({figure.note})")
    return "\n".join(lines)


def write_results(figures: list[Figure], report: str, options) -> Path:
    settings = {"pages": options.pages, "views": options.views, "seed": SEED}
    return write_named_results("watermark", settings, figures, report)


if __name__ == "__main__":
    sys.exit(main())
