"""Audit repository: appends chained events under a lock on the chain head, and reads the chain back."""

import json
from collections.abc import Iterator

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from appliance.adapters.db.tables import AuditEventRow, AuditHeadRow
from appliance.domain.audit import AuditEvent, chain_hash, event_json, fields_json

EVENTS = AuditEventRow.__table__
HEAD_ID = 1
_INSERT_EVENT = EVENTS.insert()
_EVENTS_FOR_OBJECT = (
    select(EVENTS)
    .where(EVENTS.c.object_type == bindparam("object_type"), EVENTS.c.object_id == bindparam("object_id"))
    .order_by(EVENTS.c.seq)
    .limit(bindparam("limit"))
)
CHAIN_QUERY = (
    "SELECT seq, occurred_at, actor, source, action, object_type, object_id, result, details, hash "
    "FROM audit_events ORDER BY seq"
)


class AuditRepository:
    def __init__(self, session: Session):
        self.session = session
        self._locked_head: list | None = None  # [seq, hash] while this transaction holds the head lock
        self._head_dirty = False

    def append(self, draft: AuditEvent) -> AuditEvent:
        """Give the event the next seq and chain it; the head row lock serialises concurrent appenders.

        The head is locked once per transaction and written back by `flush()`: updating one row
        thousands of times in a transaction would leave PostgreSQL a long chain of dead versions.
        """
        head = self._lock_head()
        event = AuditEvent(**{**draft.__dict__, "seq": head[0] + 1})
        details_json = event.details_json()
        digest = chain_hash(head[1], event_json(event, details_json))
        self.session.connection().execute(_INSERT_EVENT, {**event_columns(event, details_json), "hash": digest})
        head[:] = [event.seq, digest]
        self._head_dirty = True
        return event

    def flush(self) -> None:
        """Write the chain head back; the unit of work calls this just before it commits."""
        if self._head_dirty:
            seq, digest = self._locked_head
            self.session.execute(update(AuditHeadRow).where(AuditHeadRow.id == HEAD_ID).values(seq=seq, hash=digest))
            self._head_dirty = False

    def forget(self) -> None:
        """The transaction ended (commit or rollback): the lock is gone, so is the cached head."""
        self._locked_head, self._head_dirty = None, False

    def _lock_head(self) -> list:
        if self._locked_head is None:
            row = self.session.execute(
                select(AuditHeadRow.seq, AuditHeadRow.hash).where(AuditHeadRow.id == HEAD_ID).with_for_update()
            ).one()
            self._locked_head = [row.seq, row.hash]
        return self._locked_head

    def head(self) -> tuple[int, str]:
        if self._locked_head is not None:
            seq, digest = self._locked_head
            return seq, digest
        row = self.session.execute(select(AuditHeadRow.seq, AuditHeadRow.hash).where(AuditHeadRow.id == HEAD_ID))
        seq, digest = row.one()
        return seq, digest

    def chain_rows(self, batch: int = 10000) -> Iterator[tuple[int, str, str]]:
        """(seq, canonical event JSON, stored hash) for every event, in seq order, streamed.

        Read with a plain driver cursor (server-side on PostgreSQL): `audit verify` reads a million
        rows, and building a result row object for each would cost more than hashing it.
        """
        cursor = self._driver_cursor()
        try:
            cursor.execute(CHAIN_QUERY)
            while rows := cursor.fetchmany(batch):
                for row in rows:
                    yield row[0], fields_json(*row[:9]), row[9]
        finally:
            cursor.close()

    def _driver_cursor(self):
        connection = self.session.connection()
        driver_connection = connection.connection.driver_connection
        if connection.dialect.name == "postgresql":
            return driver_connection.cursor(name="audit_chain")
        return driver_connection.cursor()

    def events_for(self, object_type: str, object_id: str, limit: int = 200) -> list[AuditEvent]:
        parameters = {"object_type": object_type, "object_id": object_id, "limit": limit}
        return [_to_event(row) for row in self.session.connection().execute(_EVENTS_FOR_OBJECT, parameters)]

    def latest(self, limit: int = 50) -> list[AuditEvent]:
        query = select(EVENTS).order_by(EVENTS.c.seq.desc()).limit(limit)
        return [_to_event(row) for row in self.session.execute(query)]


def event_columns(event: AuditEvent, details_json: str) -> dict:
    """The stored columns of an event, but its hash."""
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at,
        "actor": event.actor,
        "source": event.source,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "result": event.result,
        "details": details_json,
    }


def _to_event(row) -> AuditEvent:
    return AuditEvent(
        seq=row.seq,
        occurred_at=row.occurred_at,
        actor=row.actor,
        source=row.source,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        result=row.result,
        details=json.loads(row.details),
    )
