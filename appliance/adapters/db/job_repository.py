"""The job queue and the derivatives it produces.

A claimed job is `running` with `run_after` moved to the end of its lease: if its worker dies, the job
becomes claimable again when the lease runs out. PostgreSQL claims with FOR UPDATE SKIP LOCKED; SQLite's
writers are serialised already.
"""

import datetime
import json

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from appliance.adapters.db.tables import DerivativeRow, JobRow, utc_now
from appliance.adapters.db.upsert import dialect_insert
from appliance.domain.jobs import Derivative, Job

DEFAULT_LEASE = datetime.timedelta(minutes=15)


class JobRepository:
    def __init__(self, session: Session):
        self.session = session

    def enqueue(self, kind: str, dedupe_key: str, payload: dict, delay_seconds: float = 0) -> None:
        """Queue a job once: a job with the same dedupe key (queued, running or done) is left alone."""
        now = utc_now()
        statement = dialect_insert(self.session, JobRow).values(
            kind=kind, dedupe_key=dedupe_key, payload=json.dumps(payload, sort_keys=True), state="queued",
            attempts=0, run_after=now + datetime.timedelta(seconds=delay_seconds), created_at=now,
        ).on_conflict_do_nothing(index_elements=["dedupe_key"])
        self.session.execute(statement)

    def claim(self, worker: str, kinds: tuple[str, ...], limit: int,
              lease: datetime.timedelta = DEFAULT_LEASE) -> list[Job]:
        now = utc_now()
        query = (select(JobRow).where(JobRow.kind.in_(kinds), JobRow.state.in_(("queued", "running")),
                                      JobRow.run_after <= now)
                 .order_by(JobRow.run_after, JobRow.id).limit(limit).with_for_update(skip_locked=True))
        rows = list(self.session.scalars(query))
        for row in rows:
            row.state, row.locked_by, row.run_after = "running", worker, now + lease
            row.attempts += 1
        self.session.flush()
        return [Job(row.id, row.kind, json.loads(row.payload), row.attempts) for row in rows]

    def complete(self, job_id: int) -> None:
        self._set(job_id, state="done", finished_at=utc_now(), last_error=None)

    def retry_later(self, job_id: int, seconds: float, error: str | None, count_attempt: bool = True) -> None:
        values = {"state": "queued", "run_after": utc_now() + datetime.timedelta(seconds=seconds),
                  "locked_by": None, "last_error": error}
        if not count_attempt:
            values["attempts"] = JobRow.attempts - 1
        self._set(job_id, **values)

    def fail(self, job_id: int, error: str) -> None:
        self._set(job_id, state="failed", finished_at=utc_now(), last_error=error)

    def counts(self) -> dict[str, dict[str, int]]:
        query = select(JobRow.kind, JobRow.state, func.count()).group_by(JobRow.kind, JobRow.state)
        counts: dict[str, dict[str, int]] = {}
        for kind, state, count in self.session.execute(query):
            counts.setdefault(kind, {})[state] = count
        return counts

    def unfinished(self, kinds: tuple[str, ...]) -> int:
        query = select(func.count()).select_from(JobRow).where(
            JobRow.kind.in_(kinds), or_(JobRow.state == "queued", JobRow.state == "running"))
        return self.session.scalar(query)

    def _set(self, job_id: int, **values) -> None:
        self.session.execute(update(JobRow).where(JobRow.id == job_id).values(**values))

    # derivatives

    def add_derivative(self, derivative: Derivative) -> None:
        if self.session.get(DerivativeRow, (derivative.source_sha256, derivative.kind, derivative.generator)):
            return
        self.session.add(DerivativeRow(source_sha256=derivative.source_sha256, kind=derivative.kind,
                                       generator=derivative.generator, blob_sha256=derivative.blob_sha256,
                                       text=derivative.text))
        self.session.flush()

    def derivatives(self, sources: list[str], kind: str) -> dict[str, Derivative]:
        """The newest derivative of each source that has one."""
        query = (select(DerivativeRow).where(DerivativeRow.source_sha256.in_(sources), DerivativeRow.kind == kind)
                 .order_by(DerivativeRow.created_at))
        return {row.source_sha256: _to_derivative(row) for row in self.session.scalars(query)}


def _to_derivative(row: DerivativeRow) -> Derivative:
    return Derivative(row.source_sha256, row.kind, row.generator, row.blob_sha256, row.text)
