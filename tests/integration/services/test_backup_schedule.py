"""The backup scheduler on real borg (a local repository) and both databases: what a tick runs, the box's lock, an
interrupted run, an unreachable twin, requests from people, the banner's rule and the thread in the worker."""

import datetime
import time

import pytest

from appliance import backup_wiring
from appliance.adapters.borg import Borg
from appliance.config import BackupConfig, Config, DatabaseConfig
from appliance.domain.backup import RepositoryName, RunKind, RunState, Trigger
from appliance.domain.errors import ConflictError, InvalidInputError
from appliance.services import backup
from appliance.services.backup_schedule import (
    BackupActions,
    BackupScheduler,
    backup_alert,
    backups_view,
    box_lock,
    read_history,
    request_run,
    twin_status,
)
from appliance.worker import start_backup_scheduler
from tests.integration.services.test_backup import populate

PASSPHRASE = "correct horse battery staple"


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def passphrase_file(home) -> object:
    secrets = home / "secrets"
    secrets.mkdir(parents=True, mode=0o700, exist_ok=True)
    path = secrets / "borg-passphrase"
    path.touch(mode=0o600)
    path.write_text(PASSPHRASE, encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path, database_url) -> Config:
    """A box whose twin is a local borg repository (made and initialised here)."""
    home = tmp_path / "home"
    Borg(str(tmp_path / "twin"), passphrase_file(home)).init()
    return Config(home=home, database=DatabaseConfig(url=database_url),
                  backup=BackupConfig(repository=str(tmp_path / "twin"), every_documents=3))


@pytest.fixture
def box(appliance, actor, fonds):
    populate(appliance, actor, documents=1)
    return appliance


def scheduler_for(appliance) -> BackupScheduler:
    borg = backup_wiring.borg_for(appliance.config)
    actions = BackupActions(backup=lambda trigger, now: backup_wiring.backup_now(appliance, borg, trigger, now),
                            drill=lambda now: backup_wiring.drill_now(appliance, borg, now))
    return BackupScheduler(appliance, borg, actions, name="test-scheduler")


def kinds_and_states(runs) -> list[tuple[str, str]]:
    return [(run.kind.value, run.state.value) for run in runs]


def test_a_new_box_backs_up_prunes_and_verifies_at_its_first_tick_then_rests(box):
    scheduler = scheduler_for(box)
    done = scheduler.tick()
    assert kinds_and_states(done) == [("backup", "ok"), ("prune", "ok"), ("verify", "ok")]
    assert done[0].trigger in (Trigger.MISSED, Trigger.SCHEDULE) and done[0].archive
    assert scheduler.tick() == []  # nothing due until tonight, and the probe waits 15 minutes
    twin = twin_status(box.config.home)
    assert twin.reachable and twin.stats["repository_unique_csize"] > 0
    assert backup_alert(box.uow_factory, utc_now()) is None
    view = backups_view(box.uow_factory, box.config, utc_now())
    assert view.enabled and not view.overdue and view.history.last_verify.state is RunState.OK
    assert view.upcoming.documents_left == 3 and view.upcoming.backup_at > utc_now()


def test_a_second_runner_on_the_box_waits_for_the_lock(box):
    with box_lock(box.config.home) as held:
        assert held
        assert scheduler_for(box).tick() == []
        with box_lock(box.config.home) as again:
            assert not again
    assert read_history(box.uow_factory).backups == ()


def test_an_interrupted_run_is_recorded_failed_and_retried_after_a_back_off(box):
    started = utc_now() - datetime.timedelta(minutes=30)
    run_id = backup.start_run(box.uow_factory, RunKind.BACKUP, RepositoryName.TWIN, Trigger.SCHEDULE, started)
    scheduler = scheduler_for(box)
    assert scheduler.tick() == []  # recorded failed just now: the retry waits 15 minutes
    with box.uow_factory(read_only=True) as uow:
        interrupted = uow.backups.get(run_id)
    assert interrupted.state is RunState.FAILED and "interrupted" in interrupted.message
    assert backup_alert(box.uow_factory, utc_now()) == "failed"


