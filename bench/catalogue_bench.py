"""Catalogue benchmark: import, look-up, paging and audit verification at a million items.

    .venv/bin/python bench/catalogue_bench.py [--items N] [--databases sqlite,postgresql] [--out DIR]

One fonds of N items (20 years × 3 retentions × 10 departments = 600 classes) is imported from CSV
through the real import service, a second fonds (--xlsx-items, default also 1,000,000) from xlsx
into the same database. Then 50,000 audit events go through services.audit.record (timed), the
chain is bulk-filled to 1,000,000 events and verified (timed), and look-ups and filtered pages are
timed. Prints a table with each target and PASS/MISS and writes bench/results/<date>-catalogue.json.
PostgreSQL runs in a throw-away cluster (fsync off). The default run takes about 7 minutes.
"""
# ruff: noqa: E402  (the repository root goes on sys.path first, for tests.support and bench)

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import argparse
import contextlib
import random
import shutil
import tempfile
import time

from appliance.adapters.tables import read_rows
from appliance.bootstrap import Appliance, build_appliance
from appliance.config import Config, DatabaseConfig
from appliance.domain.actors import Actor
from appliance.domain.catalogue import ItemFilter
from appliance.services.audit import record, verify_audit_chain
from appliance.services.catalogue_import import import_catalogue
from appliance.services.fonds import add_department, add_fonds
from appliance.services.items import list_items, show_item
from bench.audit_fill import ACTION as AUDIT_ACTION
from bench.audit_fill import DETAILS as AUDIT_DETAILS
from bench.audit_fill import fill_audit_chain
from bench.catalogue_data import (
    DEPARTMENTS,
    RETENTIONS,
    CatalogueShape,
    write_catalogue_csv,
    write_catalogue_xlsx,
)
from bench.measures import (
    Figure,
    Stopwatch,
    format_table,
    latency_figures,
    maybe_profiled,
    progress,
    timed_calls,
)
from bench.results_file import source_state, write_results

DATABASES = ("sqlite", "postgresql")
ACTOR = Actor("bench", "local")
SCHEME = "year-retention-department"
CSV_FONDS = ("Z109", "滨江市人民政府办公室")
XLSX_FONDS = ("Z110", "滨江市档案局")
FIRST_YEAR, YEARS = 2000, 20
AUDIT_COMMIT_EVERY = 50_000
SEED = 15


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="items in the CSV fonds")
    parser.add_argument("--xlsx-items", type=int, default=1_000_000, help="items in the xlsx fonds")
    parser.add_argument("--audit-events", type=int, default=1_000_000,
                        help="audit events in the chain when it is verified")
    parser.add_argument("--audit-sample", type=int, default=50_000,
                        help="of those, how many go through services.audit.record (timed); the rest are bulk-filled")
    parser.add_argument("--lookups", type=int, default=2000, help="random archival codes looked up")
    parser.add_argument("--pages", type=int, default=500, help="random (year, retention) pairs paged")
    parser.add_argument("--databases", default=",".join(DATABASES), type=_database_list)
    parser.add_argument("--out", type=Path, help="working directory kept after the run (default: a temp dir)")
    parser.add_argument("--profile", action="store_true",
                        help="profile each timed bulk phase with cProfile (slows it: rates are not comparable)")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/results/<date>-catalogue.json")
    return parser.parse_args(argv)


