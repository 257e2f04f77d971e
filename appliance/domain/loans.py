"""Physical loans (实体借出): a paper file handed out at the desk, due back on a date, renewed at most twice, and
checked page by page when it comes back. Also the names the use register (利用登记) prints."""

import datetime
import enum
from dataclasses import dataclass

from appliance.domain.catalogue import MAX_PAGES
from appliance.domain.errors import ConflictError, InvalidInputError

MAX_RENEWALS = 2
MAX_NOTE = 1000
OVERDUE_REPEAT = datetime.timedelta(hours=24)  # an overdue loan is brought up again once a day, not every pass


class ReturnCheck(enum.StrEnum):
    """What the desk found when the file came back."""

    INTACT = "intact"
    PAGES_MISSING = "pages_missing"  # any count that differs from the catalogue's pages, with both counts noted
    ALTERED = "altered"  # pages marked, torn, replaced: the desk says what in the note


@dataclass(frozen=True)
class Loan:
    """A loan as the desk sees it, with the item it is of."""

    id: int
    request_id: int
    item_code: str
    item_title: str
    item_pages: int
    borrower: str
    issued_by: str
    issued_at: datetime.datetime
    due_at: datetime.datetime
    renewals: int = 0
    returned_at: datetime.datetime | None = None
    received_by: str | None = None
    pages_counted: int | None = None
    return_check: ReturnCheck | None = None
    return_note: str = ""
    borrower_name: str = ""
    reminded_at: datetime.datetime | None = None
    overdue_notified_at: datetime.datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.returned_at is None

    def days_overdue(self, now: datetime.datetime) -> int:
        """Whole days past the due moment (0 while not due, or once returned)."""
        if not self.is_open or now <= self.due_at:
            return 0
        late = now - self.due_at
        return late.days + (1 if late % datetime.timedelta(days=1) else 0)  # a day begun late counts as one


def check_return(expected_pages: int, pages_counted: int, altered: bool, note: str) -> ReturnCheck:
    """The return check of a file counted at the desk.

    Raises InvalidInputError for a negative count, an alteration without a note, or a note too long.
    """
    if isinstance(pages_counted, bool) or not isinstance(pages_counted, int) or not 0 <= pages_counted <= MAX_PAGES:
        raise InvalidInputError(f"count the pages handed back: a whole number from 0 to {MAX_PAGES}")
    if len(note) > MAX_NOTE:
        raise InvalidInputError(f"a note is at most {MAX_NOTE} characters")
    if altered:
        if not note.strip():
            raise InvalidInputError("say what was altered in the note")
        return ReturnCheck.ALTERED
    if pages_counted != expected_pages:
        return ReturnCheck.PAGES_MISSING
    return ReturnCheck.INTACT


def renewed_due(loan: Loan, days: int, original_days: int, now: datetime.datetime) -> datetime.datetime:
    """The new due moment of a renewal by `days`, counted from the due date (from now when already late).

    Raises ConflictError (returned, or renewed twice already) or InvalidInputError (days out of range).
    """
    if not loan.is_open:
        raise ConflictError(f"loan {loan.id} of {loan.item_code} was returned: it cannot be renewed")
    if loan.renewals >= MAX_RENEWALS:
        raise ConflictError(f"loan {loan.id} of {loan.item_code} was renewed {loan.renewals} times already "
                            f"(at most {MAX_RENEWALS}): the file comes back first")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= original_days:
        raise InvalidInputError(f"a renewal lasts 1 to {original_days} days (the period first approved)")
    return max(loan.due_at, now) + datetime.timedelta(days=days)


@dataclass(frozen=True)
class WaitingItem:
    """An item of an approved lending request not handed out yet."""

    request_id: int
    borrower: str
    borrower_name: str
    approved_at: datetime.datetime
    days: int
    item_code: str
    item_title: str
    item_pages: int


@dataclass(frozen=True)
class UseRecord:
    """One line of the use register (利用登记): one item of an approved borrowing request, and how it was used."""

    request_id: int
    approved_at: datetime.datetime
    borrower: str
    borrower_name: str
    purpose_category: str
    purpose: str
    form: str
    days: int
    item_code: str
    item_title: str
    item_pages: int
    department: str  # "" for items filed without a department
    department_name: str
    approvers: tuple[str, ...]
    grant_expires_at: datetime.datetime | None = None  # electronic use: the viewing grant's end
    grant_ended_at: datetime.datetime | None = None
    issued_at: datetime.datetime | None = None  # a loan: handed out, due, back, and what the desk found
    due_at: datetime.datetime | None = None
    returned_at: datetime.datetime | None = None
    return_check: str | None = None
    pages_counted: int | None = None

    @property
    def use_until(self) -> datetime.datetime:
        """When the use ends: the loan's due date, the grant's end, else the approval plus the period."""
        return self.due_at or self.grant_expires_at or self.approved_at + datetime.timedelta(days=self.days)


# The use register's words for the archive authorities' statistics (the xlsx is in Chinese whatever the language).
PURPOSE_NAMES = {"work": "工作查考", "research": "学术研究", "history": "编史修志", "economy": "经济建设",
                 "education": "宣传教育", "evidence": "个人取证", "other": "其他"}
FORM_NAMES = {"read": "阅览", "excerpt": "摘录", "copy": "复制", "lend": "借出", "certify": "出具证明"}
CHECK_NAMES = {"intact": "完好", "pages_missing": "页数不符", "altered": "有改动"}


@dataclass(frozen=True)
class UseCount:
    requests: int = 0  # 利用人次: each approved request once
    items: int = 0  # 利用件次: each item of it once


@dataclass(frozen=True)
class UseStatistics:
    """A year of use, as the annual report to the archive authority counts it."""

    year: int
    by_purpose: dict[str, UseCount]
    by_form: dict[str, UseCount]
    by_department: dict[str, UseCount]  # by department code; "" for items filed without one
    department_names: dict[str, str]
    total: UseCount
    loans_overdue: int = 0
    return_discrepancies: int = 0


def count_uses(records, keys) -> dict[str, UseCount]:
    """Requests and items per key; `keys(record)` names the key a record counts under. A request counts once under
    each key its items fall under."""
    requests: dict[str, set[int]] = {}
    items: dict[str, int] = {}
    for record in records:
        key = keys(record)
        requests.setdefault(key, set()).add(record.request_id)
        items[key] = items.get(key, 0) + 1
    return {key: UseCount(len(requests[key]), items[key]) for key in requests}
