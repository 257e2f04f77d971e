"""Catalogue writers by format: each takes (destination, items in code order, context) and returns rows."""

from collections.abc import Iterable, Iterator
from pathlib import Path

from appliance.adapters.catalogue_pdf import write_catalogue_pdf
from appliance.adapters.tables import write_csv, write_xlsx
from appliance.domain.catalogue import Item
from appliance.domain.catalogue_table import COLUMNS, export_row
from appliance.services.catalogue_export import ExportContext

HEADER = list(COLUMNS)


def _rows(items: Iterable[Item]) -> Iterator[list]:
    for serial, item in enumerate(items, start=1):
        yield export_row(serial, item.code, item.fields)


def write_catalogue_csv(path: Path, items: Iterable[Item], _context: ExportContext) -> int:
    return write_csv(path, HEADER, _rows(items))


def write_catalogue_gb18030_csv(path: Path, items: Iterable[Item], _context: ExportContext) -> int:
    return write_csv(path, HEADER, _rows(items), encoding="gb18030")


def write_catalogue_xlsx(path: Path, items: Iterable[Item], _context: ExportContext) -> int:
    return write_xlsx(path, HEADER, _rows(items))


WRITERS = {
    "xlsx": write_catalogue_xlsx,
    "csv": write_catalogue_csv,
    "csv-gb18030": write_catalogue_gb18030_csv,  # for older Chinese Excel, which opens csv as GB18030
    "pdf": write_catalogue_pdf,
}