def test_a_request_from_a_person_runs_at_the_next_tick_back_off_or_not(box, actor):
    backup.fail_run(box.uow_factory, backup.start_run(box.uow_factory, RunKind.BACKUP, RepositoryName.TWIN,
                                                      Trigger.SCHEDULE, utc_now()), RunKind.BACKUP, "twin down")
    assert request_run(box.uow_factory, actor, RunKind.BACKUP, True, utc_now())
    assert not request_run(box.uow_factory, actor, RunKind.BACKUP, True, utc_now())  # one is waiting already
    assert backups_view(box.uow_factory, box.config, utc_now()).waiting == {"backup": 1, "drill": 0}
    done = scheduler_for(box).tick()
    assert [(run.kind, run.trigger, run.state) for run in done[:2]] == [
        (RunKind.BACKUP, Trigger.MANUAL, RunState.OK), (RunKind.PRUNE, Trigger.MANUAL, RunState.OK)]
    assert backups_view(box.uow_factory, box.config, utc_now()).waiting == {"backup": 0, "drill": 0}
    with box.uow_factory(read_only=True) as uow:
        actions = [event.action for event in uow.audit.latest(500)]
    assert "backup.request.backup" in actions


def test_only_backups_and_drills_can_be_asked_for_and_only_when_set_up(box, actor):
    with pytest.raises(InvalidInputError):
        request_run(box.uow_factory, actor, RunKind.PRUNE, True, utc_now())
    with pytest.raises(ConflictError):
        request_run(box.uow_factory, actor, RunKind.BACKUP, False, utc_now())
    assert backups_view(box.uow_factory, box.config, utc_now()).waiting == {"backup": 0, "drill": 0}


def test_a_restore_drill_asked_for_is_run_and_recorded(box, actor):
    scheduler = scheduler_for(box)
    scheduler.tick()
    request_run(box.uow_factory, actor, RunKind.DRILL, True, utc_now())
    done = scheduler.tick()
    assert done[0].passed, done[0].checks
    assert backups_view(box.uow_factory, box.config, utc_now()).last_drill.state is RunState.OK


def test_an_unreachable_twin_is_recorded_and_the_failed_backup_waits_its_back_off(tmp_path, box):
    borg = Borg("ssh://dangan@127.0.0.1:9/srv/borg/box1", passphrase_file(box.config.home),
                ssh_key=tmp_path / "no-key", known_hosts=tmp_path / "no-hosts")
    actions = BackupActions(backup=lambda trigger, now: backup_wiring.backup_now(box, borg, trigger, now),
                            drill=lambda now: None)
    scheduler = BackupScheduler(box, borg, actions)
    done = scheduler.tick()
    assert kinds_and_states(done) == [("backup", "failed")]  # no prune or check of what does not exist
    twin = twin_status(box.config.home)
    assert not twin.reachable and twin.error
    assert scheduler.tick() == []  # the twin is not hammered: 15 minutes first
    assert backup_alert(box.uow_factory, utc_now()) == "failed"


def test_the_banner_when_no_backup_ever_succeeded(box):
    assert backup_alert(box.uow_factory, utc_now()) == "overdue"
    assert backups_view(box.uow_factory, box.config, utc_now()).overdue


def test_the_worker_starts_the_scheduler_whose_first_tick_comes_at_once(box):
    scheduler = start_backup_scheduler(box)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and read_history(box.uow_factory).last_prune is None:
            time.sleep(0.2)
    finally:
        scheduler.stop()
    history = read_history(box.uow_factory)
    assert history.last_success is not None and history.last_prune is not None


def test_no_scheduler_without_a_repository(tmp_path, database_url):
    from appliance.bootstrap import build_appliance

    plain = build_appliance(Config(home=tmp_path / "plain", database=DatabaseConfig(url=database_url)))
    try:
        assert start_backup_scheduler(plain) is None
    finally:
        plain.close()
