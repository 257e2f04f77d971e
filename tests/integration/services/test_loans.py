"""Physical loans on both databases: issue, remind, renew, return with its check; refusals change nothing."""

import datetime

import pytest

from appliance.domain.access import EVERYTHING, AccessScope
from appliance.domain.catalogue import AccessLabel, ItemFields
from appliance.domain.codes import ClassKey
from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from appliance.domain.loans import ReturnCheck
from appliance.domain.permissions import allowed_actions
from appliance.domain.sessions import Principal
from appliance.domain.workflow import BorrowForm, BorrowTerms, Decision
from appliance.services.audit import history, verify_audit_chain
from appliance.services.borrowing import request_borrowing
from appliance.services.items import add_item
from appliance.services.loans import (
    issue_loans,
    loans_of,
    open_loans,
    overdue_loans,
    renew_loan,
    return_loan,
    send_loan_reminders,
    waiting_to_issue,
)
from appliance.services.workflows import decide_request
from tests.support.console import FAST_PASSWORDS, make_person

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
KEY = ClassKey("Z109", "WS", 2011, "Y", "BGS")


def person(name: str, role: str, scope: AccessScope = EVERYTHING) -> Principal:
    return Principal(name, name, frozenset({role}), allowed_actions([role]), scope, "192.0.2.7")


DESK, OTHER_DESK = person("desk-wang", "archivist"), person("desk-qian", "archivist")
BORROWER, APPROVER = person("reader-li", "reader"), person("approver-zhao", "approver")


@pytest.fixture
def people(appliance):
    """Accounts for those the services look up (who is at the desk); fast hashes, no first-login change."""
    appliance.passwords = FAST_PASSWORDS
    for name, role in (("desk-wang", "archivist"), ("desk-qian", "archivist"), ("reader-li", "reader"),
                       ("approver-zhao", "approver")):
        make_person(appliance, name, [role], ready=False)


@pytest.fixture
def codes(appliance, actor, fonds):
    made = []
    for number, label in enumerate(("内部", "受控"), start=1):
        fields = ItemFields.build(title=f"借出文件{number}", date="20110315", access_label=label, pages=3)
        made.append(add_item(appliance.uow_factory, appliance.blob_store, actor, KEY, fields).archival_code)
    return made


def approved_request(appliance, codes, form=BorrowForm.LEND, days=10, approve=True) -> int:
    terms = BorrowTerms("查阅人事任免依据", form, days)
    request_id = request_borrowing(appliance.uow_factory, BORROWER, codes, terms, NOW).request.id
    if approve:
        decide_request(appliance.uow_factory, APPROVER, request_id, Decision.APPROVE, "", NOW)
        if len(codes) > 1:  # 受控 among them: leadership too
            decide_request(appliance.uow_factory, person("leader-sun", "approver"), request_id, Decision.APPROVE,
                           "", NOW)
    return request_id


def notes_of(appliance, username: str) -> list[tuple[str, dict]]:
    with appliance.uow_factory(read_only=True) as uow:
        return [(note.kind, note.params) for note in reversed(uow.notifications.list_for(username, False, 100))]


