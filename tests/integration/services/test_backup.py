"""Backups on real borg (a local repository under tmp_path) and both databases: what an archive holds, how a run is
recorded, and how a failure is told."""

import datetime
import json
import os
import threading

import pytest

from appliance.adapters.blobstore import BlobStore
from appliance.adapters.borg import Borg
from appliance.adapters.db.engine import build_engine
from appliance.adapters.db.snapshot import DatabaseSnapshots, SnapshotError, create_scratch_database
from appliance.adapters.db.unit_of_work import UnitOfWorkFactory
from appliance.domain.accounts import Role
from appliance.domain.actors import Actor
from appliance.domain.backup import Manifest, RunKind, RunState, Trigger
from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.services import accounts
from appliance.services.audit import record, verify_audit_chain
from appliance.services.backup import (
    MANIFEST_NAME,
    STAGING_DIRECTORY,
    backup_overview,
    build_manifest,
    run_backup,
    run_check,
    run_prune,
    stage,
)
from appliance.services.intake import receive_document
from appliance.services.items import add_item
from tests.support.intake_documents import delivered, streams

NOW = datetime.datetime(2026, 11, 27, 2, 30, tzinfo=datetime.UTC)
AGENT = Actor("agent", "127.0.0.1")
BATCH = "DA1:BATCH:Z109/WS/2011/D30/BGS"
PASSWORD = "Backup-Admin-2026!"


def populate(appliance, actor, documents: int = 3) -> None:
    """A registered item with three scanned pages, `documents` batch scans (new items), a system administrator."""
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
             ItemFields.build(title="关于印发档案管理办法的通知", date="20110315"))
    scans = [delivered("DA1:ITEM:Z109-WS.2011-Y-BGS-0001", [1, 2, 3])]
    scans += [delivered(BATCH, [10 + 2 * number, 11 + 2 * number], sequence=number + 1) for number in range(documents)]
    for manifest, pages in scans:
        receive_document(appliance.uow_factory, appliance.blob_store, AGENT, manifest, streams(pages))
    accounts.add_user(appliance.uow_factory, appliance.passwords, actor, "it-zhao", PASSWORD, [Role.SYSTEM_ADMIN])


def make_repository(tmp_path, name: str = "repository") -> Borg:
    """A fresh encrypted local repository; the passphrase in a 0600 file outside the box's home."""
    secrets = tmp_path / f"{name}-secrets"
    secrets.mkdir(mode=0o700)
    passphrase = secrets / "borg-passphrase"
    passphrase.touch(mode=0o600)
    passphrase.write_text("correct horse battery staple", encoding="utf-8")
    borg = Borg(str(tmp_path / name), passphrase)
    borg.init()
    return borg


@pytest.fixture
def box(appliance, actor, fonds):
    populate(appliance, actor)
    return appliance


def snapshots_of(appliance) -> DatabaseSnapshots:
    return DatabaseSnapshots(appliance.config.database_url)


def test_the_manifest_lists_counts_the_audit_head_and_every_stored_blob(box):
    manifest = build_manifest(box.uow_factory, "sqlite", "box1", NOW)
    assert manifest.counts["items"] == 4 and manifest.counts["intake_documents"] == 4
    assert manifest.counts["item_pages"] == 9 and manifest.counts["users"] == 1
    assert set(manifest.blobs) == set(box.blob_store.digests())
    assert all(size == box.blob_store.path(digest).stat().st_size for digest, size in manifest.blobs.items())
    chain = verify_audit_chain(box.uow_factory)
    assert manifest.audit_head == {"seq": chain.events_checked, "hash": chain.head_hash}
    assert Manifest.from_json(manifest.to_json()) == manifest


def test_a_snapshot_taken_under_steady_writes_agrees_with_its_manifest(box, tmp_path):
    stop = threading.Event()

    def write_audit_events():
        while not stop.is_set():
            with box.uow_factory() as uow:
                record(uow, Actor("writer"), "test.write", "test", "1")
                uow.commit()

    writer = threading.Thread(target=write_audit_events)
    writer.start()
    try:
        manifest = stage(box.uow_factory, snapshots_of(box), tmp_path / "staging", "box1", NOW)
    finally:
        stop.set()
        writer.join()
    assert verify_audit_chain(box.uow_factory).events_checked > manifest.audit_head["seq"]  # writes went on
    copy = restored_copy(box, tmp_path / "staging" / snapshots_of(box).file_name)
    with copy(read_only=True) as uow:
        assert uow.audit.head() == (manifest.audit_head["seq"], manifest.audit_head["hash"])
        assert uow.backups.table_counts() == manifest.counts
    assert verify_audit_chain(copy).ok
    copy.engine.dispose()


def restored_copy(appliance, snapshot) -> UnitOfWorkFactory:
    """The snapshot as a database of its own (SQLite: the file; PostgreSQL: restored into a new database)."""
    if snapshots_of(appliance).kind == "sqlite":
        return UnitOfWorkFactory(build_engine(f"sqlite:///{snapshot}"))
    url = create_scratch_database(appliance.config.database_url, f"copy_{os.getpid()}")
    DatabaseSnapshots(url).restore(snapshot)
    return UnitOfWorkFactory(build_engine(url))


