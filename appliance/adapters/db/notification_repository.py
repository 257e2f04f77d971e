"""Notifications: one row per person and message; read in the console, mailed by the worker when SMTP is set."""

import datetime
import json

from sqlalchemy import insert
from sqlalchemy.orm import Session

from appliance.adapters.db.tables import NotificationRow


class NotificationRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, usernames: list[str], kind: str, params: dict, link: str, now: datetime.datetime) -> None:
        if not usernames:
            return
        body = json.dumps(params, ensure_ascii=False, sort_keys=True)
        rows = [{"username": name, "kind": kind, "subject": kind, "body": body, "link": link, "created_at": now,
                 "mail_state": "none", "mail_attempts": 0} for name in usernames]
        self.session.execute(insert(NotificationRow), rows)
