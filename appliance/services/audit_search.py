"""Audit administrator's use cases: search the log, export it (CSV or xlsx), verify the chain — each audited.

The search queries live in an adapter the caller hands in (`searcher`, built on the unit of work's session):
services reach storage only through ports, so they never import the adapter themselves.

An export covers the events up to the newest one when it starts (`through_seq`), so what the "audit.export"
event says was exported is exactly what the file holds, however many events are appended meanwhile.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from appliance.domain.actors import Actor
from appliance.domain.audit import AuditEvent, ChainReport
from appliance.domain.audit_query import EventPage, EventQuery
from appliance.domain.catalogue_table import neutralise
from appliance.domain.errors import InvalidInputError
from appliance.services.audit import record, verify_audit_chain

PAGE_SIZE = 50
# CSV streams in constant memory; the cap keeps one download inside the web server's request timeout
# (config web.timeout, 60 s): a million events took 12 s from PostgreSQL on the development machine.
MAX_CSV_EVENTS = 2_000_000
# xlsx is a zip, built whole before it is sent: openpyxl's write-only mode managed 5,000 to 9,000 events a
# second here, so 100,000 events take 11 to 21 s. Beyond that, export CSV.
MAX_XLSX_EVENTS = 100_000
EXPORT_HEADER = ["seq", "occurred_at_utc", "actor", "source", "action", "object_type", "object_id", "result",
                 "details", "hash"]
AUDIT_OBJECT = "audit_log"
_CSV_ROWS_PER_CHUNK = 1000


class AuditSearch(Protocol):
    """The port: queries on the audit events, bound to one unit of work's session."""

    def page(self, query: EventQuery, before: int | None, limit: int) -> list[AuditEvent]: ...

    def count(self, query: EventQuery, through_seq: int) -> int: ...

    def rows(self, query: EventQuery, through_seq: int) -> Iterator[tuple]: ...


SearchFactory = Callable[[object], AuditSearch]  # a session -> the queries on it
XlsxWriter = Callable[[Path, list[str], Iterable[list], str], int]  # (path, header, rows, sheet title) -> rows


@dataclass(frozen=True)
class PlannedExport:
    query: EventQuery
    through_seq: int  # the newest event when the export began
    events: int


def search_events(uow_factory, query: EventQuery, before: int | None, limit: int = PAGE_SIZE, *,
                  searcher: SearchFactory) -> EventPage:
    """One page of matching events, newest first, below `before` (a seq) when given.

    Raises InvalidInputError for a limit outside 1 to 1000.
    """
    if not 1 <= limit <= 1000:
        raise InvalidInputError(f"page size must be 1 to 1000, not {limit}")
    with uow_factory(read_only=True, consistent=False) as uow:
        found = searcher(uow.session).page(query, before, limit + 1)  # one more tells whether a next page exists
    shown = tuple(found[:limit])
    return EventPage(shown, shown[-1].seq if len(found) > limit else None)


def export_csv(uow_factory, actor: Actor, query: EventQuery, *, searcher: SearchFactory,
               maximum: int = MAX_CSV_EVENTS) -> Iterator[str]:
    """Audit the export now, then return the CSV text in chunks, streamed from the database as it is read.

    Raises InvalidInputError (after auditing the refusal) when more than `maximum` events match.
    """
    planned = plan_export(uow_factory, actor, query, "csv", maximum, searcher)
    return _csv_chunks(uow_factory, planned, searcher)


def export_xlsx(uow_factory, actor: Actor, query: EventQuery, destination: Path, writer: XlsxWriter, *,
                searcher: SearchFactory, maximum: int = MAX_XLSX_EVENTS) -> int:
    """Audit the export, then write the matching events to an xlsx at `destination`; returns the rows written.

    Raises InvalidInputError (after auditing the refusal) when more than `maximum` events match.
    """
    planned = plan_export(uow_factory, actor, query, "xlsx", maximum, searcher)
    with uow_factory(read_only=True) as uow:
        # The writer stores text as text: a value beginning with "=" stays a value, unaltered.
        rows = (list(row) for row in searcher(uow.session).rows(planned.query, planned.through_seq))
        return writer(destination, EXPORT_HEADER, rows, "审计日志")


def plan_export(uow_factory, actor: Actor, query: EventQuery, format_name: str, maximum: int,
                searcher: SearchFactory) -> PlannedExport:
    """Count what an export would hold and record "audit.export"; raises InvalidInputError above `maximum`."""
    with uow_factory(read_only=True) as uow:
        through_seq, _ = uow.audit.head()
        count = searcher(uow.session).count(query, through_seq)
    details = {"format": format_name, "filter": query.filters(), "timezone": query.timezone, "events": count,
               "through_seq": through_seq}
    refused = count > maximum
    with uow_factory() as uow:
        record(uow, actor, "audit.export", AUDIT_OBJECT, str(through_seq),
               {**details, "maximum": maximum} if refused else details, result="failure" if refused else "ok")
        uow.commit()
    if refused:
        hint = " (or export CSV, which holds more)" if format_name == "xlsx" else ""
        raise InvalidInputError(f"{count} events match, more than the {maximum} one {format_name} export may hold: "
                                f"narrow the filters, for example to a shorter date range{hint}")
    return PlannedExport(query, through_seq, count)


def verify_and_record(uow_factory, actor: Actor) -> ChainReport:
    """Verify the whole chain, then record "audit.verify" with the outcome (result "failure" when broken)."""
    report = verify_audit_chain(uow_factory)
    details = {"intact": report.ok, "events_checked": report.events_checked, "head_hash": report.head_hash}
    if not report.ok:
        details.update(problem=report.problem, first_bad_seq=report.first_bad_seq)
    with uow_factory() as uow:
        record(uow, actor, "audit.verify", AUDIT_OBJECT, str(report.events_checked), details,
               result="ok" if report.ok else "failure")
        uow.commit()
    return report


def _csv_chunks(uow_factory, planned: PlannedExport, searcher: SearchFactory) -> Iterator[str]:
    # A generator: the read transaction opens at the first chunk and closes when the download ends or stops.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # the BOM tells Excel the file is UTF-8, so Chinese text opens readable
    writer.writerow(EXPORT_HEADER)
    with uow_factory(read_only=True) as uow:
        for number, row in enumerate(searcher(uow.session).rows(planned.query, planned.through_seq), start=1):
            writer.writerow(_csv_row(row))
            if number % _CSV_ROWS_PER_CHUNK == 0:
                yield _take(buffer)
    yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _csv_row(row: tuple) -> list:
    # A name typed at the login form could begin with "=": a spreadsheet must not run it as a formula.
    return [neutralise(value) if isinstance(value, str) else value for value in row]
