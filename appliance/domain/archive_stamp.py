"""The archiving stamp (归档章) of DA/T 22-2015: two rows of three cells, drawn on an item's first page.

Top row: fonds (全宗号), year (年度), item number (件号); bottom row: department (机构（问题）), retention
(保管期限), pages (页数). The standard makes the department cell optional: it stays empty for a fonds not
arranged by department.
"""

from dataclasses import dataclass

from appliance.domain.codes import FONDS_PATTERN, MAX_ITEM_NUMBER, ArchivalCode
from appliance.domain.errors import InvalidInputError
from appliance.domain.retention import RETENTION_PERIODS

CELL_LABELS: tuple[tuple[str, str, str], tuple[str, str, str]] = (
    ("全宗号", "年度", "件号"),
    ("机构（问题）", "保管期限", "页数"),
)
MAX_PAGES = 99999  # five digits is what a cell of the stamp holds at a readable size
MAX_DEPARTMENT_LENGTH = 12  # characters: a longer name would be shrunk below legibility in a 15 mm cell
RETENTION_NAMES = tuple(period.name_zh for period in RETENTION_PERIODS.values())


@dataclass(frozen=True, slots=True)
class ArchiveStamp:
    """What one archiving stamp shows; `department` is a name, a code, or "" for none."""

    fonds: str
    year: int
    item_number: int
    department: str
    retention_name: str
    pages: int

    def __post_init__(self):
        problem = _first_problem(self)
        if problem:
            raise InvalidInputError(f"archiving stamp: {problem}")

    @classmethod
    def from_code(cls, code: ArchivalCode, department_name: str | None, pages: int) -> "ArchiveStamp":
        """The stamp of an item with `code` and `pages` pages; the department's name wins over its code.

        Raises InvalidInputError for pages below 1 or above MAX_PAGES, or a department name that does not fit.
        """
        department = (department_name or "").strip() or code.department or ""
        retention_name = RETENTION_PERIODS[code.retention].name_zh
        return cls(code.fonds, code.year, code.item_number, department, retention_name, pages)

    def cells(self) -> tuple[tuple[str, str, str], tuple[str, str, str]]:
        """The values as printed, in the layout of CELL_LABELS (the item number with four digits, like the code)."""
        return (
            (self.fonds, f"{self.year:04d}", f"{self.item_number:04d}"),
            (self.department, self.retention_name, str(self.pages)),
        )


def _first_problem(stamp: ArchiveStamp) -> str | None:
    checks = (
        (isinstance(stamp.fonds, str) and FONDS_PATTERN.fullmatch(stamp.fonds),
         f"fonds number {stamp.fonds!r} must be 4 letters or digits"),
        (_is_int(stamp.year) and 1000 <= stamp.year <= 9999, f"year {stamp.year!r} must have 4 digits"),
        (_is_int(stamp.item_number) and 1 <= stamp.item_number <= MAX_ITEM_NUMBER,
         f"item number {stamp.item_number!r} must be between 1 and {MAX_ITEM_NUMBER}"),
        (isinstance(stamp.department, str) and _printable(stamp.department),
         f"department {stamp.department!r} must be one line of text"),
        (isinstance(stamp.department, str) and len(stamp.department) <= MAX_DEPARTMENT_LENGTH,
         f"department {stamp.department!r} is longer than {MAX_DEPARTMENT_LENGTH} characters: use its code"),
        (stamp.retention_name in RETENTION_NAMES,
         f"retention {stamp.retention_name!r} is not one of {', '.join(RETENTION_NAMES)}"),
        (_is_int(stamp.pages) and 1 <= stamp.pages <= MAX_PAGES,
         f"pages {stamp.pages!r} must be between 1 and {MAX_PAGES}"),
    )
    return next((message for passed, message in checks if not passed), None)


def _is_int(value) -> bool:
    # bool is an int subclass: True pages is a mistake, not one page.
    return isinstance(value, int) and not isinstance(value, bool)


def _printable(text: str) -> bool:
    return text == text.strip() and all(character.isprintable() for character in text)
