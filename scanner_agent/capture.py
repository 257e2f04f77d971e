"""One batch from a page source to the outbox: read each page's barcodes, keep it in the batch spool, split, put.

A page is journalled in the spool (file fsynced, then a journal line fsynced) before the splitter sees it, and
the spool of a batch is removed only once every document of it is in the outbox. An agent killed at any moment
comes back, replays the journal through a fresh splitter (splitting is deterministic and the outbox ignores a
document it already holds), and the batch waits, interrupted, for the operator to resume or finish it.
"""

import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from appliance.domain.intake_manifest import BatchInfo, CaptureInfo
from scanner_agent.durable import fsync_directory, write_file
from scanner_agent.outbox import Outbox
from scanner_agent.pages import CapturedPage, SplitDocument
from scanner_agent.splitting import PageReading, Splitter

log = logging.getLogger("dangan.agent.capture")

JOURNAL, BATCH_FILE, PAGES = "journal.jsonl", "batch.json", "pages"
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/tiff": "tif"}
Reader = Callable[[CapturedPage], PageReading]


@dataclass
class BatchProgress:
    """What the heartbeat reports while a batch runs."""

    batch_id: str
    state: str = "scanning"  # scanning, finished, interrupted
    pages: int = 0
    documents: int = 0
    error: str | None = None


