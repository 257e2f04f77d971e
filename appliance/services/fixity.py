"""The fixity check: re-read every blob the database says the store holds and compare it with its digest.

The blobs are walked page by page in digest order (a keyset read per page, never the whole table at once), so a
store of a million blobs is checked with the memory of one page. Every damaged or missing blob gets a
`fixity.failure` audit event naming it, the check a `fixity.check` event with its counts, and a failed check tells
the system administrators (notification kind "fixity.failed", which the notification texts render generically).
"""

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from appliance.domain.accounts import Role
from appliance.domain.actors import Actor
from appliance.domain.blobs import BlobRef
from appliance.domain.errors import IntegrityError, NotFoundError
from appliance.domain.fixity import BlobFault, FixityFailure, FixityReport
from appliance.services.audit import record
from appliance.services.notifications import notify

FIXITY_ACTOR = Actor("system:fixity", "local")
PAGE_SIZE = 1000
KEPT_FAILURES = 1000  # failures a report lists; all are counted, audited and told
SHOWN_IN_NOTICE = 5

Progress = Callable[[dict], None]


class StoredBlobs(Protocol):
    """The blobs table, read in pages (appliance/adapters/db/blob_pages.py)."""

    def stored_after(self, after: str, limit: int) -> list[tuple[str, int]]: ...
    def still_stored(self, digests: list[str]) -> dict[str, int]: ...


class BlobReader(Protocol):
    def verify(self, ref: BlobRef) -> None: ...
    def exists(self, sha256: str) -> bool: ...


@dataclass
class _Tally:
    checked: int = 0
    bytes_read: int = 0
    failed: int = 0
    kept: list[FixityFailure] = field(default_factory=list)


def check_fixity(uow_factory, blob_store: BlobReader, now: datetime.datetime, *, stored: StoredBlobs,
                 progress: Progress | None = None, page_size: int = PAGE_SIZE) -> FixityReport:
    """Re-read every stored blob, check its size and SHA-256, audit the outcome and tell the administrators of any
    damage. Raises nothing for damage (the report says it); OSError only for a store that cannot be read at all."""
    started, tally, after = time.monotonic(), _Tally(), ""
    while page := stored.stored_after(after, page_size):
        after = page[-1][0]
        failures = _check_page(blob_store, page, tally)
        failures = _still_failing(stored, failures)
        _record_failures(uow_factory, failures)
        tally.failed += len(failures)
        tally.kept.extend(failures[:KEPT_FAILURES - len(tally.kept)])
        if progress is not None:
            progress({"checked": tally.checked, "bytes": tally.bytes_read, "failed": tally.failed})
    report = FixityReport(tally.checked, tally.bytes_read, tally.failed, tuple(tally.kept),
                          round(time.monotonic() - started, 2))
    _record_check(uow_factory, report, now)
    return report


def _check_page(blob_store: BlobReader, page: list[tuple[str, int]], tally: _Tally) -> list[FixityFailure]:
    failures = []
    for sha256, size in page:
        tally.checked += 1
        failure = check_blob(blob_store, sha256, size)
        if failure is None:
            tally.bytes_read += size
        else:
            failures.append(failure)
    return failures


def check_blob(blob_store: BlobReader, sha256: str, size: int) -> FixityFailure | None:
    """None when the blob is whole; otherwise what is wrong with it."""
    try:
        blob_store.verify(BlobRef(sha256, "", size))
    except (IntegrityError, NotFoundError) as error:
        fault = BlobFault.DAMAGED if blob_store.exists(sha256) else BlobFault.MISSING
        return FixityFailure(sha256, fault, str(error))
    return None


def _still_failing(stored: StoredBlobs, failures: list[FixityFailure]) -> list[FixityFailure]:
    """Drop the failures of blobs purged since their page was read: their file went with the destruction."""
    if not failures:
        return failures
    kept = stored.still_stored([failure.sha256 for failure in failures])
    return [failure for failure in failures if failure.sha256 in kept]


def _record_failures(uow_factory, failures: list[FixityFailure]) -> None:
    if not failures:
        return
    with uow_factory() as uow:
        for failure in failures:
            record(uow, FIXITY_ACTOR, "fixity.failure", "blob", failure.sha256,
                   {"fault": failure.fault.value, "detail": failure.detail[:300]}, result="failed")
        uow.commit()


def _record_check(uow_factory, report: FixityReport, now: datetime.datetime) -> None:
    details = {"checked": report.checked, "bytes": report.bytes_read, "failed": report.failed,
               "seconds": report.seconds, "at": now.astimezone(datetime.UTC).isoformat()}
    with uow_factory() as uow:
        record(uow, FIXITY_ACTOR, "fixity.check", "blob_store", "", details,
               result="ok" if report.passed else "failed")
        if not report.passed:
            shown = ", ".join(failure.sha256[:16] for failure in report.failures[:SHOWN_IN_NOTICE])
            notify(uow, system_administrators(uow), "fixity.failed", now,
                   {"error": f"{report.failed} of {report.checked} blobs damaged or missing: {shown}",
                    "failed": report.failed, "checked": report.checked})
        uow.commit()


def system_administrators(uow) -> list[str]:
    return [account.username for account in uow.accounts.list_accounts()
            if Role.SYSTEM_ADMIN in account.roles and not account.disabled]
