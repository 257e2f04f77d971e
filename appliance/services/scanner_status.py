"""What the console shows of scanner agents: each agent's last heartbeat read defensively, online or not, and the
recent batches.

An agent's state is JSON it sent itself (see scanner_agent.Agent.state); a page must not break on an agent of an
older or newer version, so every field is read with its type checked and anything else is left out.
"""

import datetime
from dataclasses import dataclass

from appliance.domain.scanning import AgentReport, BatchRecord, IntakeDocumentView
from appliance.services.scanners import show_batch

MISSED_HEARTBEATS = 3  # silent for longer than this many heartbeats: shown as offline


@dataclass(frozen=True)
class DeviceStatus:
    name: str
    vendor: str
    model: str
    type: str


@dataclass(frozen=True)
class BatchProgressStatus:
    batch_id: str
    state: str
    pages: int
    documents: int
    error: str | None


@dataclass(frozen=True)
class AgentStatus:
    agent: str
    reported_at: str
    age_seconds: int
    online: bool
    devices: tuple[DeviceStatus, ...]
    batch: BatchProgressStatus | None
    outbox_pending: int
    outbox_refused: int
    last_error: str | None
    delivery_error: str | None
    interrupted_batches: tuple[str, ...]


@dataclass(frozen=True)
class ScannersOverview:
    agents: list[AgentStatus]
    batches: list[BatchRecord]


@dataclass(frozen=True)
class BatchDocumentLine:
    """One document of a batch: what the agent split, and where the appliance filed it (if delivered yet)."""

    sequence: int
    cover: str | None
    pages: int
    problem: str | None  # the agent's reason it could not be filed by its cover sheet
    state: str  # filed, new-item, intake, or "undelivered" while it waits in the agent's outbox
    archival_code: str | None
    reason: str | None


@dataclass(frozen=True)
class BatchReportView:
    batch: BatchRecord
    pages_scanned: int
    blank_backs_dropped: int
    preset: str | None
    duplex: bool
    error: str | None
    notes: tuple[str, ...]
    covers: tuple[tuple[int, str], ...]  # (page number, payload)
    documents: tuple[BatchDocumentLine, ...]


def scanners_overview(uow_factory, now: datetime.datetime, heartbeat_seconds: float,
                      batch_limit: int = 20) -> ScannersOverview:
    """Every agent as of its last heartbeat, and the batches most recently changed."""
    with uow_factory(read_only=True, consistent=False) as uow:
        reports = uow.intake.agent_reports()
        batches = uow.intake.recent_batches(batch_limit)
    return ScannersOverview([agent_status(report, now, heartbeat_seconds) for report in reports], batches)


def agent_statuses(uow_factory, now: datetime.datetime, heartbeat_seconds: float) -> list[AgentStatus]:
    """Every agent as of its last heartbeat (what the live page polls)."""
    with uow_factory(read_only=True, consistent=False) as uow:
        reports = uow.intake.agent_reports()
    return [agent_status(report, now, heartbeat_seconds) for report in reports]


def agent_status(report: AgentReport, now: datetime.datetime, heartbeat_seconds: float) -> AgentStatus:
    """One heartbeat as the console shows it; fields of the wrong type are left out, never an error."""
    state = report.state
    age = heartbeat_age(report.reported_at, now)
    outbox = _mapping(state.get("outbox"))
    return AgentStatus(
        agent=report.agent,
        reported_at=report.reported_at,
        age_seconds=age,
        online=age <= MISSED_HEARTBEATS * heartbeat_seconds,
        devices=tuple(device for device in map(_device, _sequence(state.get("devices"))) if device is not None),
        batch=_batch_progress(state.get("batch")),
        outbox_pending=_count(outbox.get("pending")),
        outbox_refused=_count(outbox.get("refused")),
        last_error=_text(state.get("last_error")),
        delivery_error=_text(outbox.get("last_error")),
        interrupted_batches=tuple(text for text in map(_text, _sequence(state.get("interrupted_batches"))) if text),
    )