def _database_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in DATABASES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"databases must be among {', '.join(DATABASES)}, not {text!r}")
    return names


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    started = time.perf_counter()
    options.source = source_state(REPO_ROOT)
    progress(f"appliance code: {options.source['commit'][:12]}"
              + (f" with uncommitted changes to {', '.join(options.source['changed'])}"
                 if options.source["changed"] else ""))
    work = options.out or Path(tempfile.mkdtemp(prefix="dangan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        files = prepare_files(work, options)
        results = {database: run_database(database, work, files, options) for database in options.databases}
    finally:
        if options.out is None and not options.profile:
            shutil.rmtree(work, ignore_errors=True)
    wall_seconds = time.perf_counter() - started
    print()
    print(format_table(results))
    print(f"\nwhole run: {wall_seconds:,.0f} s ({wall_seconds / 60:.1f} min)")
    if not options.no_results:
        print(f"results written to {write_results(results, _run_settings(options, wall_seconds))}")
    misses = sum(figure.verdict == "MISS" for figures in results.values() for figure in figures)
    return 1 if misses else 0


class BenchFiles:
    def __init__(self, work: Path, options: argparse.Namespace):
        self.csv_shape = CatalogueShape(CSV_FONDS[0], FIRST_YEAR, YEARS, options.items)
        self.xlsx_shape = CatalogueShape(XLSX_FONDS[0], FIRST_YEAR, YEARS, options.xlsx_items)
        self.csv = work / f"catalogue-{CSV_FONDS[0]}-{options.items}.csv"
        self.xlsx = work / f"catalogue-{XLSX_FONDS[0]}-{options.xlsx_items}.xlsx"


def prepare_files(work: Path, options: argparse.Namespace) -> BenchFiles:
    files = BenchFiles(work, options)
    with Stopwatch() as watch:
        write_catalogue_csv(files.csv, files.csv_shape)
    progress(f"wrote {files.csv.name}: {options.items:,} rows, {_megabytes(files.csv)} in {watch.seconds:.1f} s")
    with Stopwatch() as watch:
        write_catalogue_xlsx(files.xlsx, files.xlsx_shape)
    progress(f"wrote {files.xlsx.name}: {options.xlsx_items:,} rows, {_megabytes(files.xlsx)} "
              f"in {watch.seconds:.1f} s")
    return files


def run_database(database: str, work: Path, files: BenchFiles, options: argparse.Namespace) -> list[Figure]:
    progress(f"=== {database}")
    home = work / f"{database}-home"
    shutil.rmtree(home, ignore_errors=True)
    with database_url(database) as url:
        appliance = build_appliance(Config(home=home, database=DatabaseConfig(url=url)))
        try:
            return benchmark(appliance, database, files, options, work)
        finally:
            appliance.close()


@contextlib.contextmanager
def database_url(database: str):
    """An empty SQLite URL (the appliance's own file under its home), or a fresh PostgreSQL database."""
    if database == "sqlite":
        yield ""
        return
    from tests.support.postgres import start_postgres

    server = start_postgres()
    try:
        server.execute("CREATE DATABASE bench")
        yield server.url("bench")
    finally:
        server.stop()


def benchmark(appliance: Appliance, database: str, files: BenchFiles, options, work: Path) -> list[Figure]:
    def profile(phase: str) -> Path | None:
        return work / f"{database}-{phase}.prof" if options.profile else None

    for code, name in (CSV_FONDS, XLSX_FONDS):
        register_fonds(appliance.uow_factory, code, name)
    figures = [
        measure_import(appliance, files.csv, files.csv_shape, "CSV import", 20_000, profile("csv-import")),
        measure_import(appliance, files.xlsx, files.xlsx_shape, "xlsx import", 5_000, profile("xlsx-import")),
    ]
    figures += measure_audit(appliance, files.csv_shape, options, profile("audit"))
    figures += measure_lookups(appliance, files.csv_shape, options.lookups)
    figures += measure_pages(appliance, files.csv_shape, options.pages)
    return figures


def register_fonds(uow_factory, code: str, name: str) -> None:
    add_fonds(uow_factory, ACTOR, code, name, SCHEME)
    for department, (department_name, _prefix) in DEPARTMENTS.items():
        add_department(uow_factory, ACTOR, code, department, department_name)


def measure_import(appliance: Appliance, path: Path, shape: CatalogueShape, label: str, target: float,
                   profile_path: Path | None) -> Figure:
    """Items per second through import_catalogue, reading the file included."""
    with maybe_profiled(profile_path), Stopwatch() as watch:
        report = import_catalogue(appliance.uow_factory, appliance.blob_store, ACTOR, path, read_rows(path))
    if report.items != shape.items:
        raise RuntimeError(f"{label} imported {report.items} items, expected {shape.items}")
    rate = shape.items / watch.seconds
    progress(f"{label}: {shape.items:,} items in {watch.seconds:.1f} s = {rate:,.0f} items/s")
    note = f"{shape.items:,} rows, {watch.seconds:.1f} s"
    return Figure(f"{label} rate", rate, "items/s", target, at_least=True, note=note)


def measure_audit(appliance: Appliance, shape: CatalogueShape, options, profile_path: Path | None) -> list:
    """Time the real append path on a sample, fill the chain up to the target count, then verify it all."""
    chooser = random.Random(SEED)
    codes = [shape.random_code(chooser).format() for _ in range(10_000)]
    sample = min(options.audit_sample, options.audit_events)
    with maybe_profiled(profile_path and profile_path.with_suffix(".append.prof")), Stopwatch() as append:
        append_audit_events(appliance.uow_factory, codes, sample)
    rate = sample / append.seconds
    progress(f"audit append (record): {sample:,} events in {append.seconds:.1f} s = {rate:,.0f} events/s")
    with Stopwatch() as fill:
        fill_audit_chain(appliance.engine, codes, options.audit_events - sample)
    progress(f"audit fill (bulk, bench only): {options.audit_events - sample:,} events in {fill.seconds:.1f} s")
    with maybe_profiled(profile_path and profile_path.with_suffix(".verify.prof")), Stopwatch() as verify:
        report = verify_audit_chain(appliance.uow_factory)
    if not report.ok or report.events_checked < options.audit_events:
        raise RuntimeError(f"audit chain did not verify: {report}")
    progress(f"audit verify: {report.events_checked:,} events in {verify.seconds:.1f} s")
    return [
        Figure("audit append rate (record, one unit of work)", rate, "events/s",
               note=f"{sample:,} events, commit every {AUDIT_COMMIT_EVERY:,}, {append.seconds:.1f} s"),
        Figure("audit chain verify", verify.seconds, "s", 10, note=f"{report.events_checked:,} events"),
    ]


def append_audit_events(uow_factory, codes: list[str], events: int) -> None:
    """The real path: services.audit.record in a loop inside one unit of work."""
    with uow_factory() as uow:
        for index in range(events):
            record(uow, ACTOR, AUDIT_ACTION, "item", codes[index % len(codes)], AUDIT_DETAILS)
            if (index + 1) % AUDIT_COMMIT_EVERY == 0:
                uow.commit()
        uow.commit()


def measure_lookups(appliance: Appliance, shape: CatalogueShape, count: int) -> list[Figure]:
    """show_item (a unit of work each) and the bare repository get_item (one unit of work for all)."""
    chooser = random.Random(SEED + 1)
    service_codes = [shape.random_code(chooser).format() for _ in range(count)]
    service = timed_calls(lambda code: show_item(appliance.uow_factory, code), service_codes)
    repository_codes = [shape.random_code(chooser).format() for _ in range(count)]
    with appliance.uow_factory(read_only=True) as uow:
        repository = timed_calls(lambda code: _found(uow.catalogue.get_item(code), code), repository_codes)
    progress(f"look-ups: {count:,} show_item and {count:,} get_item")
    return (latency_figures(f"show_item ({count:,} codes)", service, 2, "p95")
            + latency_figures(f"repository get_item ({count:,} codes)", repository, 2, "p95"))


def _found(item, code: str):
    if item is None:
        raise RuntimeError(f"item {code} not found")
    return item


def measure_pages(appliance: Appliance, shape: CatalogueShape, count: int) -> list[Figure]:
    """list_items pages of 50 for random (year, retention): first pages, and deep pages after a random item."""
    chooser = random.Random(SEED + 2)
    years = range(shape.first_year, shape.first_year + shape.years)
    pairs = [(chooser.choice(years), chooser.choice(RETENTIONS)) for _ in range(count)]
    first = timed_calls(lambda pair: _page(appliance, shape.fonds, pair, None), pairs)
    deep_starts = [(year, retention, shape.random_code_in(year, retention, chooser).format())
                   for year, retention in pairs]
    deep = timed_calls(lambda start: _page(appliance, shape.fonds, start[:2], start[2]), deep_starts)
    progress(f"pages: {count:,} first pages and {count:,} deep pages")
    return (latency_figures(f"list_items first page ({count} pairs)", first, 20, "p95", (0.50, 0.95))
            + latency_figures(f"list_items deep page ({count} pairs)", deep, 20, "p95", (0.50, 0.95)))


def _page(appliance: Appliance, fonds: str, pair: tuple[int, str], after: str | None):
    year, retention = pair
    page = list_items(appliance.uow_factory, ItemFilter(fonds, year, retention), after=after, limit=50)
    if after is None and len(page.items) != 50:
        raise RuntimeError(f"first page of {fonds} {year} {retention} holds {len(page.items)} items, not 50")
    return page


def _run_settings(options: argparse.Namespace, wall_seconds: float) -> dict:
    return {
        "items": options.items,
        "xlsx_items": options.xlsx_items,
        "audit_events": options.audit_events,
        "audit_sample": options.audit_sample,
        "lookups": options.lookups,
        "page_pairs": options.pages,
        "profiled": options.profile,
        "wall_seconds": round(wall_seconds, 1),
        "source": options.source,
    }


def _megabytes(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:,.0f} MB"




if __name__ == "__main__":
    sys.exit(main())