def test_a_backup_run_is_recorded_with_borg_figures_and_audited(box, tmp_path):
    borg = make_repository(tmp_path)
    config_file = tmp_path / "dangan.toml"
    config_file.write_text("[backup]\nkeep_daily = 9\n", encoding="utf-8")
    run = run_backup(box, borg, Trigger.MANUAL, NOW, snapshots=snapshots_of(box), config_file=config_file,
                     box="box1")
    assert (run.kind, run.state, run.archive, run.message) == (
        RunKind.BACKUP, RunState.OK, "dangan-box1-2026-11-27T02:30:00.000Z", "")
    assert run.stats["archive_nfiles"] == 9 + 3  # 9 page blobs, the snapshot, the manifest, the config
    assert run.stats["archive_original_size"] > 0 and run.stats["blobs"] == 9
    assert [archive.name for archive in borg.list_archives()] == [run.archive]
    assert not (box.config.home / STAGING_DIRECTORY).exists()
    extracted = tmp_path / "extracted"
    borg.extract(run.archive, extracted)
    manifest = Manifest.from_json((extracted / STAGING_DIRECTORY / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert set(manifest.blobs) == set(BlobStore(extracted / "blobs").digests())
    assert (extracted / STAGING_DIRECTORY / "dangan.toml").read_text(encoding="utf-8") == config_file.read_text()
    assert audit_actions(box)[-2:] == ["backup.start", "backup.finish"]
    assert backup_overview(box.uow_factory).last_backup == run


def test_a_failed_backup_is_recorded_audited_and_told_to_the_system_administrators(box, tmp_path):
    borg = make_repository(tmp_path)
    broken = Borg(str(tmp_path / "nowhere"), borg.passphrase_file)  # no repository there
    run = run_backup(box, broken, Trigger.SCHEDULE, NOW, snapshots=snapshots_of(box), box="box1")
    assert run.state is RunState.FAILED and "borg create failed" in run.message
    assert audit_actions(box)[-2:] == ["backup.start", "backup.fail"]
    with box.uow_factory(read_only=True) as uow:
        [message] = uow.notifications.list_for("it-zhao", True, 10)
    assert message.kind == "backup.failed" and "borg create failed" in json.dumps(message.params)
    assert not (box.config.home / STAGING_DIRECTORY).exists()
    overview = backup_overview(box.uow_factory)
    assert overview.last_backup is None and overview.documents_since_backup == 4 and overview.running == []


def test_documents_since_the_last_backup_are_counted(box, tmp_path):
    borg = make_repository(tmp_path)
    run_backup(box, borg, Trigger.MANUAL, datetime.datetime.now(datetime.UTC), snapshots=snapshots_of(box))
    manifest, pages = delivered(BATCH, [90], sequence=9)
    receive_document(box.uow_factory, box.blob_store, AGENT, manifest, streams(pages))
    assert backup_overview(box.uow_factory).documents_since_backup == 1


def test_a_blob_missing_on_the_box_makes_the_backup_a_warning_that_names_it(box, tmp_path):
    borg = make_repository(tmp_path)
    lost = sorted(box.blob_store.digests())[0]
    box.blob_store.path(lost).unlink()
    run = run_backup(box, borg, Trigger.MANUAL, NOW, snapshots=snapshots_of(box))
    assert run.state is RunState.WARNING and lost in run.message and run.stats["missing_blobs"] == 1


def test_prune_and_check_are_recorded(box, tmp_path):
    borg = make_repository(tmp_path)
    run_backup(box, borg, Trigger.MANUAL, NOW, snapshots=snapshots_of(box))
    pruned = run_prune(box, borg, NOW)
    checked = run_check(box, borg, True, NOW)
    assert (pruned.kind, pruned.state) == (RunKind.PRUNE, RunState.OK)
    assert (checked.kind, checked.state) == (RunKind.VERIFY, RunState.OK)
    assert backup_overview(box.uow_factory).last_check == checked
    assert audit_actions(box)[-4:] == ["backup.prune.start", "backup.prune.finish", "backup.verify.start",
                                       "backup.verify.finish"]


def audit_actions(appliance) -> list[str]:
    with appliance.uow_factory(read_only=True) as uow:
        return [event.action for event in reversed(uow.audit.latest(20))]


def test_restore_of_a_snapshot_refuses_a_database_with_items(box, tmp_path):
    snapshots = snapshots_of(box)
    with box.uow_factory(read_only=True) as uow:
        handle = uow.backups.snapshot_handle()
        snapshots.take(tmp_path / snapshots.file_name, handle)
    with pytest.raises(SnapshotError, match="holds 4 items"):
        snapshots.restore(tmp_path / snapshots.file_name)
    assert snapshots.item_count() == 4
