"""Consistent database snapshots into one file, and restoring them into a fresh database.

SQLite: the backup API on the connection that holds the caller's read transaction, so the snapshot is exactly what
that transaction sees (the `sqlite3 .backup` CLI never finishes on a busy WAL database, and a plain copy misses what
is still in the WAL). PostgreSQL: `pg_dump --format=custom --snapshot` with the snapshot the caller's repeatable-read
transaction exported, and `pg_restore --no-owner` back.
"""

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url

from appliance.adapters.db.engine import build_engine
from appliance.domain.errors import DanganError

SQLITE_SNAPSHOT_NAME = "database.sqlite3"
POSTGRES_SNAPSHOT_NAME = "database.pgdump"
POSTGRES_BIN_ROOT = Path("/usr/lib/postgresql")
TIMEOUT_SECONDS = 6 * 3600  # a dump of a very large catalogue; a hung one must still end


class SnapshotError(DanganError):
    code = "snapshot_failed"


def postgres_bin_dir() -> Path | None:
    """The newest PostgreSQL client binaries Debian installed, or None (then PATH is searched)."""
    candidates = sorted(POSTGRES_BIN_ROOT.glob("*/bin/pg_dump"), key=lambda path: int(path.parent.parent.name))
    return candidates[-1].parent if candidates else None


class DatabaseSnapshots:
    """Snapshots of the database at `database_url`; the kind (sqlite or postgresql) follows the URL."""

    def __init__(self, database_url: str, bin_dir: Path | None = None):
        self.url = make_url(database_url)
        self.kind = "sqlite" if self.url.get_backend_name() == "sqlite" else "postgresql"
        self.file_name = SQLITE_SNAPSHOT_NAME if self.kind == "sqlite" else POSTGRES_SNAPSHOT_NAME
        self.bin_dir = bin_dir or postgres_bin_dir()

    def take(self, target: Path, handle) -> None:
        """Write the snapshot the caller's open transaction sees to `target` (`handle`: what
        BackupRepository.snapshot_handle gave); raises SnapshotError if the database cannot be copied."""
        target.unlink(missing_ok=True)
        if self.kind == "sqlite":
            _sqlite_copy(handle, target)
        else:
            self._run("pg_dump", "--format=custom", "--no-password", f"--snapshot={handle}",
                      f"--file={target}", *self._connection_options())
        _fsync_file(target)

    def item_count(self) -> int:
        """How many items the database holds: 0 when it is empty or not even created."""
        if self.kind == "sqlite" and not Path(self.url.database).is_file():
            return 0
        engine = build_engine(self.url.render_as_string(hide_password=False))
        try:
            with engine.connect() as connection:
                if not inspect(connection).has_table("items"):
                    return 0
                return connection.execute(text("SELECT count(*) FROM items")).scalar_one()
        finally:
            engine.dispose()

    def restore(self, source: Path, *, force: bool = False) -> None:
        """Replace the database with the snapshot in `source`; raises SnapshotError if the database holds items
        (unless `force`) or the snapshot cannot be restored."""
        if not source.is_file():
            raise SnapshotError(f"no database snapshot at {source}")
        items = self.item_count()
        if items and not force:
            raise SnapshotError(f"the database {self.describe()} holds {items} items: restore refused without force")
        if self.kind == "sqlite":
            _sqlite_put_in_place(source, Path(self.url.database))
        else:
            self._empty_postgres_schema()
            self._run("pg_restore", "--clean", "--if-exists", "--no-owner", "--no-password", "--exit-on-error",
                      f"--dbname={self.url.database}", *self._connection_options(with_database=False), str(source))

    def describe(self) -> str:
        """The database named for people, without any password."""
        return self.url.render_as_string(hide_password=True)

    def _empty_postgres_schema(self) -> None:
        # pg_restore --clean drops only what the dump holds: tables of a newer schema would stay behind and
        # the migration to head would then trip over them. A fresh public schema leaves nothing behind.
        engine = build_engine(self.url.render_as_string(hide_password=False))
        try:
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        finally:
            engine.dispose()

    def _connection_options(self, with_database: bool = True) -> list[str]:
        url: URL = self.url
        options = [f"--host={url.host or 'localhost'}", f"--port={url.port or 5432}"]
        if url.username:
            options.append(f"--username={url.username}")
        if with_database:
            options.append(f"--dbname={url.database}")
        return options

    def _run(self, program: str, *arguments: str) -> None:
        binary = str(self.bin_dir / program) if self.bin_dir else shutil.which(program)
        if not binary:
            raise SnapshotError(f"{program} not found: install the PostgreSQL client")
        with _password_file(self.url) as environment:
            try:
                result = subprocess.run([binary, *arguments], capture_output=True, text=True, env=environment,
                                        timeout=TIMEOUT_SECONDS, check=False)
            except subprocess.TimeoutExpired:
                raise SnapshotError(f"{program} did not finish within {TIMEOUT_SECONDS} s") from None
        if result.returncode != 0:
            raise SnapshotError(f"{program} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def create_scratch_database(database_url: str, name: str) -> str:
    """Drop and create database `name` on the server of `database_url`; returns its URL (a restore drill's
    scratch database). Raises SnapshotError for a SQLite URL."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise SnapshotError("a scratch database is made on PostgreSQL only; SQLite uses a file")
    engine = build_engine(url.set(database="postgres").render_as_string(hide_password=False))
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _sqlite_copy(handle: sqlite3.Connection, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    destination = sqlite3.connect(target)
    try:
        handle.backup(destination)  # in the handle's open read transaction: that transaction's view
    except sqlite3.Error as error:
        raise SnapshotError(f"SQLite snapshot failed: {error}") from None
    finally:
        destination.close()


def _sqlite_put_in_place(source: Path, database: Path) -> None:
    database.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=database.parent, prefix=".restoring-")
    os.close(handle)
    shutil.copyfile(source, temporary)
    _fsync_file(Path(temporary))
    for stale in (Path(f"{database}-wal"), Path(f"{database}-shm")):
        stale.unlink(missing_ok=True)  # a WAL left from the old database would be replayed into the new one
    os.replace(temporary, database)


@contextmanager
def _password_file(url: URL) -> Iterator[dict]:
    """The environment for a PostgreSQL client: a password goes through a 0600 PGPASSFILE, never the environment
    or the command line."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    if not url.password:
        yield environment
        return
    with tempfile.TemporaryDirectory(prefix="dangan-pg-") as directory:
        path = Path(directory) / "pgpass"
        path.touch(mode=0o600)
        escaped = str(url.password).replace("\\", "\\\\").replace(":", "\\:")
        path.write_text(f"*:*:*:*:{escaped}\n", encoding="utf-8")
        yield {**environment, "PGPASSFILE": str(path)}


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
