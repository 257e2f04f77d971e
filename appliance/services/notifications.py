"""Notifications: tell people what waits for them or what happened to what they asked for; their inbox and counts;
mail to those with an address when SMTP is set, sent by the worker outside any request.
"""

import datetime
import logging
from collections.abc import Iterable
from typing import Protocol

from appliance.domain.access import LABEL_ORDER
from appliance.domain.errors import NotFoundError
from appliance.domain.notifications import (
    MAX_MAIL_ATTEMPTS,
    Counts,
    MailError,
    Notification,
    OutgoingMail,
    check_kind,
    mail_message,
    render,
    safe_link,
    scope_sees_classes,
)
from appliance.domain.permissions import Action, allowed_actions
from appliance.domain.sessions import Principal
from appliance.domain.workflow import APPROVING_ACTION, RequestKind, RequestSnapshot, RequestState
from appliance.services.audit import record

log = logging.getLogger(__name__)
INBOX_LIMIT = 200
MAX_ERROR = 500
REQUESTS_LINK = "/approvals"
DESTRUCTION_LINK = "/destruction"
NO_ADDRESS = "no mail address any more"


class Mailer(Protocol):
    """The port to the mail server (SMTP in appliance.adapters.mailer); `send` raises MailError."""

    console_url: str  # the console's address, to make a notification's link absolute in a mail ("" for none)

    def send(self, recipient: str, subject: str, body: str) -> None: ...


def notify(uow, usernames: Iterable[str], kind: str, now: datetime.datetime, params: dict | None = None,
           link: str = "") -> None:
    """Leave a message of `kind` (with `params` to render it) for each person, in the caller's transaction.

    `link` is a path in the console (anything else is dropped). Raises InvalidInputError for an empty or overlong
    kind. The message is queued for mail when SMTP is set and the person has an address.
    """
    kind = check_kind(kind)
    params = params or {}
    uow.notifications.add(sorted(set(usernames)), kind, params, safe_link(link), now, render(kind, params, "zh"))


def people_who_may_decide(uow, request: RequestSnapshot, classes) -> list[str]:
    """Active people whose roles allow the request's current tier and whose scope sees all its items (`classes`:
    its items' access labels and departments); never its requester, nor who approved an earlier tier."""
    if request.state is not RequestState.PENDING:
        return []
    return people_allowed(uow, request.chain[request.tier].action, classes, {request.requester, *request.deciders})


def people_allowed(uow, action: Action, classes, excluded: set[str]) -> list[str]:
    """Active people, but the excluded, whose roles allow `action` and whose scope sees all of `classes`."""
    return [account.username for account in uow.accounts.list_accounts()
            if not account.disabled and account.username not in excluded
            and action in allowed_actions(account.roles) and scope_sees_classes(account.scope, classes)]


def notify_request_opened(uow, request_id: int, now: datetime.datetime) -> None:
    """Inside the transaction that opened a request: tell those who may decide its first tier."""
    request = uow.workflows.get(request_id)
    classes, params = _request_params(uow, request)
    notify(uow, people_who_may_decide(uow, request, classes), "request.waiting", now, params, REQUESTS_LINK)


def notify_request_decided(uow, request_id: int, reason: str, now: datetime.datetime) -> None:
    """Inside the transaction of a decision: the next tier's deciders after an approval that is not the last; the
    requester of progress, of the final approval or of a rejection (a withdrawal tells nobody)."""
    request = uow.workflows.get(request_id)
    classes, params = _request_params(uow, request)
    requester = [request.requester]
    if request.state is RequestState.PENDING:
        notify(uow, people_who_may_decide(uow, request, classes), "request.waiting", now, params, REQUESTS_LINK)
        progress = {"tier": request.chain[request.tier - 1].name, "next": request.chain[request.tier].name}
        notify(uow, requester, "request.advanced", now, {**params, **progress}, REQUESTS_LINK)
    elif request.state is RequestState.APPROVED:
        notify(uow, requester, "request.approved", now, params, REQUESTS_LINK)
        if request.kind is RequestKind.DESTRUCTION:  # the witnesses' turn: neither the compiler nor an approver
            witnesses = people_allowed(uow, Action.DESTRUCTION_WITNESS, classes, {request.requester, *request.deciders})
            notify(uow, witnesses, "destruction.approved", now,
                   {"list": uow.workflows.payload(request.id).get("list", "")}, DESTRUCTION_LINK)
    elif request.state is RequestState.REJECTED:
        notify(uow, requester, "request.rejected", now, {**params, "reason": reason}, REQUESTS_LINK)


