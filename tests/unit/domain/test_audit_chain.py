from appliance.domain.audit import (
    GENESIS_HASH,
    AuditEvent,
    canonical_json,
    chain_hash,
    event_json,
    verify_chain,
)


def make_event(seq: int, **changes) -> AuditEvent:
    values = dict(seq=seq, occurred_at=f"2026-11-27T01:00:{seq:02d}.000000Z", actor="王", source="192.0.2.1",
                  action="item.create", object_type="item", object_id=f"Z109-WS·2011-Y-BGS-{seq:04d}",
                  result="ok", details={"题名": "通知", "pages": seq, "nested": {"b": 1, "a": [1, "二"]}})
    values.update(changes)
    return AuditEvent(**values)


def chain(events: list[AuditEvent]) -> list[tuple[int, str, str]]:
    rows, previous = [], GENESIS_HASH
    for event in events:
        text = event.canonical_json()
        previous = chain_hash(previous, text)
        rows.append((event.seq, text, previous))
    return rows


def test_hand_assembled_json_equals_canonical_json_of_the_event():
    event = make_event(7, actor='quote " and \\ backslash', object_id="换行\n")
    assert event.canonical_json() == canonical_json({**event.__dict__})
    assert event_json(event, event.details_json()) == canonical_json({**event.__dict__})


def test_an_intact_chain_verifies():
    rows = chain([make_event(seq) for seq in range(1, 6)])
    report = verify_chain(rows, expected_head=(5, rows[-1][2]))
    assert report.ok and report.events_checked == 5 and report.head_hash == rows[-1][2]


def test_an_altered_event_is_named():
    rows = chain([make_event(seq) for seq in range(1, 6)])
    seq, text, digest = rows[2]
    rows[2] = (seq, text.replace("item.create", "item.delete"), digest)
    report = verify_chain(rows, expected_head=(5, rows[-1][2]))
    assert not report.ok and report.first_bad_seq == 3 and "event 3 was altered" in report.problem


def test_a_removed_event_is_named():
    rows = chain([make_event(seq) for seq in range(1, 6)])
    del rows[1]
    report = verify_chain(rows, expected_head=None)
    assert report.first_bad_seq == 2 and "event 2 was removed" in report.problem


def test_reordered_events_are_detected():
    rows = chain([make_event(seq) for seq in range(1, 6)])
    rows[1], rows[2] = rows[2], rows[1]
    report = verify_chain(rows, expected_head=None)
    assert not report.ok and report.first_bad_seq == 2


def test_events_removed_from_the_end_are_caught_by_the_head():
    rows = chain([make_event(seq) for seq in range(1, 6)])
    report = verify_chain(rows[:3], expected_head=(5, rows[-1][2]))
    assert not report.ok and "events 4 to 5 were removed" in report.problem


def test_an_event_rewritten_with_a_recomputed_hash_breaks_its_successor():
    events = [make_event(seq) for seq in range(1, 4)]
    rows = chain(events)
    forged = make_event(2, actor="mallory")
    rows[1] = (2, forged.canonical_json(), chain_hash(rows[0][2], forged.canonical_json()))
    report = verify_chain(rows, expected_head=(3, rows[-1][2]))
    assert not report.ok and report.first_bad_seq == 3


def test_fast_quoting_matches_json_for_every_kind_of_character():
    import json
    import random

    from appliance.domain.audit import _quote

    tricky = ['plain', '档号·Z109', 'tab\there', 'quote"', 'back\\slash', '\u2028', '\u00a0', '\x7f', '\x00',
              '\ud800', 'emoji 😀', '']
    generator = random.Random(7)
    alphabet = [chr(code) for code in (*range(0, 128), 0xA0, 0x2028, 0x3000, 0x6863, 0xFF3B, 0x1F600)]
    samples = tricky + ["".join(generator.choices(alphabet, k=generator.randint(0, 12))) for _ in range(2000)]
    for sample in samples:
        assert _quote(sample) == json.dumps(sample, ensure_ascii=False), repr(sample)
