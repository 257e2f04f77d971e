"""The fixity check and the repair of blobs from an archive, on both databases and a real (local) borg repository."""

import datetime
import json

import pytest
from sqlalchemy import update

from appliance.adapters.db.blob_pages import StoredBlobPages
from appliance.adapters.db.tables import BlobRow
from appliance.backup_wiring import backup_now
from appliance.domain.backup import RunState, Trigger
from appliance.domain.errors import InvalidInputError
from appliance.domain.fixity import BlobFault, FixityReport, RepairOutcome
from appliance.fixity_wiring import fixity_now
from appliance.services.audit import verify_audit_chain
from appliance.services.backup_schedule import FIXITY_SWEEP_NAME, BackupActions, BackupScheduler, last_fixity_sweep
from appliance.services.fixity import check_fixity
from appliance.services.repair import repair_blobs
from tests.integration.services.test_backup import make_repository, populate

NOW = datetime.datetime(2026, 11, 29, 4, 0, tzinfo=datetime.UTC)


@pytest.fixture
def box(appliance, actor, fonds):
    populate(appliance, actor)
    return appliance


def check(box, **options):
    return check_fixity(box.uow_factory, box.blob_store, NOW, stored=StoredBlobPages(box.engine), **options)


def repair(box, borg, digests):
    return repair_blobs(box, borg, digests, stored=StoredBlobPages(box.engine))


def damage(box, digest: str) -> None:
    """Flip one byte in the middle of a blob's file (the store keeps them read-only: root writes anyway)."""
    path = box.blob_store.path(digest)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def audit_events(box, action: str) -> list:
    with box.uow_factory(read_only=True) as uow:
        return [event for event in reversed(uow.audit.latest(200)) if event.action == action]


def test_a_whole_store_passes_and_the_check_is_audited(box):
    report = check(box)
    sizes = sum(box.blob_store.path(digest).stat().st_size for digest in box.blob_store.digests())
    assert (report.passed, report.checked, report.failed, report.bytes_read) == (True, 9, 0, sizes)
    [event] = audit_events(box, "fixity.check")
    assert (event.result, event.details["checked"], event.details["failed"]) == ("ok", 9, 0)
    assert audit_events(box, "fixity.failure") == []


def test_a_damaged_and_a_missing_blob_are_reported_audited_and_told(box):
    damaged, missing = sorted(box.blob_store.digests())[:2]
    damage(box, damaged)
    box.blob_store.path(missing).unlink()
    report = check(box)
    assert not report.passed and report.failed == 2 and report.checked == 9
    assert {(failure.sha256, failure.fault) for failure in report.failures} == {
        (damaged, BlobFault.DAMAGED), (missing, BlobFault.MISSING)}
    assert sorted(event.object_id for event in audit_events(box, "fixity.failure")) == [damaged, missing]
    [event] = audit_events(box, "fixity.check")
    assert (event.result, event.details["failed"]) == ("failed", 2)
    with box.uow_factory(read_only=True) as uow:
        [notice] = uow.notifications.list_for("it-zhao", True, 10)
    assert notice.kind == "fixity.failed" and "2 of 9 blobs" in json.dumps(notice.params)
    assert verify_audit_chain(box.uow_factory).ok


def test_the_check_walks_the_store_in_pages_with_progress(box):
    victim = sorted(box.blob_store.digests())[-1]  # in the last page
    box.blob_store.path(victim).unlink()
    seen = []
    report = check(box, page_size=2, progress=seen.append)
    assert [step["checked"] for step in seen] == [2, 4, 6, 8, 9]
    assert seen[-1]["failed"] == 1 and report.digests() == [victim]


def test_a_purged_blob_is_not_looked_for(box):
    purged = sorted(box.blob_store.digests())[0]
    with box.uow_factory() as uow:
        uow.session.execute(update(BlobRow).where(BlobRow.sha256 == purged).values(purged_at=NOW))
        uow.commit()
    box.blob_store.purge(purged)
    report = check(box)
    assert report.passed and report.checked == 8


