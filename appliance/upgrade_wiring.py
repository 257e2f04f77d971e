"""Wiring for upgrades: the migration runner and the database snapshots over one engine, handed to the upgrade
service (which may not import adapters itself). `dangan migrate` and build_appliance(migrate=True) both come here."""

import datetime
import fcntl
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from appliance.adapters.db.engine import READ_ONLY, build_engine
from appliance.adapters.db.migrate import (
    ADVISORY_LOCK_KEY,
    current_revision,
    pending_revisions,
    snapshot_handle,
    upgrade_to_head,
)
from appliance.adapters.db.snapshot import DatabaseSnapshots
from appliance.adapters.db.unit_of_work import UnitOfWorkFactory
from appliance.config import Config
from appliance.domain.actors import Actor
from appliance.services import upgrade
from appliance.services.upgrade import UPGRADE_ACTOR, UpgradeOutcome

UPGRADE_LOCK_KEY = ADVISORY_LOCK_KEY + 1  # not the migrations' own key: they take theirs inside this one


class MigrationRunner:
    """The upgrade service's port onto Alembic; `extra_versions` adds version directories (tests only)."""

    def __init__(self, engine: Engine, extra_versions: Sequence[Path] = ()):
        self.engine = engine
        self.extra_versions = tuple(extra_versions)

    def current(self) -> str | None:
        return current_revision(self.engine)

    def pending(self) -> list[str]:
        return pending_revisions(self.engine, self.extra_versions)

    def upgrade(self) -> list[str]:
        return upgrade_to_head(self.engine, self.extra_versions)


class UpgradeSnapshots:
    """The upgrade service's port onto DatabaseSnapshots: take one from a read transaction of its own, restore one
    with the engine's pooled connections dropped (SQLite's file is replaced under them)."""

    def __init__(self, engine: Engine, database_url: str):
        self.engine = engine
        self.snapshots = DatabaseSnapshots(database_url)
        self.file_name = self.snapshots.file_name

    def take(self, target: Path) -> None:
        """Write a consistent snapshot to `target`, fsynced with its directory; raises SnapshotError."""
        reader = self.engine.execution_options(**{READ_ONLY: True})
        if self.snapshots.kind == "postgresql":
            reader = reader.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with reader.connect() as connection, connection.begin():
            self.snapshots.take(target, snapshot_handle(connection))
        for directory in (target.parent, target.parent.parent, target.parent.parent.parent):
            _fsync_directory(directory)  # the snapshot's directory, upgrades/ and the home: each entry made durable

    def restore(self, source: Path) -> None:
        """Replace the database with the snapshot at `source`; raises SnapshotError."""
        self.engine.dispose()
        try:
            self.snapshots.restore(source, force=True)
        finally:
            self.engine.dispose()


def upgrade_database(config: Config, engine: Engine, actor: Actor = UPGRADE_ACTOR,
                     extra_versions: Sequence[Path] = ()) -> UpgradeOutcome:
    """Bring the database of `config` to the newest revision, snapshot first (see appliance.services.upgrade).

    Raises UpgradeFailedError naming the failed revision (the database put back as it was), SnapshotError.
    """
    migrations = MigrationRunner(engine, extra_versions)
    if not migrations.pending():  # the common case, every start: no lock, no snapshot
        current = migrations.current()
        return UpgradeOutcome(current, current, [], None)
    if migrations.current() is None:  # a new database: no snapshot to put back, Alembic's own lock is enough
        return _upgrade(config, engine, migrations, actor)
    with upgrade_lock(engine, config.home):  # the service looks again, under the lock
        return _upgrade(config, engine, migrations, actor)


def _upgrade(config: Config, engine: Engine, migrations: MigrationRunner, actor: Actor) -> UpgradeOutcome:
    return upgrade.upgrade(UnitOfWorkFactory(engine), migrations, UpgradeSnapshots(engine, config.database_url),
                           config.home, datetime.datetime.now(datetime.UTC), actor)


@contextmanager
def upgrade_lock(engine: Engine, home: Path) -> Iterator[None]:
    """One upgrade at a time, from the check for pending revisions to the end of a rollback: a second process
    must never put back a snapshot older than what the first one migrated. A lock file in the home for the
    processes of this box; on PostgreSQL a session advisory lock too, for boxes sharing the database."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".upgrade-lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)  # released when the file closes, even if the process dies
        if engine.dialect.name != "postgresql":
            yield
            return
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": UPGRADE_LOCK_KEY})
            connection.commit()  # the lock is the session's; no transaction stays open beside the migrations
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": UPGRADE_LOCK_KEY})
                connection.commit()


def migrate_box(config: Config, actor: Actor = UPGRADE_ACTOR, extra_versions: Sequence[Path] = ()) -> UpgradeOutcome:
    """`dangan migrate`: upgrade_database over an engine of its own (the CLI's appliance would migrate itself)."""
    engine = build_engine(config.database_url, echo=config.database.echo)
    try:
        return upgrade_database(config, engine, actor, extra_versions)
    finally:
        engine.dispose()


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
