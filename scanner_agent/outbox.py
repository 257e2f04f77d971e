"""The agent's outbox: each document is written crash-safely to disk before it is acknowledged, then delivered.

Layout under the outbox directory:
  .incoming/<uuid>/         a document being written; removed by recover() after a crash (never acknowledged)
  ready/<number>-<key>/     acknowledged, waiting for delivery, in FIFO order of <number>
  sent/<number>-<key>/      delivered: manifest.json and the appliance's receipt.json (page files are dropped)
  refused/<number>-<key>/   refused by the appliance (HTTP 422) or damaged: pages kept, reason.txt says why
A directory only ever appears in ready/ by an atomic rename of a complete, fsynced one.
"""

import errno
import json
import os
import re
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from appliance.domain.errors import DanganError, InvalidInputError
from appliance.domain.intake_manifest import BatchInfo, CaptureInfo, Manifest, PageEntry, document_key, parse_manifest
from scanner_agent.durable import fsync_directory, write_file
from scanner_agent.pages import SplitDocument
from scanner_agent.wire import MultipartBody, encode_body

INCOMING, READY, SENT, REFUSED = ".incoming", "ready", "sent", "refused"
MANIFEST, RECEIPT, REASON = "manifest.json", "receipt.json", "reason.txt"
_ENTRY_NAME = re.compile(r"(\d{12})-([0-9a-f]{64})")
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class OutboxError(DanganError):
    """The outbox could not store a document; nothing of it was kept, so the caller must keep its pages."""

    code = "outbox"


class OutboxFullError(OutboxError):
    """The outbox's disk is full (or over quota)."""

    code = "outbox_full"


class OutboxEntryDamagedError(OutboxError):
    """A document in ready/ cannot be read back (its manifest or a page file is missing or unreadable)."""

    code = "outbox_entry_damaged"


@dataclass(frozen=True)
class OutboxEntry:
    """A document waiting in ready/ (or moved on); its name sorts in the order it was put."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def key(self) -> str:
        return self.path.name.partition("-")[2]

    def manifest(self) -> Manifest:
        """Read the stored manifest; raises OutboxEntryDamagedError if it is missing, invalid or not this key's."""
        try:
            manifest = parse_manifest((self.path / MANIFEST).read_bytes())
        except (OSError, InvalidInputError) as error:
            raise OutboxEntryDamagedError(f"outbox entry {self.name} is damaged: {error}") from error
        if manifest.document_key != self.key:
            raise OutboxEntryDamagedError(f"outbox entry {self.name} holds the manifest of another document")
        return manifest

    def body(self) -> MultipartBody:
        """The multipart body to deliver, streamed from the page files; raises OutboxEntryDamagedError."""
        manifest = self.manifest()
        try:
            return encode_body(manifest, [self.path / page.file_name for page in manifest.pages])
        except OSError as error:
            raise OutboxEntryDamagedError(f"outbox entry {self.name} is damaged: {error}") from error


@dataclass(frozen=True)
class OutboxCounts:
    pending: int
    delivered: int
    refused: int


def build_manifest(document: SplitDocument, batch: BatchInfo, capture: CaptureInfo) -> Manifest:
    """The wire manifest of a document; raises InvalidInputError for a document without pages."""
    if not document.pages:
        raise InvalidInputError(f"document {document.sequence} of batch {batch.id} has no pages; nothing to send")
    pages = tuple(
        PageEntry(part=f"page-{number}", sha256=page.sha256, media_type=page.media_type,
                  resolution=page.resolution, colour_mode=page.colour_mode, side=page.side, origin=page.origin)
        for number, page in enumerate(document.pages, start=1))
    # the key from the digests just computed: hashing a 200-page colour document twice costs seconds
    key = document_key(document.cover_payload, [page.sha256 for page in pages])
    return Manifest(document_key=key, sequence=document.sequence, batch=batch,
                    cover_payload=document.cover_payload, problem=document.problem, capture=capture, pages=pages)


