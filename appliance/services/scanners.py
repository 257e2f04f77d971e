"""Scanner agents: their heartbeats, scans asked for from the appliance, and batch records."""

import json

from appliance.domain.actors import Actor
from appliance.domain.errors import InvalidInputError, NotFoundError
from appliance.domain.intake import IntakeState
from appliance.domain.scanning import (
    MAX_AGENT_STATE_BYTES,
    AgentReport,
    BatchRecord,
    IntakeDocumentView,
    ScanRequest,
    check_agent_name,
    check_preset,
)
from appliance.services.audit import record

BATCH_STATES = ("scanning", "finished", "interrupted")
REQUEST_OUTCOMES = ("done", "failed")


def report_heartbeat(uow_factory, agent: str, state: dict) -> list[ScanRequest]:
    """Keep an agent's state for the console and hand it the scans asked for since its last heartbeat.

    Raises InvalidInputError for a bad agent name or a state that is not a small JSON object.
    """
    check_agent_name(agent)
    if not isinstance(state, dict):
        raise InvalidInputError("an agent's state must be a JSON object")
    if len(json.dumps(state, ensure_ascii=False).encode()) > MAX_AGENT_STATE_BYTES:
        raise InvalidInputError(f"an agent's state must be under {MAX_AGENT_STATE_BYTES // 1024} KB")
    with uow_factory() as uow:
        uow.intake.save_agent_report(AgentReport(agent, state))
        requests = uow.intake.take_scan_requests(agent)
        uow.commit()
    return requests


def request_scan(uow_factory, actor: Actor, agent: str, device: str, preset: str = "colour", duplex: bool = False,
                 resume_batch: str | None = None) -> ScanRequest:
    """Ask an agent to scan a batch (or resume an interrupted one); raises InvalidInputError."""
    check_agent_name(agent)
    check_preset(preset)
    if not device or len(device) > 200:
        raise InvalidInputError("name the scanner device to scan with")
    with uow_factory() as uow:
        request_id = uow.intake.add_scan_request(agent, device, preset, duplex, actor.name, resume_batch)
        details = {"agent": agent, "device": device, "preset": preset, "duplex": duplex, "resume": resume_batch}
        record(uow, actor, "scan.request", "scan-request", str(request_id), details)
        uow.commit()
        return uow.intake.get_scan_request(request_id)


def finish_scan_request(uow_factory, actor: Actor, agent: str, request_id: int, outcome: str,
                        batch_id: str | None, message: str | None) -> None:
    """The agent says how a scan it took ended; raises NotFoundError or InvalidInputError."""
    if outcome not in REQUEST_OUTCOMES:
        raise InvalidInputError(f"a scan ends {' or '.join(REQUEST_OUTCOMES)}, not {outcome!r}")
    with uow_factory() as uow:
        if not uow.intake.finish_scan_request(request_id, agent, outcome, batch_id, message):
            raise NotFoundError(f"agent {agent} has no scan request {request_id}")
        details = {"agent": agent, "outcome": outcome, "batch": batch_id, "message": message}
        record(uow, actor, "scan.finish", "scan-request", str(request_id), details,
               result="ok" if outcome == "done" else "failed")
        uow.commit()


def record_batch(uow_factory, agent: Actor, batch_id: str, state: str, report: dict) -> None:
    """Keep a batch's report (documents, pages, cover sheets read, pages not filed and why)."""
    if state not in BATCH_STATES:
        raise InvalidInputError(f"batch state {state!r} is unknown (known: {', '.join(BATCH_STATES)})")
    if not isinstance(report, dict) or len(json.dumps(report, ensure_ascii=False)) > 4 * MAX_AGENT_STATE_BYTES:
        raise InvalidInputError("a batch report must be a JSON object of at most 256 KB")
    with uow_factory() as uow:
        if uow.intake.get_batch(batch_id) is None:
            uow.intake.ensure_batch(batch_id, agent.name, report.get("origin", "scan"), report.get("device", ""),
                                    report.get("operator", ""), report.get("started_at", ""))
        uow.intake.record_batch(batch_id, state, report)
        if state != "scanning":
            summary = {key: report.get(key) for key in ("pages_scanned", "documents", "notes")}
            record(uow, agent, f"batch.{state}", "batch", batch_id, summary)
        uow.commit()


def agent_reports(uow_factory) -> list[AgentReport]:
    with uow_factory(read_only=True, consistent=False) as uow:
        return uow.intake.agent_reports()


def show_batch(uow_factory, batch_id: str) -> tuple[BatchRecord, list[IntakeDocumentView]]:
    """A batch with the documents delivered from it and where each went; raises NotFoundError."""
    with uow_factory(read_only=True) as uow:
        batch = uow.intake.get_batch(batch_id)
        if batch is None:
            raise NotFoundError(f"no batch {batch_id}")
        return batch, uow.intake.documents(batch_id=batch_id, limit=10_000)


def intake_queue(uow_factory, limit: int = 200) -> list[IntakeDocumentView]:
    """Documents waiting for a person, oldest first, each with the reason."""
    with uow_factory(read_only=True, consistent=False) as uow:
        return uow.intake.documents(state=IntakeState.INTAKE, limit=limit)
