"""Notifications: tell people what waits for them or what happened to what they asked for."""

import datetime
from collections.abc import Iterable


def notify(uow, usernames: Iterable[str], kind: str, now: datetime.datetime, params: dict | None = None,
           link: str = "") -> None:
    """Leave a message of `kind` (with `params` to render it) for each person, in the caller's transaction."""
    uow.notifications.add(sorted(set(usernames)), kind, params or {}, link, now)
