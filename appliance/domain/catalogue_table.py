"""The catalogue as a table (归档文件目录, 2015 columns): headers, cells and rows, both ways.

Readers of xlsx and csv live in adapters; this module decides what a header means, turns raw
cells into validated items, and neutralises cells on export so a spreadsheet never runs them.
"""

import datetime
from dataclasses import dataclass

from appliance.domain.catalogue import (
    AccessLabel,
    ItemFields,
    check_length,
    check_pages,
    normalise_title,
    parse_access_label,
    parse_document_date,
)
from appliance.domain.codes import ArchivalCode, parse_archival_code
from appliance.domain.errors import InvalidInputError

# Column header → field name, in the order DA/T 22-2015 prints them.
COLUMNS: dict[str, str] = {
    "序号": "row",
    "档号": "code",
    "文号": "doc_number",
    "责任者": "responsible",
    "题名": "title",
    "日期": "date",
    "密级": "access_label",
    "页数": "pages",
    "备注": "notes",
}
ENGLISH_HEADERS = {
    "no.": "序号",
    "archival code": "档号",
    "document number": "文号",
    "responsible": "责任者",
    "title": "题名",
    "date": "日期",
    "access label": "密级",
    "pages": "页数",
    "notes": "备注",
}
REQUIRED_COLUMNS = ("档号", "责任者", "题名", "日期", "页数")
MAX_CELL_CHARACTERS = 32767  # Excel's own limit for one cell
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_DANGEROUS_FIRST_CHARACTERS = frozenset(DANGEROUS_PREFIXES)


class Formula(str):
    """A cell that holds a formula rather than a value; never imported."""


@dataclass(frozen=True)
class CellProblem:
    row: int
    column: str
    message: str
    kind: str = "invalid"  # invalid | malformed | duplicate

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


def normalise_header(text) -> str:
    """`题　名` and `题 名` mean 题名; English headers map to the Chinese ones."""
    header = "".join(str(text or "").split()).replace("\u3000", "")
    spaced = " ".join(str(text or "").split()).lower()
    return ENGLISH_HEADERS.get(spaced, header)


def map_headers(headers: list, header_row: int) -> dict[str, int]:
    """Column index of each known header; raises ImportRefusedError-worthy problems as InvalidInputError."""
    positions: dict[str, int] = {}
    for index, raw in enumerate(headers):
        header = normalise_header(raw)
        if not header:
            continue
        if header not in COLUMNS:
            known = "、".join(COLUMNS)
            raise InvalidInputError(
                f"row {header_row}: unknown column {str(raw)!r}; the catalogue columns are {known} "
                "(remove or rename the column)"
            )
        if header in positions:
            raise InvalidInputError(f"row {header_row}: column {header} appears twice")
        positions[header] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        raise InvalidInputError(f"row {header_row}: required column(s) missing: {'、'.join(missing)}")
    return positions


def is_header_row(cells: list) -> bool:
    return any(normalise_header(cell) == "档号" for cell in cells)


def parse_row(cells: list, positions: dict[str, int], row_number: int,
              default_label: AccessLabel) -> tuple[ArchivalCode, ItemFields]:
    """Turn one row's raw cells into a code and validated fields; raises RowError naming row and column."""
    width = len(cells)
    values = {header: cells[index] if index < width else None for header, index in positions.items()}
    parsed, header = {}, ""
    try:
        for header, value in values.items():  # noqa: B007 - the header names the cell in the error
            _check_cell(value)
        for header, name, parse in _PARSERS:
            parsed[name] = parse(values.get(header), default_label)
    except InvalidInputError as error:
        kind = "malformed" if header == "档号" else "invalid"
        raise RowError(CellProblem(row_number, header, str(error), kind)) from None
    title, supplied = parsed.pop("title")
    return parsed.pop("code"), ItemFields(**parsed, title=title, supplied_title=supplied)


class RowError(InvalidInputError):
    def __init__(self, problem: CellProblem):
        self.problem = problem
        super().__init__(str(problem))


def _code(value, _default) -> ArchivalCode:
    return parse_archival_code(_text(value, "档号"))


def _title(value, _default) -> tuple[str, bool]:
    return normalise_title(_text(value, "题名"))


def _date(value, _default) -> str:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%Y%m%d")
    return parse_document_date(_text(value, "日期"))


def _optional_text(header: str, field_name: str):
    def parse(value, _default) -> str:
        return check_length(_text(value, header, required=False), field_name, header)

    return parse


def _access_label(value, default_label: AccessLabel) -> AccessLabel:
    text = _text(value, "密级", required=False)
    return parse_access_label(text) if text else default_label


def _pages(value, _default) -> int:
    return check_pages(_whole_number(value))


# Each catalogue column: its header, the ItemFields field it fills, and how its cell is read.
_PARSERS = (
    ("档号", "code", _code),
    ("题名", "title", _title),
    ("日期", "date", _date),
    ("责任者", "responsible", _optional_text("责任者", "responsible")),
    ("文号", "doc_number", _optional_text("文号", "doc_number")),
    ("密级", "access_label", _access_label),
    ("页数", "pages", _pages),
    ("备注", "notes", _optional_text("备注", "notes")),
)


def _check_cell(value) -> None:
    if isinstance(value, Formula):
        raise InvalidInputError(f"holds a formula ({value[:40]}); enter the value itself")
    if isinstance(value, str) and len(value) > MAX_CELL_CHARACTERS:
        raise InvalidInputError(f"cell holds {len(value):,} characters; at most {MAX_CELL_CHARACTERS:,} allowed")


def _text(value, header: str, required: bool = True) -> str:
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = unneutralise(value.strip())
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value).strip()
    if required and not text:
        raise InvalidInputError(f"{header} is empty")
    return text


def _whole_number(value) -> int:
    if isinstance(value, bool):
        raise InvalidInputError(f"页数 must be a whole number, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value, "页数")
    if not text.isdigit():
        raise InvalidInputError(f"页数 must be a whole number, not {text!r}")
    return int(text)


def neutralise(text: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula (CSV injection) with an apostrophe."""
    return "'" + text if text.startswith(DANGEROUS_PREFIXES) else text


def unneutralise(text: str) -> str:
    if text[:1] == "'" and text[1:2] in _DANGEROUS_FIRST_CHARACTERS:
        return text[1:]
    return text


def export_row(serial: int, code: ArchivalCode, fields: ItemFields) -> list:
    """One catalogue row in the column order of COLUMNS, values as they are printed."""
    return [
        serial,
        code.format(),
        fields.doc_number,
        fields.responsible,
        fields.title,
        fields.date,
        fields.access_label.value,
        fields.pages,
        fields.notes,
    ]
