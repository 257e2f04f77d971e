"""Backups: what a run is and how it ended, what an archive holds (its manifest), and what a restore proved.

A backup is a borg archive of a consistent database snapshot, the blob store, the config and a manifest that
says what must be there: the counts, the audit chain's head and every blob's digest. A restore is whole only when
all of that is found again.
"""

import datetime
import enum
import json
from dataclasses import dataclass, field

MANIFEST_FORMAT = 1


class RunKind(enum.StrEnum):
    BACKUP = "backup"
    PRUNE = "prune"
    CHECK = "check"  # borg check: the repository's consistency
    VERIFY = "verify"  # borg check --verify-data: every chunk read back and its MAC checked
    DRILL = "drill"  # the latest archive restored into a scratch directory and verified


class RunState(enum.StrEnum):
    RUNNING = "running"
    OK = "ok"
    WARNING = "warning"  # borg's exit code 1: done, with something to look at (a file that changed while read)
    FAILED = "failed"


class Trigger(enum.StrEnum):
    SCHEDULE = "schedule"
    DOCUMENTS = "documents"  # enough new documents since the last backup
    MISSED = "missed"  # a run due while the box was off, made up at start
    MANUAL = "manual"


class RepositoryName(enum.StrEnum):
    TWIN = "twin"
    LOCAL = "local"


@dataclass(frozen=True)
class BackupRun:
    id: int
    kind: RunKind
    repository: RepositoryName
    archive: str | None
    state: RunState
    trigger: Trigger
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    progress: dict = field(default_factory=dict)  # while running: files and bytes so far, the current path
    stats: dict = field(default_factory=dict)  # after: borg's figures (original, compressed, deduplicated size...)
    message: str = ""


@dataclass(frozen=True)
class Manifest:
    """What an archive must hold; written into the archive next to the snapshot."""

    created_at: str  # ISO 8601, UTC
    box: str  # the host name of the box that made it
    database: str  # sqlite or postgresql: how the snapshot is restored
    counts: dict[str, int]  # table -> rows (items, item pages, blobs, audit events, ...)
    audit_head: dict  # {"seq": n, "hash": "..."}: the chain's head when the snapshot was taken
    blobs: dict[str, int]  # sha256 -> size of every blob whose content the store holds (purged ones left out)
    format: int = MANIFEST_FORMAT

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, sort_keys=True, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        data = json.loads(text)
        if data.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"manifest format {data.get('format')!r} is not {MANIFEST_FORMAT}")
        return cls(**data)


@dataclass(frozen=True)
class RestoreCheck:
    name: str  # blobs, counts, audit chain, ...
    passed: bool
    detail: str


@dataclass(frozen=True)
class RestoreReport:
    archive: str
    checks: tuple[RestoreCheck, ...]
    seconds: float

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)
