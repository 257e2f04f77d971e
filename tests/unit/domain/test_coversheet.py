import pytest

from appliance.domain.codes import ClassKey, parse_archival_code
from appliance.domain.coversheet import (
    SEPARATOR_PAYLOAD,
    CoverKind,
    InvalidPayloadError,
    batch_payload,
    is_cover_payload,
    item_payload,
    parse_payload,
)


def test_item_payload_round_trips_with_the_ascii_dot():
    code = parse_archival_code("Z109-WS·2011-Y-BGS-0001")
    payload = item_payload(code)
    assert payload == "DA1:ITEM:Z109-WS.2011-Y-BGS-0001"
    assert parse_payload(payload).item_code == code


@pytest.mark.parametrize("key, text", [
    (ClassKey("Z109", "WS", 2011, "D30", "BGS"), "DA1:BATCH:Z109/WS/2011/D30/BGS"),
    (ClassKey("Z109", "WS", 2011, "Y", None), "DA1:BATCH:Z109/WS/2011/Y"),
])
def test_batch_payload_round_trips(key, text):
    assert batch_payload(key) == text
    cover = parse_payload(text)
    assert cover.kind is CoverKind.BATCH and cover.batch_class == key


def test_separator():
    assert parse_payload(SEPARATOR_PAYLOAD).kind is CoverKind.SEPARATOR


@pytest.mark.parametrize("payload, reason", [
    ("DA2:ITEM:Z109-WS.2011-Y-BGS-0001", "protocol 'DA2' is unknown"),
    ("DA1:ITEM:Z109-WS.2011-X-BGS-0001", "malformed archival code"),
    ("DA1:BOX:12", "unknown kind 'BOX'"),
    ("DA1:SEPARATOR", "unknown kind"),
    ("DA1:BATCH:Z109/WS/20X1/D30", "fonds/category/year/retention"),
    ("DA1:BATCH:Z109/WS/2011/D31/BGS", "unknown retention"),
    ("DA1:ITEM:" + "A" * 10_000, "characters long"),
    ("DA1:ITEM:Z109-WS.2011-Y-BGS-0001\ufffd", "printable ASCII"),
])
def test_malformed_payloads_say_why(payload, reason):
    with pytest.raises(InvalidPayloadError, match=reason):
        parse_payload(payload)


def test_only_protocol_prefixes_count_as_cover_sheets():
    assert is_cover_payload("DA1:SEP") and is_cover_payload("DA7:whatever")
    assert not is_cover_payload("6901234567892") and not is_cover_payload("https://example.cn/DA1:SEP")
