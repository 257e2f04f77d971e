"""Destruction lists (销毁清册): numbered per fonds and year, approved by leadership through their request,
confirmed by two witnesses (监销人) who neither compiled nor approved the list, then executed and purged.

The list and its PDFs are kept for ever: they are the evidence of what was destroyed, by whose decision, and who
watched it happen.
"""

import datetime
import enum
from dataclasses import dataclass

from appliance.domain.errors import ConflictError, ForbiddenError
from appliance.domain.workflow import RequestState

REQUIRED_WITNESSES = 2
LIST_MARK = "XH"  # 销毁: the letters that tell a destruction list's number from an archival code


def list_number(fonds: str, year: int, sequence: int) -> str:
    """The list's number, e.g. Z109-XH-2026-001: gapless per fonds and year."""
    return f"{fonds}-{LIST_MARK}-{year}-{sequence:03d}"


class ListState(enum.StrEnum):
    PENDING = "pending"  # waiting for leadership's approval
    APPROVED = "approved"  # waiting for its witnesses
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    DESTROYED = "destroyed"


@dataclass(frozen=True)
class Witness:
    username: str
    display_name: str
    confirmed_at: datetime.datetime


@dataclass(frozen=True)
class Approval:
    username: str
    display_name: str
    decided_at: datetime.datetime


@dataclass(frozen=True)
class DestructionList:
    id: int
    number: str
    fonds: str
    year: int
    request_id: int
    request_state: RequestState
    reason: str
    compiled_by: str
    compiled_at: datetime.datetime
    approvals: tuple[Approval, ...]
    witnesses: tuple[Witness, ...]
    items: tuple[str, ...]  # archival codes, in code order
    draft_pdf_sha256: str | None = None
    final_pdf_sha256: str | None = None
    destroyed_at: datetime.datetime | None = None
    purged_at: datetime.datetime | None = None

    @property
    def state(self) -> ListState:
        if self.destroyed_at is not None:
            return ListState.DESTROYED
        return ListState(self.request_state.value)

    @property
    def live(self) -> bool:
        """A rejected or withdrawn list is dead: its items may go onto a new one."""
        return self.state in (ListState.PENDING, ListState.APPROVED, ListState.DESTROYED)

    @property
    def pdf_sha256(self) -> str | None:
        return self.final_pdf_sha256 or self.draft_pdf_sha256


def check_witness(listed: DestructionList, username: str) -> None:
    """Whether `username` may confirm the list now.

    Raises ConflictError (not approved yet, dead, or executed already) or ForbiddenError (the compiler, an approver,
    or a witness who has confirmed already: each of the two is a different, independent person).
    """
    if listed.state is ListState.DESTROYED:
        raise ConflictError(f"list {listed.number} was executed already: its items are destroyed")
    if listed.state is not ListState.APPROVED:
        raise ConflictError(f"list {listed.number} is {listed.state.value}: only an approved list is witnessed")
    if username == listed.compiled_by:
        raise ForbiddenError(f"{username} compiled list {listed.number} and may not witness it")
    if username in {approval.username for approval in listed.approvals}:
        raise ForbiddenError(f"{username} approved list {listed.number} and may not witness it")
    if username in {witness.username for witness in listed.witnesses}:
        raise ForbiddenError(f"{username} has confirmed list {listed.number} already: a second witness is "
                             "someone else")


@dataclass(frozen=True)
class ListedItem:
    """One row of the printed list."""

    archival_code: str
    title: str
    doc_number: str
    date: str
    pages: int
    retention: str  # as printed, e.g. 10年
    opinion: str  # 鉴定意见: the appraisal group's reason


@dataclass(frozen=True)
class ListDocument:
    """What the printed list shows: the draft before execution, the final one with its signatures."""

    number: str
    fonds: str
    fonds_name: str
    compiled_by: str
    compiled_at: datetime.datetime
    reason: str
    rows: tuple[ListedItem, ...]
    approvals: tuple[Approval, ...] = ()
    witnesses: tuple[Witness, ...] = ()
    destroyed_at: datetime.datetime | None = None


@dataclass(frozen=True)
class PurgePlan:
    """What purging an executed list removes: blob files no kept item needs, and the derivative rows of its items.

    The blobs' rows stay, marked purged: their digests are the evidence of what existed."""

    blobs: tuple[str, ...]
    derivatives: tuple[tuple[str, str, str], ...]  # (source, kind, generator)
