"""The loan desk: paper files handed out under an approved lending request, renewed, reminded, returned and checked.

The desk person is never the borrower (四眼原则). A file is out on one loan at a time; each item of a request is
handed out once. Every act is an audit event in the same transaction, and the borrower is told by a notification.
"""

import datetime

from appliance.domain.access import AccessScope
from appliance.domain.actors import Actor
from appliance.domain.catalogue import AccessLabel
from appliance.domain.errors import ConflictError, ForbiddenError, NotFoundError
from appliance.domain.loans import (
    CHECK_NAMES,
    OVERDUE_REPEAT,
    Loan,
    ReturnCheck,
    WaitingItem,
    check_return,
    renewed_due,
)
from appliance.domain.permissions import Action, allowed_actions
from appliance.domain.sessions import Principal
from appliance.domain.workflow import BorrowForm, RequestKind, RequestState
from appliance.services.audit import record
from appliance.services.notifications import notify

LOAN_KEEPER = Actor("system:loans", "worker")
DESK_LINK = "/loans"


def issue_loans(uow_factory, principal: Principal, request_id: int, now: datetime.datetime) -> list[Loan]:
    """Hand out the paper files of an approved lending request, each due back after the approved period.

    Raises ForbiddenError (not a desk person, the borrower themselves, items outside the scope), NotFoundError,
    ConflictError (not an approved lending request, an item out on another loan or lent under it already).
    """
    principal.require(Action.LOAN_ISSUE)
    with uow_factory() as uow:
        request, terms, items = _lending_request(uow, principal, request_id)
        uow.loans.lock_items([item.id for item in items])
        due_at = now + datetime.timedelta(days=int(terms["days"]))
        loan_ids = []
        for item in items:
            _check_not_out(uow, request_id, item.id, item.archival_code)
            loan_id = uow.loans.add(request_id, item.id, request.requester, principal.username, now, due_at)
            record(uow, principal.actor, "loan.issue", "loan", str(loan_id),
                   {"request": request_id, "item": item.archival_code, "borrower": request.requester,
                    "due": due_at.isoformat()})
            loan_ids.append(loan_id)
        notify(uow, [request.requester], "loan.issued", now,
               {"request": request_id, "items": [item.archival_code for item in items], "due": due_at.isoformat()})
        uow.commit()
        return [uow.loans.get(loan_id) for loan_id in loan_ids]


def renew_loan(uow_factory, principal: Principal, loan_id: int, days: int, now: datetime.datetime) -> Loan:
    """Move a loan's due date on by up to the period first approved; at most twice.

    Raises ForbiddenError, NotFoundError, ConflictError (returned, renewed twice) or InvalidInputError (days).
    """
    principal.require(Action.LOAN_ISSUE)
    with uow_factory() as uow:
        loan = _desk_loan(uow, principal, loan_id)
        original_days = int(uow.workflows.payload(loan.request_id).get("days", 1))
        due_at = renewed_due(loan, days, original_days, now)
        if not uow.loans.renew(loan_id, loan.renewals, due_at):
            raise ConflictError(f"loan {loan_id} was changed by someone else a moment ago: look again")
        record(uow, principal.actor, "loan.renew", "loan", str(loan_id),
               {"item": loan.item_code, "days": days, "renewal": loan.renewals + 1, "due": due_at.isoformat(),
                "previous_due": loan.due_at.isoformat()})
        notify(uow, [loan.borrower], "loan.renewed", now, {"item": loan.item_code, "due": due_at.isoformat()})
        uow.commit()
        return uow.loans.get(loan_id)


def return_loan(uow_factory, principal: Principal, loan_id: int, pages_counted: int, altered: bool, note: str,
                now: datetime.datetime) -> Loan:
    """Take a file back and record the return check; a discrepancy is told to everyone at the desk.

    Raises ForbiddenError, NotFoundError, ConflictError (returned already) or InvalidInputError (the count, an
    alteration without a note).
    """
    principal.require(Action.LOAN_ISSUE)
    note = note.strip()
    with uow_factory() as uow:
        loan = _desk_loan(uow, principal, loan_id)
        if not loan.is_open:
            raise ConflictError(f"loan {loan_id} of {loan.item_code} was returned already, "
                                f"on {loan.returned_at.date().isoformat()}")
        check = check_return(loan.item_pages, pages_counted, altered, note)
        if not uow.loans.mark_returned(loan_id, principal.username, now, pages_counted, check, note):
            raise ConflictError(f"loan {loan_id} was returned by someone else a moment ago")
        details = {"item": loan.item_code, "check": check.value, "pages_expected": loan.item_pages,
                   "pages_counted": pages_counted, "note": note, "late": now > loan.due_at}
        record(uow, principal.actor, "loan.return", "loan", str(loan_id), details)
        if check is not ReturnCheck.INTACT:
            notify(uow, _desk_people(uow), "loan.return_discrepancy", now,
                   {**details, "loan": loan_id, "borrower": loan.borrower, "note": _finding(details)}, DESK_LINK)
        uow.commit()
        return uow.loans.get(loan_id)


