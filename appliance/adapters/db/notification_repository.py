"""Notifications: one row per person and message; read in the console, mailed by the worker when SMTP is set."""

import datetime
import json

from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from appliance.adapters.db.tables import (
    ItemRow,
    NotificationRow,
    UserRow,
    WorkflowRequestItemRow,
    WorkflowRequestRow,
    WorkflowStepRow,
    as_utc,
)
from appliance.domain.notifications import RETRY_AFTER, Notification, OutgoingMail

NOTIFICATIONS = NotificationRow.__table__


class NotificationRepository:
    """`mail_enabled`: SMTP is configured, so messages for people with an address are queued for mail."""

    def __init__(self, session: Session, mail_enabled: bool = False):
        self.session = session
        self.mail_enabled = mail_enabled

    def add(self, usernames: list[str], kind: str, params: dict, link: str, now: datetime.datetime,
            subject: str = "") -> None:
        if not usernames:
            return
        body = json.dumps(params, ensure_ascii=False, sort_keys=True, default=str)
        addressed = self.mail_addresses(usernames) if self.mail_enabled else {}
        rows = [{"username": name, "kind": kind, "subject": subject or kind, "body": body, "link": link,
                 "created_at": now, "mail_state": "pending" if addressed.get(name) else "none", "mail_attempts": 0}
                for name in usernames]
        self.session.execute(insert(NotificationRow), rows)

    def list_for(self, username: str, unread_only: bool, limit: int) -> list[Notification]:
        """The person's notifications, newest first."""
        query = select(NOTIFICATIONS).where(NOTIFICATIONS.c.username == username)
        if unread_only:
            query = query.where(NOTIFICATIONS.c.read_at.is_(None))
        rows = self.session.execute(query.order_by(NOTIFICATIONS.c.id.desc()).limit(limit))
        return [_notification(row) for row in rows]

    def get_for(self, username: str, notification_id: int) -> Notification | None:
        """One of the person's notifications; None when unknown or someone else's."""
        row = self.session.execute(select(NOTIFICATIONS).where(
            NOTIFICATIONS.c.id == notification_id, NOTIFICATIONS.c.username == username)).first()
        return None if row is None else _notification(row)

    def mark_read(self, username: str, notification_ids: list[int] | None, now: datetime.datetime) -> int:
        """Mark the person's unread notifications read (those of `notification_ids`, or all); how many changed."""
        query = update(NotificationRow).where(NotificationRow.username == username, NotificationRow.read_at.is_(None))
        if notification_ids is not None:
            query = query.where(NotificationRow.id.in_(notification_ids))
        return self.session.execute(query.values(read_at=now)).rowcount

    def counts(self, username: str, kinds: list[str], labels: list[str] | None,
               departments: list[str] | None) -> tuple[int, int]:
        """Unread notifications, and pending requests of `kinds` this person may decide on items of their scope
        (labels None: every label; departments None: every department); one round trip."""
        unread = (select(func.count()).select_from(NOTIFICATIONS)
                  .where(NOTIFICATIONS.c.username == username, NOTIFICATIONS.c.read_at.is_(None)).scalar_subquery())
        return tuple(self.session.execute(select(unread, _awaiting(username, kinds, labels, departments))).one())

    def request_summary(self, request_id: int) -> tuple[list[tuple[str, str]], str, str, int]:
        """A request's items as (access label, department) classes, its first item's code and title, and count."""
        classes = self.session.execute(
            select(ItemRow.access_label, ItemRow.department).join(
                WorkflowRequestItemRow, WorkflowRequestItemRow.item_id == ItemRow.id)
            .where(WorkflowRequestItemRow.request_id == request_id).distinct()).all()
        first = self.session.execute(
            select(ItemRow.archival_code, ItemRow.title, func.count().over()).join(
                WorkflowRequestItemRow, WorkflowRequestItemRow.item_id == ItemRow.id)
            .where(WorkflowRequestItemRow.request_id == request_id).order_by(ItemRow.archival_code).limit(1)).first()
        code, title, count = first if first else ("", "", 0)
        return [(label, department) for label, department in classes], code, title, count

    def due_mail(self, now: datetime.datetime, batch: int) -> list[OutgoingMail]:
        """Pending mails whose next try is due, oldest first, with the address they go to ("" if removed since)."""
        due = or_(*(and_(NOTIFICATIONS.c.mail_attempts == attempts, NOTIFICATIONS.c.created_at <= now - delay)
                    for attempts, delay in enumerate(RETRY_AFTER)))
        query = (select(NOTIFICATIONS, UserRow.email).outerjoin(UserRow, UserRow.username == NOTIFICATIONS.c.username)
                 .where(NOTIFICATIONS.c.mail_state == "pending", due).order_by(NOTIFICATIONS.c.id).limit(batch))
        return [OutgoingMail(row.id, row.email or "", row.kind, _params(row.body), row.link, as_utc(row.created_at),
                             row.mail_attempts) for row in self.session.execute(query)]

    def record_mail(self, notification_id: int, attempts_before: int, state: str, attempts: int,
                    error: str | None) -> bool:
        """Record a try (`state` sent, pending to retry, failed, none); only if nobody recorded one meanwhile."""
        result = self.session.execute(
            update(NotificationRow)
            .where(NotificationRow.id == notification_id, NotificationRow.mail_state == "pending",
                   NotificationRow.mail_attempts == attempts_before)
            .values(mail_state=state, mail_attempts=attempts, mail_error=error))
        return result.rowcount == 1

    def mail_addresses(self, usernames: list[str] | None = None) -> dict[str, str]:
        """People's mail addresses (those who have one); of `usernames`, or of everyone."""
        query = select(UserRow.username, UserRow.email).where(UserRow.email != "")
        if usernames is not None:
            query = query.where(UserRow.username.in_(usernames))
        return dict(self.session.execute(query).all())

    def set_mail_address(self, user_id: int, address: str) -> None:
        self.session.execute(update(UserRow).where(UserRow.id == user_id).values(email=address))


def _awaiting(username: str, kinds: list[str], labels: list[str] | None, departments: list[str] | None):
    """The count of pending requests waiting for `username`: of a kind they may approve, not their own, no tier
    of it approved by them already, with an item their scope sees (as the approvals inbox lists them)."""
    requests = WorkflowRequestRow.__table__
    decided_by_them = exists().where(WorkflowStepRow.request_id == requests.c.id, WorkflowStepRow.actor == username,
                                     WorkflowStepRow.decision == "approve")
    seen = [WorkflowRequestItemRow.request_id == requests.c.id]
    if labels is not None:
        seen.append(ItemRow.access_label.in_(labels))
    if departments is not None:
        seen.append(ItemRow.department.in_(["", *departments]))
    visible = exists().where(*seen).select_from(
        WorkflowRequestItemRow.__table__.join(ItemRow, ItemRow.id == WorkflowRequestItemRow.item_id))
    return (select(func.count()).select_from(requests)
            .where(requests.c.state == "pending", requests.c.kind.in_(kinds), requests.c.requester != username,
                   ~decided_by_them, visible).scalar_subquery())


def _notification(row) -> Notification:
    return Notification(row.id, row.username, row.kind, _params(row.body), row.link, as_utc(row.created_at),
                        as_utc(row.read_at) if row.read_at else None, row.mail_state)


def _params(body: str) -> dict:
    try:
        params = json.loads(body or "{}")
    except ValueError:
        return {}
    return params if isinstance(params, dict) else {}
