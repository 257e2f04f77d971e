"""Crash safety of the whole agent: `dangan agent` SIGKILLed mid-batch, before and during delivery; the appliance
down for long; the spool's disk full. Real processes, real HTTP, the pnm backend, zbar; SQLite only (conftest).

"Exactly once" is checked on pixels: the pnm backend passes a page's pixels through unchanged, so every page the
appliance stored must decode to the pixels of one sheet of the stack, each sheet once, in its document and order.
"""

import hashlib
import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from appliance.adapters.sample_batch import render_text_page
from appliance.domain.actors import Actor
from appliance.domain.intake_manifest import CaptureInfo, parse_manifest
from appliance.services.items import show_item
from appliance.services.scanners import agent_reports, request_scan
from scanner_agent.capture import BatchRun, new_batch
from scanner_agent.delivery import Backoff
from scanner_agent.pages import CapturedPage
from tests.integration.scanner_agent.conftest import ITEM_CODE
from tests.support.agent_process import (
    AgentProcess,
    IntakeGate,
    Stack,
    expected_pixels,
    stored_pixels,
    wait_until,
)
from tests.support.tiny_disk import tiny_disk as mounted_tmpfs

OPERATOR = Actor("operator", "127.0.0.1")
THREE_DOCUMENTS = [1, 2, 3]  # the conftest stack's covers are sheets 0, 3 and 5


@pytest.fixture(scope="session")
def short_stack(three_document_stack) -> Stack:
    """ITEM cover + 2 pages, BATCH cover + 1, SEP + 2: 8 sheets, 3 documents."""
    return Stack(list(three_document_stack), [0, 3, 5])


@pytest.fixture(scope="session")
def long_stack(short_stack, tmp_path_factory) -> Stack:
    """The short stack and two more documents of the batch: 14 sheets, 5 documents, every page different."""
    directory = tmp_path_factory.mktemp("long-stack")
    separator = short_stack.sheets[5]
    sheets = list(short_stack.sheets)
    for number in (None, 6, 7, None, 8, 9):
        path = directory / f"{len(sheets) + 1:04d}.png"
        page = render_text_page(["滨江市人民政府办公室文件", f"第{number}页"]) if number else Image.open(separator)
        page.save(path, dpi=(300, 300), compress_level=1)
        sheets.append(path)
    return Stack(sheets, short_stack.covers + [8, 11])


@pytest.fixture
def gate(live):
    gate = IntakeGate()
    live.stop()
    live.wrap = gate.wrap
    live.start()
    yield gate
    gate.release.set()


@pytest.fixture
def agent(tmp_path, live):
    process = AgentProcess("crash-agent", tmp_path / "agent", live.url, live.token)
    yield process
    process.stop()


# ---- what the appliance holds --------------------------------------------------------------------------------


def delivered_count(appliance) -> int:
    with appliance.uow_factory(read_only=True) as uow:
        return len(uow.intake.documents(limit=10_000))


def batch_record(appliance, batch_id: str):
    with appliance.uow_factory(read_only=True) as uow:
        return uow.intake.get_batch(batch_id)


def batch_in_state(appliance, batch_id: str, state: str):
    """The appliance's record of a batch once it is in `state`, else None."""
    record = batch_record(appliance, batch_id)
    return record if record is not None and record.state == state else None


def scan_request(appliance, request_id: int):
    with appliance.uow_factory(read_only=True) as uow:
        return uow.intake.get_scan_request(request_id)


def heartbeat_state(appliance, name: str) -> dict:
    return next((report.state for report in agent_reports(appliance.uow_factory) if report.agent == name), {})


def scan(appliance, agent_name: str, resume_batch: str | None = None) -> int:
    return request_scan(appliance.uow_factory, OPERATOR, agent_name, "virtual", resume_batch=resume_batch).id


# ---- the agent killed -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_killed_between_pages_the_batch_waits_interrupted_and_a_resume_files_every_page_once(agent, live, long_stack):
    appliance = live.appliance
    agent.load_feeder(long_stack.sheets)
    scan(appliance, agent.name)
    agent.start()
    # 5 sheets: the first document is complete (the batch sheet closed it), the second is not
    batch_id = wait_until(lambda: next((batch for batch in agent.batch_ids() if len(agent.journal(batch)) >= 5),
                                       None), 30, "5 pages in the journal", agent)
    agent.kill()
    kept = len(agent.journal(batch_id))
    assert 5 <= kept < len(long_stack.sheets) - 1, "the kill must land inside the batch"
    complete = long_stack.documents_complete_within(kept)

    agent.start()
    record = wait_until(lambda: batch_in_state(appliance, batch_id, "interrupted"), 20, "the interrupted batch",
                        agent)
    assert heartbeat_state(appliance, agent.name)["interrupted_batches"] == [batch_id]
    assert record.report["pages_scanned"] == kept  # what the operator is told the agent kept
    wait_until(lambda: delivered_count(appliance) == complete, 20, f"{complete} documents delivered", agent)
    assert stored_pixels(appliance) == expected_pixels(long_stack, list(range(1, complete + 1)))

    agent.load_feeder(long_stack.sheets[record.report["pages_scanned"]:])  # the operator reloads the rest
    resumed = scan(appliance, agent.name, resume_batch=batch_id)
    wait_until(lambda: scan_request(appliance, resumed).state == "done", 30, "the resumed scan", agent)
    wait_until(lambda: batch_in_state(appliance, batch_id, "finished") and not agent.outbox("ready"), 20,
               "the whole batch delivered", agent)

    assert stored_pixels(appliance) == expected_pixels(long_stack, [1, 2, 3, 4, 5])
    assert batch_record(appliance, batch_id).report["pages_scanned"] == len(long_stack.sheets)
    assert show_item(appliance.uow_factory, ITEM_CODE).item.fields.pages == 2


