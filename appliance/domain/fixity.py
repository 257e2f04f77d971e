"""Fixity: whether every blob the database says the store holds is still there, whole, and what a repair restored.

A blob is content-addressed, so its digest is its fixity record: a check re-reads the content and compares the
SHA-256 and the size with the blobs table. A damaged or missing blob is repaired from a backup archive, and only
with content whose digest matches: a repair never writes anything the database did not already promise.
"""

import enum
from dataclasses import dataclass, field


class BlobFault(enum.StrEnum):
    MISSING = "missing"  # no file where the store keeps it
    DAMAGED = "damaged"  # a file whose content or size no longer matches its digest


@dataclass(frozen=True)
class FixityFailure:
    sha256: str
    fault: BlobFault
    detail: str


@dataclass(frozen=True)
class FixityReport:
    checked: int  # blobs re-read (or found missing)
    bytes_read: int
    failed: int  # every damaged or missing blob found
    failures: tuple[FixityFailure, ...]  # the first of them (a store that is gone must not fill the memory)
    seconds: float

    @property
    def passed(self) -> bool:
        return self.failed == 0

    def digests(self) -> list[str]:
        return [failure.sha256 for failure in self.failures]


class RepairOutcome(enum.StrEnum):
    REPAIRED = "repaired"  # content from an archive, verified and put in place
    INTACT = "intact"  # the blob was whole already: nothing written
    NOT_FOUND = "not_found"  # no archive holds a copy whose digest matches
    UNKNOWN = "unknown"  # the database knows no such stored blob: nothing to repair it to


@dataclass(frozen=True)
class BlobRepair:
    sha256: str
    outcome: RepairOutcome
    archive: str | None = None  # where the good copy came from


@dataclass(frozen=True)
class RepairReport:
    repository: str  # twin or local
    blobs: tuple[BlobRepair, ...] = field(default_factory=tuple)
    archives_searched: tuple[str, ...] = ()

    def with_outcome(self, outcome: RepairOutcome) -> list[str]:
        return [blob.sha256 for blob in self.blobs if blob.outcome is outcome]

    @property
    def complete(self) -> bool:
        """Every blob asked for is whole now."""
        return all(blob.outcome in (RepairOutcome.REPAIRED, RepairOutcome.INTACT) for blob in self.blobs)
