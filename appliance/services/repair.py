"""Repair damaged or missing blobs from a backup archive: only their files are extracted, newest archive first.

A blob comes back only with content whose SHA-256 and size match the blobs table: an archive made after the damage
holds the damaged bytes, so each candidate is verified and, when it fails, an older archive is tried. A good copy is
put in place as the blob store writes one (fsynced, renamed over the old file, the directory fsynced), and each
repair gets a `fixity.repair` audit event. A purged blob is never brought back: the database decides what the
store must hold.
"""

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Protocol

from appliance.domain.actors import Actor
from appliance.domain.backup import RepositoryName
from appliance.domain.errors import InvalidInputError, NotFoundError
from appliance.domain.fixity import BlobRepair, RepairOutcome, RepairReport
from appliance.services.audit import record
from appliance.services.fixity import FIXITY_ACTOR, StoredBlobs, check_blob

STAGING_PREFIX = "repair-"  # under the blob store's tmp directory: the same file system, so a rename is atomic
CHUNK = 1 << 20
LOOKUP_BATCH = 500


class RepairBorg(Protocol):
    def list_archives(self) -> list: ...
    def extract(self, archive: str, target: Path, paths: list[str] | None = None): ...


def repair_blobs(appliance, borg: RepairBorg, digests: list[str], *, stored: StoredBlobs,
                 repository: RepositoryName = RepositoryName.TWIN, actor: Actor = FIXITY_ACTOR) -> RepairReport:
    """Bring back each of `digests` that is damaged or missing on the box from the newest archive holding a good copy.

    Raises InvalidInputError for a string that is not a SHA-256 digest, BorgError when borg cannot list or extract.
    Blobs no archive holds intact are reported as not found, not raised.
    """
    digests = _checked_digests(digests)
    sizes = _stored_sizes(stored, digests)
    outcomes = {digest: BlobRepair(digest, RepairOutcome.UNKNOWN) for digest in digests if digest not in sizes}
    wanted = {}
    for digest, size in sizes.items():
        if check_blob(appliance.blob_store, digest, size) is None:
            outcomes[digest] = BlobRepair(digest, RepairOutcome.INTACT)
        else:
            wanted[digest] = size
    searched = _search_archives(appliance, borg, wanted, outcomes, repository, actor) if wanted else []
    for digest in wanted:
        outcomes.setdefault(digest, BlobRepair(digest, RepairOutcome.NOT_FOUND))
    return RepairReport(repository.value, tuple(outcomes[digest] for digest in digests), tuple(searched))


def _checked_digests(digests: list[str]) -> list[str]:
    unique = list(dict.fromkeys(digest.strip().lower() for digest in digests))
    bad = [digest for digest in unique if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest)]
    if bad:
        raise InvalidInputError(f"not a SHA-256 digest: {', '.join(repr(digest) for digest in bad[:5])}")
    return unique


def _stored_sizes(stored: StoredBlobs, digests: list[str]) -> dict[str, int]:
    sizes = {}
    for start in range(0, len(digests), LOOKUP_BATCH):
        sizes.update(stored.still_stored(digests[start:start + LOOKUP_BATCH]))
    return sizes


def _search_archives(appliance, borg: RepairBorg, wanted: dict[str, int], outcomes: dict[str, BlobRepair],
                     repository: RepositoryName, actor: Actor) -> list[str]:
    """Extract the wanted blobs from one archive after another, newest first, until each is whole again."""
    home, searched = appliance.config.home, []
    paths = {digest: _archived_path(appliance.blob_store, home, digest) for digest in wanted}
    appliance.blob_store.temp_dir.mkdir(parents=True, exist_ok=True)
    for archive in [info.name for info in reversed(borg.list_archives())]:
        remaining = [digest for digest in wanted if digest not in outcomes]
        if not remaining:
            break
        searched.append(archive)
        staging = Path(tempfile.mkdtemp(dir=appliance.blob_store.temp_dir, prefix=STAGING_PREFIX))
        try:
            borg.extract(archive, staging, [paths[digest] for digest in remaining])
            for digest in remaining:
                if _put_in_place(staging / paths[digest], appliance.blob_store.path(digest), digest, wanted[digest]):
                    _record_repair(appliance.uow_factory, actor, digest, archive, repository)
                    outcomes[digest] = BlobRepair(digest, RepairOutcome.REPAIRED, archive)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return searched


def _archived_path(blob_store, home: Path, digest: str) -> str:
    """The blob's path inside an archive: backups store the blob root relative to the home."""
    path = blob_store.path(digest)
    if not path.is_relative_to(home):
        raise NotFoundError(f"the blob store {blob_store.root} is outside the home {home}: no archive holds it")
    return str(path.relative_to(home))


def _put_in_place(candidate: Path, final: Path, digest: str, size: int) -> bool:
    """Move an extracted copy over the blob's file if its digest and size match; False (and nothing changed) if not.

    The copy is fsynced before the rename and the directory after it: a power cut leaves the old file or the new.
    """
    if not candidate.is_file() or not _matches(candidate, digest, size):
        return False
    os.chmod(candidate, 0o444)
    _fsync(candidate, directory=False)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(candidate, final)
    _fsync(final.parent, directory=True)
    return True


def _matches(path: Path, digest: str, size: int) -> bool:
    sha256, length = hashlib.sha256(), 0
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            sha256.update(chunk)
            length += len(chunk)
    return length == size and sha256.hexdigest() == digest


def _fsync(path: Path, *, directory: bool) -> None:
    descriptor = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _record_repair(uow_factory, actor: Actor, digest: str, archive: str, repository: RepositoryName) -> None:
    with uow_factory() as uow:
        record(uow, actor, "fixity.repair", "blob", digest, {"archive": archive, "repository": repository.value})
        uow.commit()
