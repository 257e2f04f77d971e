"""Scanners as the appliance sees them: agent heartbeats, scan requests, batch records, intake documents."""

from dataclasses import dataclass

from appliance.domain.errors import InvalidInputError
from appliance.domain.intake import IntakeState

PRESETS = ("colour", "greyscale", "bitonal")  # DA/T 31: 300 dpi colour by default
MAX_AGENT_STATE_BYTES = 64 * 1024
AGENT_NAME_CHARACTERS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


@dataclass(frozen=True)
class AgentReport:
    """An agent's last heartbeat: devices, batch in progress, pages so far, outbox, last error."""

    agent: str
    state: dict
    reported_at: str = ""


@dataclass(frozen=True)
class ScanRequest:
    id: int
    agent: str
    device: str
    preset: str
    duplex: bool
    requested_by: str
    state: str
    batch_id: str | None  # the batch to resume, or the batch the scan made
    message: str | None

    def as_dict(self) -> dict:
        return {"id": self.id, "device": self.device, "preset": self.preset, "duplex": self.duplex,
                "resume_batch": self.batch_id if self.state == "taken" else None, "state": self.state,
                "batch": self.batch_id, "message": self.message}


@dataclass(frozen=True)
class BatchRecord:
    id: str
    agent: str
    origin: str
    device: str
    operator: str
    state: str
    started_at: str
    report: dict


@dataclass(frozen=True)
class IntakeDocumentView:
    id: int
    batch_id: str
    sequence: int
    cover_payload: str | None
    state: IntakeState
    archival_code: str | None
    reason: str | None
    pages: int
    received_at: str


def check_agent_name(name: str) -> str:
    if not name or len(name) > 100 or not set(name) <= AGENT_NAME_CHARACTERS:
        raise InvalidInputError(f"agent name {name!r} must be 1-100 letters, digits, '-', '_' or '.'")
    return name


def check_preset(preset: str) -> str:
    if preset not in PRESETS:
        raise InvalidInputError(f"unknown scan preset {preset!r} (known: {', '.join(PRESETS)})")
    return preset
