"""Delivery from the outbox to a real HTTP server playing the appliance: order, retries, exactly once, SIGKILL."""

import hashlib
import json
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from appliance.domain.errors import InvalidInputError
from appliance.domain.intake_manifest import MAX_PAGES, check_parts, document_key, parse_manifest, utc_timestamp
from scanner_agent.delivery import Backoff, Deliverer, IntakeClient
from scanner_agent.outbox import Outbox, build_manifest
from scanner_agent.wire import decode_body, encode_body
from tests.support.intake_stub import IntakeStub, page_digests
from tests.support.outbox_crash import (
    BATCH,
    CAPTURE,
    TOKEN,
    kill,
    run_child,
    sample_document,
    start_child,
    wait_for_line,
)


@pytest.fixture
def stub():
    with IntakeStub(TOKEN) as running:
        yield running


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "outbox")


def deliverer_for(outbox: Outbox, url: str, timeout: float = 5.0, token: str = TOKEN) -> Deliverer:
    return Deliverer(outbox, IntakeClient(url, token, timeout), Backoff(initial=0.01, cap=0.04, jitter=0))


def put_documents(outbox: Outbox, *numbers: int) -> list[str]:
    return [outbox.put(sample_document(number), BATCH, CAPTURE) for number in numbers]


def deliver_until_done(deliverer: Deliverer, attempts: int = 20) -> None:
    for _ in range(attempts):
        deliverer.run_once()
        if deliverer.retry_delay is None:
            return
        time.sleep(deliverer.retry_delay)
    raise AssertionError(f"still not delivered: {deliverer.status()}")


# ---- the wire format ------------------------------------------------------------------------------------------


def test_manifest_round_trips_and_its_key_is_the_documents():
    document = sample_document(4)
    manifest = build_manifest(document, BATCH, CAPTURE)

    assert parse_manifest(manifest.to_json().encode("utf-8")) == manifest
    assert manifest.document_key == document.key == document_key(document.cover_payload, [p.sha256 for p in
                                                                                            document.pages])


def test_body_round_trips_byte_for_byte(outbox: Outbox):
    [key] = put_documents(outbox, 1)
    [entry] = outbox.pending()
    body = entry.body()

    decoded = decode_body(body.content_type, b"".join(body.chunks()))

    assert len(b"".join(body.chunks())) == body.length
    assert decoded.manifest.document_key == key
    assert [decoded.pages[f"page-{n}"] for n in (1, 2, 3)] == [page.data for page in sample_document(1).pages]


def bad_manifests():
    good = json.loads(build_manifest(sample_document(1), BATCH, CAPTURE).to_json())
    page = good["pages"][0]
    yield {**good, "protocol": 2}, "protocol 2 is unknown"
    yield {key: value for key, value in good.items() if key != "sequence"}, "manifest.sequence is missing"
    yield {**good, "sequence": "3"}, "manifest.sequence must be int"
    yield {**good, "sequence": True}, "manifest.sequence must be int"
    yield {**good, "extra": 1}, "unknown fields: extra"
    yield {**good, "batch": {**good["batch"], "origin": "fax"}}, "batch.origin is 'fax'"
    yield {**good, "batch": {**good["batch"], "started_at": "2024-05-06T07:08:09+08:00"}}, "must be in UTC"
    yield {**good, "pages": [{**page, "part": "page-2"}] + good["pages"][1:]}, "expected 'page-1'"
    yield {**good, "pages": [{**page, "media_type": "image/gif"}] + good["pages"][1:]}, "media_type is 'image/gif'"
    yield {**good, "pages": [{**page, "sha256": "AB" * 32}] + good["pages"][1:]}, "pages\\[0\\].sha256 is not"
    yield {**good, "pages": []}, "lists no pages"
    yield {**good, "pages": [page] * (MAX_PAGES + 1)}, "5001 pages; at most 5000"
    yield {**good, "cover_payload": "DA1:ITEM:Z109-WS.2011-Y-BGS-0999"}, "document_key does not match"


@pytest.mark.parametrize(("manifest", "message"), list(bad_manifests()))
def test_bad_manifests_are_refused_with_a_clear_message(manifest: dict, message: str):
    with pytest.raises(InvalidInputError, match=message):
        parse_manifest(json.dumps(manifest).encode("utf-8"))


