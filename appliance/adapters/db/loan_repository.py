"""Physical loans: issued at the desk, renewed, reminded, returned and checked; and the use register's rows."""

import datetime
import json

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from appliance.adapters.db.catalogue_repository import scope_clause
from appliance.adapters.db.tables import (
    NO_DEPARTMENT,
    DepartmentRow,
    ItemRow,
    PhysicalLoanRow,
    UserRow,
    ViewingGrantRow,
    WorkflowRequestItemRow,
    WorkflowRequestRow,
    WorkflowStepRow,
    as_utc,
)
from appliance.domain.access import AccessScope
from appliance.domain.loans import Loan, ReturnCheck, UseRecord, WaitingItem
from appliance.domain.workflow import BorrowForm, RequestKind, RequestState

LOANS = PhysicalLoanRow
MAX_LISTED = 1000


class LoanRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, request_id: int, item_id: int, borrower: str, issued_by: str, issued_at: datetime.datetime,
            due_at: datetime.datetime) -> int:
        row = LOANS(request_id=request_id, item_id=item_id, borrower=borrower, issued_by=issued_by,
                    issued_at=issued_at, due_at=due_at, renewals=0, return_note="")
        self.session.add(row)
        self.session.flush()
        return row.id

    def lock_items(self, item_ids: list[int]) -> None:
        """Hold the items' rows until the transaction ends (PostgreSQL), so two desks cannot lend one file twice."""
        self.session.execute(select(ItemRow.id).where(ItemRow.id.in_(item_ids)).order_by(ItemRow.id)
                             .with_for_update()).all()

    def get(self, loan_id: int, for_update: bool = False) -> Loan | None:
        query = _loan_query().where(LOANS.id == loan_id)
        row = self.session.execute(query.with_for_update(of=LOANS) if for_update else query).first()
        return None if row is None else _to_loan(row)

    def item_scope_fields(self, loan_id: int) -> tuple[str, str] | None:
        """(access label, department) of the loan's item, for the scope check."""
        query = (select(ItemRow.access_label, ItemRow.department).join(LOANS, LOANS.item_id == ItemRow.id)
                 .where(LOANS.id == loan_id))
        row = self.session.execute(query).first()
        return None if row is None else (row.access_label, row.department)

    def open_loan_of(self, item_id: int) -> int | None:
        return self.session.scalar(select(LOANS.id).where(LOANS.item_id == item_id, LOANS.returned_at.is_(None))
                                   .order_by(LOANS.id).limit(1))

    def loan_under(self, request_id: int, item_id: int) -> int | None:
        return self.session.scalar(select(LOANS.id).where(LOANS.request_id == request_id, LOANS.item_id == item_id)
                                   .order_by(LOANS.id).limit(1))

    def renew(self, loan_id: int, renewals_before: int, due_at: datetime.datetime) -> bool:
        """Move the due date on; the reminders start over for the new date. False when someone changed it meanwhile."""
        result = self.session.execute(
            update(LOANS).where(LOANS.id == loan_id, LOANS.renewals == renewals_before, LOANS.returned_at.is_(None))
            .values(due_at=due_at, renewals=renewals_before + 1, reminded_at=None, overdue_notified_at=None))
        return result.rowcount == 1

    def mark_returned(self, loan_id: int, received_by: str, now: datetime.datetime, pages_counted: int,
                      check: ReturnCheck, note: str) -> bool:
        """Record the return and its check; False when it was returned already."""
        result = self.session.execute(
            update(LOANS).where(LOANS.id == loan_id, LOANS.returned_at.is_(None))
            .values(returned_at=now, received_by=received_by, pages_counted=pages_counted,
                    return_check=check.value, return_note=note))
        return result.rowcount == 1

    def open_loans(self, scope: AccessScope, overdue_at: datetime.datetime | None = None) -> list[Loan]:
        """Loans not returned (due before `overdue_at` when given), soonest due first."""
        query = _loan_query().where(LOANS.returned_at.is_(None), *scope_clause(scope))
        if overdue_at is not None:
            query = query.where(LOANS.due_at < overdue_at)
        return [_to_loan(row) for row in self.session.execute(query.order_by(LOANS.due_at, LOANS.id)
                                                               .limit(MAX_LISTED))]

    def loans_of(self, borrower: str, scope: AccessScope) -> list[Loan]:
        query = (_loan_query().where(LOANS.borrower == borrower, *scope_clause(scope))
                 .order_by(LOANS.id.desc()).limit(MAX_LISTED))
        return [_to_loan(row) for row in self.session.execute(query)]

    def waiting(self, scope: AccessScope) -> list[WaitingItem]:
        """Items of approved lending requests that were never handed out, oldest request first."""
        issued = exists().where(LOANS.request_id == WorkflowRequestItemRow.request_id,
                                LOANS.item_id == WorkflowRequestItemRow.item_id)
        query = (select(WorkflowRequestRow.id, WorkflowRequestRow.requester, UserRow.display_name,
                        WorkflowRequestRow.updated_at, WorkflowRequestRow.payload, ItemRow.archival_code,
                        ItemRow.title, ItemRow.pages)
                 .join(WorkflowRequestItemRow, WorkflowRequestItemRow.request_id == WorkflowRequestRow.id)
                 .join(ItemRow, ItemRow.id == WorkflowRequestItemRow.item_id)
                 .outerjoin(UserRow, UserRow.username == WorkflowRequestRow.requester)
                 .where(*_approved_borrowing(), WorkflowRequestRow.payload.like(f'%"{BorrowForm.LEND.value}"%'),
                        ~issued, *scope_clause(scope))
                 .order_by(WorkflowRequestRow.id, ItemRow.archival_code).limit(MAX_LISTED))
        rows = [row for row in self.session.execute(query) if _terms(row.payload).get("form") == BorrowForm.LEND]
        return [WaitingItem(row.id, row.requester, row.display_name or "", as_utc(row.updated_at),
                            int(_terms(row.payload).get("days", 0)), row.archival_code, row.title, row.pages)
                for row in rows]

    # reminders

    def reminders_due(self, now: datetime.datetime, soon_until: datetime.datetime,
                      overdue_before: datetime.datetime) -> bool:
        """Whether any loan needs a reminder now: one indexed look-up, for the worker's frequent passes."""
        query = select(LOANS.id).where(LOANS.returned_at.is_(None), LOANS.due_at <= soon_until,
                                       or_(_due_soon(now), _overdue_unnotified(now, overdue_before))).limit(1)
        return self.session.scalar(query) is not None

    def due_soon(self, now: datetime.datetime, soon_until: datetime.datetime) -> list[Loan]:
        query = _loan_query().where(LOANS.returned_at.is_(None), LOANS.due_at <= soon_until, _due_soon(now))
        return [_to_loan(row) for row in self.session.execute(query.order_by(LOANS.id))]

    def overdue_to_notify(self, now: datetime.datetime, overdue_before: datetime.datetime) -> list[Loan]:
        query = _loan_query().where(LOANS.returned_at.is_(None), _overdue_unnotified(now, overdue_before))
        return [_to_loan(row) for row in self.session.execute(query.order_by(LOANS.id))]

    def set_reminded(self, loan_ids: list[int], now: datetime.datetime) -> None:
        if loan_ids:
            self.session.execute(update(LOANS).where(LOANS.id.in_(loan_ids)).values(reminded_at=now))

    def set_overdue_notified(self, loan_ids: list[int], now: datetime.datetime) -> None:
        if loan_ids:
            self.session.execute(update(LOANS).where(LOANS.id.in_(loan_ids)).values(overdue_notified_at=now))

    # the use register

    def register(self, start: datetime.datetime, end: datetime.datetime, scope: AccessScope) -> list[UseRecord]:
        """One record per item of every borrowing request approved in [start, end), in order of approval."""
        query = (_register_query()
                 .where(*_approved_borrowing(), WorkflowRequestRow.updated_at >= start,
                        WorkflowRequestRow.updated_at < end, *scope_clause(scope))
                 .order_by(WorkflowRequestRow.updated_at, WorkflowRequestRow.id, ItemRow.archival_code))
        rows = self.session.execute(query).all()
        approvers = self._approvers({row.request_id for row in rows})
        return [_to_record(row, approvers.get(row.request_id, ())) for row in rows]

    def loan_troubles(self, start: datetime.datetime, end: datetime.datetime, now: datetime.datetime,
                      scope: AccessScope) -> tuple[int, int]:
        """(loans due in [start, end) that came back late or are still out past due, returns in [start, end) that
        found a discrepancy)."""
        late = or_(LOANS.returned_at > LOANS.due_at, and_(LOANS.returned_at.is_(None), LOANS.due_at < now))
        counted = select(func.count()).select_from(LOANS).join(ItemRow, ItemRow.id == LOANS.item_id)
        overdue = self.session.scalar(counted.where(LOANS.due_at >= start, LOANS.due_at < end, late,
                                                    *scope_clause(scope)))
        discrepancies = self.session.scalar(counted.where(
            LOANS.returned_at >= start, LOANS.returned_at < end, LOANS.return_check != ReturnCheck.INTACT.value,
            *scope_clause(scope)))
        return overdue or 0, discrepancies or 0

    def _approvers(self, request_ids: set[int]) -> dict[int, tuple[str, ...]]:
        if not request_ids:
            return {}
        query = (select(WorkflowStepRow.request_id, WorkflowStepRow.actor)
                 .where(WorkflowStepRow.request_id.in_(sorted(request_ids)), WorkflowStepRow.decision == "approve")
                 .order_by(WorkflowStepRow.id))
        found: dict[int, list[str]] = {}
        for request_id, actor in self.session.execute(query):
            found.setdefault(request_id, []).append(actor)
        return {request_id: tuple(actors) for request_id, actors in found.items()}


