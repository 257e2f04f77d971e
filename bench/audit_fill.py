"""Bench set-up only: grow the audit chain fast, with the same hashes AuditRepository.append would give.

services.audit.record costs a few hundred µs to milliseconds per event (three statements, head row
locked each time), so a million events through it would take most of an hour. This writes them in
batches straight into the tables; `verify_audit_chain` afterwards proves the chain is the real thing.
"""

from sqlalchemy import Engine, select, update

from appliance.adapters.db.audit_repository import event_columns
from appliance.adapters.db.tables import AuditEventRow, AuditHeadRow
from appliance.domain.audit import AuditEvent, chain_hash, event_json
from appliance.services.audit import utc_timestamp

EVENTS = AuditEventRow.__table__
HEAD_ID = 1
BATCH = 10_000
ACTION = "item.update"
DETAILS = {"changed": ["title", "pages"], "reason": "著录核对后更正题名与页数"}


def fill_audit_chain(engine: Engine, object_ids: list[str], events: int, actor: str = "bench") -> None:
    """Append `events` chained events naming the given items, in one transaction."""
    if events <= 0:
        return
    head = select(AuditHeadRow.seq, AuditHeadRow.hash).where(AuditHeadRow.id == HEAD_ID).with_for_update()
    with engine.begin() as connection:
        seq, previous_hash = connection.execute(head).one()
        batch = []
        for index in range(events):
            seq += 1
            row = _event_row(seq, previous_hash, actor, object_ids[index % len(object_ids)])
            previous_hash = row["hash"]
            batch.append(row)
            if len(batch) == BATCH:
                connection.execute(EVENTS.insert(), batch)
                batch = []
        if batch:
            connection.execute(EVENTS.insert(), batch)
        connection.execute(update(AuditHeadRow).where(AuditHeadRow.id == HEAD_ID).values(seq=seq, hash=previous_hash))


def _event_row(seq: int, previous_hash: str, actor: str, object_id: str) -> dict:
    event = AuditEvent(seq, utc_timestamp(), actor, "local", ACTION, "item", object_id, "ok", DETAILS)
    details_json = event.details_json()
    return {**event_columns(event, details_json), "hash": chain_hash(previous_hash, event_json(event, details_json))}
