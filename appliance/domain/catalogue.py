"""The catalogue of DA/T 22-2015: fonds, classification schemes, and the fields of an item."""

import datetime
import enum
import re
from dataclasses import dataclass, field

from appliance.domain.codes import (
    CATEGORY_PATTERN,
    DEPARTMENT_PATTERN,
    FONDS_PATTERN,
    ArchivalCode,
    ClassKey,
)
from appliance.domain.errors import InvalidInputError

MAX_LENGTHS = {
    "title": 1000,
    "doc_number": 100,
    "responsible": 300,
    "notes": 2000,
    "name": 200,
}
MAX_PAGES = 100_000


class Scheme(enum.StrEnum):
    """Classification schemes (分类方案); the code always reads year-retention-department."""

    YEAR_DEPARTMENT_RETENTION = "year-department-retention"
    YEAR_RETENTION_DEPARTMENT = "year-retention-department"
    YEAR_RETENTION = "year-retention"

    @property
    def uses_department(self) -> bool:
        return self is not Scheme.YEAR_RETENTION

    @property
    def levels(self) -> tuple[str, ...]:
        """The order of the catalogue tree below the fonds."""
        return tuple(self.value.split("-"))


class ItemState(enum.StrEnum):
    INTAKE = "intake"
    ARCHIVED = "archived"
    DESTROYED = "destroyed"


class AccessLabel(enum.StrEnum):
    """Access labels. Dangan keeps no state secrets: 秘密, 机密 and 绝密 are refused."""

    PUBLIC = "公开"
    INTERNAL = "内部"
    RESTRICTED = "受控"


CLASSIFIED_MARKINGS = ("秘密", "机密", "绝密")
_ACCESS_ALIASES = {
    "public": AccessLabel.PUBLIC,
    "internal": AccessLabel.INTERNAL,
    "restricted": AccessLabel.RESTRICTED,
}


def parse_access_label(text: str) -> AccessLabel:
    """Accept 公开/内部/受控 or their English names; raises InvalidInputError for anything else."""
    value = text.strip()
    if value in CLASSIFIED_MARKINGS:
        raise InvalidInputError(
            f"密级 {value} marks classified material, which Dangan does not keep; "
            "such records belong in an accredited classified system"
        )
    try:
        return AccessLabel(value)
    except ValueError:
        pass
    label = _ACCESS_ALIASES.get(value.lower())
    if label is None:
        raise InvalidInputError(f"unknown access label {value!r} (known: 公开, 内部, 受控)")
    return label


def parse_scheme(text: str) -> Scheme:
    try:
        return Scheme(text.strip().lower())
    except ValueError:
        known = ", ".join(scheme.value for scheme in Scheme)
        raise InvalidInputError(f"unknown classification scheme {text!r} (known: {known})") from None


def check_fonds_code(code: str) -> str:
    if not FONDS_PATTERN.fullmatch(code):
        raise InvalidInputError(f"fonds number {code!r} must be 4 capital letters or digits, e.g. Z109")
    return code


def check_category_code(code: str) -> str:
    if not CATEGORY_PATTERN.fullmatch(code):
        raise InvalidInputError(f"category code {code!r} must be 1-4 capital letters, e.g. WS")
    return code


def check_department_code(code: str) -> str:
    if not DEPARTMENT_PATTERN.fullmatch(code):
        raise InvalidInputError(f"department code {code!r} must be 3 capital letters or digits, e.g. BGS")
    return code


