"""When backups, prunes and checks fall due: pure rules over the settings, the runs so far and the time.

- The nightly backup is due once per night at `nightly_at` in the box's time zone; a night the box slept through
  (a power cut at 02:30) is made up as soon as the box is back, as one run, however many nights were missed.
- A backup is also due once `every_documents` documents were filed since the last successful one.
- A failed backup is retried after 15 minutes, then after an hour, then waits for the next night: a twin that is
  down is not hammered, and documents piling up meanwhile do not start more attempts.
- A prune follows each successful backup; `borg check` runs weekly on `check_weekday` after the night's backup,
  with `--verify-data` on the first such day of the month; a week or month slept through is made up at start.
- Never two runs at once: nothing is due while a run is running.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from appliance.domain.backup import BackupRun, RunKind, RunState, Trigger

WEEKDAY_NUMBERS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
RETRY_AFTER = (datetime.timedelta(minutes=15), datetime.timedelta(hours=1))  # then the next night
LATE_AFTER = datetime.timedelta(minutes=15)  # a nightly run started later than this was missed, not on time
CHECK_LATE_AFTER = datetime.timedelta(hours=6)  # a check waits for the night's backup and prune
SUCCEEDED = (RunState.OK, RunState.WARNING)  # a warning (a file changed while read) still made an archive
FIXITY_EVERY = datetime.timedelta(days=7)  # the worker's sweep of every blob against its digest


@dataclass(frozen=True)
class ScheduleSettings:
    nightly_at: datetime.time
    zone: ZoneInfo
    every_documents: int  # 0: nightly only
    check_weekday: int  # Monday 0 ... Sunday 6

    @classmethod
    def from_config(cls, backup, timezone: str) -> "ScheduleSettings":
        """The settings of a BackupConfig (checked by config.py already) in the box's time zone."""
        hour, _, minute = backup.nightly_at.partition(":")
        return cls(datetime.time(int(hour), int(minute)), ZoneInfo(timezone), backup.every_documents,
                   WEEKDAY_NUMBERS[backup.check_weekday])


@dataclass(frozen=True)
class History:
    """What the rules need to know of the runs so far; runs newest first."""

    backups: tuple[BackupRun, ...] = ()  # the latest backup runs, enough to count a streak of failures (3+)
    last_prune: BackupRun | None = None
    last_check: BackupRun | None = None  # the latest check or verify, whatever its outcome
    last_verify: BackupRun | None = None
    running: BackupRun | None = None
    documents_since_backup: int = 0  # documents filed since the last successful backup started

    @property
    def last_success(self) -> BackupRun | None:
        return next((run for run in self.backups if run.state in SUCCEEDED), None)


@dataclass(frozen=True)
class Due:
    kind: RunKind
    trigger: Trigger

    @property
    def verify_data(self) -> bool:
        return self.kind is RunKind.VERIFY


@dataclass(frozen=True)
class Upcoming:
    """What the console shows as the next runs."""

    backup_at: datetime.datetime  # the next nightly backup, or the retry of a failed one if that comes first
    retry_at: datetime.datetime | None  # a failed backup's retry, if one is planned
    documents_left: int | None  # new documents until a backup; None when only nightly
    check_at: datetime.datetime
    verify_at: datetime.datetime


def slot_on(settings: ScheduleSettings, day: datetime.date) -> datetime.datetime:
    """The nightly time on a local day, in UTC."""
    local = datetime.datetime.combine(day, settings.nightly_at, tzinfo=settings.zone)
    return local.astimezone(datetime.UTC)


def previous_slot(settings: ScheduleSettings, now: datetime.datetime, weekly: bool = False,
                  monthly: bool = False) -> datetime.datetime:
    """The latest nightly time at or before `now`; `weekly`: on the check weekday; `monthly`: its first of a month."""
    day = now.astimezone(settings.zone).date()
    for _ in range(40):  # a first weekday of a month is never more than 5 weeks back
        slot = slot_on(settings, day)
        if slot <= now and _matches(settings, day, weekly, monthly):
            return slot
        day -= datetime.timedelta(days=1)
    raise AssertionError("no slot in 40 days")  # unreachable: every 5 weeks hold a first weekday of a month