@pytest.mark.slow
def test_killed_after_the_outbox_write_with_the_appliance_down_delivers_once_when_both_return(
        agent, live, gate, short_stack):
    appliance = live.appliance
    agent.load_feeder(short_stack.sheets)
    gate.refusing = True  # nothing is filed before the appliance goes down
    request = scan(appliance, agent.name)
    agent.start()
    wait_until(lambda: scan_request(appliance, request).state == "taken", 20, "the agent to take the scan", agent)
    live.stop()
    gate.refusing = False
    wait_until(lambda: len(agent.outbox("ready")) == 3 and not agent.batch_ids(), 30, "the whole stack in the outbox",
               agent)
    agent.kill()
    assert delivered_count(appliance) == 0

    live.start()
    agent.start()
    wait_until(lambda: len(agent.outbox("sent")) == 3, 20, "the outbox delivered", agent)
    (batch,) = {parse_manifest((path / "manifest.json").read_bytes()).batch.id for path in agent.outbox("sent")}
    # the batch report waited on the agent's disk for the appliance
    wait_until(lambda: batch_in_state(appliance, batch, "finished"), 10, "the batch report", agent)

    assert stored_pixels(appliance) == expected_pixels(short_stack, THREE_DOCUMENTS)
    keys = [path.name.partition("-")[2] for path in agent.outbox("sent")]
    assert [[status for status in gate.statuses(key) if status != 503] for key in keys] == [[201], [201], [201]]


@pytest.mark.slow
def test_killed_while_a_delivery_is_answered_the_restarted_agent_resends_and_it_is_filed_once(
        agent, live, gate, short_stack):
    appliance = live.appliance
    agent.load_feeder(short_stack.sheets)
    gate.hold_next = True
    request = scan(appliance, agent.name)
    agent.start()
    wait_until(gate.held.is_set, 30, "the first delivery to be filed", agent)
    wait_until(lambda: scan_request(appliance, request).state == "done", 30, "the scan to end", agent)
    agent.kill()
    gate.release.set()
    assert len(agent.outbox("ready")) == 3 and delivered_count(appliance) == 1

    agent.start()
    wait_until(lambda: len(agent.outbox("sent")) == 3, 20, "the outbox delivered", agent)

    sent = agent.outbox("sent")
    keys = [path.name.partition("-")[2] for path in sent]
    assert [gate.statuses(key) for key in keys] == [[201, 200], [201], [201]]
    assert parse_manifest((sent[0] / "manifest.json").read_bytes()).sequence == 1
    assert json.loads((sent[0] / "receipt.json").read_text())["http_status"] == 200
    assert stored_pixels(appliance) == expected_pixels(short_stack, THREE_DOCUMENTS)
    assert show_item(appliance.uow_factory, ITEM_CODE).item.fields.pages == 2


def test_a_batch_stopped_after_its_last_document_is_finished_by_recovery_not_left_interrupted(
        agent_factory, live, short_stack):
    agent = agent_factory()
    spool = new_batch(agent.batches_root, "scan", "virtual", "", CaptureInfo("colour", "ADF", False))
    run = BatchRun(spool, agent.outbox, agent._read)
    with agent.decoder:
        run.feed(CapturedPage(sheet.read_bytes(), "image/png", 300, "greyscale", "virtual")
                 for sheet in short_stack.sheets)
    spool.set_state("finished")  # what finish() does first; the kill came before the report was kept
    batch_id = spool.batch.id

    restarted = agent_factory()
    with restarted.decoder:
        restarted.recover()
    restarted.deliverer.run_once()
    restarted.heartbeat()

    assert restarted.state()["interrupted_batches"] == [] and not spool.directory.exists()
    assert batch_in_state(live.appliance, batch_id, "finished").report["pages_scanned"] == 8
    assert stored_pixels(live.appliance) == expected_pixels(short_stack, THREE_DOCUMENTS)


# ---- the appliance down, the disk full (an Agent in this process) ---------------------------------------------