def check_name(name: str, what: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInputError(f"{what} name must not be empty")
    check_length(name, "name", what)
    return name


def check_length(value: str, field_name: str, label: str | None = None) -> str:
    limit = MAX_LENGTHS[field_name]
    if len(value) > limit:
        raise InvalidInputError(f"{label or field_name} is {len(value)} characters long; at most {limit} allowed")
    return value


def check_class_fits_scheme(key: ClassKey, scheme: Scheme) -> None:
    """A department is required by the department schemes and forbidden by year-retention."""
    if scheme.uses_department and key.department is None:
        raise InvalidInputError(f"fonds {key.fonds} classifies by department ({scheme.value}): the code needs one")
    if not scheme.uses_department and key.department is not None:
        raise InvalidInputError(f"fonds {key.fonds} classifies by year-retention: the code takes no department")


_DATE_PATTERN = re.compile(r"\d{8}")


def parse_document_date(text: str) -> str:
    """Validate 日期 as YYYYMMDD (a real calendar day) and return it; raises InvalidInputError."""
    value = text.strip()
    if not _DATE_PATTERN.fullmatch(value):
        raise InvalidInputError(f"date {value!r} must be 8 digits, YYYYMMDD (e.g. 20110315)")
    try:
        datetime.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise InvalidInputError(f"date {value!r} is not a real calendar day") from None
    return value


def normalise_title(text: str) -> tuple[str, bool]:
    """Return (title, supplied): a title the archivist supplied is written in [ ] (or full-width ［ ］)."""
    title = text.strip()
    if not title:
        raise InvalidInputError("题名 (title) must not be empty")
    check_length(title, "title", "题名 (title)")
    for opening, closing in (("[", "]"), ("［", "］")):
        if title.startswith(opening) and title.endswith(closing):
            inner = title[1:-1].strip()
            if not inner:
                raise InvalidInputError("a supplied title [ ] must not be empty")
            return f"[{inner}]", True
    return title, False


def check_pages(value: int) -> int:
    if not 0 <= value <= MAX_PAGES:
        raise InvalidInputError(f"页数 (pages) {value} must be a whole number from 0 to {MAX_PAGES}")
    return value


@dataclass(frozen=True, slots=True)
class ItemFields:
    """The descriptive columns of the 2015 catalogue, validated."""

    title: str
    date: str
    responsible: str = ""
    doc_number: str = ""
    access_label: AccessLabel = AccessLabel.INTERNAL
    pages: int = 0
    notes: str = ""
    supplied_title: bool = field(default=False)

    @classmethod
    def build(
        cls,
        *,
        title: str,
        date: str,
        responsible: str = "",
        doc_number: str = "",
        access_label: str | AccessLabel = AccessLabel.INTERNAL,
        pages: int = 0,
        notes: str = "",
    ) -> "ItemFields":
        """Validate raw values; raises InvalidInputError naming the first bad field."""
        clean_title, supplied = normalise_title(title)
        label = access_label if isinstance(access_label, AccessLabel) else parse_access_label(access_label)
        return cls(
            title=clean_title,
            date=parse_document_date(date),
            responsible=check_length(responsible.strip(), "responsible", "责任者 (responsible)"),
            doc_number=check_length(doc_number.strip(), "doc_number", "文号 (document number)"),
            access_label=label,
            pages=check_pages(pages),
            notes=check_length(notes.strip(), "notes", "备注 (notes)"),
            supplied_title=supplied,
        )


@dataclass(frozen=True)
class Fonds:
    code: str
    name: str
    scheme: Scheme


@dataclass(frozen=True)
class Item:
    """An item (件) as read from the catalogue."""

    id: int
    code: ArchivalCode
    fields: ItemFields
    state: ItemState
    created_at: str

    @property
    def archival_code(self) -> str:
        return self.code.format()


class ItemOrder(enum.StrEnum):
    """How a list is sorted: by archival code (the arrangement) or by date, each either way."""

    CODE = "code"
    CODE_DESC = "-code"
    DATE = "date"  # within one year: a million items have no date index to sort on
    DATE_DESC = "-date"

    @property
    def descending(self) -> bool:
        return self.value.startswith("-")

    @property
    def by_date(self) -> bool:
        return self in (ItemOrder.DATE, ItemOrder.DATE_DESC)


def parse_item_order(text: str | None) -> ItemOrder:
    """Raises InvalidInputError for an unknown order."""
    try:
        return ItemOrder(text or ItemOrder.CODE.value)
    except ValueError:
        known = ", ".join(order.value for order in ItemOrder)
        raise InvalidInputError(f"unknown sort order {text!r} (known: {known})") from None


@dataclass(frozen=True)
class ItemFilter:
    """Which items a list or export covers; None means any."""

    fonds: str
    year: int | None = None
    retention: str | None = None
    department: str | None = None
    category: str | None = None
    state: ItemState | None = None
