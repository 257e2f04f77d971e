"""Faults a backup must survive, on real borg: killed mid-archive, the twin out of reach, a wrong passphrase, the
twin's disk full, and a blob damaged or lost on the box, then repaired from the twin.

A local repository where ssh adds nothing, the real sshd twin where it matters. SQLite only: these are faults of
borg, ssh and disks, and the database's part is covered on both in test_backup.py and test_fixity.py.
"""

import datetime
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from appliance.adapters.borg import Borg
from appliance.adapters.db.blob_pages import StoredBlobPages
from appliance.backup_wiring import backup_now
from appliance.domain.backup import RunKind, RunState, Trigger
from appliance.domain.backup_schedule import Due, ScheduleSettings, due_run
from appliance.domain.fixity import BlobFault, RepairOutcome
from appliance.services.backup_schedule import read_history
from appliance.services.fixity import check_fixity
from appliance.services.repair import repair_blobs
from tests.integration.services.test_backup import make_repository, populate
from tests.integration.services.test_fixity import damage
from tests.support.tiny_disk import tiny_disk
from tests.support.twin import running_twin

NOW = datetime.datetime(2026, 11, 30, 2, 30, tzinfo=datetime.UTC)
SETTINGS = ScheduleSettings(datetime.time(2, 30), datetime.UTC, 0, 0)


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


@pytest.fixture
def box(appliance, actor, fonds):
    populate(appliance, actor, documents=1)
    return appliance


def add_random_blobs(box, count: int, size: int) -> None:
    """Blobs of random bytes (nothing to compress or deduplicate), recorded as the store's."""
    with box.uow_factory() as uow:
        for _ in range(count):
            uow.blobs.add(box.blob_store.put_bytes(os.urandom(size)))
        uow.commit()


def borg_processes(repository: str) -> list[int]:
    """The pids of the borg processes working on `repository` (their command line names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            words = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # not a process, or one that ended meanwhile
        if any(b"borg" in word for word in words[:2]) and any(repository.encode() in word for word in words):
            found.append(int(entry.name))
    return found


def kill_borg_once_progress_shows(box, repository: str, deadline: float) -> list[int]:
    """Wait until the running backup records borg's progress, then SIGKILL borg; returns the pids killed."""
    while time.monotonic() < deadline:
        with box.uow_factory(read_only=True) as uow:
            running = uow.backups.running()
        pids = borg_processes(repository)
        if running and running[0].progress and pids:
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            return pids
        time.sleep(0.01)
    return []


@pytest.mark.slow
def test_borg_killed_mid_backup_is_recorded_failed_and_the_next_backup_and_check_pass(box, tmp_path):
    borg = make_repository(tmp_path)
    add_random_blobs(box, 150, 200_000)  # 30 MB: borg takes long enough to be caught mid-archive
    outcome = {}
    backup = threading.Thread(target=lambda: outcome.update(run=backup_now(box, borg, Trigger.MANUAL, NOW)))
    backup.start()
    killed = kill_borg_once_progress_shows(box, borg.repository, time.monotonic() + 30)
    backup.join(60)
    assert killed, "borg was never seen running"
    run = outcome["run"]
    assert run.state is RunState.FAILED and "borg create failed (exit code -9)" in run.message
    assert (tmp_path / "repository" / "lock.exclusive").exists()  # borg died holding the repository's lock
    again = backup_now(box, borg, Trigger.MANUAL, NOW + datetime.timedelta(minutes=20))
    assert again.state in (RunState.OK, RunState.WARNING), again.message
    assert again.stats["blobs"] == 150 + 5 and again.stats["missing_blobs"] == 0
    assert "Killed stale lock" in again.message  # borg itself breaks a lock whose process on this host is gone
    assert borg.check().state is RunState.OK
    assert [archive.name for archive in borg.list_archives()] == [again.archive]  # no half archive left


def test_an_unreachable_twin_is_a_clear_failure_retried_after_its_back_off(box, tmp_path):
    with running_twin(tmp_path) as twin:
        borg = twin.borg(timeout=30.0)
        borg.init()
        twin.stop()
        run = backup_now(box, borg, Trigger.SCHEDULE, NOW)
        assert run.state is RunState.FAILED
        assert "borg create failed" in run.message and "Connection refused" in run.message
        history = read_history(box.uow_factory)
        assert due_run(SETTINGS, history, run.finished_at + datetime.timedelta(minutes=5)) is None
        retry_at = run.finished_at + datetime.timedelta(minutes=16)
        assert due_run(SETTINGS, history, retry_at) == Due(RunKind.BACKUP, Trigger.SCHEDULE)
        twin.start()
        assert backup_now(box, borg, Trigger.SCHEDULE, retry_at).state is RunState.OK


def test_a_wrong_passphrase_is_a_failed_run_that_says_so(box, tmp_path):
    borg = make_repository(tmp_path)
    wrong = tmp_path / "wrong-passphrase"
    wrong.touch(mode=0o600)
    wrong.write_text("not the passphrase", encoding="utf-8")
    run = backup_now(box, Borg(borg.repository, wrong), Trigger.MANUAL, NOW)
    assert run.state is RunState.FAILED and "passphrase" in run.message.lower(), run.message
    assert borg.list_archives() == []


@pytest.mark.slow
def test_a_full_disk_on_the_twin_fails_the_run_and_once_there_is_room_the_repository_checks_and_takes_backups(
        box, tmp_path):
    add_random_blobs(box, 15, 200_000)  # 3 MB of random bytes on a 2 MB disk
    with running_twin(tmp_path) as twin, tiny_disk(twin.repository_path, "2m"):
        borg = twin.borg(timeout=30.0)
        borg.init()
        run = backup_now(box, borg, Trigger.MANUAL, NOW)
        assert run.state is RunState.FAILED
        assert run.message == "borg create failed (exit code 2): OSError: [Errno 28] No space left on device", \
            run.message
        # borg check writes the repository's config, so it needs a little room: grow the disk first (the twin's
        # admin would); the half-written segment of the failed run is still there, and the repository is sound
        subprocess.run(["mount", "-o", "remount,size=64m", str(twin.repository_path)], check=True)
        assert twin.local_borg().check().state is RunState.OK
        assert borg.list_archives() == []
        again = backup_now(box, borg, Trigger.MANUAL, NOW + datetime.timedelta(minutes=20))
        assert again.state is RunState.OK, again.message
        assert twin.local_borg().check().state is RunState.OK


@pytest.mark.slow
def test_a_damaged_and_a_lost_blob_are_found_by_fixity_and_repaired_from_the_twin(box, tmp_path):
    stored = StoredBlobPages(box.engine)
    with running_twin(tmp_path) as twin:
        borg = twin.borg(timeout=30.0)
        borg.init()
        run = backup_now(box, borg, Trigger.MANUAL, NOW)
        damaged, lost = sorted(box.blob_store.digests())[2:4]
        damage(box, damaged)
        box.blob_store.path(lost).unlink()
        report = check_fixity(box.uow_factory, box.blob_store, NOW, stored=stored)
        assert {(failure.sha256, failure.fault) for failure in report.failures} == {
            (damaged, BlobFault.DAMAGED), (lost, BlobFault.MISSING)}
        repaired = repair_blobs(box, borg, report.digests(), stored=stored)
        assert {(blob.sha256, blob.outcome, blob.archive) for blob in repaired.blobs} == {
            (damaged, RepairOutcome.REPAIRED, run.archive), (lost, RepairOutcome.REPAIRED, run.archive)}
    assert check_fixity(box.uow_factory, box.blob_store, NOW, stored=stored).passed
