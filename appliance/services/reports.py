"""Reports: the dashboard's figures — holdings, intake and OCR throughput, borrowing, most-used items, overdue loans,
retention ending, storage growth, backup history — each a small series that a chart, an xlsx sheet and a PDF page
are drawn from. Every count is over the items the reader may see; exports are audited (`report.export`).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from appliance.domain.access import EVERYTHING
from appliance.domain.appraisal import ExpiryRule
from appliance.domain.codes import FONDS_PATTERN
from appliance.domain.errors import InvalidInputError, NotFoundError
from appliance.domain.loans import PURPOSE_NAMES, count_uses
from appliance.domain.permissions import Action
from appliance.domain.retention import RETENTION_PERIODS
from appliance.domain.sessions import Principal
from appliance.domain.workflow import UsePurpose
from appliance.services.audit import record
from appliance.services.report_figures import COLUMN_NAMES, TITLES, Figure, Row, megabytes

FIRST_DAY, LAST_DAY = datetime.date(1900, 1, 1), datetime.date(9998, 12, 31)  # a day either side is still a date
MAX_DAYS = 366  # a dashboard period; a longer look is the annual report's job
DEFAULT_DAYS = 30
MOST_USED = 10
RETENTION_YEARS_AHEAD = 10
BACKUP_RUNS = 20
CLASS_PARTS = ("year", "category", "retention", "department")
FIGURES = ("holdings-year", "holdings-category", "holdings-retention", "holdings-department", "intake-daily",
           "borrowing-purpose", "borrowing-department", "most-used", "overdue-loans", "retention-ending",
           "storage-growth", "backup-history")
FigureWriter = Callable[[str, list[Figure]], bytes]

__all__ = ["COLUMN_NAMES", "FIGURES", "TITLES", "Figure", "ReportPeriod", "Row", "dashboard", "export_pdf",
           "export_xlsx", "figure", "report_period"]


@dataclass(frozen=True)
class ReportPeriod:
    """The days a dashboard covers (both included, in the archive's time zone), and the fonds (None: all)."""

    start: datetime.date
    end: datetime.date
    fonds: str | None = None

    def describe(self) -> str:
        scope = f"，全宗 {self.fonds}" if self.fonds else ""
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}{scope}"


