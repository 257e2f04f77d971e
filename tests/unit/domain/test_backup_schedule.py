"""The backup schedule's rules at fixed times: nightly, missed nights, documents, back-off, prune, check, verify."""

import datetime
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

import pytest

from appliance.config import BackupConfig
from appliance.domain.backup import BackupRun, RepositoryName, RunKind, RunState, Trigger
from appliance.domain.backup_schedule import (
    Due,
    History,
    ScheduleSettings,
    backup_overdue,
    due_run,
    next_slot,
    previous_slot,
    upcoming,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SETTINGS = ScheduleSettings.from_config(BackupConfig(repository="/srv/borg"), "Asia/Shanghai")  # 02:30, 200, sun
MINUTE = datetime.timedelta(minutes=1)


def local(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime.datetime:
    """A time in March 2026 in Shanghai, as UTC (March 1st 2026 is a Sunday: the month's first check day)."""
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(datetime.UTC)


def run(kind: RunKind, started: datetime.datetime, state: RunState = RunState.OK, minutes: int = 5,
        trigger: Trigger = Trigger.SCHEDULE, number: int = 1) -> BackupRun:
    finished = None if state is RunState.RUNNING else started + minutes * MINUTE
    return BackupRun(number, kind, RepositoryName.TWIN, None, state, trigger, started, finished)


def checked(at: datetime.datetime) -> dict:
    """Check and verify done at a time: neither is due again until their next slot."""
    return {"last_check": run(RunKind.VERIFY, at), "last_verify": run(RunKind.VERIFY, at)}


def backed_up(at: datetime.datetime, **changes) -> History:
    """A history whose latest backup succeeded at `at`, pruned after, checked and verified after."""
    backup = run(RunKind.BACKUP, at)
    return History(backups=(backup,), last_prune=run(RunKind.PRUNE, at + 6 * MINUTE), **(checked(at) | changes))


def test_the_nightly_time_is_local_time():
    assert previous_slot(SETTINGS, local(10, 12)) == datetime.datetime(2026, 3, 9, 18, 30, tzinfo=datetime.UTC)
    assert next_slot(SETTINGS, local(10, 2, 30)) == local(11, 2, 30)
    assert previous_slot(SETTINGS, local(10, 2, 29)) == local(9, 2, 30)


def test_the_check_day_and_the_first_check_day_of_a_month():
    assert previous_slot(SETTINGS, local(12, 9), weekly=True) == local(8, 2, 30)
    assert previous_slot(SETTINGS, local(12, 9), weekly=True, monthly=True) == local(1, 2, 30)
    assert next_slot(SETTINGS, local(12, 9), weekly=True, monthly=True) == local(5, 2, 30, month=4)


def test_nothing_is_due_after_tonights_backup_prune_and_check():
    assert due_run(SETTINGS, backed_up(local(10, 2, 30)), local(10, 14)) is None


def test_the_nightly_backup_is_due_at_its_time_and_on_time():
    history = backed_up(local(9, 2, 30))
    assert due_run(SETTINGS, history, local(10, 2, 29)) is None
    assert due_run(SETTINGS, history, local(10, 2, 30)) == Due(RunKind.BACKUP, Trigger.SCHEDULE)


def test_a_night_slept_through_is_made_up_at_start_once():
    history = backed_up(local(5, 2, 31))  # then a power cut until the 10th at 08:00
    assert due_run(SETTINGS, history, local(10, 8)) == Due(RunKind.BACKUP, Trigger.MISSED)
    made_up = replace(history, backups=(run(RunKind.BACKUP, local(10, 8), number=2),) + history.backups,
                      last_prune=run(RunKind.PRUNE, local(10, 8, 6)))
    assert due_run(SETTINGS, made_up, local(10, 9)) == Due(RunKind.CHECK, Trigger.MISSED)  # Sunday the 8th's


def test_a_box_that_never_backed_up_backs_up_at_once_and_checks_nothing_before():
    assert due_run(SETTINGS, History(), local(10, 15)) == Due(RunKind.BACKUP, Trigger.MISSED)
    failed = History(backups=(run(RunKind.BACKUP, local(10, 15), RunState.FAILED),))
    assert due_run(SETTINGS, failed, local(10, 15, 10)) is None  # no prune, check or verify of nothing


def test_a_backup_after_enough_new_documents():
    assert due_run(SETTINGS, backed_up(local(10, 2, 30), documents_since_backup=199), local(10, 11)) is None
    assert due_run(SETTINGS, backed_up(local(10, 2, 30), documents_since_backup=200), local(10, 11)) == \
        Due(RunKind.BACKUP, Trigger.DOCUMENTS)
    nightly_only = replace(SETTINGS, every_documents=0)
    assert due_run(nightly_only, backed_up(local(10, 2, 30), documents_since_backup=5000), local(10, 11)) is None


def test_a_failed_backup_is_retried_after_15_minutes_then_an_hour_then_the_next_night():
    first = run(RunKind.BACKUP, local(10, 2, 30), RunState.FAILED, minutes=1, number=3)
    history = replace(backed_up(local(9, 2, 30)), backups=(first, run(RunKind.BACKUP, local(9, 2, 30))))
    assert due_run(SETTINGS, history, local(10, 2, 45)) is None
    assert due_run(SETTINGS, history, local(10, 2, 46)) == Due(RunKind.BACKUP, Trigger.SCHEDULE)
    second = run(RunKind.BACKUP, local(10, 2, 46), RunState.FAILED, minutes=1, number=4)
    history = replace(history, backups=(second,) + history.backups)
    assert due_run(SETTINGS, history, local(10, 3, 46)) is None
    assert due_run(SETTINGS, history, local(10, 3, 47)) == Due(RunKind.BACKUP, Trigger.SCHEDULE)
    third = run(RunKind.BACKUP, local(10, 3, 47), RunState.FAILED, minutes=1, number=5)
    history = replace(history, backups=(third,) + history.backups, documents_since_backup=900)
    assert due_run(SETTINGS, history, local(10, 23, 59)) is None  # documents wait too: the twin is not hammered
    assert upcoming(SETTINGS, history, local(10, 12)).retry_at is None
    assert due_run(SETTINGS, history, local(11, 2, 30)) == Due(RunKind.BACKUP, Trigger.SCHEDULE)


def test_a_failed_document_backup_is_retried_as_one():
    failed = run(RunKind.BACKUP, local(10, 11), RunState.FAILED, trigger=Trigger.DOCUMENTS, number=2)
    history = replace(backed_up(local(10, 2, 30), documents_since_backup=250),
                      backups=(failed, run(RunKind.BACKUP, local(10, 2, 30))))
    assert due_run(SETTINGS, history, local(10, 11, 10)) is None
    assert due_run(SETTINGS, history, local(10, 11, 20)) == Due(RunKind.BACKUP, Trigger.DOCUMENTS)
    assert upcoming(SETTINGS, history, local(10, 11, 10)).retry_at == local(10, 11, 20)


def test_a_prune_follows_each_successful_backup_and_only_those():
    success = run(RunKind.BACKUP, local(10, 2, 30))
    history = History(backups=(success,), last_prune=run(RunKind.PRUNE, local(9, 2, 36)), **checked(local(9, 3)))
    assert due_run(SETTINGS, history, local(10, 2, 36)) == Due(RunKind.PRUNE, Trigger.SCHEDULE)
    failed = run(RunKind.BACKUP, local(10, 11), RunState.FAILED, number=2)
    pruned = replace(history, backups=(failed, success), last_prune=run(RunKind.PRUNE, local(10, 2, 36)))
    assert due_run(SETTINGS, pruned, local(10, 11, 6)) is None


def test_a_warning_counts_as_a_backup():
    history = replace(backed_up(local(9, 2, 30)), backups=(run(RunKind.BACKUP, local(10, 2, 30), RunState.WARNING),))
    assert history.last_success.state is RunState.WARNING
    assert due_run(SETTINGS, history, local(10, 2, 40)) == Due(RunKind.PRUNE, Trigger.SCHEDULE)


def test_check_on_sunday_after_the_backup_and_verify_on_the_first_sunday():
    history = backed_up(local(8, 2, 30), last_check=run(RunKind.CHECK, local(1, 3)),
                        last_verify=run(RunKind.VERIFY, local(1, 3)))
    assert due_run(SETTINGS, history, local(8, 2, 40)) == Due(RunKind.CHECK, Trigger.SCHEDULE)
    assert due_run(SETTINGS, history, local(8, 2, 40)).verify_data is False
    first_sunday = backed_up(local(5, 2, 30, month=4), last_check=run(RunKind.CHECK, local(29, 3)),
                             last_verify=run(RunKind.VERIFY, local(1, 3)))
    due = due_run(SETTINGS, first_sunday, local(5, 2, 40, month=4))
    assert due == Due(RunKind.VERIFY, Trigger.SCHEDULE) and due.verify_data


def test_a_missed_check_and_verify_are_made_up():
    history = backed_up(local(10, 8), last_check=run(RunKind.CHECK, local(22, 3, month=2)),
                        last_verify=run(RunKind.VERIFY, local(1, 3, month=2)))
    assert due_run(SETTINGS, history, local(10, 8, 10)) == Due(RunKind.VERIFY, Trigger.MISSED)
    verified = replace(history, last_verify=run(RunKind.VERIFY, local(10, 8, 10)),
                       last_check=run(RunKind.VERIFY, local(10, 8, 10)))
    assert due_run(SETTINGS, verified, local(10, 9)) is None  # a verify is a check too


def test_never_two_runs_at_once():
    running = run(RunKind.CHECK, local(10, 2), RunState.RUNNING)
    assert due_run(SETTINGS, backed_up(local(5, 2, 30), running=running), local(10, 9)) is None


def test_upcoming_runs():
    coming = upcoming(SETTINGS, backed_up(local(10, 2, 30), documents_since_backup=150), local(10, 12))
    assert (coming.backup_at, coming.retry_at, coming.documents_left) == (local(11, 2, 30), None, 50)
    assert (coming.check_at, coming.verify_at) == (local(15, 2, 30), local(5, 2, 30, month=4))


def test_the_banner_rule():
    now = local(10, 12)
    assert backup_overdue(None, False, now)
    assert backup_overdue(now - datetime.timedelta(hours=49), False, now)
    assert backup_overdue(now - datetime.timedelta(hours=1), True, now)
    assert not backup_overdue(now - datetime.timedelta(hours=47), False, now)


@dataclass
class SimulatedBox:
    """Runs what the rules say, minute by minute: backups take 5 minutes, checks 20; documents arrive by the hour."""

    failing: set[datetime.datetime] = field(default_factory=set)  # backups started at these times fail
    runs: list[BackupRun] = field(default_factory=list)
    documents: list[datetime.datetime] = field(default_factory=list)

    def history(self) -> History:
        newest = sorted((run for run in self.runs if run.state is not RunState.RUNNING),
                        key=lambda run: run.started_at, reverse=True)
        backups = tuple(run for run in newest if run.kind is RunKind.BACKUP)
        success = next((run for run in backups if run.state is RunState.OK), None)
        latest = {kind: next((run for run in newest if run.kind in kind), None)
                  for kind in ((RunKind.PRUNE,), (RunKind.CHECK, RunKind.VERIFY), (RunKind.VERIFY,))}
        since = [at for at in self.documents if success is None or at >= success.started_at]
        return History(backups, *latest.values(), next((run for run in self.runs if run.state is RunState.RUNNING),
                                                       None), len(since))

    def tick(self, now: datetime.datetime) -> None:
        for index, current in enumerate(self.runs):
            if current.state is RunState.RUNNING and now >= current.started_at + self._length(current.kind):
                state = RunState.FAILED if current.started_at in self.failing else RunState.OK
                self.runs[index] = replace(current, state=state, finished_at=now)
        due = due_run(SETTINGS, self.history(), now)
        if due is not None:
            self.runs.append(BackupRun(len(self.runs) + 1, due.kind, RepositoryName.TWIN, None, RunState.RUNNING,
                                       due.trigger, now, None))

    @staticmethod
    def _length(kind: RunKind) -> datetime.timedelta:
        return {RunKind.BACKUP: 5, RunKind.PRUNE: 1}.get(kind, 20) * MINUTE

    def started(self, kind: RunKind) -> list[tuple[datetime.datetime, Trigger]]:
        return [(run.started_at, run.trigger) for run in self.runs if run.kind is kind]


def simulate(box: SimulatedBox, start: datetime.datetime, days: int, documents_an_hour: int) -> SimulatedBox:
    now = start
    while now < start + datetime.timedelta(days=days):
        if now.minute == 0:
            box.documents.extend([now] * documents_an_hour)
        box.tick(now)
        now += MINUTE
    return box


def test_a_week_of_simulated_time():
    """From Monday 2 March 00:00 (a new box) to Monday 9 March 00:00, 10 documents an hour."""
    box = simulate(SimulatedBox(), local(2, 0), days=7, documents_an_hour=10)
    backups = box.started(RunKind.BACKUP)
    assert backups[0] == (local(2, 0), Trigger.MISSED)  # a new box backs up at once
    nightly = [at for at, trigger in backups if trigger is Trigger.SCHEDULE]
    assert nightly == [local(day, 2, 30) for day in range(2, 9)]
    # 10 documents an hour: the 200th since the night's backup comes at 22:00
    assert [at for at, trigger in backups if trigger is Trigger.DOCUMENTS] == [local(day, 22) for day in range(2, 9)]
    assert len(box.started(RunKind.PRUNE)) == len(backups)
    assert [at for at, _ in box.started(RunKind.VERIFY)] == [local(2, 0, 6)]  # 1 March's verify, made up
    assert [at for at, _ in box.started(RunKind.CHECK)] == [local(8, 2, 36)]  # Sunday, after backup and prune
    overlapping = [(a.started_at, b.started_at) for a, b in zip(box.runs, box.runs[1:], strict=False)
                   if b.started_at < a.finished_at]
    assert overlapping == []


def test_a_week_with_the_twin_down_for_a_night():
    down = {local(4, 2, 30), local(4, 2, 50), local(4, 3, 55)}  # the night's run and both retries fail
    box = simulate(SimulatedBox(failing=down), local(3, 12), days=2, documents_an_hour=20)
    night = [(at, trigger) for at, trigger in box.started(RunKind.BACKUP) if local(4, 2) <= at < local(5, 2)]
    assert night == [(local(4, 2, 30), Trigger.SCHEDULE), (local(4, 2, 50), Trigger.SCHEDULE),
                     (local(4, 3, 55), Trigger.SCHEDULE)]  # 15 min and an hour after each failure ended
    assert box.started(RunKind.BACKUP)[-1] == (local(5, 2, 30), Trigger.SCHEDULE)


@pytest.mark.parametrize("timezone", ["Asia/Shanghai", "Europe/Berlin", "UTC"])
def test_a_slot_a_day_in_any_zone(timezone):
    settings = ScheduleSettings.from_config(BackupConfig(repository="x", nightly_at="23:59"), timezone)
    start = datetime.datetime(2026, 3, 25, tzinfo=datetime.UTC)  # Berlin changes to summer time on the 29th
    slots, now = [], start
    for _ in range(10):
        now = next_slot(settings, now)
        slots.append(now)
    assert all(later - earlier in (datetime.timedelta(hours=23), datetime.timedelta(hours=24))
               for earlier, later in zip(slots, slots[1:], strict=False))
