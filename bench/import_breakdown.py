"""Where a catalogue import spends its time, stage by stage, in µs per row (no profiler overhead).

    .venv/bin/python bench/import_breakdown.py [--items N] [--databases sqlite,postgresql] [--format csv]

Read the file; read and parse the cells; insert already parsed rows through the repository; then the
whole service. What the whole service costs beyond parsing and inserting is its validation against
the database (class checks, duplicate codes), the blob copy of the file and the commit.
"""
# ruff: noqa: E402  (the repository root goes on sys.path first, for tests.support and bench)

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import argparse
import contextlib
import shutil
import tempfile

from appliance.adapters.tables import read_rows
from appliance.bootstrap import build_appliance
from appliance.config import Config, DatabaseConfig
from appliance.domain.catalogue import AccessLabel, ItemState
from appliance.domain.catalogue_table import map_headers, parse_row
from appliance.services.catalogue_import import import_catalogue
from bench.catalogue_bench import ACTOR, CSV_FONDS, FIRST_YEAR, YEARS, database_url, register_fonds
from bench.catalogue_data import CatalogueShape, write_catalogue_csv, write_catalogue_xlsx
from bench.measures import Stopwatch


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    options = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="dangan-breakdown-"))
    try:
        shape = CatalogueShape(CSV_FONDS[0], FIRST_YEAR, YEARS, options.items)
        path = work / f"catalogue.{options.format}"
        (write_catalogue_csv if options.format == "csv" else write_catalogue_xlsx)(path, shape)
        stage("read_rows", options.items, lambda: _drain(read_rows(path)))
        stage("read_rows + parse_row", options.items, lambda: _parse_all(path))
        for database in options.databases.split(","):
            breakdown_database(database.strip(), work, path, options.items)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def breakdown_database(database: str, work: Path, path: Path, items: int) -> None:
    """Each stage on a database of its own: a rolled-back insert leaves PostgreSQL dead index entries."""
    parsed = _parse_all(path)
    with fresh_appliance(database, work / f"{database}-insert") as appliance, appliance.uow_factory() as uow:
        stage(f"{database}: add_items of parsed rows only", items,
              lambda: uow.catalogue.add_items(iter(parsed), ItemState.ARCHIVED))
    with fresh_appliance(database, work / f"{database}-import") as appliance:
        stage(f"{database}: whole import_catalogue", items, lambda: import_catalogue(
            appliance.uow_factory, appliance.blob_store, ACTOR, path, read_rows(path)))


@contextlib.contextmanager
def fresh_appliance(database: str, home: Path):
    with database_url(database) as url:
        appliance = build_appliance(Config(home=home, database=DatabaseConfig(url=url)))
        try:
            register_fonds(appliance.uow_factory, *CSV_FONDS)
            yield appliance
        finally:
            appliance.close()


def stage(label: str, items: int, work):
    with Stopwatch() as watch:
        result = work()
    per_row = f"{watch.seconds / items * 1e6:8.1f} µs/row" if items else " " * 15
    print(f"{label:<52} {watch.seconds:7.2f} s {per_row}", flush=True)
    return result


def _drain(rows) -> None:
    for _ in rows:
        pass


def _parse_all(path: Path) -> list:
    rows = read_rows(path)
    _number, header = next(rows)
    positions = map_headers(header, 1)
    return [parse_row(cells, positions, number, AccessLabel.INTERNAL) for number, cells in rows]


if __name__ == "__main__":
    main()
