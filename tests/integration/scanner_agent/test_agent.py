"""The agent end to end on real parts: SANE (pnm and test backends), zbar, the outbox, HTTP, the appliance."""

import pytest

from appliance.domain.actors import Actor
from appliance.domain.intake import IntakeState
from appliance.services.items import show_item
from appliance.services.scanners import intake_queue, request_scan, show_batch
from tests.integration.scanner_agent.conftest import ITEM_CODE

OPERATOR = Actor("operator", "127.0.0.1")


def run_scan(agent, appliance, device="virtual", preset="colour", resume_batch=None):
    """Ask for a scan in the appliance; the agent takes it with a heartbeat, scans, delivers, reports."""
    request = request_scan(appliance.uow_factory, OPERATOR, "test-agent", device, preset, resume_batch=resume_batch)
    agent.heartbeat()
    agent._work_once(timeout=1)
    agent.deliverer.run_once()
    agent.heartbeat()  # sends the batch report
    with appliance.uow_factory(read_only=True) as uow:
        return uow.intake.get_scan_request(request.id)


def test_a_three_document_stack_through_the_pnm_backend_is_split_and_filed(agent_factory, live):
    appliance = live.appliance
    agent = agent_factory()
    with agent.decoder:
        request = run_scan(agent, appliance)
    assert (request.state, request.message) == ("done", None)
    batch, documents = show_batch(appliance.uow_factory, request.batch_id)
    assert batch.state == "finished" and batch.report["pages_scanned"] == 8
    assert [(d.state, d.archival_code, d.pages) for d in documents] == [
        (IntakeState.FILED, ITEM_CODE, 2),
        (IntakeState.NEW_ITEM, "Z109-WS·2011-D30-BGS-0001", 1),
        (IntakeState.NEW_ITEM, "Z109-WS·2011-D30-BGS-0002", 2),
    ]
    assert show_item(appliance.uow_factory, ITEM_CODE).item.fields.pages == 2
    assert [cover["page"] for cover in batch.report["covers"]] == [1, 4, 6]
    assert intake_queue(appliance.uow_factory) == []


def test_scanning_again_delivers_nothing_twice(agent_factory, live):
    agent = agent_factory()
    with agent.decoder:
        first = run_scan(agent, live.appliance)
        again = run_scan(agent, live.appliance)  # the very same images again: the same documents, filed once
    assert show_item(live.appliance.uow_factory, ITEM_CODE).item.fields.pages == 2
    assert agent.outbox.counts().delivered == 3
    first_keys = [d["key"] for d in show_batch(live.appliance.uow_factory, first.batch_id)[0].report["documents"]]
    again_keys = [d["key"] for d in show_batch(live.appliance.uow_factory, again.batch_id)[0].report["documents"]]
    assert first_keys == again_keys and len(first_keys) == 3


@pytest.fixture
def jammed_feeder(agent_factory, tmp_path):
    """The test backend jams on the first page until cleared: its test.conf sets the status its reads return,
    and every scan starts a fresh SANE process that reads it again."""
    test_conf = tmp_path / "sane" / "test.conf"

    def set_fault(value):
        lines = [line for line in test_conf.read_text().splitlines() if not line.startswith("read-status-code")]
        test_conf.write_text("\n".join([*lines, f'read-status-code "{value}"']) + "\n")

    set_fault("SANE_STATUS_JAMMED")
    return set_fault


def test_a_jam_interrupts_the_batch_and_a_resume_finishes_it(agent_factory, live, jammed_feeder):
    agent = agent_factory()
    with agent.decoder:
        failed = run_scan(agent, live.appliance, device="test:0", preset="greyscale")
        assert failed.state == "failed" and "jammed" in failed.message
        assert agent.state()["interrupted_batches"] == [failed.batch_id]
        jammed_feeder("Default")
        resumed = run_scan(agent, live.appliance, device="test:0", preset="greyscale", resume_batch=failed.batch_id)
    assert resumed.state == "done" and resumed.batch_id == failed.batch_id
    batch, documents = show_batch(live.appliance.uow_factory, failed.batch_id)
    assert batch.state == "finished" and batch.report["pages_scanned"] == 10
    (document,) = documents  # the test pattern has no cover sheet: one document, waiting in the intake queue
    assert (document.state, document.pages) == (IntakeState.INTAKE, 10)
    assert "before the first cover sheet" in document.reason


def test_a_scan_with_an_unknown_device_fails_with_the_reason(agent_factory, live):
    agent = agent_factory()
    with agent.decoder:
        request = run_scan(agent, live.appliance, device="nosuch:0")
    assert request.state == "failed" and "nosuch:0" in request.message


def test_resuming_with_an_empty_feeder_finishes_the_batch(agent_factory, live, jammed_feeder):
    agent = agent_factory()
    with agent.decoder:
        failed = run_scan(agent, live.appliance, device="test:0", preset="greyscale")
        jammed_feeder("SANE_STATUS_NO_DOCS")  # the operator has no more sheets to load
        resumed = run_scan(agent, live.appliance, device="test:0", preset="greyscale", resume_batch=failed.batch_id)
    assert resumed.state == "done"
    batch, documents = show_batch(live.appliance.uow_factory, failed.batch_id)
    assert batch.state == "finished" and batch.report["pages_scanned"] == 0 and documents == []
    assert agent.state()["interrupted_batches"] == []


def test_how_a_scan_ended_reaches_the_appliance_after_an_outage(agent_factory, live):
    agent = agent_factory()
    request = request_scan(live.appliance.uow_factory, OPERATOR, "test-agent", "virtual", "colour")
    agent.heartbeat()
    live.stop()
    with agent.decoder:
        agent._work_once(timeout=1)  # scans into the outbox; the appliance cannot hear the outcome now
    with live.appliance.uow_factory(read_only=True) as uow:
        assert uow.intake.get_scan_request(request.id).state == "taken"
    live.start()
    agent.heartbeat()
    agent.deliverer.run_once()
    with live.appliance.uow_factory(read_only=True) as uow:
        assert uow.intake.get_scan_request(request.id).state == "done"
    assert show_item(live.appliance.uow_factory, ITEM_CODE).item.fields.pages == 2


def test_a_scan_the_agent_died_during_is_reported_failed_when_it_comes_back(agent_factory, live):
    agent = agent_factory()
    request = request_scan(live.appliance.uow_factory, OPERATOR, "test-agent", "virtual", "colour")
    agent.heartbeat()
    agent.reports.mark_running(request.id, None)  # as scan() does first; then the power went
    restarted = agent_factory()
    restarted.recover()
    restarted.heartbeat()
    with live.appliance.uow_factory(read_only=True) as uow:
        ended = uow.intake.get_scan_request(request.id)
    assert ended.state == "failed" and "stopped during this scan" in ended.message