class BatchSpool:
    """`<spool>/<batch id>/`: batch.json, pages/NNNNN.<ext>, journal.jsonl (one line per page, in scan order)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._page_count: int | None = None

    @classmethod
    def create(cls, root: Path, batch: BatchInfo, capture: CaptureInfo) -> "BatchSpool":
        spool = cls(root / batch.id)
        (spool.directory / PAGES).mkdir(parents=True)
        spool._write_state({"batch": batch.to_dict(), "capture": capture.to_dict(), "state": "scanning"})
        fsync_directory(root)
        return spool

    @property
    def batch(self) -> BatchInfo:
        return BatchInfo(**self._state()["batch"])

    @property
    def capture(self) -> CaptureInfo:
        return CaptureInfo(**self._state()["capture"])

    @property
    def state(self) -> str:
        return self._state()["state"]

    def set_state(self, state: str) -> None:
        self._write_state({**self._state(), "state": state})

    def append(self, page: CapturedPage, reading: PageReading) -> None:
        """Keep a page durably; raises OSError (disk full) with nothing journalled for it."""
        number = self.page_count() + 1
        self._page_count = None  # counted again after a failed append
        name = f"{number:05d}.{EXTENSIONS.get(page.media_type, 'bin')}"
        try:
            write_file(self.directory / PAGES / name, page.data)
        except OSError:
            # a part of a page is of no use, and on a full disk it holds the room the interrupted state needs
            (self.directory / PAGES / name).unlink(missing_ok=True)
            raise
        entry = {"file": name, "media_type": page.media_type, "resolution": page.resolution,
                 "colour_mode": page.colour_mode, "origin": page.origin, "side": page.side,
                 "reading": asdict(reading)}
        _append_line(self.directory / JOURNAL, json.dumps(entry, ensure_ascii=False))
        self._page_count = number

    def page_count(self) -> int:
        if self._page_count is None:
            self._page_count = sum(1 for _ in self._entries())
        return self._page_count

    def replay(self) -> Iterator[tuple[CapturedPage, PageReading]]:
        """The journalled pages in order; a torn last line (a crash while writing it) is ignored."""
        for entry in self._entries():
            data = (self.directory / PAGES / entry["file"]).read_bytes()
            page = CapturedPage(data, entry["media_type"], entry["resolution"], entry["colour_mode"],
                                entry["origin"], entry["side"])
            yield page, PageReading(**entry["reading"])

    def remove(self) -> None:
        # the state file first: a crash half-way through leaves pages nobody looks for, not a batch without pages
        (self.directory / BATCH_FILE).unlink()
        fsync_directory(self.directory)
        shutil.rmtree(self.directory)

    def _entries(self) -> Iterator[dict]:
        try:
            lines = (self.directory / JOURNAL).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return
        for line in lines:
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                return

    def _state(self) -> dict:
        return json.loads((self.directory / BATCH_FILE).read_text(encoding="utf-8"))

    def _write_state(self, state: dict) -> None:
        temp = self.directory / (BATCH_FILE + ".tmp")
        write_file(temp, json.dumps(state, ensure_ascii=False).encode("utf-8"))
        os.replace(temp, self.directory / BATCH_FILE)
        fsync_directory(self.directory)


class BatchRun:
    """Feeds pages of one batch through reading, the spool, the splitter and into the outbox."""

    def __init__(self, spool: BatchSpool, outbox: Outbox, reader: Reader,
                 on_document: Callable[[SplitDocument], None] = lambda document: None):
        self.spool, self.outbox, self.reader, self.on_document = spool, outbox, reader, on_document
        self.splitter = Splitter()
        self.batch, self.capture = spool.batch, spool.capture  # fixed when the batch starts: read batch.json once
        self.progress = BatchProgress(self.batch.id, spool.state)
        self.keys: list[str] = []
        self._replay()

    def feed(self, pages: Iterable[CapturedPage]) -> None:
        """Take pages until the source ends; a source error propagates with every page so far kept."""
        for page in pages:
            reading = self.reader(page)
            page = replace(page, image=None)  # read: documents waiting for their end need only the stored bytes
            self.spool.append(page, reading)
            self._split(page, reading)

    def finish(self, keep_report: Callable[[dict], None] = lambda report: None) -> dict:
        """The stack is complete: the last document goes out, `keep_report` gets the batch report, the spool goes;
        returns the report. Killed before the spool is gone, the batch is found finished and finished again."""
        self._put(self.splitter.finish())
        self.spool.set_state("finished")
        self.progress.state = "finished"
        report = self.report()
        keep_report(report)  # before the spool goes: a crash in between must not lose the report
        self.spool.remove()
        return report

    def interrupt(self, error: str) -> dict:
        """Mark the batch interrupted and return its report; raises OSError if the spool cannot record it."""
        self.progress.state, self.progress.error = "interrupted", error  # the heartbeat says so even then
        self.spool.set_state("interrupted")
        return self.report()

    def report(self) -> dict:
        batch, split = self.batch, self.splitter.report
        return {
            **batch.to_dict(), "capture": self.capture.to_dict(), "state": self.progress.state,
            "pages_scanned": split.pages_scanned, "error": self.progress.error,
            "covers": [{"page": cover.page_number, "payload": cover.payload} for cover in split.covers],
            "blank_backs_dropped": split.blank_backs_dropped, "notes": split.notes,
            "documents": [{"sequence": sequence, "cover": cover, "pages": pages, "problem": problem, "key": key}
                          for (sequence, cover, pages, problem), key in zip(split.documents, self.keys, strict=False)],
        }

    def _replay(self) -> None:
        for page, reading in self.spool.replay():
            self._split(page, reading)

    def _split(self, page: CapturedPage, reading: PageReading) -> None:
        self.progress.pages += 1
        self._put(self.splitter.add(page, reading))

    def _put(self, documents: list[SplitDocument]) -> None:
        for document in documents:
            self.outbox.put(document, self.batch, self.capture)
            self.keys.append(document.key)
            self.progress.documents += 1
            self.on_document(document)


def new_batch(root: Path, origin: str, device: str, operator: str, capture: CaptureInfo) -> BatchSpool:
    started = datetime.now(UTC).isoformat()
    batch = BatchInfo(id=str(uuid.uuid4()), origin=origin, device=device, operator=operator, started_at=started)
    return BatchSpool.create(root, batch, capture)


def unfinished_spools(root: Path) -> list[BatchSpool]:
    """Batches left in the spool by a fault or a crash, oldest first."""
    if not root.is_dir():
        return []
    spools = [BatchSpool(path) for path in root.iterdir() if (path / BATCH_FILE).is_file()]
    return sorted(spools, key=lambda spool: spool.batch.started_at)


def _append_line(path: Path, line: str) -> None:
    """Append one journal line durably. A torn last line (power lost while writing it) is cut off first, and a
    failed write is cut back, so the journal always ends with a whole line."""
    with open(path, "a+b") as journal:
        whole = journal.seek(0, os.SEEK_END)
        if whole and (journal.seek(whole - 1) is None or journal.read(1) != b"\n"):
            journal.seek(0)
            whole = journal.read().rfind(b"\n") + 1
            journal.truncate(whole)
        try:
            journal.write(line.encode("utf-8") + b"\n")
            journal.flush()
            os.fsync(journal.fileno())
        except OSError:
            journal.truncate(whole)
            raise