def _loan_query():
    return (select(LOANS, ItemRow.archival_code, ItemRow.title, ItemRow.pages, UserRow.display_name)
            .join(ItemRow, ItemRow.id == LOANS.item_id)
            .outerjoin(UserRow, UserRow.username == LOANS.borrower))


def _register_query():
    return (select(WorkflowRequestRow.id.label("request_id"), WorkflowRequestRow.requester,
                   WorkflowRequestRow.updated_at, WorkflowRequestRow.payload, UserRow.display_name,
                   ItemRow.archival_code, ItemRow.title, ItemRow.pages, ItemRow.department,
                   DepartmentRow.name.label("department_name"), ViewingGrantRow.expires_at, ViewingGrantRow.ended_at,
                   LOANS.issued_at, LOANS.due_at, LOANS.returned_at, LOANS.return_check, LOANS.pages_counted)
            .join(WorkflowRequestItemRow, WorkflowRequestItemRow.request_id == WorkflowRequestRow.id)
            .join(ItemRow, ItemRow.id == WorkflowRequestItemRow.item_id)
            .outerjoin(DepartmentRow, and_(DepartmentRow.fonds_id == ItemRow.fonds_id,
                                           DepartmentRow.code == ItemRow.department))
            .outerjoin(UserRow, UserRow.username == WorkflowRequestRow.requester)
            .outerjoin(ViewingGrantRow, and_(ViewingGrantRow.request_id == WorkflowRequestRow.id,
                                             ViewingGrantRow.item_id == ItemRow.id))
            .outerjoin(LOANS, and_(LOANS.request_id == WorkflowRequestRow.id, LOANS.item_id == ItemRow.id)))


