"""Archival codes (档号) of DA/T 22-2015: `fonds-category·year-retention[-department]-item`.

`·` (U+00B7) separates codes of one level; `.` is accepted in its place, as cover sheets and file
names write it. Parsing and formatting are exact inverses for every code this module accepts.
"""

import re
from dataclasses import dataclass

from appliance.domain.errors import InvalidInputError
from appliance.domain.retention import RETENTION_PERIODS

MIDDLE_DOT = "\u00b7"
MAX_ITEM_NUMBER = 99999

FONDS_PATTERN = re.compile(r"[A-Z0-9]{4}")
CATEGORY_PATTERN = re.compile(r"[A-Z]{1,4}")
DEPARTMENT_PATTERN = re.compile(r"[A-Z0-9]{3}")

_RETENTION = "|".join(RETENTION_PERIODS)
_CODE_PATTERN = re.compile(
    r"(?P<fonds>[A-Z0-9]{4})-(?P<category>[A-Z]{1,4})[\u00b7.]"
    r"(?P<year>\d{4})-(?P<retention>" + _RETENTION + r")"
    r"(?:-(?P<department>[A-Z0-9]{3}))?-(?P<item>\d{4,5})"
)


@dataclass(frozen=True, order=True, slots=True)
class ClassKey:
    """The lowest class of the arrangement: item numbers run gapless from 0001 inside it."""

    fonds: str
    category: str
    year: int
    retention: str
    department: str | None

    def code_for(self, item_number: int) -> "ArchivalCode":
        return ArchivalCode(self.fonds, self.category, self.year, self.retention, self.department, item_number)

    def label(self) -> str:
        parts = [f"{self.fonds}-{self.category}{MIDDLE_DOT}{self.year}", self.retention]
        if self.department:
            parts.append(self.department)
        return "-".join(parts)


@dataclass(frozen=True, order=True, slots=True)
class ArchivalCode:
    fonds: str
    category: str
    year: int
    retention: str
    department: str | None
    item_number: int

    def __post_init__(self):
        check_code_parts(self)

    @property
    def class_key(self) -> ClassKey:
        return ClassKey(self.fonds, self.category, self.year, self.retention, self.department)

    def format(self, separator: str = MIDDLE_DOT) -> str:
        """The code as printed; `separator="."` gives the ASCII form for payloads and file names."""
        department = f"-{self.department}" if self.department else ""
        return (f"{self.fonds}-{self.category}{separator}{self.year:04d}-{self.retention}{department}"
                f"-{self.item_number:04d}")

    def __str__(self) -> str:
        return self.format()


def parse_archival_code(text: str) -> ArchivalCode:
    """Parse `Z109-WS·2011-Y-BGS-0001` (or the `.` form, or without department); raises InvalidInputError."""
    match = _CODE_PATTERN.fullmatch(text.strip())
    if match is None:
        raise InvalidInputError(
            f"malformed archival code {text!r}: expected fonds-category·year-retention[-department]-item, "
            f"e.g. Z109-WS{MIDDLE_DOT}2011-Y-BGS-0001"
        )
    return ArchivalCode(
        fonds=match["fonds"],
        category=match["category"],
        year=int(match["year"]),
        retention=match["retention"],
        department=match["department"],
        item_number=int(match["item"]),
    )


def check_code_parts(code: ArchivalCode) -> None:
    """Raise InvalidInputError naming the first part of a code that breaks DA/T 22."""
    # One cheap test first, messages only on failure: every imported row passes through here.
    if (
        FONDS_PATTERN.fullmatch(code.fonds)
        and CATEGORY_PATTERN.fullmatch(code.category)
        and 1000 <= code.year <= 9999
        and code.retention in RETENTION_PERIODS
        and (code.department is None or DEPARTMENT_PATTERN.fullmatch(code.department))
        and 1 <= code.item_number <= MAX_ITEM_NUMBER
    ):
        return
    raise InvalidInputError(_first_problem(code))


def _first_problem(code: ArchivalCode) -> str:
    checks = (
        (FONDS_PATTERN.fullmatch(code.fonds), f"fonds number {code.fonds!r} must be 4 letters or digits"),
        (CATEGORY_PATTERN.fullmatch(code.category), f"category {code.category!r} must be 1-4 capital letters"),
        (1000 <= code.year <= 9999, f"year {code.year!r} must have 4 digits"),
        (code.retention in RETENTION_PERIODS, f"unknown retention code {code.retention!r}"),
        (
            code.department is None or DEPARTMENT_PATTERN.fullmatch(code.department),
            f"department code {code.department!r} must be 3 letters or digits",
        ),
    )
    return next((message for passed, message in checks if not passed),
                f"item number {code.item_number} must be between 1 and {MAX_ITEM_NUMBER}")


def safe_file_name(code: ArchivalCode) -> str:
    """The code as a file or folder name: ASCII only, `.` for `·`."""
    return code.format(separator=".")
