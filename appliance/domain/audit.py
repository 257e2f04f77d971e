"""The tamper-evident audit chain: each event's hash covers the previous hash and the event itself."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditEvent:
    """One event as recorded: who did what to which object, when, from where, with what result."""

    seq: int
    occurred_at: str  # ISO 8601 UTC with microseconds, e.g. 2026-11-27T01:02:03.000004Z
    actor: str
    source: str
    action: str
    object_type: str
    object_id: str
    result: str
    details: dict = field(default_factory=dict)

    def details_json(self) -> str:
        return canonical_json(self.details)

    def canonical_json(self) -> str:
        return event_json(self, self.details_json())


def canonical_json(value) -> str:
    """Sorted keys, no spaces, UTF-8 characters kept: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_json(event: AuditEvent, details_json: str) -> str:
    """The canonical JSON of an event, given its details already in canonical form."""
    return fields_json(event.seq, event.occurred_at, event.actor, event.source, event.action, event.object_type,
                       event.object_id, event.result, details_json)


def fields_json(seq: int, occurred_at: str, actor: str, source: str, action: str, object_type: str,
                object_id: str, result: str, details_json: str) -> str:
    """Equal to canonical_json() of the event as a dict, keys in sorted order.

    Assembled by hand because `audit verify` runs it a million times; re-parsing each event's
    details and dumping the whole dict again would double the cost of verification.
    """
    return (
        f'{{"action":{_quote(action)},"actor":{_quote(actor)},"details":{details_json},'
        f'"object_id":{_quote(object_id)},"object_type":{_quote(object_type)},'
        f'"occurred_at":{_quote(occurred_at)},"result":{_quote(result)},'
        f'"seq":{int(seq)},"source":{_quote(source)}}}'
    )


def _quote(value: str) -> str:
    # json.dumps(ensure_ascii=False) escapes only quotes, backslashes and control characters;
    # a string with none of them (the common case) is quoted as it is, which is much faster.
    if '"' in value or "\\" in value or not value.isprintable():
        return json.dumps(value, ensure_ascii=False)
    return f'"{value}"'


def chain_hash(previous_hash: str, event_text: str) -> str:
    return hashlib.sha256((previous_hash + event_text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events_checked: int
    head_hash: str
    problem: str = ""
    first_bad_seq: int | None = None


def verify_chain(rows: Iterable[tuple[int, str, str]], expected_head: tuple[int, str] | None) -> ChainReport:
    """Check rows of (seq, canonical event JSON, stored hash) in seq order.

    Names the first event that was altered, removed or reordered; `expected_head` (seq, hash) is the
    separately kept head of the chain, which catches events removed from the end.
    """
    previous_hash, expected_seq, count = GENESIS_HASH, 1, 0
    for seq, event_json, stored_hash in rows:
        if seq != expected_seq:
            return _broken(count, previous_hash, expected_seq, _gap_message(expected_seq, seq))
        computed = chain_hash(previous_hash, event_json)
        if computed != stored_hash:
            message = f"event {seq} was altered or reordered: its hash does not match its content and predecessor"
            return _broken(count, previous_hash, seq, message)
        previous_hash, expected_seq, count = stored_hash, seq + 1, count + 1
    if expected_head is not None and expected_head != (count, previous_hash):
        head_seq, _ = expected_head
        if head_seq > count:
            message = f"events {count + 1} to {head_seq} were removed from the end of the chain"
        else:
            message = f"the chain head does not match event {count}"
        return _broken(count, previous_hash, count + 1, message)
    return ChainReport(ok=True, events_checked=count, head_hash=previous_hash)


def _gap_message(expected_seq: int, seq: int) -> str:
    if seq > expected_seq:
        return f"event {expected_seq} was removed (next event found is {seq})"
    return f"event {seq} appears out of order (expected {expected_seq})"


def _broken(count: int, head: str, bad_seq: int, message: str) -> ChainReport:
    return ChainReport(ok=False, events_checked=count, head_hash=head, problem=message, first_bad_seq=bad_seq)