def test_issue_remind_renew_and_return_intact(appliance, people, codes):
    request_id = approved_request(appliance, codes[:1])
    assert [entry.request_id for entry in waiting_to_issue(appliance.uow_factory, DESK, NOW)] == [request_id]
    (loan,) = issue_loans(appliance.uow_factory, DESK, request_id, NOW)
    assert (loan.item_code, loan.borrower, loan.due_at, loan.issued_by) == (codes[0], "reader-li", NOW + 10 * DAY,
                                                                            "desk-wang")
    assert waiting_to_issue(appliance.uow_factory, DESK, NOW) == []
    assert send_loan_reminders(appliance.uow_factory, NOW) == 0  # not due for days
    assert send_loan_reminders(appliance.uow_factory, NOW + 9 * DAY) == 1
    assert send_loan_reminders(appliance.uow_factory, NOW + 9 * DAY + datetime.timedelta(hours=1)) == 0  # once
    renewed = renew_loan(appliance.uow_factory, DESK, loan.id, 5, NOW + 9 * DAY)
    assert (renewed.due_at, renewed.renewals, renewed.reminded_at) == (NOW + 15 * DAY, 1, None)
    back = return_loan(appliance.uow_factory, OTHER_DESK, loan.id, 3, False, "", NOW + 12 * DAY)
    assert (back.return_check, back.received_by, back.pages_counted) == (ReturnCheck.INTACT, "desk-qian", 3)
    assert open_loans(appliance.uow_factory, DESK, NOW + 12 * DAY) == []
    assert [mine.id for mine in loans_of(appliance.uow_factory, BORROWER)] == [loan.id]
    assert [kind for kind, _ in notes_of(appliance, "reader-li")][-3:] == ["loan.issued", "loan.due_soon",
                                                                          "loan.renewed"]
    actions = [event.action for event in history(appliance.uow_factory, "loan", str(loan.id))]
    assert actions == ["loan.issue", "loan.remind", "loan.renew", "loan.return"]
    assert verify_audit_chain(appliance.uow_factory).ok


def test_missing_pages_are_a_discrepancy_told_to_the_desk(appliance, people, codes):
    (loan,) = issue_loans(appliance.uow_factory, DESK, approved_request(appliance, codes[:1]), NOW)
    back = return_loan(appliance.uow_factory, OTHER_DESK, loan.id, 2, False, "", NOW + DAY)
    assert back.return_check is ReturnCheck.PAGES_MISSING and back.pages_counted == 2
    for desk in ("desk-wang", "desk-qian"):
        kind, params = notes_of(appliance, desk)[-1]
        assert kind == "loan.return_discrepancy" and params["item"] == codes[0] and "清点 2 页" in params["note"]
    assert "loan.return_discrepancy" not in [kind for kind, _ in notes_of(appliance, "approver-zhao")]
    (event,) = [event for event in history(appliance.uow_factory, "loan", str(loan.id))
                if event.action == "loan.return"]
    assert (event.details["pages_counted"], event.details["pages_expected"]) == (2, 3)


def test_an_altered_file_needs_a_note(appliance, people, codes):
    (loan,) = issue_loans(appliance.uow_factory, DESK, approved_request(appliance, codes[:1]), NOW)
    with pytest.raises(InvalidInputError, match="what was altered"):
        return_loan(appliance.uow_factory, DESK, loan.id, 3, True, " ", NOW)
    back = return_loan(appliance.uow_factory, DESK, loan.id, 3, True, "第2页有圈画", NOW)
    assert (back.return_check, back.return_note) == (ReturnCheck.ALTERED, "第2页有圈画")


def test_overdue_loans_are_listed_and_told_once_a_day(appliance, people, codes):
    (loan,) = issue_loans(appliance.uow_factory, DESK, approved_request(appliance, codes[:1], days=3), NOW)
    late = NOW + 5 * DAY
    (overdue,) = overdue_loans(appliance.uow_factory, DESK, late)
    assert overdue.id == loan.id and overdue.days_overdue(late) == 2
    assert overdue_loans(appliance.uow_factory, DESK, NOW + DAY) == []
    assert send_loan_reminders(appliance.uow_factory, late) == 1
    assert send_loan_reminders(appliance.uow_factory, late + datetime.timedelta(hours=23)) == 0
    assert send_loan_reminders(appliance.uow_factory, late + DAY) == 1
    assert [kind for kind, _ in notes_of(appliance, "reader-li")].count("loan.overdue") == 2
    assert [kind for kind, _ in notes_of(appliance, "desk-qian")].count("loan.overdue") == 2


