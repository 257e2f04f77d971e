"""The backup schedule at work: a tick a minute in the worker asks the rules what is due and runs it.

Why apscheduler's BackgroundScheduler and not the worker's own loop: a backup lasts minutes to hours and must not
stall OCR, so it needs a thread of its own anyway; the scheduler gives that thread, coalesces the ticks missed
while a run lasts (max_instances=1) and starts the first tick at once, so a night missed in a power cut is made
up at start. It is built only by the worker (appliance/worker.py), never in the web's processes.

One runner per box: each tick takes an exclusive, non-blocking flock on <home>/backup.lock. Not a database lock:
a SQLite writer lock held through an hour of `borg create` would stop every write on the box, and a PostgreSQL
advisory lock would also stop the other boxes of a site that share one database, each of which backs up its own
blob store. The kernel drops a flock when its process dies, so a crashed worker never blocks the next; holding it,
a tick knows any run still marked running was cut short, and records it as failed.
"""

import datetime
import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from appliance.domain.actors import Actor
from appliance.domain.backup import BackupRun, RunKind, RunState, Trigger
from appliance.domain.backup_schedule import (
    Due,
    History,
    ScheduleSettings,
    Upcoming,
    backup_overdue,
    due_run,
    fixity_due,
    upcoming,
)
from appliance.domain.errors import ConflictError, DanganError, InvalidInputError
from appliance.services import backup
from appliance.services.audit import record

log = logging.getLogger("dangan.backup")
REQUEST_JOBS = {RunKind.BACKUP: "backup-request", RunKind.DRILL: "restore-drill-request"}  # job kinds
REQUEST_LEASE = datetime.timedelta(hours=12)  # longer than any run: a request is not taken twice
LOCK_NAME = "backup.lock"
TWIN_STATUS_NAME = "backup-twin.json"
FIXITY_SWEEP_NAME = "fixity-sweep.json"  # when the last weekly sweep began; its outcome is in the audit log
PROBE_EVERY = datetime.timedelta(minutes=15)
PROBE_TIMEOUT = 120  # seconds: a twin that takes the connection and then hangs must not hold the tick for hours
MAX_RUNS_PER_TICK = 6  # a backup, its prune, a verify and a check, a request or two: then the next tick
HISTORY_DEPTH = 10  # backups read for the rules: enough to count a streak of failures


class ScheduledBorg(Protocol):
    def prune(self, keep_daily: int, keep_weekly: int, keep_monthly: int): ...
    def check(self, verify_data: bool = False): ...
    def info(self, timeout: float | None = None): ...  # the reachability probe: raises (BorgError) when out of reach


@dataclass(frozen=True)
class BackupActions:
    """The runs that need the box's adapters (database snapshots, scratch homes), bound by the worker's wiring."""

    backup: Callable[[Trigger, datetime.datetime], BackupRun]
    drill: Callable[[datetime.datetime], object]  # returns a RestoreReport; the run is recorded as kind drill
    fixity: Callable[[datetime.datetime], object] | None = None  # the weekly sweep; returns a FixityReport


@dataclass(frozen=True)
class TwinStatus:
    reachable: bool
    checked_at: datetime.datetime
    error: str = ""
    stats: dict | None = None  # the repository's figures from `borg info`: sizes and dedup ratio


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


# --- what the rules read ---------------------------------------------------------------------------------------

def read_history(uow_factory) -> History:
    """The runs the rules look at, from one read transaction."""
    every_state = (RunState.OK, RunState.WARNING, RunState.FAILED)
    with uow_factory(read_only=True) as uow:
        runs = uow.backups
        backups = tuple(run for run in runs.recent(HISTORY_DEPTH, RunKind.BACKUP) if run.state is not RunState.RUNNING)
        success = next((run for run in backups if run.state in (RunState.OK, RunState.WARNING)), None) \
            or runs.last((RunKind.BACKUP,))
        running = runs.running()
        return History(backups=backups, last_prune=runs.last((RunKind.PRUNE,), every_state),
                       last_check=runs.last((RunKind.CHECK, RunKind.VERIFY), every_state),
                       last_verify=runs.last((RunKind.VERIFY,), every_state),
                       running=running[0] if running else None,
                       documents_since_backup=runs.documents_since(success.started_at if success else None))


# --- people ask for a run --------------------------------------------------------------------------------------

def request_run(uow_factory, actor: Actor, kind: RunKind, enabled: bool, now: datetime.datetime) -> bool:
    """Queue a backup or a restore drill for the worker's scheduler; False when one is waiting already.

    Raises InvalidInputError for any other kind, ConflictError when no backup repository is set.
    """
    if kind not in REQUEST_JOBS:
        raise InvalidInputError(f"only a backup or a restore drill can be asked for, not {kind.value}")
    if not enabled:
        raise ConflictError("backups are not set up: set backup.repository in the config")
    job_kind = REQUEST_JOBS[kind]
    with uow_factory() as uow:
        if uow.jobs.unfinished((job_kind,)):
            return False
        uow.jobs.enqueue(job_kind, f"{job_kind}:{now.isoformat()}", {"requested_by": actor.name})
        record(uow, actor, f"backup.request.{kind.value}", "backup_run", "", {"kind": kind.value})
        uow.commit()
    return True


