"""The catalogue as a table (归档文件目录, 2015 columns): headers, cells and rows, both ways.

Readers of xlsx and csv live in adapters; this module decides what a header means, turns raw
cells into validated items, and neutralises cells on export so a spreadsheet never runs them.
"""

import datetime
from dataclasses import dataclass

from appliance.domain.catalogue import AccessLabel, ItemFields, parse_access_label, parse_document_date
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
    values = {header: _cell(cells, index, row_number, header) for header, index in positions.items()}
    code = _field(row_number, "档号", lambda: parse_archival_code(_text(values["档号"], "档号")), "malformed")
    fields = {
        "title": _field(row_number, "题名", lambda: _text(values["题名"], "题名")),
        "date": _field(row_number, "日期", lambda: parse_document_date(_date_text(values["日期"]))),
        "responsible": _text(values.get("责任者"), "责任者", required=False),
        "doc_number": _text(values.get("文号"), "文号", required=False),
        "access_label": _field(row_number, "密级", lambda: _access_label(values.get("密级"), default_label)),
        "pages": _field(row_number, "页数", lambda: _whole_number(values["页数"])),
        "notes": _text(values.get("备注"), "备注", required=False),
    }
    return code, _field(row_number, "", lambda: ItemFields.build(**fields))


class RowError(InvalidInputError):
    def __init__(self, problem: CellProblem):
        self.problem = problem
        super().__init__(str(problem))


def _field(row_number: int, column: str, parse, kind: str = "invalid"):
    try:
        return parse()
    except RowError:
        raise
    except InvalidInputError as error:
        raise RowError(CellProblem(row_number, column or _guess_column(str(error)), str(error), kind)) from None


def _guess_column(message: str) -> str:
    for header in COLUMNS:
        if header in message:
            return header
    return ""


def _access_label(value, default_label: AccessLabel) -> AccessLabel:
    text = _text(value, "密级", required=False)
    return parse_access_label(text) if text else default_label


def _cell(cells: list, index: int, row_number: int, header: str):
    value = cells[index] if index < len(cells) else None
    if isinstance(value, Formula):
        raise RowError(CellProblem(row_number, header, f"holds a formula ({value[:40]}); enter the value itself"))
    if isinstance(value, str) and len(value) > MAX_CELL_CHARACTERS:
        raise RowError(CellProblem(row_number, header, f"cell holds {len(value):,} characters; at most "
                                                       f"{MAX_CELL_CHARACTERS:,} allowed"))
    return value


def _text(value, header: str, required: bool = True) -> str:
    if value is None:
        text = ""
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value).strip()
    text = unneutralise(text)
    if required and not text:
        raise InvalidInputError(f"{header} is empty")
    return text


def _date_text(value) -> str:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%Y%m%d")
    return _text(value, "日期")


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
    if text.startswith("'") and text[1:].startswith(DANGEROUS_PREFIXES):
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
