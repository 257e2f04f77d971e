"""Restore a box from an archive and prove it whole before it serves; restore drills into a scratch home.

A restore extracts the archive into the home (it was made relative to one), restores the database from the
snapshot, migrates it to head and then checks everything the manifest promised: every blob's content, the table
counts, the audit chain and its head. Only a restore that passes gets its `backup.restore` audit event.
"""

import shutil
import time
from pathlib import Path
from typing import Protocol

from appliance.domain.backup import Manifest, RepositoryName, RestoreCheck, RestoreReport, RunKind, RunState, Trigger
from appliance.domain.blobs import BlobRef
from appliance.domain.errors import DanganError, IntegrityError, NotFoundError
from appliance.services.audit import record, verify_audit_chain
from appliance.services.backup import (
    BACKUP_ACTOR,
    CONFIG_NAME,
    MANIFEST_NAME,
    SECRETS_NAME,
    STAGING_DIRECTORY,
    fail_run,
    finish_run,
    start_run,
)

RESTORED_CONFIG_NAME = "restored-dangan.toml"  # the archived config, for IT to compare with the new box's
SHOWN_MISMATCHES = 5


class RestoreError(DanganError):
    code = "restore_refused"


class RestoreBorg(Protocol):
    def list_archives(self) -> list: ...
    def extract(self, archive: str, target: Path, paths: list[str] | None = None): ...


class RestoreTools(Protocol):
    """What a restore needs of the box's storage; appliance/backup_wiring.py provides it."""

    def snapshots(self, config): ...  # DatabaseSnapshots: kind, file_name, item_count(), restore(source, force)
    def open_box(self, config): ...  # an appliance over the config, migrated to head: uow_factory, blob_store, close()
    def scratch_config(self, config, scratch: Path): ...  # a config whose home is `scratch`, with a scratch database
    def discard_scratch(self, config) -> None: ...


def restore(config, borg: RestoreBorg, archive: str | None = None, *, force: bool = False, now,
            tools: RestoreTools) -> RestoreReport:
    """Restore `archive` (the latest when None) into the home of `config` and verify it.

    Raises RestoreError when the box already holds data (without `force`), the archive is unknown, or the archive is
    not a Dangan backup for this kind of database; BorgError when borg fails; SnapshotError when the database cannot
    be restored. A restore whose checks fail returns a report that says which (`report.passed` is False).
    """
    started = time.monotonic()
    snapshots = tools.snapshots(config)
    if not force:
        _refuse_if_holding_data(config, snapshots)
    archive = _choose_archive(borg, archive)
    staging = config.home / STAGING_DIRECTORY
    shutil.rmtree(staging, ignore_errors=True)
    borg.extract(archive, config.home)
    try:
        manifest = _read_manifest(staging, snapshots.kind)
        snapshots.restore(staging / snapshots.file_name, force=True)
        _keep_config(staging, config.home)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    box = tools.open_box(config)
    try:
        checks = verify_restored(box, manifest)
        report = RestoreReport(archive, checks, round(time.monotonic() - started, 2))
        if report.passed:
            _record_restore(box.uow_factory, archive, manifest, report, now)
    finally:
        box.close()
    return report


def _refuse_if_holding_data(config, snapshots) -> None:
    items = snapshots.item_count()
    blobs = sum(1 for _ in (config.home / "blobs" / "sha256").glob("*/*/*"))
    found = [text for count, text in ((items, f"{items} items in the database {snapshots.describe()}"),
                                      (blobs, f"{blobs} blobs under {config.home / 'blobs'}")) if count]
    if found:
        raise RestoreError(f"this box already holds data ({'; '.join(found)}): a restore would overwrite it; "
                           "use --force to restore anyway")


def _choose_archive(borg: RestoreBorg, archive: str | None) -> str:
    names = [info.name for info in borg.list_archives()]
    if not names:
        raise RestoreError("the repository holds no archive to restore")
    if archive is None:
        return names[-1]
    if archive not in names:
        raise RestoreError(f"no archive {archive!r} in the repository; the latest are: {', '.join(names[-5:])}")
    return archive


