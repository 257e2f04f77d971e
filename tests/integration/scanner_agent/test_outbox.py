"""The outbox on a real file system: crash-safe put, FIFO order, recovery, a really full disk, SIGKILL."""

import json
from pathlib import Path

import pytest

from appliance.domain.errors import InvalidInputError
from appliance.domain.intake_manifest import parse_manifest
from scanner_agent.outbox import Outbox, OutboxCounts, OutboxFullError, build_manifest
from scanner_agent.pages import SplitDocument
from tests.support.intake_stub import IntakeStub, page_digests
from tests.support.outbox_crash import (
    BATCH,
    CAPTURE,
    kill,
    run_child,
    sample_document,
    start_child,
    wait_for_line,
)
from tests.support.tiny_disk import tiny_disk as mounted_tmpfs


def put(outbox: Outbox, number: int, **size) -> str:
    return outbox.put(sample_document(number, **size), BATCH, CAPTURE)


def test_put_stores_pages_and_manifest_in_ready(tmp_path: Path):
    outbox = Outbox(tmp_path)
    document = sample_document(1)

    key = outbox.put(document, BATCH, CAPTURE)

    [entry] = outbox.pending()
    assert key == document.key == entry.key
    assert entry.manifest() == build_manifest(document, BATCH, CAPTURE)
    assert [(entry.path / f"page-{n}.png").read_bytes() for n in (1, 2, 3)] == [p.data for p in document.pages]
    assert list((tmp_path / ".incoming").iterdir()) == []


def test_a_document_waiting_or_delivered_is_not_stored_twice(tmp_path: Path):
    outbox = Outbox(tmp_path)
    put(outbox, 1)
    put(outbox, 1)
    assert len(outbox.pending()) == 1

    outbox.mark_delivered(outbox.pending()[0], {"document": 7, "state": "filed"})
    put(outbox, 1)

    assert outbox.pending() == []
    assert outbox.counts().delivered == 1


def test_pending_is_first_in_first_out_across_restarts(tmp_path: Path):
    first = Outbox(tmp_path)
    keys = [put(first, number) for number in (5, 3, 9)]
    first.mark_delivered(first.pending()[0], {"document": 1, "state": "filed"})

    reopened = Outbox(tmp_path)
    keys.append(put(reopened, 1))

    assert [entry.key for entry in reopened.pending()] == keys[1:]


def test_delivered_entries_keep_receipt_and_manifest_only(tmp_path: Path):
    outbox = Outbox(tmp_path)
    put(outbox, 1)
    entry = outbox.pending()[0]

    outbox.mark_delivered(entry, {"document": 12, "state": "intake", "reason": None})

    sent = tmp_path / "sent" / entry.name
    assert sorted(path.name for path in sent.iterdir()) == ["manifest.json", "receipt.json"]
    assert json.loads((sent / "receipt.json").read_text())["document"] == 12


def test_refused_entries_keep_pages_and_reason(tmp_path: Path):
    outbox = Outbox(tmp_path)
    put(outbox, 1)
    put(outbox, 2)
    entry = outbox.pending()[0]

    outbox.mark_refused(entry, "manifest batch.id 'x' is not a UUID")

    refused = tmp_path / "refused" / entry.name
    assert (refused / "reason.txt").read_text() == "manifest batch.id 'x' is not a UUID\n"
    assert (refused / "page-3.png").exists()
    assert outbox.counts() == OutboxCounts(pending=1, delivered=0, refused=1)


def test_recover_removes_unacknowledged_partials_and_finishes_interrupted_moves(tmp_path: Path):
    outbox = Outbox(tmp_path)
    put(outbox, 1)
    put(outbox, 2)
    partial = tmp_path / ".incoming" / "0123"
    partial.mkdir()
    (partial / "page-1.png").write_bytes(b"half")
    # a crash after the receipt was written but before the move to sent/
    first = outbox.pending()[0]
    (first.path / "receipt.json").write_text('{"document": 1, "state": "filed"}')

    assert Outbox(tmp_path).recover() == 1

    assert list((tmp_path / ".incoming").iterdir()) == []
    assert (tmp_path / "sent" / first.name / "receipt.json").exists()
    assert not (tmp_path / "sent" / first.name / "page-1.png").exists()
    assert [entry.key for entry in outbox.pending()] == [sample_document(2).key]


def test_a_document_without_pages_is_refused_at_once(tmp_path: Path):
    with pytest.raises(InvalidInputError, match="has no pages"):
        Outbox(tmp_path).put(SplitDocument(sequence=4, cover_payload=None), BATCH, CAPTURE)


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A real 2 MB file system (tmpfs), so the disk really fills up."""
    with mounted_tmpfs(tmp_path / "tiny", "2m") as mount_point:
        yield mount_point


def test_disk_full_leaves_nothing_half_written(tiny_disk: Path):
    outbox = Outbox(tiny_disk)
    free_before = outbox.free_bytes()

    with pytest.raises(OutboxFullError, match=r"outbox disk full: .*3 pages, 3\.0 MB.* MB free"):
        put(outbox, 1, width=1000, height=1000)  # 3 pages of 1 MB on a 2 MB disk

    assert outbox.pending() == []
    assert list((tiny_disk / "ready").iterdir()) == []
    assert list((tiny_disk / ".incoming").iterdir()) == []
    assert outbox.free_bytes() == free_before
    assert put(outbox, 2) == sample_document(2).key  # a document that fits still goes in


# ---- SIGKILL at chosen points -------------------------------------------------------------------------------


def test_killed_between_pages_loses_nothing_acknowledged(tmp_path: Path):
    outbox_dir = str(tmp_path / "outbox")
    assert run_child("--outbox", outbox_dir, "--put", "1", "1").returncode == 0
    child = start_child("--outbox", outbox_dir, "--put", "2", "1", "--pause-at", "between-pages")
    wait_for_line(child, "PAUSED between-pages")
    kill(child)
    assert len(list((tmp_path / "outbox" / ".incoming").iterdir())) == 1  # the half-written document
    assert [entry.key for entry in Outbox(tmp_path / "outbox").pending()] == [sample_document(1).key]

    with IntakeStub() as stub:
        delivered = run_child("--outbox", outbox_dir, "--url", stub.url, "--deliver")

    assert "DELIVERED 1 PENDING 0" in delivered.stdout
    assert list(stub.filed) == [sample_document(1).key]
    assert page_digests(stub.filed[sample_document(1).key]) == [page.sha256 for page in sample_document(1).pages]
    assert list((tmp_path / "outbox" / ".incoming").iterdir()) == []


def test_killed_after_put_delivers_every_acknowledged_document_once(tmp_path: Path):
    outbox_dir = str(tmp_path / "outbox")
    child = start_child("--outbox", outbox_dir, "--put", "1", "3", "--pause-at", "after-put")
    acknowledged = [line.split()[1] for line in wait_for_line(child, "PAUSED after-put") if line.startswith("PUT")]
    kill(child)

    with IntakeStub() as stub:
        delivered = run_child("--outbox", outbox_dir, "--url", stub.url, "--deliver")

    assert delivered.returncode == 0, delivered.stderr
    assert acknowledged == [sample_document(number).key for number in (1, 2, 3)]
    assert [stub.statuses(key) for key in acknowledged] == [[201], [201], [201]]
    manifests = [parse_manifest((path / "manifest.json").read_bytes()) for path in (tmp_path / "outbox/sent").iterdir()]
    assert sorted(manifest.sequence for manifest in manifests) == [1, 2, 3]
