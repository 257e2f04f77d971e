"""The annual statistics of archive work (年度档案工作统计) in the shape archive authorities ask for: holdings at the
year's end by category and retention (items and pages), the digitised share, what was added, use (利用人次 and
利用件次 by purpose and form), appraisal and destruction. Counts are over what the reader may see; exports audited.

Holdings at the year's end are the items registered before it that had left intake by now and were not destroyed
by then; an item archived after the year's end but registered before it counts (the catalogue keeps no archiving
date of its own). "Added" are those of the holdings registered during the year.
"""

import datetime
from dataclasses import dataclass

from appliance.domain.appraisal import ExpiryRule
from appliance.domain.errors import InvalidInputError
from appliance.domain.loans import FORM_NAMES, PURPOSE_NAMES, count_uses
from appliance.domain.permissions import Action
from appliance.domain.retention import RETENTION_PERIODS
from appliance.domain.sessions import Principal
from appliance.domain.workflow import BorrowForm, UsePurpose
from appliance.services.audit import record
from appliance.services.report_figures import Figure, Row
from appliance.services.reports import sum_classes
from appliance.services.use_register import register_rows

FIRST_YEAR, LAST_YEAR = 1900, 9998
SUMMARY_NAMES = {
    "holdings_items": "馆藏档案（件）", "holdings_pages": "馆藏档案（页）", "digitised_items": "已数字化（件）",
    "digitised_pages": "数字化图像（页）", "digitised_share": "数字化比例（%）", "added_items": "本年新增（件）",
    "added_pages": "本年新增（页）", "use_requests": "利用人次", "use_items": "利用件次",
    "appraised_items": "本年鉴定（件）", "destroyed_items": "本年销毁（件）", "destroyed_pages": "本年销毁（页）",
    "destruction_lists": "销毁清册（份）", "retention_ending": "本年保管期限到期（件）",
}
DECISION_NAMES = {"keep": "继续保存", "extend": "延长保管期限", "destroy": "拟销毁", "destroyed": "已销毁"}


@dataclass(frozen=True)
class AnnualReport:
    """A year's statistics as figures: the summary first, then the tables behind it."""

    year: int
    fonds: str | None
    figures: tuple[Figure, ...]

    @property
    def title(self) -> str:
        scope = f"（全宗 {self.fonds}）" if self.fonds else ""
        return f"{self.year}年度档案工作统计{scope}"

    def summary(self) -> dict[str, int | float]:
        return {row.key: row.values[0] for row in self.figures[0].rows}


def default_year(today: datetime.date) -> int:
    """The year whose report is usually wanted: last year's until the end of March (when it is due), then this."""
    return today.year - 1 if today.month <= 3 else today.year


def annual_report(uow_factory, principal: Principal, year: int, fonds: str | None, zone: datetime.tzinfo
                  = datetime.UTC) -> AnnualReport:
    """The statistics of `year` (local calendar year), of one fonds or all. Raises ForbiddenError without
    REPORTS_VIEW, InvalidInputError for a year out of range."""
    principal.require(Action.REPORTS_VIEW)
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInputError(f"a year from {FIRST_YEAR} to {LAST_YEAR}, not {year!r}")
    start, end = (datetime.datetime(value, 1, 1, tzinfo=zone).astimezone(datetime.UTC) for value in (year, year + 1))
    uses = [entry for entry in register_rows(uow_factory, principal, datetime.date(year, 1, 1),
                                             datetime.date(year, 12, 31), zone)
            if fonds is None or entry.item_code.startswith(f"{fonds}-")]
    scope = principal.scope
    with uow_factory(read_only=True) as uow:
        names = uow.catalogue.categories()
        classes = uow.reports.holdings(scope, fonds, as_of=end, added_since=start)
        facts = {"digitised": uow.reports.digitised(scope, fonds, as_of=end),
                 "added": (sum(found[6] for found in classes), sum(found[7] for found in classes)),
                 "decisions": uow.reports.appraisal_decisions(start, end, scope, fonds),
                 "destroyed": uow.reports.destroyed(start, end, scope, fonds),
                 "ending": _ending_in(classes, year)}
    category, retention = sum_classes(classes, "category"), sum_classes(classes, "retention")
    figures = (_summary(category, facts, uses), _holdings("annual-category", category, names),
               _holdings("annual-retention", retention, {code: period.name_zh for code, period
                                                         in RETENTION_PERIODS.items()}),
               _uses("annual-use-purpose", uses, "purpose_category", UsePurpose, PURPOSE_NAMES),
               _uses("annual-use-form", uses, "form", BorrowForm, FORM_NAMES), _appraisal(facts))
    return AnnualReport(year, fonds, figures)


