"""Upgrades of the database schema: a snapshot first, then the migrations, and the snapshot put back if they fail.

The migration runner and the snapshots are ports: appliance/upgrade_wiring.py passes the adapters in. Snapshots go
to <home>/upgrades/<from>-to-<to>-<UTC time>/; the newest few are kept, so a bad upgrade found days later can
still be undone by hand.
"""

import datetime
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from appliance.domain.actors import Actor
from appliance.domain.errors import DanganError
from appliance.services.audit import record

UPGRADE_ACTOR = Actor("system:upgrade", "local")
UPGRADES_DIRECTORY = "upgrades"
KEPT_SNAPSHOTS = 3
TIME_FORMAT = "%Y%m%dT%H%M%SZ"  # no hyphen: the time is what follows the last one in a snapshot's name


class UpgradeFailedError(DanganError):
    code = "upgrade_failed"

    def __init__(self, message: str, revision: str | None):
        super().__init__(message)
        self.revision = revision


class MigrationPort(Protocol):
    def current(self) -> str | None: ...  # the database's revision; None for a new, empty database
    def pending(self) -> list[str]: ...  # revisions an upgrade would apply, oldest first
    def upgrade(self) -> list[str]: ...  # applies them; an error raised carries `revision`, the one that failed


class SnapshotPort(Protocol):
    file_name: str

    def take(self, target: Path) -> None: ...  # a consistent copy of the database, fsynced
    def restore(self, source: Path) -> None: ...  # the database replaced by the copy


@dataclass(frozen=True)
class UpgradeOutcome:
    from_revision: str | None
    to_revision: str | None
    applied: list[str]
    snapshot: Path | None  # the snapshot taken before migrating; None when there was nothing to keep


def upgrade(uow_factory, migrations: MigrationPort, snapshots: SnapshotPort, home: Path, now: datetime.datetime,
            actor: Actor = UPGRADE_ACTOR) -> UpgradeOutcome:
    """Migrate the database to the newest revision, snapshotting it first and putting the snapshot back on failure.

    Nothing pending: nothing changes. A new database is migrated without a snapshot (there is nothing to keep).
    Raises UpgradeFailedError naming the revision that failed (the database is as before when a snapshot existed);
    SnapshotError when the snapshot cannot be taken (then nothing was migrated).
    """
    current, pending = migrations.current(), migrations.pending()
    if not pending:
        return UpgradeOutcome(current, current, [], None)
    if current is None:
        return UpgradeOutcome(None, pending[-1], _migrate_new(migrations), None)
    snapshot = take_snapshot(snapshots, home / UPGRADES_DIRECTORY, current, pending[-1], now)
    try:
        applied = migrations.upgrade()
    except Exception as error:  # noqa: BLE001 - any failure half way leaves a schema nobody should serve
        raise _roll_back(uow_factory, snapshots, snapshot, current, pending[-1], error, actor) from error
    if applied:  # empty when something outside the upgrade lock migrated meanwhile
        _record_upgrade(uow_factory, actor, current, applied[-1], snapshot)
    prune_snapshots(home / UPGRADES_DIRECTORY, KEPT_SNAPSHOTS)
    return UpgradeOutcome(current, applied[-1] if applied else pending[-1], applied, snapshot)


def take_snapshot(snapshots: SnapshotPort, root: Path, current: str, target: str, now: datetime.datetime) -> Path:
    """Snapshot the database into a new directory under `root` named after the upgrade; returns the file.

    Raises what the snapshot port raises (SnapshotError, OSError), leaving no partial snapshot behind."""
    directory = root / f"{current}-to-{target}-{now.astimezone(datetime.UTC).strftime(TIME_FORMAT)}"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / snapshots.file_name
    try:
        snapshots.take(path)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)  # a partial copy must never be mistaken for a good one
        raise
    return path


def prune_snapshots(root: Path, keep: int) -> list[Path]:
    """Remove all but the `keep` newest upgrade snapshot directories under `root`; returns those removed."""
    if not root.is_dir():
        return []
    directories = sorted((path for path in root.iterdir() if path.is_dir() and "-to-" in path.name),
                         key=lambda path: path.name.rsplit("-", 1)[-1])
    removed = directories[:-keep] if keep else directories
    for directory in removed:
        shutil.rmtree(directory)
    return removed


def _migrate_new(migrations: MigrationPort) -> list[str]:
    try:
        return migrations.upgrade()
    except Exception as error:  # noqa: BLE001 - named for people, the cause kept in the chain
        revision = getattr(error, "revision", None)
        raise UpgradeFailedError(f"creating the database schema failed at migration {revision}: {_cause(error)}",
                                 revision) from error


def _roll_back(uow_factory, snapshots: SnapshotPort, snapshot: Path, current: str, target: str, error: Exception,
               actor: Actor) -> UpgradeFailedError:
    """Put the snapshot back and record the failure in the restored database; the error to raise."""
    revision = getattr(error, "revision", None)
    what = f"upgrade from {current} to {target} failed at migration {revision or '(unknown)'}: {_cause(error)}"
    try:
        snapshots.restore(snapshot)
    except Exception as restore_error:  # noqa: BLE001 - the message must still say where the good copy is
        return UpgradeFailedError(f"{what}; putting the snapshot back failed too ({restore_error}): restore "
                                  f"{snapshot} by hand before starting Dangan", revision)
    details = {"from": current, "to": target, "revision": revision, "error": _cause(error)[:500],
               "snapshot": str(snapshot)}
    try:
        with uow_factory() as uow:
            record(uow, actor, "system.upgrade_failed", "database", current, details, result="failure")
            uow.commit()
    except Exception as audit_error:  # noqa: BLE001 - the rollback happened; say so even if the record failed
        what += f" (not recorded in the audit trail: {audit_error})"
    return UpgradeFailedError(f"{what}; the database was restored from {snapshot} and is at {current} again",
                              revision)


def _record_upgrade(uow_factory, actor: Actor, current: str, reached: str, snapshot: Path) -> None:
    with uow_factory() as uow:
        record(uow, actor, "system.upgrade", "database", reached,
               {"from": current, "to": reached, "snapshot": str(snapshot)})
        uow.commit()


def _cause(error: Exception) -> str:
    return str(getattr(error, "cause", None) or error)
