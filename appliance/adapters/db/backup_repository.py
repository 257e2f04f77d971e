"""Backup runs (backup, prune, check, verify, drill) and what a backup manifest reads from the database."""

import datetime
import json

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from appliance.adapters.db.tables import BackupRunRow, BlobRow, IntakeDocumentRow, ItemRow, as_utc
from appliance.domain.backup import BackupRun, RepositoryName, RunKind, RunState, Trigger

RUNS = BackupRunRow.__table__
# The tables a restore must find again row for row: the catalogue, its content and its history.
COUNTED_TABLES = ("fonds", "items", "item_pages", "blobs", "derivatives", "scan_batches", "intake_documents",
                  "intake_pages", "users", "workflow_requests", "destruction_lists", "physical_loans", "audit_events")


class BackupRepository:
    def __init__(self, session: Session):
        self.session = session

    def start(self, kind: RunKind, repository: RepositoryName, trigger: Trigger, now: datetime.datetime,
              archive: str | None = None) -> int:
        """Record a run as running; returns its id."""
        values = {"kind": kind.value, "repository": repository.value, "archive": archive, "trigger": trigger.value,
                  "state": RunState.RUNNING.value, "started_at": now, "progress": "{}", "stats": "{}", "message": ""}
        return self.session.execute(insert(RUNS).values(**values).returning(RUNS.c.id)).scalar_one()

    def record_progress(self, run_id: int, progress: dict) -> None:
        """Overwrite a running run's progress (the caller throttles: a few times a minute is plenty)."""
        self.session.execute(update(RUNS).where(RUNS.c.id == run_id, RUNS.c.state == RunState.RUNNING.value)
                             .values(progress=_dump(progress)))

    def finish(self, run_id: int, state: RunState, now: datetime.datetime, stats: dict | None = None,
               message: str = "") -> None:
        self.session.execute(update(RUNS).where(RUNS.c.id == run_id).values(
            state=state.value, finished_at=now, stats=_dump(stats or {}), message=message[:4000]))

    def get(self, run_id: int) -> BackupRun | None:
        row = self.session.execute(select(RUNS).where(RUNS.c.id == run_id)).one_or_none()
        return None if row is None else _to_run(row)

    def recent(self, limit: int = 20, kind: RunKind | None = None) -> list[BackupRun]:
        query = select(RUNS).order_by(RUNS.c.id.desc()).limit(limit)
        if kind is not None:
            query = query.where(RUNS.c.kind == kind.value)
        return [_to_run(row) for row in self.session.execute(query)]

    def last(self, kinds: tuple[RunKind, ...], states: tuple[RunState, ...] = (RunState.OK, RunState.WARNING)
             ) -> BackupRun | None:
        """The newest finished run of one of `kinds` that ended in one of `states`."""
        row = self.session.execute(
            select(RUNS).where(RUNS.c.kind.in_([kind.value for kind in kinds]),
                               RUNS.c.state.in_([state.value for state in states]))
            .order_by(RUNS.c.id.desc()).limit(1)).one_or_none()
        return None if row is None else _to_run(row)

    def running(self) -> list[BackupRun]:
        rows = self.session.execute(select(RUNS).where(RUNS.c.state == RunState.RUNNING.value).order_by(RUNS.c.id))
        return [_to_run(row) for row in rows]

    def documents_since(self, moment: datetime.datetime | None) -> int:
        """Documents filed (intake documents received) after `moment`; all of them when None."""
        query = select(func.count()).select_from(IntakeDocumentRow)
        if moment is not None:
            query = query.where(IntakeDocumentRow.received_at > moment)
        return self.session.execute(query).scalar_one()

    def items_count(self) -> int:
        return self.session.execute(select(func.count()).select_from(ItemRow)).scalar_one()

    def table_counts(self) -> dict[str, int]:
        """Rows in each of the tables a restore must find again."""
        return {table: self.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in COUNTED_TABLES}

    def stored_blobs(self) -> dict[str, int]:
        """sha256 -> size of every blob whose content the store must hold (purged ones have none)."""
        rows = self.session.execute(select(BlobRow.sha256, BlobRow.size).where(BlobRow.purged_at.is_(None)))
        return {sha256: size for sha256, size in rows}

    def snapshot_handle(self):
        """What DatabaseSnapshots.take needs to copy exactly what this (read-only, consistent) transaction sees:
        PostgreSQL: an exported snapshot's id; SQLite: the driver connection holding the read transaction."""
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            return connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        connection.execute(text("SELECT seq FROM audit_head")).all()  # a deferred BEGIN reads its snapshot here
        return connection.connection.driver_connection


def _dump(values: dict) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


def _to_run(row) -> BackupRun:
    finished_at = as_utc(row.finished_at) if row.finished_at else None
    return BackupRun(id=row.id, kind=RunKind(row.kind), repository=RepositoryName(row.repository),
                     archive=row.archive, state=RunState(row.state), trigger=Trigger(row.trigger),
                     started_at=as_utc(row.started_at), finished_at=finished_at,
                     progress=json.loads(row.progress or "{}"), stats=json.loads(row.stats or "{}"),
                     message=row.message or "")
