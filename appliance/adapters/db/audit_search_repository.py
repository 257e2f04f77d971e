"""Searching the audit log: filtered pages newest first (keyset on seq), counts, and streamed rows for export.

Every filter value travels as a bound parameter; the action prefix is a LIKE pattern whose own wildcards are
escaped, so "%", "_" and "\\" typed by a person match only themselves.
"""

import json
from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appliance.adapters.db.audit_repository import EVENTS
from appliance.domain.audit import AuditEvent
from appliance.domain.audit_query import EventQuery

LIKE_ESCAPE = "\\"
EXPORT_COLUMNS = ("seq", "occurred_at", "actor", "source", "action", "object_type", "object_id", "result",
                  "details", "hash")
_EXACT_FILTERS = ("actor", "object_type", "object_id", "result", "source")


class AuditSearchRepository:
    def __init__(self, session: Session):
        self.session = session

    def page(self, query: EventQuery, before: int | None, limit: int) -> list[AuditEvent]:
        """Up to `limit` events matching `query` with seq below `before`, newest first."""
        conditions = filter_conditions(query)
        if before is not None:
            conditions.append(EVENTS.c.seq < before)
        statement = select(EVENTS).where(*conditions).order_by(EVENTS.c.seq.desc()).limit(limit)
        return [_to_event(row) for row in self.session.execute(statement)]

    def count(self, query: EventQuery, through_seq: int) -> int:
        """How many events up to and including `through_seq` match `query`."""
        statement = (select(func.count()).select_from(EVENTS)
                     .where(*filter_conditions(query), EVENTS.c.seq <= through_seq))
        return self.session.scalar(statement)

    def rows(self, query: EventQuery, through_seq: int, batch: int = 5000) -> Iterator[tuple]:
        """The EXPORT_COLUMNS of matching events up to `through_seq`, oldest first, fetched `batch` at a time.

        On PostgreSQL `yield_per` reads through a server-side cursor, so a million events never sit in memory.
        """
        statement = (select(*(EVENTS.c[name] for name in EXPORT_COLUMNS))
                     .where(*filter_conditions(query), EVENTS.c.seq <= through_seq)
                     .order_by(EVENTS.c.seq))
        for row in self.session.execute(statement, execution_options={"yield_per": batch}):
            yield tuple(row)


def filter_conditions(query: EventQuery) -> list:
    """The WHERE conditions of a query, all with bound parameters."""
    columns = EVENTS.c
    conditions = [columns[name] == getattr(query, name) for name in _EXACT_FILTERS
                  if getattr(query, name) is not None]
    if query.action is not None:
        # LIKE finds the candidates (through an index where there is one); the exact comparison makes the match
        # case-sensitive on SQLite too, whose LIKE ignores case, so both databases give the same events.
        conditions.append(columns.action.like(escape_like(query.action) + "%", escape=LIKE_ESCAPE))
        conditions.append(func.substr(columns.action, 1, len(query.action)) == query.action)
    start, end = query.stored_range()
    if start is not None:
        conditions.append(columns.occurred_at >= start)
    if end is not None:
        conditions.append(columns.occurred_at < end)
    return conditions


def escape_like(text: str) -> str:
    """Text a LIKE pattern matches literally: the escape character first, then the two wildcards."""
    return text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


def _to_event(row) -> AuditEvent:
    return AuditEvent(seq=row.seq, occurred_at=row.occurred_at, actor=row.actor, source=row.source,
                      action=row.action, object_type=row.object_type, object_id=row.object_id, result=row.result,
                      details=json.loads(row.details))