def test_a_damaged_and_a_missing_blob_are_repaired_from_the_latest_archive(box, tmp_path):
    borg = make_repository(tmp_path)
    run = backup_now(box, borg, Trigger.MANUAL, NOW)
    damaged, missing, whole = sorted(box.blob_store.digests())[:3]
    original = box.blob_store.path(damaged).read_bytes()
    damage(box, damaged)
    box.blob_store.path(missing).unlink()
    report = repair(box, borg, [damaged, missing, whole])
    assert [(blob.sha256, blob.outcome, blob.archive) for blob in report.blobs] == [
        (damaged, RepairOutcome.REPAIRED, run.archive), (missing, RepairOutcome.REPAIRED, run.archive),
        (whole, RepairOutcome.INTACT, None)]
    assert report.complete and box.blob_store.path(damaged).read_bytes() == original
    assert box.blob_store.path(missing).stat().st_mode & 0o777 == 0o444
    assert check(box).passed
    assert [event.object_id for event in audit_events(box, "fixity.repair")] == [damaged, missing]
    assert list(box.blob_store.temp_dir.glob("repair-*")) == []


def test_a_blob_damaged_before_the_latest_backup_comes_from_an_older_archive(box, tmp_path):
    borg = make_repository(tmp_path)
    first = backup_now(box, borg, Trigger.MANUAL, NOW)
    victim = sorted(box.blob_store.digests())[0]
    damage(box, victim)  # the next archive holds the damaged bytes
    second = backup_now(box, borg, Trigger.MANUAL, NOW + datetime.timedelta(hours=1))
    assert second.state is RunState.OK
    report = repair(box, borg, [victim])
    assert report.blobs[0].archive == first.archive and report.archives_searched == (second.archive, first.archive)
    assert check(box).passed


def test_what_no_archive_holds_or_no_row_names_is_reported_not_invented(box, tmp_path):
    borg = make_repository(tmp_path)
    lost = sorted(box.blob_store.digests())[0]
    box.blob_store.path(lost).unlink()  # gone before the only backup
    backup_now(box, borg, Trigger.MANUAL, NOW)
    stranger = "0" * 64
    report = repair(box, borg, [lost, stranger])
    assert [(blob.sha256, blob.outcome) for blob in report.blobs] == [
        (lost, RepairOutcome.NOT_FOUND), (stranger, RepairOutcome.UNKNOWN)]
    assert not report.complete and not box.blob_store.path(stranger).exists()
    assert audit_events(box, "fixity.repair") == []


def test_a_purged_blob_is_never_brought_back(box, tmp_path):
    borg = make_repository(tmp_path)
    backup_now(box, borg, Trigger.MANUAL, NOW)
    purged = sorted(box.blob_store.digests())[0]
    with box.uow_factory() as uow:
        uow.session.execute(update(BlobRow).where(BlobRow.sha256 == purged).values(purged_at=NOW))
        uow.commit()
    box.blob_store.purge(purged)
    report = repair(box, borg, [purged])
    assert report.blobs[0].outcome is RepairOutcome.UNKNOWN and not box.blob_store.exists(purged)


def test_a_string_that_is_no_digest_is_refused_before_borg_runs(box, tmp_path):
    borg = make_repository(tmp_path)
    with pytest.raises(InvalidInputError, match="not a SHA-256 digest: '../etc'"):
        repair(box, borg, ["../etc"])


@pytest.mark.slow
def test_the_worker_sweeps_weekly_after_what_else_was_due(box, tmp_path):
    borg = make_repository(tmp_path)
    actions = BackupActions(backup=lambda trigger, now: backup_now(box, borg, trigger, now), drill=lambda now: None,
                            fixity=lambda now: fixity_now(box, now))
    scheduler = BackupScheduler(box, borg, actions)
    done = scheduler.tick()
    assert [getattr(run, "kind", None) for run in done[:3]] == ["backup", "prune", "verify"]  # the backups first
    assert isinstance(done[-1], FixityReport) and done[-1].passed and done[-1].checked == 9
    assert scheduler.tick() == []  # a week to go
    started = last_fixity_sweep(box.config.home)
    (box.config.home / FIXITY_SWEEP_NAME).write_text(
        json.dumps({"started_at": (started - datetime.timedelta(days=7, seconds=1)).isoformat()}), encoding="utf-8")
    box.blob_store.path(sorted(box.blob_store.digests())[0]).unlink()
    [report] = scheduler.tick()
    assert report.failed == 1 and len(audit_events(box, "fixity.check")) == 2
