"""The restore drill on both databases: a box with items, scans and audit events is backed up with real borg, its
home wiped (and its PostgreSQL database dropped), restored, and proved whole; damage in the archive is named."""

import datetime
import os
import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from appliance.adapters.db.snapshot import create_scratch_database
from appliance.backup_wiring import backup_now, drill_now, restore_box
from appliance.bootstrap import build_appliance
from appliance.domain.backup import RunKind, RunState, Trigger
from appliance.services.audit import verify_audit_chain
from appliance.services.backup import backup_overview, build_manifest
from appliance.services.restore import RestoreError
from tests.integration.services.test_backup import make_repository, populate
from tests.support.twin import running_twin

NOW = datetime.datetime(2026, 11, 28, 3, 0, tzinfo=datetime.UTC)


@pytest.fixture
def box(appliance, actor, fonds):
    populate(appliance, actor, documents=5)
    return appliance


def wipe(appliance) -> None:
    """The box is gone: its home removed and, on PostgreSQL, its database dropped and made anew (empty)."""
    appliance.close()
    shutil.rmtree(appliance.config.home)
    url = appliance.config.database_url
    if make_url(url).get_backend_name() == "postgresql":
        create_scratch_database(url, make_url(url).database)
        return
    for suffix in ("", "-wal", "-shm"):  # the test database lives next to the home, not in it
        Path(f"{make_url(url).database}{suffix}").unlink(missing_ok=True)


def state_of(appliance) -> tuple:
    manifest = build_manifest(appliance.uow_factory, "any", "box", NOW)
    return manifest.counts, manifest.blobs, manifest.audit_head


def test_a_wiped_box_is_restored_whole_and_proved(box, tmp_path):
    borg = make_repository(tmp_path)
    before = state_of(box)
    secrets = box.config.home / "secrets"
    secrets.mkdir(exist_ok=True)
    (secrets / "totp.key").write_bytes(b"the key that opens the sealed TOTP secrets")
    (secrets / "borg-passphrase").write_text("never in the archive")
    started = time.monotonic()
    run = backup_now(box, borg, Trigger.MANUAL, NOW)
    backup_seconds = time.monotonic() - started
    assert run.state is RunState.OK
    wipe(box)
    started = time.monotonic()
    report = restore_box(box.config, borg, None, False, NOW)
    restore_seconds = time.monotonic() - started
    print(f"\ndrill {box.config.database_url.split(':')[0]}: backup {backup_seconds:.2f} s, "
          f"restore with verification {restore_seconds:.2f} s")
    assert report.passed, report.checks
    assert [check.name for check in report.checks] == ["blobs", "counts", "audit chain", "audit head"]
    assert report.archive == run.archive
    assert (secrets / "totp.key").read_bytes() == b"the key that opens the sealed TOTP secrets"
    assert not (secrets / "borg-passphrase").exists()  # the archive's own passphrase never goes into it
    restored = build_appliance(box.config)
    try:
        counts, blobs, head = state_of(restored)
        assert (counts["items"], counts["intake_documents"], blobs) == (before[0]["items"], 6, before[1])
        assert counts["audit_events"] == before[0]["audit_events"] + 2  # backup.start, then backup.restore
        chain = verify_audit_chain(restored.uow_factory)
        assert chain.ok and chain.events_checked == head["seq"]
        with restored.uow_factory(read_only=True) as uow:
            assert uow.audit.latest(1)[0].action == "backup.restore"
        assert [(r.kind, r.state) for r in backup_overview(restored.uow_factory).recent] == [
            (RunKind.BACKUP, RunState.OK)]  # the run caught running in the snapshot is closed by the restore
    finally:
        restored.close()


@pytest.mark.parametrize("damage", ["corrupted", "missing"])
def test_a_blob_damaged_or_missing_in_the_archive_fails_the_restore_naming_it(box, tmp_path, damage):
    borg = make_repository(tmp_path)
    victim = sorted(box.blob_store.digests())[2]
    path = box.blob_store.path(victim)
    if damage == "corrupted":
        path.chmod(0o644)
        path.write_bytes(path.read_bytes()[:-1] + b"X")
    else:
        path.unlink()
    backup_now(box, borg, Trigger.MANUAL, NOW)
    wipe(box)
    report = restore_box(box.config, borg, None, False, NOW)
    assert not report.passed
    [blobs] = [check for check in report.checks if check.name == "blobs"]
    assert not blobs.passed and victim in blobs.detail and blobs.detail.startswith("1 of 13 blobs")
    assert all(check.passed for check in report.checks if check.name != "blobs")
    restored = build_appliance(box.config)
    try:  # no restore event: a box that failed verification has not been restored
        with restored.uow_factory(read_only=True) as uow:
            assert uow.audit.latest(1)[0].action == "backup.start"
    finally:
        restored.close()


def test_a_box_with_data_is_not_overwritten_unless_forced(box, tmp_path):
    borg = make_repository(tmp_path)
    backup_now(box, borg, Trigger.MANUAL, NOW)
    head_before = state_of(box)[2]
    with pytest.raises(RestoreError, match=r"already holds data \(6 items in the database .*13 blobs under"):
        restore_box(box.config, borg, None, False, NOW)
    assert state_of(box)[2] == head_before
    box.close()
    report = restore_box(box.config, borg, None, True, NOW)
    assert report.passed, report.checks


def test_an_unknown_archive_is_refused_with_the_names_there_are(box, tmp_path):
    borg = make_repository(tmp_path)
    run = backup_now(box, borg, Trigger.MANUAL, NOW)
    wipe(box)
    with pytest.raises(RestoreError, match=f"no archive 'dangan-nope'.*{run.archive}"):
        restore_box(box.config, borg, "dangan-nope", False, NOW)
    assert not (box.config.home / "blobs").exists()


def test_a_drill_restores_into_scratch_and_leaves_the_box_untouched(box, tmp_path):
    borg = make_repository(tmp_path)
    backup_now(box, borg, Trigger.MANUAL, NOW)
    counts, blobs, _ = state_of(box)
    report = drill_now(box, borg, NOW, tmp_path / "scratch")
    assert report.passed, report.checks
    assert not (tmp_path / "scratch").exists()
    after = state_of(box)
    assert after[1] == blobs and after[0]["items"] == counts["items"]
    [latest, *_] = backup_overview(box.uow_factory).recent
    assert (latest.kind, latest.state, latest.stats["archive"]) == (RunKind.DRILL, RunState.OK, report.archive)
    assert os.listdir(box.config.home / "blobs" / "sha256")


@pytest.mark.slow  # two ssh sessions per borg call: about 8 s
def test_the_drill_over_ssh_to_a_real_append_only_twin(box, tmp_path):
    with running_twin(tmp_path / "twin-base") as twin:
        borg = twin.borg()
        borg.init()
        run = backup_now(box, borg, Trigger.MANUAL, NOW)
        assert run.state is RunState.OK, run.message
        wipe(box)
        report = restore_box(box.config, borg, None, False, NOW)
    assert report.passed and report.archive == run.archive, report.checks