def test_not_json_and_a_changed_page_are_refused():
    manifest = build_manifest(sample_document(1), BATCH, CAPTURE)
    digests = {page.part: page.sha256 for page in manifest.pages}
    with pytest.raises(InvalidInputError, match="not UTF-8 JSON"):
        parse_manifest(b"\xff{")
    with pytest.raises(InvalidInputError, match="part 'page-2' has SHA-256 0+; the manifest says"):
        check_parts(manifest, {**digests, "page-2": "0" * 64})
    with pytest.raises(InvalidInputError, match="no part 'page-3'"):
        check_parts(manifest, {"page-1": digests["page-1"], "page-2": digests["page-2"]})
    with pytest.raises(InvalidInputError, match="needs a time zone"):
        utc_timestamp(datetime(2024, 1, 1))


def test_encode_body_needs_a_file_per_page(tmp_path: Path):
    with pytest.raises(InvalidInputError, match="1 page files for a manifest of 3 pages"):
        encode_body(build_manifest(sample_document(1), BATCH, CAPTURE), [tmp_path / "page-1.png"])


# ---- delivery -------------------------------------------------------------------------------------------------


def test_round_trip_files_each_document_once_with_identical_bytes(outbox: Outbox, stub: IntakeStub):
    keys = put_documents(outbox, 1, 2, 3)
    deliverer = deliverer_for(outbox, stub.url)

    assert deliverer.run_once() == 3

    assert [stub.statuses(key) for key in keys] == [[201], [201], [201]]
    for number, key in zip((1, 2, 3), keys, strict=True):
        assert page_digests(stub.filed[key]) == [hashlib.sha256(p.data).hexdigest() for p in
                                                 sample_document(number).pages]
        assert stub.filed[key].manifest.sequence == number
    receipts = [json.loads(path.read_text()) for path in sorted(outbox.directory.glob("sent/*/receipt.json"))]
    assert [receipt["document"] for receipt in receipts] == [1, 2, 3]
    assert deliverer.status().to_dict() == {"pending": 0, "delivered": 3, "refused": 0, "last_error": None,
                                            "next_retry_at": None}


def test_appliance_down_then_up_delivers_everything_once(outbox: Outbox):
    stub = IntakeStub(TOKEN)  # not started: connection refused
    keys = put_documents(outbox, 1, 2)
    deliverer = deliverer_for(outbox, stub.url)

    assert deliverer.run_once() == 0
    assert deliverer.run_once() == 0
    status = deliverer.status()
    assert status.pending == 2 and "appliance unreachable: ConnectionRefusedError" in status.last_error
    assert status.next_retry_at is not None and deliverer.retry_delay == 0.02  # doubled once

    with stub:
        deliver_until_done(deliverer)
        assert [stub.statuses(key) for key in keys] == [[201], [201]]


def test_server_error_is_retried_then_filed(outbox: Outbox, stub: IntakeStub):
    [key] = put_documents(outbox, 1)
    stub.script("fail")
    deliverer = deliverer_for(outbox, stub.url)

    assert deliverer.run_once() == 0
    assert "HTTP 500: stub told to fail" in deliverer.status().last_error
    deliver_until_done(deliverer)

    assert stub.statuses(key) == [500, 201]


def test_refused_document_is_kept_aside_and_the_next_one_delivered(outbox: Outbox, stub: IntakeStub):
    first, second = put_documents(outbox, 1, 2)
    stub.script("refuse")

    assert deliverer_for(outbox, stub.url).run_once() == 1

    [refused] = (outbox.directory / "refused").iterdir()
    assert refused.name.endswith(first)
    assert (refused / "reason.txt").read_text() == "stub told to refuse\n"
    assert stub.statuses(second) == [201]


def test_a_refused_token_is_retried_and_reported(outbox: Outbox, stub: IntakeStub):
    [key] = put_documents(outbox, 1)
    deliverer = deliverer_for(outbox, stub.url, token="stolen")

    assert deliverer.run_once() == 0

    assert "appliance refused the agent's token (HTTP 401)" in deliverer.status().last_error
    assert outbox.counts().pending == 1 and stub.filed == {}


