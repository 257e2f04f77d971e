"""Spreadsheet files: read xlsx and csv rows as raw cells; write xlsx and csv that Excel opens safely."""

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from appliance.adapters.xlsx_reader import read_xlsx_rows
from appliance.domain.catalogue_table import DANGEROUS_PREFIXES, Formula, neutralise
from appliance.domain.errors import InvalidInputError

CSV_ENCODINGS = ("utf-8-sig", "gb18030")
# Large enough that an oversized cell reaches the row check, which names its row and column.
CSV_FIELD_LIMIT = 64 * 1024 * 1024
FORMATS = ("xlsx", "csv")


def table_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InvalidInputError(f"{path.name}: expected an .xlsx or .csv file, not .{suffix or '(none)'}")
    return suffix


def read_rows(path: Path, encoding: str | None = None) -> Iterator[tuple[int, list]]:
    """Yield (row number from 1, raw cells); raises InvalidInputError for a file that cannot be read."""
    path = Path(path)
    _check_readable(path)
    kind = table_format(path)
    return read_xlsx_rows(path) if kind == "xlsx" else _read_csv(path, encoding)


def _check_readable(path: Path) -> None:
    if path.is_dir():
        raise InvalidInputError(f"{path} is a directory; give the catalogue file itself")
    if not path.exists():
        raise InvalidInputError(f"{path}: no such file")
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        raise InvalidInputError(f"{path}: cannot be read ({error.strerror})") from None


def _read_csv(path: Path, encoding: str | None) -> Iterator[tuple[int, list]]:
    text = _decode(path, encoding)
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for number, row in enumerate(reader, start=1):
            # In a CSV, a leading "=" is what Excel would run as a formula.
            yield number, [Formula(value) if value[:1] == "=" else value for value in row]
    except csv.Error as error:
        raise InvalidInputError(f"{path.name}: row {reader.line_num}: not valid CSV ({error})") from None


def _decode(path: Path, encoding: str | None) -> str:
    data = path.read_bytes()
    for candidate in (encoding,) if encoding else CSV_ENCODINGS:
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
        except LookupError:
            raise InvalidInputError(f"unknown text encoding {candidate!r}") from None
    tried = encoding or " or ".join(CSV_ENCODINGS)
    raise InvalidInputError(f"{path.name}: not text in {tried}; save it from Excel as CSV UTF-8 or GB18030")


def write_csv(path: Path, header: list[str], rows: Iterable[list], encoding: str = "utf-8-sig") -> int:
    """Write a CSV Excel opens (BOM for UTF-8), with formula-like cells neutralised; returns rows written."""
    count = 0
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([neutralise(value) if isinstance(value, str) else value for value in row])
            count += 1
    return count


def write_xlsx(path: Path, header: list[str], rows: Iterable[list], sheet_title: str = "归档文件目录") -> int:
    """Write an xlsx; strings are stored as text (quote-prefixed when formula-like), never as formulas."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    bold = Font(bold=True)
    sheet.append([_text_cell(sheet, name, bold) for name in header])
    count = 0
    for row in rows:
        sheet.append([_safe_value(sheet, value) for value in row])
        count += 1
    workbook.save(path)
    return count


def _safe_value(sheet, value):
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return _text_cell(sheet, value)
    return value


def _text_cell(sheet, value: str, font: Font | None = None) -> WriteOnlyCell:
    """A cell stored as text even when it begins like a formula (openpyxl would make it one)."""
    cell = WriteOnlyCell(sheet)
    cell._value, cell.data_type = value, "s"
    cell.quotePrefix = value.startswith(DANGEROUS_PREFIXES)
    if font is not None:
        cell.font = font
    return cell