class Outbox:
    """Documents on disk between capture and delivery. Safe to share between a capture and a delivery thread."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        for name in (INCOMING, READY, SENT, REFUSED):
            (self.directory / name).mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        numbers = [int(match.group(1)) for name in (READY, SENT, REFUSED) for match in self._names(name)]
        self._next_number = max(numbers, default=0) + 1

    def recover(self) -> int:
        """Tidy up after a crash: call once at start, before any put(). Returns how many partial documents
        (never acknowledged) were removed; also finishes moves to sent/ or refused/ that a crash interrupted."""
        with self._lock:
            partials = list((self.directory / INCOMING).iterdir())
            for partial in partials:
                shutil.rmtree(partial)
            fsync_directory(self.directory / INCOMING)
            for entry in self._entries(READY):
                if (entry.path / RECEIPT).exists():
                    self._finish(entry.path, SENT)
                elif (entry.path / REASON).exists():
                    self._finish(entry.path, REFUSED)
            return len(partials)

    def put(self, document: SplitDocument, batch: BatchInfo, capture: CaptureInfo) -> str:
        """Store a document durably and return its key; once this returns the caller may forget the pages.

        A key already waiting or delivered is not stored again. Raises OutboxFullError when the disk is full,
        OutboxError on any other write failure (nothing partial is left behind either way), InvalidInputError
        for a document without pages.
        """
        manifest = build_manifest(document, batch, capture)
        with self._lock:
            if self.contains(manifest.document_key):
                return manifest.document_key
            staging = self.directory / INCOMING / uuid.uuid4().hex
            try:
                self._write_document(staging, document, manifest)
                self._publish(staging, f"{self._next_number:012d}-{manifest.document_key}")
            except OSError as error:
                shutil.rmtree(staging, ignore_errors=True)
                raise self._write_failure(error, manifest, document) from error
            self._next_number += 1
        return manifest.document_key

    def contains(self, key: str) -> bool:
        """Whether a document with this key is waiting or was delivered (refused ones may be put again)."""
        # ready/ before sent/: a concurrent move from one to the other is then never missed
        return any(match.group(2) == key for name in (READY, SENT) for match in self._names(name))

    def pending(self) -> list[OutboxEntry]:
        """Documents waiting for delivery, oldest first."""
        entries = self._entries(READY)
        return [entry for entry in entries if not (entry.path / RECEIPT).exists()]

    def mark_delivered(self, entry: OutboxEntry, receipt: dict) -> None:
        """Record the appliance's receipt (fsynced) and move the entry to sent/, dropping its page files."""
        with self._lock:
            receipt_text = json.dumps(receipt, indent=1, sort_keys=True)
            write_file(entry.path / RECEIPT, receipt_text.encode("utf-8"), exclusive=True)
            fsync_directory(entry.path)
            self._finish(entry.path, SENT)

    def mark_refused(self, entry: OutboxEntry, reason: str) -> None:
        """Keep a refused document with its reason in refused/; it is not retried."""
        with self._lock:
            write_file(entry.path / REASON, (reason.rstrip("\n") + "\n").encode("utf-8"), exclusive=True)
            fsync_directory(entry.path)
            self._finish(entry.path, REFUSED)

    def counts(self) -> OutboxCounts:
        """How many documents wait, were delivered and were refused (for the agent's heartbeat)."""
        return OutboxCounts(*(len(list(self._names(name))) for name in (READY, SENT, REFUSED)))

    def free_bytes(self) -> int:
        """Bytes free for the outbox (for an unprivileged writer); refuse to start a scan when this is short."""
        stats = os.statvfs(self.directory)
        return stats.f_bavail * stats.f_frsize

    def _write_document(self, staging: Path, document: SplitDocument, manifest: Manifest) -> None:
        staging.mkdir()
        for entry, page in zip(manifest.pages, document.pages, strict=True):
            self._write_page(staging / entry.file_name, page.data)
        write_file(staging / MANIFEST, manifest.to_json().encode("utf-8"), exclusive=True)
        fsync_directory(staging)

    def _write_page(self, path: Path, data: bytes) -> None:
        write_file(path, data, exclusive=True)

    def _publish(self, staging: Path, name: str) -> None:
        self._move(staging, self.directory / READY / name)

    def _finish(self, path: Path, destination: str) -> None:
        if destination == SENT:
            # the appliance holds the pages now; the receipt and manifest stay as the record
            for page in path.iterdir():
                if page.name not in (MANIFEST, RECEIPT):
                    page.unlink()
            fsync_directory(path)
        self._move(path, self.directory / destination / path.name)

    def _move(self, source: Path, target: Path) -> None:
        os.rename(source, target)
        fsync_directory(target.parent)
        fsync_directory(source.parent)

    def _names(self, name: str):
        return (match for child in os.listdir(self.directory / name) if (match := _ENTRY_NAME.fullmatch(child)))

    def _entries(self, name: str) -> list[OutboxEntry]:
        return [OutboxEntry(self.directory / name / match.group(0)) for match in sorted(
            self._names(name), key=lambda match: match.group(0))]

    def _write_failure(self, error: OSError, manifest: Manifest, document: SplitDocument) -> OutboxError:
        size = sum(len(page.data) for page in document.pages) / 1e6
        what = f"document {manifest.document_key[:12]} ({len(document.pages)} pages, {size:.1f} MB)"
        if error.errno in _DISK_FULL:
            return OutboxFullError(f"outbox disk full: could not write {what} to {self.directory}; "
                                   f"{self.free_bytes() / 1e6:.1f} MB free")
        return OutboxError(f"outbox could not write {what} to {self.directory}: {error.strerror or error}")
