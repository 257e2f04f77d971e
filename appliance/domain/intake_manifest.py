"""The intake manifest: what an agent says about a document it delivers, and the strict reading of it.

POST {appliance}/api/v1/intake carries `Idempotency-Key: <document key>` and a multipart/form-data body: a part
`manifest` (this, as JSON) and one part per page, `page-1` ... `page-N`. The agent builds the body
(scanner_agent/wire.py); the appliance reads the manifest here.
"""

import hashlib
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from appliance.domain.errors import InvalidInputError

PROTOCOL = 1
MAX_PAGES = 5000
MAX_TEXT_LENGTH = 1000  # every text field is short; a long one is not ours
MEDIA_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/tiff": "tif"}
COLOUR_MODES = ("colour", "greyscale", "bitonal")
SIDES = (None, "front", "back")
BATCH_ORIGINS = ("scan", "file")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class BatchInfo:
    id: str  # a UUID chosen by the agent when the batch starts
    origin: str  # scan or file
    device: str  # SANE device name, or the ingest source
    operator: str
    started_at: str  # ISO 8601, UTC

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CaptureInfo:
    preset: str
    source: str
    duplex: bool

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PageEntry:
    part: str  # page-1, page-2, ...
    sha256: str
    media_type: str
    resolution: int
    colour_mode: str
    side: str | None
    origin: str

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def file_name(self) -> str:
        """The page's file name in the outbox and in the multipart body, e.g. `page-1.png`."""
        return f"{self.part}.{MEDIA_TYPES[self.media_type]}"


@dataclass(frozen=True)
class Manifest:
    document_key: str
    sequence: int
    batch: BatchInfo
    cover_payload: str | None
    problem: str | None
    capture: CaptureInfo
    pages: tuple[PageEntry, ...]
    protocol: int = PROTOCOL

    def to_json(self) -> str:
        """The manifest as JSON text (encode it as UTF-8 for the wire)."""
        body = {
            "protocol": self.protocol, "document_key": self.document_key, "sequence": self.sequence,
            "batch": self.batch.to_dict(), "cover_payload": self.cover_payload, "problem": self.problem,
            "capture": self.capture.to_dict(), "pages": [page.to_dict() for page in self.pages],
        }
        return json.dumps(body, ensure_ascii=False, indent=1)


def document_key(cover_payload: str | None, page_digests: Sequence[str]) -> str:
    """The idempotency key of a document: SHA-256 over its cover payload and its page digests, in order.

    Must agree with `scanner_agent.pages.SplitDocument.key` (a test holds them together).
    """
    digest = hashlib.sha256(b"dangan-document-v1\n")
    digest.update((cover_payload or "").encode("ascii", "replace") + b"\n")
    for page_digest in page_digests:
        digest.update(page_digest.encode("ascii") + b"\n")
    return digest.hexdigest()


def utc_timestamp(moment: datetime) -> str:
    """Format an aware datetime as the ISO 8601 UTC text a manifest carries; raises InvalidInputError if naive."""
    if moment.utcoffset() is None:
        raise InvalidInputError("a batch start time needs a time zone")
    return moment.astimezone(UTC).isoformat()


def parse_manifest(data: bytes) -> Manifest:
    """Read a manifest from UTF-8 JSON; raises InvalidInputError naming the first problem found."""
    try:
        body = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInputError(f"manifest is not UTF-8 JSON: {error}") from None
    record = _Record(body, "manifest")
    protocol = record.field("protocol", int)
    if protocol != PROTOCOL:
        raise InvalidInputError(f"manifest protocol {protocol!r} is unknown (this side reads protocol {PROTOCOL})")
    record.only({"protocol", "document_key", "sequence", "batch", "cover_payload", "problem", "capture", "pages"})
    manifest = Manifest(
        document_key=record.digest("document_key"), sequence=record.positive("sequence"),
        batch=_parse_batch(record.nested("batch")), cover_payload=record.text("cover_payload", optional=True),
        problem=record.text("problem", optional=True), capture=_parse_capture(record.nested("capture")),
        pages=_parse_pages(record.field("pages", list)),
    )
    expected = document_key(manifest.cover_payload, [page.sha256 for page in manifest.pages])
    if manifest.document_key != expected:
        raise InvalidInputError("manifest document_key does not match its cover payload and page digests")
    return manifest


def _parse_batch(record: "_Record") -> BatchInfo:
    record.only({"id", "origin", "device", "operator", "started_at"})
    batch_id = record.text("id")
    try:
        uuid.UUID(batch_id)
    except ValueError:
        raise InvalidInputError(f"manifest batch.id {batch_id!r} is not a UUID") from None
    return BatchInfo(id=batch_id, origin=record.choice("origin", BATCH_ORIGINS), device=record.text("device"),
                     operator=record.text("operator"), started_at=_parse_utc(record.text("started_at")))