def waiting_requests(uow_factory) -> dict[str, int]:
    """Backups and drills asked for and not yet done, by run kind."""
    with uow_factory(read_only=True, consistent=False) as uow:
        return {kind.value: uow.jobs.unfinished((job_kind,)) for kind, job_kind in REQUEST_JOBS.items()}


# --- the twin's reachability, recorded by the scheduler and read by the console -------------------------------

def record_twin_status(home: Path, status: TwinStatus) -> None:
    """Write the latest probe's outcome where the console reads it (replaced atomically)."""
    target = home / TWIN_STATUS_NAME
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps({"reachable": status.reachable, "checked_at": status.checked_at.isoformat(),
                                     "error": status.error, "stats": status.stats}), encoding="utf-8")
    os.replace(temporary, target)


def twin_status(home: Path) -> TwinStatus | None:
    """The latest probe's outcome, or None when the scheduler has not probed yet (or left an unreadable file)."""
    try:
        data = json.loads((home / TWIN_STATUS_NAME).read_text(encoding="utf-8"))
        return TwinStatus(bool(data["reachable"]), datetime.datetime.fromisoformat(data["checked_at"]),
                          str(data.get("error") or ""), data.get("stats"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def last_fixity_sweep(home: Path) -> datetime.datetime | None:
    """When the worker's latest fixity sweep began; None when it never swept (or left an unreadable file)."""
    try:
        data = json.loads((home / FIXITY_SWEEP_NAME).read_text(encoding="utf-8"))
        return datetime.datetime.fromisoformat(data["started_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


# --- one runner per box ----------------------------------------------------------------------------------------

@contextmanager
def box_lock(home: Path) -> Iterator[bool]:
    """Hold the box's backup lock for the block if it is free; yields whether it is held. Never waits.

    `dangan backup run|check` should take it too, so that a run it starts is not taken for an interrupted one.
    """
    home.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(home / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)  # closing drops the lock


# --- the scheduler ---------------------------------------------------------------------------------------------

class BackupScheduler:
    """Ticks once a minute in a thread of the worker: requests first, then what the rules find due."""

    def __init__(self, appliance, borg: ScheduledBorg, actions: BackupActions, *, tick_seconds: float = 60,
                 clock: Callable[[], datetime.datetime] = utc_now, name: str | None = None):
        self.appliance, self.borg, self.actions = appliance, borg, actions
        self.settings = ScheduleSettings.from_config(appliance.config.backup, appliance.config.web.timezone)
        self.tick_seconds, self.clock = tick_seconds, clock
        self.name = name or f"{os.uname().nodename}:{os.getpid()}:backup"
        self._stopping = threading.Event()
        self._scheduler: BackgroundScheduler | None = None
        self._probed_at: datetime.datetime | None = None

    def start(self) -> None:
        """Start ticking in a background thread; the first tick comes at once."""
        quiet = logging.getLogger("dangan.backup.apscheduler")  # "skipped: instance running" each minute of a run
        quiet.setLevel(logging.ERROR)
        self._scheduler = BackgroundScheduler(timezone=datetime.UTC, logger=quiet, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        self._scheduler.add_job(self.safe_tick, IntervalTrigger(seconds=self.tick_seconds), id="backup-tick",
                                next_run_time=datetime.datetime.now(datetime.UTC))
        self._scheduler.start()
        log.info("backup scheduler started: nightly at %s %s", self.settings.nightly_at, self.settings.zone)

    def stop(self) -> None:
        """Start no new run; a run under way finishes in its thread (borg is not cut short mid-archive)."""
        self._stopping.set()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def safe_tick(self) -> None:
        """A tick whose failure is logged and forgotten: the next minute tries again, the worker goes on."""
        try:
            self.tick()
        except Exception:  # a scheduler thread must outlive any failure: a full disk, a lost database
            log.exception("backup tick failed; trying again at the next tick")

    def tick(self) -> list[object]:
        """Under the box's lock, run what is asked for and what is due; returns the runs (and drill reports)."""
        with box_lock(self.appliance.config.home) as held:
            if not held:
                return []
            self._close_interrupted()
            done = []
            while not self._stopping.is_set() and len(done) < MAX_RUNS_PER_TICK:
                outcome = self._run_requested()
                if outcome is None:
                    due = due_run(self.settings, read_history(self.appliance.uow_factory), self.clock())
                    if due is None:
                        break
                    outcome = self._run(due)
                done.append(outcome)
            self._probe_if_due()  # after the runs: the figures include tonight's archive
            if not self._stopping.is_set():
                done.extend(self._sweep_if_due())  # last: nothing else was due, so no backup waits on it now
            return done

    def _close_interrupted(self) -> None:
        """Runs still marked running while this tick holds the lock: their process died (power cut, kill)."""
        with self.appliance.uow_factory(read_only=True) as uow:
            stale = uow.backups.running()
        for run in stale:
            log.warning("backup run %d (%s) was interrupted; recording it as failed", run.id, run.kind.value)
            backup.fail_run(self.appliance.uow_factory, run.id, run.kind, "interrupted: the worker stopped mid-run")

    def _run(self, due: Due) -> BackupRun:
        log.info("starting %s (%s)", due.kind.value, due.trigger.value)
        now, box = self.clock(), self.appliance
        if due.kind is RunKind.BACKUP:
            return self.actions.backup(due.trigger, now)
        if due.kind is RunKind.PRUNE:
            return backup.run_prune(box, self.borg, now, trigger=due.trigger)
        return backup.run_check(box, self.borg, due.verify_data, now, trigger=due.trigger)

    def _run_requested(self) -> object | None:
        """Take one waiting request (backup or drill) and run it; None when nobody asked."""
        with self.appliance.uow_factory() as uow:
            jobs = uow.jobs.claim(self.name, tuple(REQUEST_JOBS.values()), 1, REQUEST_LEASE)
            uow.commit()
        if not jobs:
            return None
        job = jobs[0]
        try:
            if job.kind == REQUEST_JOBS[RunKind.DRILL]:
                outcome = self.actions.drill(self.clock())
            else:
                outcome = self.actions.backup(Trigger.MANUAL, self.clock())
        except Exception as error:  # recorded as a failed run by the service; the request must not linger
            log.warning("%s failed: %s", job.kind, error)
            outcome = error
        with self.appliance.uow_factory() as uow:
            uow.jobs.complete(job.id)
            uow.commit()
        return outcome

    def _sweep_if_due(self) -> list[object]:
        """The weekly fixity sweep, recorded by its audit events, not as a backup run. Its start is written first:
        a sweep cut short waits for next week rather than starting again every minute."""
        home, now = self.appliance.config.home, self.clock()
        if self.actions.fixity is None or not fixity_due(last_fixity_sweep(home), now):
            return []
        temporary = home / f"{FIXITY_SWEEP_NAME}.tmp"
        temporary.write_text(json.dumps({"started_at": now.isoformat()}), encoding="utf-8")
        os.replace(temporary, home / FIXITY_SWEEP_NAME)
        log.info("starting the weekly fixity sweep")
        return [self.actions.fixity(now)]

    def _probe_if_due(self) -> None:
        now = self.clock()
        if self._probed_at is not None and now - self._probed_at < PROBE_EVERY:
            return
        self._probed_at = now
        self.probe_twin(now)

    def probe_twin(self, now: datetime.datetime) -> TwinStatus:
        """Ask the repository for its figures (`borg info`): it answers, or the twin is out of reach."""
        try:
            status = TwinStatus(True, now, stats=dict(self.borg.info(timeout=PROBE_TIMEOUT).stats))
        except (DanganError, OSError) as error:
            status = TwinStatus(False, now, str(error) or type(error).__name__)
        record_twin_status(self.appliance.config.home, status)
        return status


# --- what the console and the API show -------------------------------------------------------------------------

@dataclass(frozen=True)
class BackupsView:
    enabled: bool
    history: History
    recent: list[BackupRun]  # every kind, newest first
    last_drill: BackupRun | None
    upcoming: Upcoming | None  # None when backups are not set up
    twin: TwinStatus | None
    waiting: dict[str, int]  # requests not yet taken: {"backup": n, "drill": n}
    overdue: bool  # the banner's rule: the latest backup failed, or none succeeded in 48 hours


def backups_view(uow_factory, config, now: datetime.datetime) -> BackupsView:
    """Everything the backups page shows; nothing here reaches the twin (the scheduler's probe is read)."""
    history = read_history(uow_factory)
    with uow_factory(read_only=True, consistent=False) as uow:
        recent = uow.backups.recent(20)
        last_drill = uow.backups.last((RunKind.DRILL,), (RunState.OK, RunState.WARNING, RunState.FAILED))
    enabled = config.backup.enabled
    settings = ScheduleSettings.from_config(config.backup, config.web.timezone)
    success, latest = history.last_success, history.backups[0] if history.backups else None
    overdue = enabled and backup_overdue(success.started_at if success else None,
                                         latest is not None and latest.state is RunState.FAILED, now)
    return BackupsView(enabled, history, recent, last_drill, upcoming(settings, history, now) if enabled else None,
                       twin_status(config.home), waiting_requests(uow_factory), overdue)


def backup_alert(uow_factory, now: datetime.datetime) -> str | None:
    """The banner for system administrators: "failed", "overdue" (none succeeded in 48 h) or None.

    One query in the usual case (the latest backup run); a second only while a backup is running.
    """
    with uow_factory(read_only=True, consistent=False) as uow:
        latest = next(iter(uow.backups.recent(1, RunKind.BACKUP)), None)
        if latest is not None and latest.state is RunState.RUNNING:
            latest = uow.backups.last((RunKind.BACKUP,), (RunState.OK, RunState.WARNING, RunState.FAILED))
    if latest is not None and latest.state is RunState.FAILED:
        return "failed"
    if backup_overdue(latest.started_at if latest else None, False, now):
        return "overdue"
    return None