def test_with_the_appliance_down_the_agent_scans_on_and_delivery_backs_off_to_its_cap(agent_factory, live,
                                                                                       short_stack):
    appliance = live.appliance
    agent = agent_factory()
    scan(appliance, "test-agent")
    agent.heartbeat()  # takes the request
    live.stop()
    stop = threading.Event()
    loop = threading.Thread(target=agent.run, args=(stop,))
    loop.start()
    try:
        wait_until(lambda: agent.outbox.counts().pending == 3 and not any(agent.batches_root.iterdir()), 30,
                   "the stack scanned into the outbox")
        agent.heartbeat()  # the appliance is down: the heartbeat says so in the log and the agent goes on
    finally:
        stop.set()
        loop.join()
    assert "appliance unreachable" in agent.state()["outbox"]["last_error"]

    for _ in range(60):  # an hour of attempts at the cap, without the hour
        assert agent.deliverer.run_once() == 0
    status = agent.deliverer.status()
    wait = (datetime.fromisoformat(status.next_retry_at) - datetime.now(UTC)).total_seconds()
    default = Backoff()  # what the agent's deliverer uses
    assert default.cap * (1 - default.jitter) - 1 < wait <= default.cap and status.pending == 3

    live.start()
    assert agent.deliverer.run_once() == 3
    agent.heartbeat()  # the batch report kept while the appliance was down
    assert agent.deliverer.run_once() == 0 and agent.deliverer.status().last_error is None
    assert stored_pixels(appliance) == expected_pixels(short_stack, THREE_DOCUMENTS)


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A real 1 MB file system (tmpfs), so the spool's disk really fills up."""
    with mounted_tmpfs(tmp_path / "tiny", "1m") as mount_point:
        yield mount_point


def room_to_leave(where: str, stack: Stack) -> int:
    """Free bytes that make the disk fill up in the batch spool or in the outbox."""
    if where == "spool":
        return 32_000  # not even the first page fits
    # six sheets fit in the spool and the first document (sheets 2 and 3) in the outbox; the second does not
    sizes = [sheet.stat().st_size for sheet in stack.sheets]
    return sum(sizes[:6]) + sum(sizes[1:3]) + 64_000


@pytest.mark.parametrize("where", ["outbox", "spool"])
def test_a_full_disk_stops_the_scan_with_a_clear_error_and_a_resume_delivers_everything(
        agent_factory, live, tiny_disk, short_stack, tmp_path, where):
    appliance = live.appliance
    agent = agent_factory(spool=tiny_disk / "spool")
    free = os.statvfs(tiny_disk).f_bavail * os.statvfs(tiny_disk).f_frsize
    (tiny_disk / "ballast").write_bytes(bytes(free - room_to_leave(where, short_stack)))  # others' files

    failed = run_scan(agent, appliance, deliver=False)

    assert failed.state == "failed"
    assert {"outbox": "outbox disk full", "spool": "No space left on device"}[where] in failed.message
    state = heartbeat_state(appliance, agent.settings.name)
    assert state["interrupted_batches"] == [failed.batch_id] and state["batch"]["state"] == "interrupted"
    if where == "outbox":  # on a disk full to the last block not even the batch report can be kept
        assert batch_record(appliance, failed.batch_id).state == "interrupted"
    assert len(agent.outbox.pending()) == {"outbox": 1, "spool": 0}[where]
    assert_nothing_half_written(agent, failed.batch_id)

    (tiny_disk / "ballast").unlink()  # the operator makes room and reloads the sheets the agent did not keep
    feeder = tmp_path / "virtual-stack"
    for sheet in feeder.iterdir():
        sheet.unlink()
    for number, sheet in enumerate(short_stack.sheets[state["batch"]["pages"]:], start=1):
        (feeder / f"{number:04d}.png").write_bytes(sheet.read_bytes())
    resumed = run_scan(agent, appliance, resume_batch=failed.batch_id)

    assert (resumed.state, resumed.message) == ("done", None)
    assert batch_record(appliance, failed.batch_id).state == "finished"
    assert stored_pixels(appliance) == expected_pixels(short_stack, THREE_DOCUMENTS)


def assert_nothing_half_written(agent, batch_id: str) -> None:
    """Every page file in the batch spool is journalled; every document in the outbox is complete."""
    spool = agent.batches_root / batch_id
    journal = spool / "journal.jsonl"
    journalled = [json.loads(line)["file"] for line in journal.read_text().splitlines()] if journal.exists() else []
    assert sorted(path.name for path in (spool / "pages").iterdir()) == journalled
    assert list((agent.outbox.directory / ".incoming").iterdir()) == []
    for entry in agent.outbox.pending():
        manifest = entry.manifest()
        assert [hashlib.sha256((entry.path / page.file_name).read_bytes()).hexdigest()
                for page in manifest.pages] == [page.sha256 for page in manifest.pages]


def run_scan(agent, appliance, resume_batch: str | None = None, deliver: bool = True):
    """One scan through an in-process agent, step by step: take the request, scan, deliver, report."""
    request = scan(appliance, agent.settings.name, resume_batch)
    with agent.decoder:
        agent.heartbeat()
        agent._work_once(timeout=1)
    if deliver:
        agent.deliverer.run_once()
    agent.heartbeat()
    return scan_request(appliance, request)