def batch_report(uow_factory, batch_id: str) -> BatchReportView:
    """A batch's report with each document and where it went; raises NotFoundError for an unknown batch."""
    batch, delivered = show_batch(uow_factory, batch_id)
    return build_batch_report(batch, delivered)


def build_batch_report(batch: BatchRecord, delivered: list[IntakeDocumentView]) -> BatchReportView:
    """The report the agent sent, read defensively, joined by sequence to the documents the appliance received."""
    report = batch.report
    capture = _mapping(report.get("capture"))
    covers = tuple((_count(cover.get("page")), _text(cover.get("payload")) or "")
                   for cover in map(_mapping, _sequence(report.get("covers"))))
    return BatchReportView(
        batch=batch,
        pages_scanned=_count(report.get("pages_scanned")),
        blank_backs_dropped=_count(report.get("blank_backs_dropped")),
        preset=_text(capture.get("preset")),
        duplex=capture.get("duplex") is True,
        error=_text(report.get("error")),
        notes=tuple(note for note in map(_text, _sequence(report.get("notes"))) if note),
        covers=covers,
        documents=_document_lines(_sequence(report.get("documents")), delivered),
    )


def _document_lines(reported: list, delivered: list[IntakeDocumentView]) -> tuple[BatchDocumentLine, ...]:
    received = {view.sequence: view for view in delivered}
    lines = {}
    for entry in map(_mapping, reported):
        sequence = _count(entry.get("sequence"))
        lines[sequence] = BatchDocumentLine(sequence, _text(entry.get("cover")), _count(entry.get("pages")),
                                            _text(entry.get("problem")), "undelivered", None, None)
    for sequence, view in received.items():
        known = lines.get(sequence)
        lines[sequence] = BatchDocumentLine(sequence, view.cover_payload, view.pages,
                                            known.problem if known else None, view.state.value,
                                            view.archival_code, view.reason)
    return tuple(lines[sequence] for sequence in sorted(lines))


def heartbeat_age(reported_at: str, now: datetime.datetime) -> int:
    """Whole seconds since a heartbeat; a time without a zone is UTC (SQLite keeps none)."""
    try:
        reported = datetime.datetime.fromisoformat(reported_at)
    except ValueError:
        return 10**9  # unreadable: as good as never
    if reported.tzinfo is None:
        reported = reported.replace(tzinfo=datetime.UTC)
    return max(0, int((now - reported).total_seconds()))


def status_payload(statuses: list[AgentStatus]) -> dict:
    """The JSON the live page receives: what it updates in place."""
    return {"agents": [_agent_payload(status) for status in statuses]}


def _agent_payload(status: AgentStatus) -> dict:
    batch = status.batch
    return {
        "agent": status.agent,
        "online": status.online,
        "age_seconds": status.age_seconds,
        "devices": [device.name for device in status.devices],
        "batch": None if batch is None else {"id": batch.batch_id, "state": batch.state, "pages": batch.pages,
                                             "documents": batch.documents, "error": batch.error},
        "outbox_pending": status.outbox_pending,
        "outbox_refused": status.outbox_refused,
        "last_error": status.last_error,
    }


def _device(value) -> DeviceStatus | None:
    device = _mapping(value)
    name = _text(device.get("name"))
    if not name:
        return None
    return DeviceStatus(name, _text(device.get("vendor")) or "", _text(device.get("model")) or "",
                        _text(device.get("type")) or "")


def _batch_progress(value) -> BatchProgressStatus | None:
    batch = _mapping(value)
    batch_id = _text(batch.get("batch_id"))
    if not batch_id:
        return None
    return BatchProgressStatus(batch_id, _text(batch.get("state")) or "scanning", _count(batch.get("pages")),
                               _count(batch.get("documents")), _text(batch.get("error")))


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def _sequence(value) -> list:
    return value if isinstance(value, list) else []


def _text(value) -> str | None:
    return value[:500] if isinstance(value, str) else None


def _count(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
