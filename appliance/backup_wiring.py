"""Wiring for backups and restores: the borg adapter and the database snapshots built from the config, handed to
the backup and restore services (which may not import adapters themselves)."""

import dataclasses
import datetime
import os
import secrets
import shutil
from pathlib import Path

from appliance.adapters.borg import Borg
from appliance.adapters.db.snapshot import DatabaseSnapshots, create_scratch_database
from appliance.bootstrap import Appliance, build_appliance, secrets_directory
from appliance.config import DEFAULT_CONFIG_PATH, ENV_CONFIG, Config, DatabaseConfig
from appliance.domain.backup import BackupRun, RepositoryName, RestoreReport, Trigger
from appliance.domain.errors import DanganError
from appliance.services import backup, restore

DRILL_DATABASE = "dangan_drill"


class BackupNotConfiguredError(DanganError):
    code = "backup_not_configured"


def borg_for(config: Config, repository: RepositoryName = RepositoryName.TWIN) -> Borg | None:
    """The borg adapter for the twin (or the local disk) repository; None when the config names none."""
    settings = config.backup
    location = settings.repository if repository is RepositoryName.TWIN else settings.local_repository
    if not location:
        return None
    kept = secrets_directory(config)
    return Borg(location, settings.passphrase_file or kept / "borg-passphrase",
                ssh_key=settings.ssh_key or kept / "twin_ed25519",
                known_hosts=settings.known_hosts or kept / "twin_known_hosts")


def ensure_passphrase(config: Config) -> Path:
    """The repository's passphrase file; made once (random, 0600) when the config names none and none exists.

    Losing it loses the backups: `dangan backup init` prints the paper key to keep with it, offline.
    """
    path = config.backup.passphrase_file or secrets_directory(config) / "borg-passphrase"
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(32))
            handle.flush()
            os.fsync(handle.fileno())
    return path


def require_borg(config: Config, repository: RepositoryName = RepositoryName.TWIN) -> Borg:
    """borg_for, or BackupNotConfiguredError naming the setting to fill in."""
    borg = borg_for(config, repository)
    if borg is None:
        key = "backup.repository" if repository is RepositoryName.TWIN else "backup.local_repository"
        raise BackupNotConfiguredError(f"no backup repository: set {key} in the config")
    return borg


def config_file() -> Path | None:
    """The config file this process read (archived with each backup), or None when it runs on defaults."""
    named = os.environ.get(ENV_CONFIG)
    if named:
        return Path(named)
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.is_file() else None


def backup_now(appliance: Appliance, borg: Borg, trigger: Trigger, now: datetime.datetime,
               repository: RepositoryName = RepositoryName.TWIN) -> BackupRun:
    """Run a backup of this box with its own database snapshots; the run records any failure."""
    return backup.run_backup(appliance, borg, trigger, now, snapshots=DatabaseSnapshots(appliance.config.database_url),
                             repository=repository, config_file=config_file())


class BoxTools:
    """The restore service's port onto the box's storage."""

    def snapshots(self, config: Config) -> DatabaseSnapshots:
        return DatabaseSnapshots(config.database_url)

    def open_box(self, config: Config) -> Appliance:
        return build_appliance(config, migrate=True)

    def scratch_config(self, config: Config, scratch: Path) -> Config:
        """The same config with its home at `scratch` (emptied) and a scratch database: a file there for SQLite,
        the database dangan_drill on the same server for PostgreSQL."""
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        if DatabaseSnapshots(config.database_url).kind == "sqlite":
            database = DatabaseConfig(url="")
        else:
            database = DatabaseConfig(url=create_scratch_database(config.database_url, DRILL_DATABASE))
        return dataclasses.replace(config, home=scratch, database=database)

    def discard_scratch(self, config: Config) -> None:
        shutil.rmtree(config.home, ignore_errors=True)
        if DatabaseSnapshots(config.database_url).kind == "postgresql":
            create_scratch_database(config.database_url, DRILL_DATABASE)  # dropped and left empty: no copy lingers


def restore_box(config: Config, borg: Borg, archive: str | None, force: bool,
                now: datetime.datetime) -> RestoreReport:
    """Restore this box's home and database from `archive` (the latest when None) and verify it."""
    return restore.restore(config, borg, archive, force=force, now=now, tools=BoxTools())


def drill_now(appliance: Appliance, borg: Borg, now: datetime.datetime, scratch: Path | None = None) -> RestoreReport:
    """A restore drill of the latest archive into <home>/restore-drill (removed afterwards)."""
    scratch = scratch or appliance.config.home / "restore-drill"
    return restore.drill(appliance, borg, scratch, now, tools=BoxTools())
