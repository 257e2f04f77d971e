"""Audit use cases: record an event with the change it describes, and verify the chain."""

import datetime

from appliance.domain.actors import Actor
from appliance.domain.audit import AuditEvent, ChainReport, verify_chain


def record(uow, actor: Actor, action: str, object_type: str, object_id: str, details: dict | None = None,
           result: str = "ok") -> AuditEvent:
    """Append an event inside the caller's open unit of work (committed with the change it describes)."""
    draft = AuditEvent(
        seq=0,
        occurred_at=utc_timestamp(),
        actor=actor.name,
        source=actor.source,
        action=action,
        object_type=object_type,
        object_id=object_id,
        result=result,
        details=details or {},
    )
    return uow.audit.append(draft)


def utc_timestamp() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def verify_audit_chain(uow_factory) -> ChainReport:
    """Recompute every hash; the report names the first event altered, removed or reordered."""
    with uow_factory(read_only=True) as uow:
        head = uow.audit.head()
        return verify_chain(uow.audit.chain_rows(), expected_head=head)


def history(uow_factory, object_type: str, object_id: str) -> list[AuditEvent]:
    with uow_factory(read_only=True) as uow:
        return uow.audit.events_for(object_type, object_id)


def latest_events(uow_factory, count: int) -> list[AuditEvent]:
    with uow_factory(read_only=True) as uow:
        return uow.audit.latest(count)