def _request_params(uow, request: RequestSnapshot) -> tuple[list, dict]:
    classes, code, title, count = uow.notifications.request_summary(request.id)
    return classes, {"request": request.id, "kind": request.kind.value, "item": code, "title": title,
                     "count": count}


def list_notifications(uow_factory, principal: Principal, unread_only: bool = False,
                       limit: int = INBOX_LIMIT) -> list[Notification]:
    """The principal's own notifications, newest first."""
    with uow_factory(read_only=True, consistent=False) as uow:
        return uow.notifications.list_for(principal.username, unread_only, limit)


def mark_read(uow_factory, principal: Principal, notification_id: int, now: datetime.datetime) -> Notification:
    """Mark one of the principal's notifications read (again: no change); raises NotFoundError, also for someone
    else's."""
    with uow_factory() as uow:
        if uow.notifications.get_for(principal.username, notification_id) is None:
            raise NotFoundError(f"no notification {notification_id}")
        if uow.notifications.mark_read(principal.username, [notification_id], now):
            record(uow, principal.actor, "notification.read", "notification", str(notification_id))
        uow.commit()
        return uow.notifications.get_for(principal.username, notification_id)


def mark_all_read(uow_factory, principal: Principal, now: datetime.datetime) -> int:
    """Mark every unread notification of the principal read; returns how many."""
    with uow_factory() as uow:
        marked = uow.notifications.mark_read(principal.username, None, now)
        if marked:
            record(uow, principal.actor, "notification.read_all", "user", principal.username, {"count": marked})
        uow.commit()
    return marked


def counts(uow_factory, principal: Principal) -> Counts:
    """Unread notifications and requests waiting for the principal's decision: one cheap query for both."""
    kinds = sorted(kind.value for kind, action in APPROVING_ACTION.items() if principal.may(action))
    scope = principal.scope
    labels = None if len(scope.labels) == len(LABEL_ORDER) else [label.value for label in scope.labels]
    departments = None if scope.departments is None else sorted(scope.departments)
    with uow_factory(read_only=True, consistent=False) as uow:
        unread, awaiting = uow.notifications.counts(principal.username, kinds, labels, departments)
    return Counts(unread, awaiting if kinds else 0)


def deliver_mail(uow_factory, mailer: Mailer, now: datetime.datetime, batch: int = 20) -> int:
    """Send the pending mails that are due (the worker calls this); returns how many were sent.

    A failure is counted with its error and tried again later (RETRY_AFTER); after MAX_MAIL_ATTEMPTS the mail is
    given up as failed, which is logged. Nothing pending costs one read. Never raises for a mail server's trouble.
    """
    with uow_factory(read_only=True, consistent=False) as uow:
        due = uow.notifications.due_mail(now, batch)
    if not due:
        return 0
    outcomes = [(mail, _send(mailer, mail)) for mail in due]  # outside any transaction: SMTP may take seconds
    with uow_factory() as uow:
        for mail, error in outcomes:
            _record_try(uow, mail, error)
        uow.commit()
    return sum(1 for _, error in outcomes if error is None)


def _send(mailer: Mailer, mail: OutgoingMail) -> str | None:
    if not mail.address:
        return NO_ADDRESS
    console_url = mailer.console_url.rstrip("/")
    link_url = f"{console_url}{mail.link}" if console_url and mail.link else ""
    subject, body = mail_message(mail.kind, mail.params, link_url)
    try:
        mailer.send(mail.address, subject, body)
    except MailError as error:
        return str(error)[:MAX_ERROR] or "the mail server refused the message"
    return None


def _record_try(uow, mail: OutgoingMail, error: str | None) -> None:
    if error is None:
        uow.notifications.record_mail(mail.id, mail.attempts, "sent", mail.attempts + 1, None)
        return
    if error == NO_ADDRESS:  # the address was removed after the notice was made: nothing to send it to
        uow.notifications.record_mail(mail.id, mail.attempts, "none", mail.attempts, error)
        return
    attempts = mail.attempts + 1
    state = "failed" if attempts >= MAX_MAIL_ATTEMPTS else "pending"
    if uow.notifications.record_mail(mail.id, mail.attempts, state, attempts, error) and state == "failed":
        log.warning("mail of notification %s to %s given up after %s attempts: %s", mail.id, mail.address,
                    attempts, error)
