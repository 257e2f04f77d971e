"""Archival checks benchmark: the four checks of DA/T 70 over 10,000 items of 3 small real PNG pages each, on SQLite.

    .venv/bin/python bench/archival_checks_bench.py [--items 10000] [--quick] [--profile PATH] [--no-results]

Set-up (not timed): a fresh appliance under a temporary home; fonds Z109 with department BGS; the items spread
over ten yearly classes (2011-2020) with gapless numbers; each page a distinct 48 x 64 greyscale PNG written into
the blob store, recorded as image/png and attached to its item; one item.create event per item naming its pages,
as intake records it. Timed: one `check_items` call over every item, in code order: digests recomputed, pages
opened, metadata, page counts, numbers and the audit history checked. The page files were just written, so they
are read from the page cache: the figure is the checks' own cost, not the disk's. Every item must pass. The rate
is judged against the issue's 200 items/s. Writes bench/results/<date>-archival-checks.json and .txt.
"""
# ruff: noqa: E402  (the repository root goes on sys.path first, for bench)

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import argparse
import hashlib
import io
import tempfile
from dataclasses import replace

from PIL import Image

from appliance.adapters.db.tables import BlobRow, ItemPageRow
from appliance.bootstrap import Appliance, build_appliance
from appliance.config import Config, DatabaseConfig
from appliance.domain.actors import Actor
from appliance.domain.blobs import BlobRef
from appliance.domain.catalogue import ItemFields, ItemState
from appliance.domain.codes import ClassKey
from appliance.services.archival_checks import check_items
from appliance.services.audit import record
from appliance.services.fonds import add_department, add_fonds
from bench.measures import Figure, Stopwatch, load_note, maybe_profiled, progress
from bench.results_file import write_named_results
from bench.watermark_bench import format_report

RATE_TARGET = 200.0  # items/s
PAGES_PER_ITEM = 3
YEARS = range(2011, 2021)
ACTOR = Actor("bench", "127.0.0.1")
FIELDS = ItemFields.build(title="关于进一步加强机关档案工作的意见", date="20110315", responsible="办公室",
                          doc_number="滨档发〔2011〕5号", pages=PAGES_PER_ITEM)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000, help="items of 3 pages each (default 10000)")
    parser.add_argument("--profile", type=Path, default=None, help="profile the checks, save the stats here")
    parser.add_argument("--quick", action="store_true", help="a tiny run: 200 items, no results file")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/results/<date>-archival-*")
    options = parser.parse_args(argv)
    if options.quick:
        options.items, options.no_results = 200, True
    if options.items < len(YEARS):
        parser.error(f"--items must be at least {len(YEARS)} (one per yearly class)")
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    with tempfile.TemporaryDirectory(prefix="archival-checks-bench-") as work:
        appliance = build_appliance(Config(home=Path(work) / "home", database=DatabaseConfig(url="")))
        try:
            codes = build_items(appliance, options.items)
            with maybe_profiled(options.profile):
                figures = measure_checks(appliance, codes)
        finally:
            appliance.close()
    report = format_report(figures) + load_note()
    print("\n" + report)
    if not options.no_results:
        print(f"results written to {write_results(figures, report, options)}")
    return 0 if all(figure.verdict != "MISS" for figure in figures) else 1


def build_items(appliance: Appliance, count: int) -> list[str]:
    """File `count` items of 3 distinct PNG pages each, logged as intake logs them; returns their codes."""
    add_fonds(appliance.uow_factory, ACTOR, "Z109", "滨江市档案局", "year-department-retention")
    add_department(appliance.uow_factory, ACTOR, "Z109", "BGS", "办公室")
    with Stopwatch() as watch:
        codes = file_items(appliance, count)
    progress(f"{count:,} items of {PAGES_PER_ITEM} pages filed in {watch.seconds:.1f} s (not timed)")
    return codes


def item_codes(count: int) -> list:
    """Codes spread over the yearly classes, numbered from 0001 in each, in code order."""
    per_class, extra = divmod(count, len(YEARS))
    codes = []
    for index, year in enumerate(YEARS):
        key = ClassKey("Z109", "WS", year, "Y", "BGS")
        codes += [key.code_for(number) for number in range(1, per_class + (index < extra) + 1)]
    return codes


def file_items(appliance: Appliance, count: int) -> list[str]:
    codes = item_codes(count)
    with appliance.uow_factory() as uow:
        uow.catalogue.add_items(((code, _fields_for(code.year)) for code in codes), ItemState.INTAKE)
        item_ids = {uow.catalogue.get_item(code.format()).id: code.format() for code in codes}
        pages = {item_id: [store_page(appliance, item_id * 10 + number) for number in range(PAGES_PER_ITEM)]
                 for item_id in item_ids}
        connection = uow.session.connection()
        connection.execute(BlobRow.__table__.insert(), [_blob_row(ref) for refs in pages.values() for ref in refs])
        connection.execute(ItemPageRow.__table__.insert(), [
            {"item_id": item_id, "sequence": sequence, "blob_sha256": ref.sha256}
            for item_id, refs in pages.items() for sequence, ref in enumerate(refs, start=1)])
        for item_id, code in item_ids.items():
            record(uow, ACTOR, "item.create", "item", code, {"pages": [ref.sha256 for ref in pages[item_id]]})
        uow.commit()
    return [code.format() for code in codes]


def _fields_for(year: int) -> ItemFields:
    return replace(FIELDS, date=f"{year}0315")  # 日期 lies in the code's year


def store_page(appliance: Appliance, serial: int) -> BlobRef:
    """A distinct small PNG page in the blob store, written straight into place: set-up speed, not durability."""
    pixels = bytes((serial >> shift) & 0xFF for shift in (0, 8, 16, 24)) * (48 * 64 // 4)
    buffer = io.BytesIO()
    Image.frombytes("L", (48, 64), pixels).save(buffer, "PNG", compress_level=1)
    data = buffer.getvalue()
    ref = BlobRef(hashlib.sha256(data).hexdigest(), hashlib.new("sm3", data).hexdigest(), len(data), "image/png")
    path = appliance.blob_store.path(ref.sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return ref


def _blob_row(ref: BlobRef) -> dict:
    return {"sha256": ref.sha256, "sm3": ref.sm3, "size": ref.size, "media_type": ref.media_type}


def measure_checks(appliance: Appliance, codes: list[str]) -> list[Figure]:
    """One check_items call over every item; every item must pass, or the run is no measure of passing items."""
    with Stopwatch() as watch:
        reports = check_items(appliance.uow_factory, appliance.blob_store, appliance.image_problem, codes)
    failed = [report for report in reports if not report.passed]
    if failed:
        raise RuntimeError(f"{len(failed)} items failed the checks, e.g. {failed[0].as_dict()}")
    rate = len(codes) / watch.seconds
    progress(f"four checks: {len(codes):,} items in {watch.seconds:.2f} s = {rate:,.0f} items/s")
    note = f"{len(codes):,} items, {len(codes) * PAGES_PER_ITEM:,} pages, {watch.seconds:.2f} s, SQLite"
    return [Figure(f"four checks, items of {PAGES_PER_ITEM} pages", rate, "items/s", RATE_TARGET, at_least=True,
                   note=note),
            Figure("four checks, per page", watch.seconds * 1000 / (len(codes) * PAGES_PER_ITEM), "ms")]


def write_results(figures: list[Figure], report: str, options) -> Path:
    settings = {"items": options.items, "pages_per_item": PAGES_PER_ITEM, "database": "sqlite"}
    return write_named_results("archival-checks", settings, figures, report)


if __name__ == "__main__":
    sys.exit(main())