def test_refusals_change_nothing(appliance, people, codes):
    pending = approved_request(appliance, codes[:1], approve=False)
    with pytest.raises(ConflictError, match="is pending"):
        issue_loans(appliance.uow_factory, DESK, pending, NOW)
    reading = approved_request(appliance, codes[:1], form=BorrowForm.READ)
    with pytest.raises(ConflictError, match="not a borrowing to lend"):
        issue_loans(appliance.uow_factory, DESK, reading, NOW)
    with pytest.raises(NotFoundError):
        issue_loans(appliance.uow_factory, DESK, 999_999, NOW)
    lend = approved_request(appliance, codes[:1])
    with pytest.raises(ForbiddenError):
        issue_loans(appliance.uow_factory, BORROWER, lend, NOW)  # a reader is not at the desk
    own = request_borrowing(appliance.uow_factory, DESK, codes[:1], BorrowTerms("编研", BorrowForm.LEND, 5), NOW)
    decide_request(appliance.uow_factory, APPROVER, own.request.id, Decision.APPROVE, "", NOW)
    with pytest.raises(ForbiddenError, match="another person"):
        issue_loans(appliance.uow_factory, DESK, own.request.id, NOW)  # four eyes
    hidden = person("desk-zhou", "archivist", AccessScope(AccessLabel.PUBLIC))
    with pytest.raises(NotFoundError):
        issue_loans(appliance.uow_factory, hidden, lend, NOW)
    assert open_loans(appliance.uow_factory, DESK, NOW) == []
    (loan,) = issue_loans(appliance.uow_factory, DESK, lend, NOW)
    with pytest.raises(ConflictError, match=f"out on loan {loan.id}"):
        issue_loans(appliance.uow_factory, DESK, lend, NOW)  # issued twice
    with pytest.raises(ConflictError, match=f"out on loan {loan.id}"):
        issue_loans(appliance.uow_factory, OTHER_DESK, own.request.id, NOW)  # the same file, another request
    assert [entry.id for entry in open_loans(appliance.uow_factory, DESK, NOW)] == [loan.id]
    assert open_loans(appliance.uow_factory, hidden, NOW) == []  # out of sight, out of the list


def test_renewals_and_returns_have_their_limits(appliance, people, codes):
    (loan,) = issue_loans(appliance.uow_factory, DESK, approved_request(appliance, codes[:1], days=10), NOW)
    with pytest.raises(InvalidInputError, match="1 to 10 days"):
        renew_loan(appliance.uow_factory, DESK, loan.id, 11, NOW)
    renew_loan(appliance.uow_factory, DESK, loan.id, 10, NOW)
    renewed = renew_loan(appliance.uow_factory, DESK, loan.id, 10, NOW)
    with pytest.raises(ConflictError, match="renewed 2 times"):
        renew_loan(appliance.uow_factory, DESK, loan.id, 1, NOW)
    with pytest.raises(ForbiddenError):
        renew_loan(appliance.uow_factory, BORROWER, loan.id, 1, NOW)
    with pytest.raises(NotFoundError):
        return_loan(appliance.uow_factory, DESK, 999_999, 3, False, "", NOW)
    with pytest.raises(InvalidInputError):
        return_loan(appliance.uow_factory, DESK, loan.id, -1, False, "", NOW)
    return_loan(appliance.uow_factory, DESK, loan.id, 3, False, "", NOW + DAY)
    with pytest.raises(ConflictError, match="returned already"):
        return_loan(appliance.uow_factory, DESK, loan.id, 2, False, "", NOW + 2 * DAY)
    with pytest.raises(ConflictError, match="was returned"):
        renew_loan(appliance.uow_factory, DESK, loan.id, 1, NOW + 2 * DAY)
    (kept,) = loans_of(appliance.uow_factory, BORROWER)
    assert (kept.due_at, kept.renewals, kept.pages_counted) == (renewed.due_at, 2, 3)
    actions = [event.action for event in history(appliance.uow_factory, "loan", str(loan.id))]
    assert actions == ["loan.issue", "loan.renew", "loan.renew", "loan.return"]
