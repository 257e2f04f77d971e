"""Backups: stage a consistent snapshot and its manifest, archive them with the blobs and the config through borg,
and record every run (backup, prune, check) with its progress, borg's figures and an audit event.

Borg and the database snapshots are ports: the wiring (appliance/backup_wiring.py) passes the adapters in.
"""

import datetime
import re
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from appliance.domain.accounts import Role
from appliance.domain.actors import Actor
from appliance.domain.backup import BackupRun, Manifest, RepositoryName, RunKind, RunState, Trigger
from appliance.domain.errors import DanganError
from appliance.services.audit import record
from appliance.services.notifications import notify

BACKUP_ACTOR = Actor("system:backup", "local")
STAGING_DIRECTORY = "backup-staging"  # under the home; an archive extracts as a home
MANIFEST_NAME = "manifest.json"
CONFIG_NAME = "dangan.toml"
SECRETS_NAME = "secrets"  # the box's own keys: sealed TOTP secrets, the web's signing key, the agents' token
# never archived: the passphrase that opens the archive, and the key and pinned host of the twin that holds it
UNARCHIVED_SECRETS = ("borg", "twin")
PROGRESS_SECONDS = 5.0  # how often a running backup's progress is written to the database
BOX_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9.-]+")


class BorgPort(Protocol):
    def create(self, archive: str, paths: list[Path], *, base: Path, progress=None): ...
    def prune(self, keep_daily: int, keep_weekly: int, keep_monthly: int): ...
    def check(self, verify_data: bool = False): ...


class SnapshotPort(Protocol):
    kind: str  # sqlite or postgresql
    file_name: str  # the snapshot's name in the staging directory

    def take(self, target: Path, handle) -> None: ...


@dataclass(frozen=True)
class BackupOverview:
    recent: list[BackupRun]
    last_backup: BackupRun | None  # the newest backup that ended ok or with a warning
    last_check: BackupRun | None
    running: list[BackupRun]
    documents_since_backup: int  # documents received after the last good backup began: not yet off the box


def box_name() -> str:
    """This box's name as it appears in archive names: the host name, reduced to safe characters."""
    return BOX_NAME_CHARACTERS.sub("-", socket.gethostname()).strip("-.") or "box"


def archive_name(box: str, now: datetime.datetime) -> str:
    """Unique per run: two backups in one second (one asked for, one due) must not collide, hence milliseconds."""
    moment = now.astimezone(datetime.UTC)
    return f"dangan-{box}-{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def build_manifest(uow_factory, database_kind: str, box: str, now: datetime.datetime) -> Manifest:
    """What the database holds now: table counts, the audit chain's head, every stored blob's digest and size."""
    with uow_factory(read_only=True) as uow:
        return _manifest(uow, database_kind, box, now)


def _manifest(uow, database_kind: str, box: str, now: datetime.datetime) -> Manifest:
    seq, digest = uow.audit.head()
    return Manifest(created_at=now.astimezone(datetime.UTC).isoformat(), box=box, database=database_kind,
                    counts=uow.backups.table_counts(), audit_head={"seq": seq, "hash": digest},
                    blobs=uow.backups.stored_blobs())