def report_period(start: datetime.date | None, end: datetime.date | None, fonds: str | None,
                  today: datetime.date) -> ReportPeriod:
    """A checked period: by default the last 30 days to today. Raises InvalidInputError for a period that ends
    before it starts, is longer than a year or lies outside 1900-9998, or a malformed fonds number."""
    end = end or today
    start = start or end - datetime.timedelta(days=DEFAULT_DAYS - 1)
    if start < FIRST_DAY or end > LAST_DAY:
        raise InvalidInputError(f"a period lies between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}")
    if end < start:
        raise InvalidInputError(f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInputError(f"a dashboard covers at most {MAX_DAYS} days; the annual report covers a year")
    chosen = (fonds or "").strip().upper() or None
    if chosen is not None and not FONDS_PATTERN.fullmatch(chosen):
        raise InvalidInputError(f"fonds number {fonds[:20]!r} must be 4 letters or digits")
    return ReportPeriod(start, end, chosen)


@dataclass(frozen=True)
class _Ask:
    uow: object
    principal: Principal
    period: ReportPeriod
    now: datetime.datetime
    zone: datetime.tzinfo
    found: dict = field(default_factory=dict)  # what one figure read that another needs too

    @property
    def classes(self) -> list[tuple]:
        """The holdings per class (year, category, retention, department): one pass over the items, shared."""
        if "classes" not in self.found:
            self.found["classes"] = self.uow.reports.holdings(self.scope, self.period.fonds)
        return self.found["classes"]

    @property
    def scope(self):
        return self.principal.scope

    @property
    def window(self) -> tuple[datetime.datetime, datetime.datetime]:
        since = datetime.datetime.combine(self.period.start, datetime.time(), self.zone)
        until = datetime.datetime.combine(self.period.end + datetime.timedelta(days=1), datetime.time(), self.zone)
        return since.astimezone(datetime.UTC), until.astimezone(datetime.UTC)


def figure(uow_factory, principal: Principal, name: str, period: ReportPeriod, now: datetime.datetime,
           zone: datetime.tzinfo = datetime.UTC) -> Figure:
    """One figure of the dashboard. Raises ForbiddenError (no REPORTS_VIEW) or NotFoundError (unknown name)."""
    principal.require(Action.REPORTS_VIEW)
    if name not in FIGURES:
        raise NotFoundError(f"no report figure {name[:40]!r} (known: {', '.join(FIGURES)})")
    with uow_factory(read_only=True) as uow:
        return BUILDERS[name](_Ask(uow, principal, period, now, zone))


def dashboard(uow_factory, principal: Principal, period: ReportPeriod, now: datetime.datetime,
              zone: datetime.tzinfo = datetime.UTC) -> list[Figure]:
    """Every figure, from one consistent snapshot. Raises ForbiddenError without REPORTS_VIEW."""
    principal.require(Action.REPORTS_VIEW)
    with uow_factory(read_only=True) as uow:
        ask = _Ask(uow, principal, period, now, zone)
        return [BUILDERS[name](ask) for name in FIGURES]


def export_xlsx(uow_factory, principal: Principal, names: list[str], period: ReportPeriod, now: datetime.datetime,
                writer: FigureWriter, zone: datetime.tzinfo = datetime.UTC) -> bytes:
    """Figures as an xlsx workbook (a sheet each), written by `writer`; audited. Raises as `figure` does."""
    figures = [figure(uow_factory, principal, name, period, now, zone) for name in names]
    title = f"{TITLES[names[0]] if len(names) == 1 else '档案工作统计'}（{period.describe()}）"
    return _audited(uow_factory, principal, writer(title, figures), "xlsx", ",".join(names), period, figures)


def export_pdf(uow_factory, principal: Principal, period: ReportPeriod, now: datetime.datetime,
               writer: FigureWriter, zone: datetime.tzinfo = datetime.UTC) -> bytes:
    """The whole dashboard as a PDF, written by `writer`; audited. Raises ForbiddenError without REPORTS_VIEW."""
    figures = dashboard(uow_factory, principal, period, now, zone)
    document = writer(f"档案工作统计（{period.describe()}）", figures)
    return _audited(uow_factory, principal, document, "pdf", "dashboard", period, figures)


def _audited(uow_factory, principal: Principal, data: bytes, form: str, name: str, period: ReportPeriod,
             figures: list[Figure]) -> bytes:
    with uow_factory() as uow:
        record(uow, principal.actor, "report.export", "report", name,
               {"format": form, "from": period.start.isoformat(), "to": period.end.isoformat(),
                "fonds": period.fonds, "rows": sum(len(found.rows) for found in figures), "via": principal.via})
        uow.commit()
    return data


def _holdings(dimension: str):
    def build(ask: _Ask) -> Figure:
        names = _names(ask, dimension)
        rows = tuple(Row(key, names.get(key, key), (items, pages))
                     for key, items, pages in sum_classes(ask.classes, dimension))
        chart = "line" if dimension == "year" and len(rows) > 12 else "bar"
        return Figure(f"holdings-{dimension}", chart, ("items", "pages"), rows, charted=1)

    return build


def sum_classes(classes: list[tuple], dimension: str) -> list[tuple[str, int, int]]:
    """(key, items, pages) of the classes summed by one of their parts, in key order (years as numbers)."""
    position = CLASS_PARTS.index(dimension)
    sums: dict = {}
    for found in classes:
        entry = sums.setdefault(found[position], [0, 0])
        entry[0] += found[4]
        entry[1] += found[5]
    return [(str(key), items, pages) for key, (items, pages) in sorted(sums.items())]


def _names(ask: _Ask, dimension: str) -> dict[str, str]:
    if dimension == "category":
        return ask.uow.catalogue.categories()
    if dimension == "retention":
        return {code: period.name_zh for code, period in RETENTION_PERIODS.items()}
    if dimension == "department":
        return {"": "（不分机构）", **ask.uow.reports.department_names(ask.period.fonds)}
    return {}


def _intake_daily(ask: _Ask) -> Figure:
    since, until = ask.window
    documents = ask.uow.reports.documents_per_day(since, until, ask.scope, ask.period.fonds, ask.zone)
    pages = ask.uow.reports.ocr_pages_per_day(since, until, ask.scope, ask.period.fonds, ask.zone)
    days = [ask.period.start + datetime.timedelta(days=offset)
            for offset in range((ask.period.end - ask.period.start).days + 1)]
    rows = tuple(Row(day.isoformat(), day.strftime("%m-%d"), (documents.get(day.isoformat(), 0),
                                                             pages.get(day.isoformat(), 0))) for day in days)
    return Figure("intake-daily", "line", ("documents", "ocr_pages"), rows)


def _borrowing(key: str):
    def build(ask: _Ask) -> Figure:
        since, until = ask.window
        records = [entry for entry in ask.uow.loans.register(since, until, ask.scope)
                   if ask.period.fonds is None or entry.item_code.startswith(f"{ask.period.fonds}-")]
        if key == "purpose":
            counts = count_uses(records, lambda entry: entry.purpose_category)
            keys = [purpose.value for purpose in UsePurpose] + sorted(set(counts) - {p.value for p in UsePurpose})
            names = PURPOSE_NAMES
        else:
            counts = count_uses(records, lambda entry: entry.department)
            keys = sorted(counts)
            names = {"": "（不分机构）", **{entry.department: entry.department_name for entry in records}}
        rows = tuple(Row(value, names.get(value) or value, (counts[value].requests, counts[value].items)
                         if value in counts else (0, 0)) for value in keys)
        return Figure(f"borrowing-{key}", "bar", ("requests", "use_items"), rows)

    return build


def _most_used(ask: _Ask) -> Figure:
    since, until = ask.window
    counts = ask.uow.reports.views_and_loans(since, until, ask.scope, ask.period.fonds)
    names = ask.uow.reports.item_names(list(counts))
    ranked = sorted(counts, key=lambda item_id: (-sum(counts[item_id]), names[item_id][0]))[:MOST_USED]
    rows = tuple(Row(names[item_id][0], names[item_id][0], tuple(counts[item_id]), (names[item_id][1],))
                 for item_id in ranked)
    return Figure("most-used", "stacked", ("views", "loans"), rows, detail_columns=("title",))


def _overdue_loans(ask: _Ask) -> Figure:
    loans = [loan for loan in ask.uow.loans.open_loans(ask.scope, overdue_at=ask.now)
             if ask.period.fonds is None or loan.item_code.startswith(f"{ask.period.fonds}-")]
    rows = tuple(Row(loan.item_code, loan.item_code, (loan.days_overdue(ask.now),),
                     (loan.item_title, loan.borrower_name or loan.borrower,
                      loan.due_at.astimezone(ask.zone).date().isoformat())) for loan in loans)
    return Figure("overdue-loans", "table", ("days_overdue",), rows,
                  detail_columns=("title", "borrower", "due"))


def _retention_ending(ask: _Ask) -> Figure:
    this_year = ask.now.astimezone(ask.zone).year
    periods = [period.code for period in sorted(RETENTION_PERIODS.values(), key=lambda period: period.years or 0)
               if period.years is not None]  # shortest first: D10, D30
    counts = {key: dict.fromkeys(periods, 0) for key in ["earlier", *map(str, range(this_year, this_year
                                                                                 + RETENTION_YEARS_AHEAD))]}

    def count(last_year: int, retention: str, items: int) -> None:
        key = "earlier" if last_year < this_year else str(last_year)
        if key in counts and retention in periods:
            counts[key][retention] += items

    rule = ExpiryRule()
    for year, _, retention, _, items, *_ in ask.classes:
        if retention in periods:
            count(rule.last_year_kept(year, retention), retention, items)
    for year, retention, in_force, due_again, items in ask.uow.reports.appraised_on(ask.scope, ask.period.fonds):
        if retention in periods:  # an appraisal moved them: out of their period's year, into the decision's
            count(rule.last_year_kept(year, retention), retention, -items)
        if due_again is not None:  # kept to the year before they are appraised again; None: now permanent
            count(due_again - 1, in_force, items)
    rows = tuple(Row(key, "已到期未处置" if key == "earlier" else key, tuple(found[code] for code in periods))
                 for key, found in counts.items())
    return Figure("retention-ending", "stacked", tuple(periods), rows)


def _storage_growth(ask: _Ask) -> Figure:
    months = ask.uow.reports.bytes_per_month(ask.scope, ask.period.fonds, ask.zone)
    rows, total = [], 0
    for month, size in sorted(months.items()):
        total += size
        rows.append(Row(month, month, (megabytes(size), megabytes(total))))
    return Figure("storage-growth", "line", ("added_megabytes", "total_megabytes"), tuple(rows))


def _backup_history(ask: _Ask) -> Figure:
    if ask.period.fonds is not None or ask.scope != EVERYTHING:  # the box's runs tell of everything it holds
        return Figure("backup-history", "bar", ("duration_seconds",), (), withheld=True)
    rows = []
    for run in reversed(ask.uow.backups.recent(BACKUP_RUNS)):
        seconds = round((run.finished_at - run.started_at).total_seconds()) if run.finished_at else 0
        started = run.started_at.astimezone(ask.zone).strftime("%Y-%m-%d %H:%M")
        sizes = (megabytes(run.stats.get("archive_original_size", 0) or 0),
                 megabytes(run.stats.get("archive_deduplicated_size", 0) or 0))
        rows.append(Row(str(run.id), started, (seconds, *sizes), (run.kind.value, run.repository.value,
                                                                 run.state.value)))
    return Figure("backup-history", "bar", ("duration_seconds", "original_megabytes", "deduplicated_megabytes"),
                  tuple(rows), detail_columns=("kind", "repository", "state"), charted=1)


BUILDERS: dict[str, Callable[[_Ask], Figure]] = {
    "holdings-year": _holdings("year"), "holdings-category": _holdings("category"),
    "holdings-retention": _holdings("retention"), "holdings-department": _holdings("department"),
    "intake-daily": _intake_daily, "borrowing-purpose": _borrowing("purpose"),
    "borrowing-department": _borrowing("department"), "most-used": _most_used, "overdue-loans": _overdue_loans,
    "retention-ending": _retention_ending, "storage-growth": _storage_growth, "backup-history": _backup_history,
}