def _approved_borrowing() -> list:
    return [WorkflowRequestRow.kind == RequestKind.BORROWING.value,
            WorkflowRequestRow.state == RequestState.APPROVED.value]


def _due_soon(now: datetime.datetime):
    return and_(LOANS.due_at > now, LOANS.reminded_at.is_(None))


def _overdue_unnotified(now: datetime.datetime, overdue_before: datetime.datetime):
    return and_(LOANS.due_at <= now, or_(LOANS.overdue_notified_at.is_(None),
                                         LOANS.overdue_notified_at <= overdue_before))



def _terms(payload: str) -> dict:
    try:
        terms = json.loads(payload or "{}")
    except ValueError:
        return {}
    return terms if isinstance(terms, dict) else {}


def _when(moment: datetime.datetime | None) -> datetime.datetime | None:
    return None if moment is None else as_utc(moment)


def _to_loan(row) -> Loan:
    loan = row[0]
    return Loan(loan.id, loan.request_id, row.archival_code, row.title, row.pages, loan.borrower, loan.issued_by,
                as_utc(loan.issued_at), as_utc(loan.due_at), loan.renewals, _when(loan.returned_at),
                loan.received_by, loan.pages_counted, ReturnCheck(loan.return_check) if loan.return_check else None,
                loan.return_note or "", row.display_name or "", _when(loan.reminded_at),
                _when(loan.overdue_notified_at))


def _to_record(row, approvers: tuple[str, ...]) -> UseRecord:
    terms = _terms(row.payload)
    return UseRecord(
        request_id=row.request_id, approved_at=as_utc(row.updated_at), borrower=row.requester,
        borrower_name=row.display_name or "", purpose_category=str(terms.get("purpose_category", "work")),
        purpose=str(terms.get("purpose", "")), form=str(terms.get("form", "")), days=int(terms.get("days", 0)),
        item_code=row.archival_code, item_title=row.title, item_pages=row.pages,
        department=row.department or NO_DEPARTMENT, department_name=row.department_name or "",
        approvers=approvers, grant_expires_at=_when(row.expires_at), grant_ended_at=_when(row.ended_at),
        issued_at=_when(row.issued_at), due_at=_when(row.due_at), returned_at=_when(row.returned_at),
        return_check=row.return_check, pages_counted=row.pages_counted)