def stage(uow_factory, snapshots: SnapshotPort, staging: Path, box: str, now: datetime.datetime) -> Manifest:
    """Write the database snapshot and its manifest into `staging`, both from one read transaction so that they
    agree. Raises SnapshotError (a DanganError) or OSError."""
    staging.mkdir(parents=True, exist_ok=True)
    with uow_factory(read_only=True) as uow:
        handle = uow.backups.snapshot_handle()
        manifest = _manifest(uow, snapshots.kind, box, now)
        snapshots.take(staging / snapshots.file_name, handle)
    (staging / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def run_backup(appliance, borg: BorgPort, trigger: Trigger, now: datetime.datetime, *, snapshots: SnapshotPort,
               repository: RepositoryName = RepositoryName.TWIN, config_file: Path | None = None,
               box: str | None = None) -> BackupRun:
    """Back the box up into a new archive and record the run. A failure (BorgError, a snapshot or disk error) is
    recorded, audited and told to the system administrators, not raised."""
    archive = archive_name(box or box_name(), now)
    run_id = start_run(appliance.uow_factory, RunKind.BACKUP, repository, trigger, now, archive)
    home, staging = appliance.config.home, appliance.config.home / STAGING_DIRECTORY
    shutil.rmtree(staging, ignore_errors=True)  # left by a run cut short
    try:
        manifest = stage(appliance.uow_factory, snapshots, staging, box or box_name(), now)
        if config_file is not None and config_file.is_file():
            shutil.copyfile(config_file, staging / CONFIG_NAME)
        stage_secrets(home / SECRETS_NAME, staging / SECRETS_NAME)
        missing = [digest for digest in manifest.blobs if not appliance.blob_store.exists(digest)]
        paths = [staging, *([appliance.blob_store.root] if appliance.blob_store.root.is_dir() else [])]
        result = borg.create(archive, paths, base=home, progress=_ProgressRecorder(appliance.uow_factory, run_id))
    except (DanganError, OSError) as error:
        fail_run(appliance.uow_factory, run_id, RunKind.BACKUP, str(error) or type(error).__name__)
    else:
        _finish_backup(appliance.uow_factory, run_id, result, manifest, missing)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _get(appliance.uow_factory, run_id)


def stage_secrets(source: Path, target: Path) -> None:
    """Copy the box's secrets that a rebuilt box needs (without them its TOTP enrolments are lost) into the
    staging directory; the archive is encrypted, and its own passphrase and the twin's key stay out."""
    if not source.is_dir():
        return
    target.mkdir(mode=0o700, exist_ok=True)
    for path in sorted(source.iterdir()):
        if path.is_file() and not path.name.startswith(UNARCHIVED_SECRETS):
            shutil.copy2(path, target / path.name)


def _finish_backup(uow_factory, run_id: int, result, manifest: Manifest, missing: list[str]) -> None:
    stats = {**result.stats, "blobs": len(manifest.blobs), "audit_seq": manifest.audit_head["seq"],
             "missing_blobs": len(missing)}
    messages = list(result.messages)
    if missing:  # the archive cannot restore what the box no longer has: the fixity check must look
        messages.insert(0, f"{len(missing)} blobs missing on the box: {', '.join(missing[:5])}")
    state = RunState.WARNING if missing or result.state is RunState.WARNING else RunState.OK
    finish_run(uow_factory, run_id, RunKind.BACKUP, state, stats, "; ".join(messages))


def run_prune(appliance, borg: BorgPort, now: datetime.datetime, *, trigger: Trigger = Trigger.MANUAL,
              repository: RepositoryName = RepositoryName.TWIN) -> BackupRun:
    """Thin out old archives by the config's keep counts; the run is recorded, a failure notified, not raised."""
    keep = appliance.config.backup
    return _recorded(appliance.uow_factory, RunKind.PRUNE, repository, trigger, now,
                     lambda: borg.prune(keep.keep_daily, keep.keep_weekly, keep.keep_monthly))


def run_check(appliance, borg: BorgPort, verify_data: bool, now: datetime.datetime, *,
              trigger: Trigger = Trigger.MANUAL, repository: RepositoryName = RepositoryName.TWIN) -> BackupRun:
    """`borg check` (kind verify with --verify-data); the run is recorded, a failure notified, not raised."""
    kind = RunKind.VERIFY if verify_data else RunKind.CHECK
    return _recorded(appliance.uow_factory, kind, repository, trigger, now, lambda: borg.check(verify_data))


def _recorded(uow_factory, kind: RunKind, repository: RepositoryName, trigger: Trigger, now: datetime.datetime,
              work: Callable) -> BackupRun:
    run_id = start_run(uow_factory, kind, repository, trigger, now)
    try:
        result = work()
    except DanganError as error:
        fail_run(uow_factory, run_id, kind, str(error) or type(error).__name__)
    else:
        finish_run(uow_factory, run_id, kind, result.state, result.stats, "; ".join(result.messages))
    return _get(uow_factory, run_id)


def backup_overview(uow_factory) -> BackupOverview:
    """Recent runs, the last good backup and check, the running ones, and documents not yet backed up."""
    with uow_factory(read_only=True) as uow:
        last_backup = uow.backups.last((RunKind.BACKUP,))
        return BackupOverview(
            recent=uow.backups.recent(20), last_backup=last_backup,
            last_check=uow.backups.last((RunKind.CHECK, RunKind.VERIFY), (RunState.OK, RunState.WARNING,
                                                                          RunState.FAILED)),
            running=uow.backups.running(),
            documents_since_backup=uow.backups.documents_since(last_backup.started_at if last_backup else None))


def list_runs(uow_factory, limit: int = 20) -> list[BackupRun]:
    with uow_factory(read_only=True) as uow:
        return uow.backups.recent(limit)


# --- recording runs -------------------------------------------------------------------------------------------

def start_run(uow_factory, kind: RunKind, repository: RepositoryName, trigger: Trigger, now: datetime.datetime,
              archive: str | None = None) -> int:
    """Record a run as running, with its audit event; returns its id."""
    with uow_factory() as uow:
        run_id = uow.backups.start(kind, repository, trigger, now, archive)
        record(uow, BACKUP_ACTOR, _action(kind, "start"), "backup_run", str(run_id),
               {"archive": archive, "repository": repository.value, "trigger": trigger.value})
        uow.commit()
    return run_id


def finish_run(uow_factory, run_id: int, kind: RunKind, state: RunState, stats: dict, message: str) -> None:
    """Record how a run ended, with its audit event."""
    with uow_factory() as uow:
        uow.backups.finish(run_id, state, utc_now(), stats, message)
        record(uow, BACKUP_ACTOR, _action(kind, "finish"), "backup_run", str(run_id),
               {"state": state.value, "message": message[:500]}, result="ok" if state is RunState.OK else "warning")
        uow.commit()


def fail_run(uow_factory, run_id: int, kind: RunKind, message: str) -> None:
    """Record a run as failed, audit it and tell every active system administrator."""
    now = utc_now()
    with uow_factory() as uow:
        uow.backups.finish(run_id, RunState.FAILED, now, {}, message)
        record(uow, BACKUP_ACTOR, _action(kind, "fail"), "backup_run", str(run_id), {"error": message[:500]},
               result="failed")
        administrators = [account.username for account in uow.accounts.list_accounts()
                          if Role.SYSTEM_ADMIN in account.roles and not account.disabled]
        notify(uow, administrators, "backup.failed", now, {"error": f"{kind.value}: {message[:300]}"})
        uow.commit()


def _action(kind: RunKind, event: str) -> str:
    """backup.start, backup.finish, backup.fail; backup.check.start, backup.prune.fail..."""
    return f"backup.{event}" if kind is RunKind.BACKUP else f"backup.{kind.value}.{event}"


def _get(uow_factory, run_id: int) -> BackupRun:
    with uow_factory(read_only=True) as uow:
        return uow.backups.get(run_id)


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class _ProgressRecorder:
    """Borg's progress events, written to the run at most every PROGRESS_SECONDS (and the last one)."""

    def __init__(self, uow_factory, run_id: int):
        self.uow_factory, self.run_id, self.written_at = uow_factory, run_id, 0.0

    def __call__(self, progress: dict) -> None:
        moment = time.monotonic()
        if moment - self.written_at < PROGRESS_SECONDS and not progress.get("finished"):
            return
        self.written_at = moment
        with self.uow_factory() as uow:
            uow.backups.record_progress(self.run_id, progress)
            uow.commit()