def send_loan_reminders(uow_factory, now: datetime.datetime, days_before: int = 2) -> int:
    """Remind borrowers of loans due within `days_before` days, and tell borrower and desk of overdue ones (again
    each day); returns how many loans were brought up. Nothing due costs one read and no write transaction."""
    soon_until = now + datetime.timedelta(days=days_before)
    overdue_before = now - OVERDUE_REPEAT
    with uow_factory(read_only=True, consistent=False) as uow:
        if not uow.loans.reminders_due(now, soon_until, overdue_before):
            return 0
    with uow_factory() as uow:
        soon = uow.loans.due_soon(now, soon_until)
        late = uow.loans.overdue_to_notify(now, overdue_before)
        desk = _desk_people(uow) if late else []
        for loan in soon:
            _remind(uow, loan, "loan.due_soon", [loan.borrower], now)
        for loan in late:
            _remind(uow, loan, "loan.overdue", [loan.borrower, *desk], now)
        uow.loans.set_reminded([loan.id for loan in soon], now)
        uow.loans.set_overdue_notified([loan.id for loan in late], now)
        uow.commit()
    return len(soon) + len(late)


def open_loans(uow_factory, principal: Principal, now: datetime.datetime) -> list[Loan]:
    """Files out now, soonest due first; items outside the principal's scope are left out. Raises ForbiddenError."""
    principal.require(Action.LOAN_ISSUE)
    with uow_factory(read_only=True, consistent=False) as uow:
        return uow.loans.open_loans(principal.scope)


def overdue_loans(uow_factory, principal: Principal, now: datetime.datetime) -> list[Loan]:
    """Files out past their due date, longest overdue first. Raises ForbiddenError."""
    principal.require(Action.LOAN_ISSUE)
    with uow_factory(read_only=True, consistent=False) as uow:
        return uow.loans.open_loans(principal.scope, overdue_at=now)


def waiting_to_issue(uow_factory, principal: Principal, now: datetime.datetime) -> list[WaitingItem]:
    """Items of approved lending requests not handed out yet, oldest request first. Raises ForbiddenError."""
    principal.require(Action.LOAN_ISSUE)
    with uow_factory(read_only=True, consistent=False) as uow:
        return uow.loans.waiting(principal.scope)


def loans_of(uow_factory, principal: Principal) -> list[Loan]:
    """The principal's own loans, newest first. Raises ForbiddenError for those who may not borrow."""
    principal.require(Action.BORROW_REQUEST)
    with uow_factory(read_only=True, consistent=False) as uow:
        return uow.loans.loans_of(principal.username, principal.scope)


def _lending_request(uow, principal: Principal, request_id: int) -> tuple:
    request = uow.workflows.get(request_id)
    items = [uow.catalogue.get_item(code) for code in uow.workflows.item_codes(request_id)] if request else []
    visible = [item for item in items if principal.scope.can_see(item)]
    if request is None or not visible:
        raise NotFoundError(f"no request {request_id}")
    if len(visible) < len(items):
        raise ForbiddenError(f"request {request_id} has items outside your sight: someone who may see them "
                             "hands them out")
    terms = uow.workflows.payload(request_id)
    if request.kind is not RequestKind.BORROWING or terms.get("form") != BorrowForm.LEND.value:
        raise ConflictError(f"request {request_id} is not a borrowing to lend paper files: nothing to hand out")
    if request.state is not RequestState.APPROVED:
        raise ConflictError(f"request {request_id} is {request.state.value}: only approved requests are handed out")
    _check_not_borrower(principal, request.requester, f"request {request_id}")
    return request, terms, items


def _check_not_borrower(principal: Principal, borrower: str, what: str) -> None:
    """四眼原则: the desk person who hands out, renews or takes back a file is not the one who borrows it."""
    if borrower == principal.username:
        raise ForbiddenError(f"{principal.username} borrows under {what}: another person at the desk handles it")


def _check_not_out(uow, request_id: int, item_id: int, code: str) -> None:
    out_on = uow.loans.open_loan_of(item_id)
    if out_on is not None:
        raise ConflictError(f"item {code} is out on loan {out_on}: it comes back before it is lent again")
    earlier = uow.loans.loan_under(request_id, item_id)
    if earlier is not None:
        raise ConflictError(f"item {code} was handed out under request {request_id} already (loan {earlier})")


def _desk_loan(uow, principal: Principal, loan_id: int) -> Loan:
    loan = uow.loans.get(loan_id, for_update=True)
    fields = uow.loans.item_scope_fields(loan_id) if loan else None
    if loan is None or not _in_scope(principal.scope, *fields):
        raise NotFoundError(f"no loan {loan_id}")
    _check_not_borrower(principal, loan.borrower, f"loan {loan_id}")
    return loan


def _in_scope(scope: AccessScope, label: str, department: str) -> bool:
    if AccessLabel(label) not in scope.labels:
        return False
    return scope.departments is None or not department or department in scope.departments


def _desk_people(uow) -> list[str]:
    """Everyone whose roles let them take files back, and whose account is in use."""
    return [account.username for account in uow.accounts.list_accounts()
            if not account.disabled and Action.LOAN_ISSUE in allowed_actions(account.roles)]


def _finding(details: dict) -> str:
    """What the desk found, in the words of the register, for the message to the desk."""
    found = (f"{CHECK_NAMES[details['check']]}，清点 {details['pages_counted']} 页，"
             f"目录 {details['pages_expected']} 页")
    return f"{found}；{details['note']}" if details["note"] else found


def _remind(uow, loan: Loan, kind: str, usernames: list[str], now: datetime.datetime) -> None:
    params = {"loan": loan.id, "item": loan.item_code, "title": loan.item_title, "borrower": loan.borrower,
              "due": loan.due_at.isoformat(), "days_overdue": loan.days_overdue(now)}
    notify(uow, usernames, kind, now, params, DESK_LINK if kind == "loan.overdue" else "")
    record(uow, LOAN_KEEPER, "loan.remind", "loan", str(loan.id), {"kind": kind, "item": loan.item_code,
                                                                   "to": sorted(set(usernames))})