def _parse_utc(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(f"manifest batch.started_at {text!r} is not an ISO 8601 time") from None
    if moment.utcoffset() != timedelta(0):
        raise InvalidInputError(f"manifest batch.started_at {text!r} must be in UTC")
    return text


def _parse_capture(record: "_Record") -> CaptureInfo:
    record.only({"preset", "source", "duplex"})
    return CaptureInfo(preset=record.text("preset"), source=record.text("source"), duplex=record.field("duplex", bool))


def _parse_pages(items: list) -> tuple[PageEntry, ...]:
    if not items:
        raise InvalidInputError("manifest lists no pages; a document has at least one")
    if len(items) > MAX_PAGES:
        raise InvalidInputError(f"manifest lists {len(items)} pages; at most {MAX_PAGES} are accepted")
    return tuple(_parse_page(_Record(item, f"pages[{index}]"), index + 1) for index, item in enumerate(items))


def _parse_page(record: "_Record", number: int) -> PageEntry:
    record.only({"part", "sha256", "media_type", "resolution", "colour_mode", "side", "origin"})
    part = record.text("part")
    if part != f"page-{number}":
        raise InvalidInputError(f"manifest {record.where}.part is {part!r}; expected 'page-{number}'")
    return PageEntry(part=part, sha256=record.digest("sha256"), media_type=record.choice("media_type", MEDIA_TYPES),
                     resolution=record.positive("resolution"), colour_mode=record.choice("colour_mode", COLOUR_MODES),
                     side=record.choice("side", SIDES), origin=record.text("origin"))


class _Record:
    """A JSON object being read, with the path used in error messages."""

    def __init__(self, value: object, where: str):
        if not isinstance(value, dict):
            raise InvalidInputError(f"{where} must be a JSON object")
        self.value, self.where = value, where

    def field(self, name: str, kind: type, optional: bool = False):
        if name not in self.value:
            raise InvalidInputError(f"manifest {self.where}.{name} is missing")
        value = self.value[name]
        if value is None and optional:
            return None
        # bool is an int in Python; a JSON true is never a count
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise InvalidInputError(f"manifest {self.where}.{name} must be {kind.__name__}, not {value!r:.40}")
        return value

    def text(self, name: str, optional: bool = False) -> str | None:
        value = self.field(name, str, optional)
        if value is not None and len(value) > MAX_TEXT_LENGTH:
            raise InvalidInputError(f"manifest {self.where}.{name} is longer than {MAX_TEXT_LENGTH} characters")
        return value

    def positive(self, name: str) -> int:
        value = self.field(name, int)
        if value < 1:
            raise InvalidInputError(f"manifest {self.where}.{name} must be at least 1, not {value}")
        return value

    def digest(self, name: str) -> str:
        value = self.field(name, str)
        if not _SHA256.fullmatch(value):
            raise InvalidInputError(f"manifest {self.where}.{name} is not a lowercase hex SHA-256")
        return value

    def choice(self, name: str, allowed) -> str | None:
        value = self.field(name, object, optional=None in allowed)
        if not any(value == option and type(value) is type(option) for option in allowed):
            raise InvalidInputError(f"manifest {self.where}.{name} is {value!r:.40}; allowed: {list(allowed)}")
        return value

    def nested(self, name: str) -> "_Record":
        return _Record(self.field(name, dict), f"{self.where}.{name}")

    def only(self, names: set[str]) -> None:
        unknown = sorted(set(self.value) - names)
        if unknown:
            raise InvalidInputError(f"manifest {self.where} has unknown fields: {', '.join(unknown)}")


def check_idempotency_key(manifest: Manifest, header_value: str | None) -> None:
    """Check the Idempotency-Key header against the manifest; raises InvalidInputError if they differ."""
    if header_value != manifest.document_key:
        raise InvalidInputError(f"Idempotency-Key {header_value!r:.80} does not match the manifest's document_key")


def check_parts(manifest: Manifest, received: Mapping[str, str]) -> None:
    """Check the page parts received (part name → SHA-256 of its bytes) against the manifest.

    Raises InvalidInputError for a missing part, a part the manifest does not list, or a digest that differs.
    """
    listed = {page.part: page.sha256 for page in manifest.pages}
    unexpected = sorted(set(received) - set(listed))
    if unexpected:
        raise InvalidInputError(f"body has parts the manifest does not list: {', '.join(unexpected[:5])}")
    for part, digest in listed.items():
        if part not in received:
            raise InvalidInputError(f"body has no part {part!r} although the manifest lists it")
        if received[part] != digest:
            raise InvalidInputError(f"part {part!r} has SHA-256 {received[part]}; the manifest says {digest}")