def _read_manifest(staging: Path, database_kind: str) -> Manifest:
    try:
        manifest = Manifest.from_json((staging / MANIFEST_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RestoreError(f"the archive holds no {STAGING_DIRECTORY}/{MANIFEST_NAME}: not a Dangan backup") from None
    except (ValueError, TypeError) as error:
        raise RestoreError(f"the archive's manifest cannot be read: {error}") from None
    if manifest.database != database_kind:
        raise RestoreError(f"the archive holds a {manifest.database} snapshot but this box is configured for "
                           f"{database_kind}: set the database URL to match")
    return manifest


def _keep_config(staging: Path, home: Path) -> None:
    """The archived config beside the box's own, for IT to compare; the archived secrets in place, over any the new
    box made at set-up, since the restored database's sealed TOTP secrets open only with the old key."""
    if (staging / CONFIG_NAME).is_file():
        shutil.copyfile(staging / CONFIG_NAME, home / RESTORED_CONFIG_NAME)
    archived = staging / SECRETS_NAME
    if archived.is_dir():
        secrets = home / SECRETS_NAME
        secrets.mkdir(mode=0o700, exist_ok=True)
        for path in sorted(archived.iterdir()):
            shutil.copy2(path, secrets / path.name)
            (secrets / path.name).chmod(0o600)


def verify_restored(box, manifest: Manifest) -> tuple[RestoreCheck, ...]:
    """Check the restored box against the manifest: blobs, table counts, the audit chain and its head."""
    return (_check_blobs(box.blob_store, manifest), _check_counts(box.uow_factory, manifest),
            *_check_audit(box.uow_factory, manifest))


def _check_blobs(blob_store, manifest: Manifest) -> RestoreCheck:
    problems = []
    for digest, size in sorted(manifest.blobs.items()):
        try:
            blob_store.verify(BlobRef(digest, "", size))
        except (IntegrityError, NotFoundError) as error:
            problems.append(str(error))
    total = len(manifest.blobs)
    if problems:
        shown = "; ".join(problems[:SHOWN_MISMATCHES])
        return RestoreCheck("blobs", False, f"{len(problems)} of {total} blobs missing or damaged: {shown}")
    return RestoreCheck("blobs", True, f"{total} blobs present, sha256 and size match")


def _check_counts(uow_factory, manifest: Manifest) -> RestoreCheck:
    with uow_factory(read_only=True) as uow:
        found = uow.backups.table_counts()
    mismatches = [f"{table}: {found.get(table)} rows, manifest {count}"
                  for table, count in sorted(manifest.counts.items()) if found.get(table) != count]
    if mismatches:
        return RestoreCheck("counts", False, "; ".join(mismatches[:SHOWN_MISMATCHES]))
    summary = ", ".join(f"{table} {count}" for table, count in sorted(manifest.counts.items()) if count)
    return RestoreCheck("counts", True, f"{len(manifest.counts)} tables match: {summary}")


def _check_audit(uow_factory, manifest: Manifest) -> tuple[RestoreCheck, RestoreCheck]:
    report = verify_audit_chain(uow_factory)
    chain = RestoreCheck("audit chain", report.ok,
                         f"{report.events_checked} events verified" if report.ok else report.problem)
    with uow_factory(read_only=True) as uow:
        seq, digest = uow.audit.head()
    expected = manifest.audit_head
    same = seq == expected["seq"] and digest == expected["hash"]
    detail = f"head #{seq} {digest}" + ("" if same else f", manifest #{expected['seq']} {expected['hash']}")
    return chain, RestoreCheck("audit head", same, detail)


def _record_restore(uow_factory, archive: str, manifest: Manifest, report: RestoreReport, now) -> None:
    with uow_factory() as uow:
        for run in uow.backups.running():  # the runs that were going on when the snapshot was taken
            ended = RunState.OK if run.archive == archive else RunState.FAILED
            uow.backups.finish(run.id, ended, now, run.stats, f"ended by the restore of {archive}")
        record(uow, BACKUP_ACTOR, "backup.restore", "archive", archive,
               {"box": manifest.box, "created_at": manifest.created_at, "seconds": report.seconds,
                "checks": {check.name: check.detail for check in report.checks}})
        uow.commit()


def drill(appliance, borg: RestoreBorg, scratch: Path, now, *, tools: RestoreTools,
          repository: RepositoryName = RepositoryName.TWIN) -> RestoreReport:
    """Restore the latest archive into `scratch` (and a scratch database) and verify it, leaving the box untouched;
    recorded as a run of kind drill. Raises what restore raises (after recording the run as failed)."""
    run_id = start_run(appliance.uow_factory, RunKind.DRILL, repository, Trigger.MANUAL, now)
    scratch_config = tools.scratch_config(appliance.config, scratch)
    try:
        report = restore(scratch_config, borg, None, force=True, now=now, tools=tools)
    except DanganError as error:
        fail_run(appliance.uow_factory, run_id, RunKind.DRILL, str(error))
        raise
    finally:
        tools.discard_scratch(scratch_config)
    stats = {"archive": report.archive, "seconds": report.seconds,
             "checks": {check.name: check.passed for check in report.checks}}
    if report.passed:
        finish_run(appliance.uow_factory, run_id, RunKind.DRILL, RunState.OK, stats, "")
    else:
        failed = [f"{check.name}: {check.detail}" for check in report.checks if not check.passed]
        fail_run(appliance.uow_factory, run_id, RunKind.DRILL, "; ".join(failed))
    return report