def export_annual(uow_factory, principal: Principal, year: int, fonds: str | None, writer, form: str,
                  zone: datetime.tzinfo = datetime.UTC) -> bytes:
    """The annual report written by `writer` (title, figures) as `form` (xlsx or pdf); audited.

    Raises as annual_report does."""
    report = annual_report(uow_factory, principal, year, fonds, zone)
    data = writer(report.title, list(report.figures))
    with uow_factory() as uow:
        record(uow, principal.actor, "report.export", "report", f"annual-{year}",
               {"format": form, "year": year, "fonds": fonds, "via": principal.via})
        uow.commit()
    return data


def _summary(category: list, facts: dict, uses: list) -> Figure:
    items, pages = sum(row[1] for row in category), sum(row[2] for row in category)
    digitised_items, digitised_pages = facts["digitised"]
    destroyed_items, destroyed_pages, lists = facts["destroyed"]
    values = {
        "holdings_items": items, "holdings_pages": pages, "digitised_items": digitised_items,
        "digitised_pages": digitised_pages,
        "digitised_share": round(100 * digitised_items / items, 1) if items else 0.0,
        "added_items": facts["added"][0], "added_pages": facts["added"][1],
        "use_requests": len({entry.request_id for entry in uses}), "use_items": len(uses),
        "appraised_items": sum(facts["decisions"].values()), "destroyed_items": destroyed_items,
        "destroyed_pages": destroyed_pages, "destruction_lists": lists, "retention_ending": facts["ending"],
    }
    rows = tuple(Row(key, SUMMARY_NAMES[key], (value,)) for key, value in values.items())
    return Figure("annual-summary", "table", ("value",), rows)


def _holdings(name: str, found: list, names: dict[str, str]) -> Figure:
    return Figure(name, "bar", ("items", "pages"),
                  tuple(Row(key, names.get(key, key), (items, pages)) for key, items, pages in found), charted=1)


def _uses(name: str, uses: list, field: str, kinds, names: dict[str, str]) -> Figure:
    counts = count_uses(uses, lambda entry: getattr(entry, field))
    keys = [kind.value for kind in kinds] + sorted(set(counts) - {kind.value for kind in kinds})
    rows = tuple(Row(key, names.get(key, key), (counts[key].requests, counts[key].items) if key in counts else (0, 0))
                 for key in keys)
    return Figure(name, "bar", ("requests", "use_items"), rows)


def _appraisal(facts: dict) -> Figure:
    decided = facts["decisions"]
    counts = {key: decided.get(key, 0) for key in ("keep", "extend", "destroy")}
    counts["destroyed"] = facts["destroyed"][0]
    return Figure("annual-appraisal", "bar", ("items",),
                  tuple(Row(key, DECISION_NAMES[key], (count,)) for key, count in counts.items()))


def _ending_in(classes: list[tuple], year: int) -> int:
    """Items held at the end of `year` whose retention period runs out then."""
    rule = ExpiryRule()
    return sum(items for filed, _, retention, _, items, *_ in classes
               if retention in RETENTION_PERIODS and rule.last_year_kept(filed, retention) == year)