def next_slot(settings: ScheduleSettings, now: datetime.datetime, weekly: bool = False,
              monthly: bool = False) -> datetime.datetime:
    """The first nightly time after `now` (on the check weekday, or its first of a month)."""
    day = now.astimezone(settings.zone).date()
    for _ in range(40):
        slot = slot_on(settings, day)
        if slot > now and _matches(settings, day, weekly, monthly):
            return slot
        day += datetime.timedelta(days=1)
    raise AssertionError("no slot in 40 days")


def _matches(settings: ScheduleSettings, day: datetime.date, weekly: bool, monthly: bool) -> bool:
    if (weekly or monthly) and day.weekday() != settings.check_weekday:
        return False
    return not monthly or day.day <= 7


def due_run(settings: ScheduleSettings, history: History, now: datetime.datetime) -> Due | None:
    """The one run to start now, if any: a backup first, then its prune, then a verify or a check."""
    if history.running is not None:
        return None
    for rule in (_backup_due, _prune_due, _check_due):
        due = rule(settings, history, now)
        if due is not None:
            return due
    return None


def _backup_due(settings: ScheduleSettings, history: History, now: datetime.datetime) -> Due | None:
    slot = previous_slot(settings, now)
    latest = history.backups[0] if history.backups else None
    if latest is None or latest.started_at < slot:
        return Due(RunKind.BACKUP, Trigger.SCHEDULE if now - slot <= LATE_AFTER else Trigger.MISSED)
    if latest.state is RunState.FAILED:
        retry_at = _retry_at(history, slot)
        if retry_at is not None and now >= retry_at:
            return Due(RunKind.BACKUP, latest.trigger)
        return None
    if settings.every_documents and history.documents_since_backup >= settings.every_documents:
        return Due(RunKind.BACKUP, Trigger.DOCUMENTS)
    return None


def _retry_at(history: History, slot: datetime.datetime) -> datetime.datetime | None:
    """When the failed latest backup is tried again: its streak of failures since the last night decides."""
    failures = 0
    for run in history.backups:
        if run.state is not RunState.FAILED or run.started_at < slot:
            break
        failures += 1
    if failures == 0 or failures > len(RETRY_AFTER):
        return None
    latest = history.backups[0]
    return (latest.finished_at or latest.started_at) + RETRY_AFTER[failures - 1]


def _prune_due(settings: ScheduleSettings, history: History, now: datetime.datetime) -> Due | None:
    success = history.last_success
    if success is None:
        return None
    prune = history.last_prune
    if prune is None or prune.started_at < (success.finished_at or success.started_at):
        return Due(RunKind.PRUNE, success.trigger)
    return None


def _check_due(settings: ScheduleSettings, history: History, now: datetime.datetime) -> Due | None:
    if history.last_success is None:  # nothing in the repository to check yet
        return None
    for kind, last, monthly in ((RunKind.VERIFY, history.last_verify, True),
                                (RunKind.CHECK, history.last_check, False)):
        slot = previous_slot(settings, now, weekly=True, monthly=monthly)
        if last is None or last.started_at < slot:
            return Due(kind, Trigger.SCHEDULE if now - slot <= CHECK_LATE_AFTER else Trigger.MISSED)
    return None


def upcoming(settings: ScheduleSettings, history: History, now: datetime.datetime) -> Upcoming:
    """The next runs, for people: the next night, a planned retry, documents left, the next check and verify."""
    nightly = next_slot(settings, now)
    latest = history.backups[0] if history.backups else None
    retry_at = None
    if latest is not None and latest.state is RunState.FAILED:
        retry_at = _retry_at(history, previous_slot(settings, now))
    documents_left = None
    if settings.every_documents:
        documents_left = max(settings.every_documents - history.documents_since_backup, 0)
    return Upcoming(min(nightly, retry_at) if retry_at else nightly, retry_at, documents_left,
                    next_slot(settings, now, weekly=True), next_slot(settings, now, weekly=True, monthly=True))


def backup_overdue(last_success_at: datetime.datetime | None, latest_failed: bool, now: datetime.datetime,
                   limit: datetime.timedelta = datetime.timedelta(hours=48)) -> bool:
    """The console's banner: the latest backup failed, or none succeeded in the last 48 hours (or ever)."""
    return latest_failed or last_success_at is None or now - last_success_at > limit


def fixity_due(last_sweep_at: datetime.datetime | None, now: datetime.datetime) -> bool:
    """The weekly fixity sweep: due a week after the last one began, and at once on a box that never swept."""
    return last_sweep_at is None or now - last_sweep_at >= FIXITY_EVERY
