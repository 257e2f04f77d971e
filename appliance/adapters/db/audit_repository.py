"""Audit repository: appends chained events under a lock on the chain head, and reads the chain back."""

import json
from collections.abc import Iterator

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from appliance.adapters.db.tables import AuditEventRow, AuditHeadRow
from appliance.domain.audit import AuditEvent, chain_hash, event_json

EVENTS = AuditEventRow.__table__
HEAD_ID = 1


class AuditRepository:
    def __init__(self, session: Session):
        self.session = session

    def append(self, draft: AuditEvent) -> AuditEvent:
        """Give the event the next seq and chain it; the head row lock serialises concurrent appenders."""
        head = self.session.execute(
            select(AuditHeadRow.seq, AuditHeadRow.hash).where(AuditHeadRow.id == HEAD_ID).with_for_update()
        ).one()
        event = AuditEvent(**{**draft.__dict__, "seq": head.seq + 1})
        details_json = event.details_json()
        digest = chain_hash(head.hash, event_json(event, details_json))
        self.session.execute(EVENTS.insert().values(**_columns(event, details_json), hash=digest))
        self.session.execute(
            update(AuditHeadRow).where(AuditHeadRow.id == HEAD_ID).values(seq=event.seq, hash=digest)
        )
        return event

    def head(self) -> tuple[int, str]:
        row = self.session.execute(select(AuditHeadRow.seq, AuditHeadRow.hash).where(AuditHeadRow.id == HEAD_ID))
        seq, digest = row.one()
        return seq, digest

    def chain_rows(self, batch: int = 20000) -> Iterator[tuple[int, str, str]]:
        """(seq, canonical event JSON, stored hash) for every event, in seq order, streamed."""
        query = select(
            EVENTS.c.seq,
            EVENTS.c.occurred_at,
            EVENTS.c.actor,
            EVENTS.c.source,
            EVENTS.c.action,
            EVENTS.c.object_type,
            EVENTS.c.object_id,
            EVENTS.c.result,
            EVENTS.c.details,
            EVENTS.c.hash,
        ).order_by(EVENTS.c.seq)
        result = self.session.execute(query, execution_options={"yield_per": batch})
        for row in result:
            event = AuditEvent(*row[:8])
            yield row.seq, event_json(event, row.details), row.hash

    def events_for(self, object_type: str, object_id: str, limit: int = 200) -> list[AuditEvent]:
        query = (
            select(EVENTS)
            .where(EVENTS.c.object_type == object_type, EVENTS.c.object_id == object_id)
            .order_by(EVENTS.c.seq)
            .limit(limit)
        )
        return [_to_event(row) for row in self.session.execute(query)]

    def latest(self, limit: int = 50) -> list[AuditEvent]:
        query = select(EVENTS).order_by(EVENTS.c.seq.desc()).limit(limit)
        return [_to_event(row) for row in self.session.execute(query)]


def _columns(event: AuditEvent, details_json: str) -> dict:
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