@pytest.mark.parametrize("behaviour", ["drop", "hold"])
def test_an_answer_lost_after_filing_is_retried_and_filed_once(outbox: Outbox, stub: IntakeStub, behaviour: str):
    [key] = put_documents(outbox, 1)
    stub.script(behaviour)  # drop: the connection closes unanswered; hold: the agent times out
    deliverer = deliverer_for(outbox, stub.url, timeout=0.3)

    deliver_until_done(deliverer)

    # the retry was recognised as a replay (a held request answers only when the stub stops)
    assert stub.statuses(key) == (["dropped", 200] if behaviour == "drop" else [200])
    assert stub.filed[key].times_filed == 1 and len(stub.filed) == 1
    receipt = json.loads(next(outbox.directory.glob("sent/*/receipt.json")).read_text())
    assert receipt["http_status"] == 200 and receipt["document"] == 1


def test_the_loop_wakes_on_notify_and_stops_on_request(outbox: Outbox, stub: IntakeStub):
    deliverer = Deliverer(outbox, IntakeClient(stub.url, TOKEN, 5.0), Backoff(initial=30, cap=60))
    stop = threading.Event()
    loop = threading.Thread(target=deliverer.run, args=(stop,))
    loop.start()
    try:
        [key] = put_documents(outbox, 1)
        deliverer.notify()
        deadline = time.monotonic() + 5
        while key not in stub.filed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert key in stub.filed
    finally:
        stop.set()
        loop.join(2)
    assert not loop.is_alive()


def test_backoff_doubles_to_the_cap_with_jitter_below():
    backoff = Backoff(initial=1, cap=60, jitter=0.5, rng=lambda: 1.0)
    assert [backoff.next_delay() for _ in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    backoff.reset()
    assert backoff.next_delay() == 0.5


def test_a_bad_appliance_url_is_refused():
    with pytest.raises(InvalidInputError, match="must be http:// or https://"):
        IntakeClient("ftp://appliance", TOKEN, 1.0)


# ---- SIGKILL during delivery ----------------------------------------------------------------------------------


def test_killed_while_the_appliance_holds_the_request(tmp_path: Path, stub: IntakeStub):
    outbox_dir = str(tmp_path / "outbox")
    stub.script("hold")
    child = start_child("--outbox", outbox_dir, "--put", "1", "2", "--url", stub.url, "--deliver")
    assert stub.state.held.wait(10), "the request never reached the stub"
    kill(child)
    stub.state.release.set()

    assert run_child("--outbox", outbox_dir, "--url", stub.url, "--deliver").returncode == 0

    first, second = (sample_document(number).key for number in (1, 2))
    assert stub.statuses(first)[-1] == 200 and stub.filed[first].times_filed == 1
    assert stub.statuses(second) == [201]


@pytest.mark.parametrize("point", ["after-response", "receipt-written"])
def test_killed_between_answer_and_sent_delivers_exactly_once(tmp_path: Path, stub: IntakeStub, point: str):
    outbox_dir = str(tmp_path / "outbox")
    child = start_child("--outbox", outbox_dir, "--put", "1", "2", "--url", stub.url, "--deliver",
                        "--pause-at", point)
    wait_for_line(child, f"PAUSED {point}")
    kill(child)

    finished = run_child("--outbox", outbox_dir, "--url", stub.url, "--deliver")

    assert finished.returncode == 0, finished.stderr
    first, second = (sample_document(number).key for number in (1, 2))
    # after the answer the document is re-sent (a replay); once the receipt is on disk it is not sent again
    assert stub.statuses(first) == ([201, 200] if point == "after-response" else [201])
    assert stub.statuses(second) == [201]
    assert len(list((tmp_path / "outbox" / "sent").iterdir())) == 2


@pytest.mark.slow
def test_a_large_document_is_streamed_not_held_in_memory(tmp_path: Path, stub: IntakeStub):
    outbox_dir = str(tmp_path / "outbox")
    assert run_child("--outbox", outbox_dir, "--put", "1", "1", "--pages", "4", "--page-size", "4000", "2000",
                     timeout=60).returncode == 0

    delivered = run_child("--outbox", outbox_dir, "--url", stub.url, "--deliver", timeout=60)

    growth_kb = int(delivered.stdout.split("MAXRSS-GROWTH-KB ")[1].split()[0])
    assert stub.filed[sample_document(1, 4, 4000, 2000).key].times_filed == 1
    assert growth_kb < 8_000, f"delivering a 32 MB document grew the agent by {growth_kb} kB"
