"""The use register (利用登记): every item of every approved borrowing, how it was used and how it came back; its
xlsx export and the annual statistics it feeds (利用人次 and 利用件次 by purpose, form and department)."""

import datetime
from collections.abc import Callable

from appliance.domain.errors import InvalidInputError
from appliance.domain.loans import (
    CHECK_NAMES,
    FORM_NAMES,
    PURPOSE_NAMES,
    UseCount,
    UseRecord,
    UseStatistics,
    count_uses,
)
from appliance.domain.permissions import Action
from appliance.domain.sessions import Principal
from appliance.domain.workflow import BorrowForm, UsePurpose
from appliance.services.audit import record

LAST_DAY = datetime.date(9998, 12, 31)  # a day later must still be a date, in every time zone
MAX_DAYS = 3660  # ten years in one register is plenty; longer asks are mistakes
REGISTER_COLUMNS = [("序号", 6), ("登记日期", 12), ("申请编号", 9), ("借阅人", 14), ("姓名", 12), ("利用目的", 11),
                    ("目的说明", 30), ("利用方式", 9), ("档号", 26), ("题名", 40), ("页数", 6), ("批准人", 16),
                    ("期限(天)", 8), ("到期", 12), ("借出日期", 12), ("归还日期", 12), ("归还检查", 10),
                    ("清点页数", 8), ("电子利用截止", 12)]
RegisterWriter = Callable[[str, list[tuple[str, int]], list[list]], bytes]


def register_rows(uow_factory, principal: Principal, start: datetime.date, end: datetime.date,
                  zone: datetime.tzinfo = datetime.UTC) -> list[UseRecord]:
    """The register from `start` to `end` (both days included, by approval date in `zone`); items outside the
    principal's scope are left out. Raises ForbiddenError or InvalidInputError (an empty or too long period)."""
    principal.require(Action.REPORTS_VIEW)
    since, until = _period(start, end, zone)
    with uow_factory(read_only=True) as uow:
        return uow.loans.register(since, until, principal.scope)


def export_register_xlsx(uow_factory, principal: Principal, start: datetime.date, end: datetime.date,
                         writer: RegisterWriter, zone: datetime.tzinfo = datetime.UTC) -> bytes:
    """The register as an xlsx workbook, written by `writer`; the export is audited.

    Raises ForbiddenError or InvalidInputError as register_rows does.
    """
    records = register_rows(uow_factory, principal, start, end, zone)
    title = f"档案利用登记表（{start.isoformat()} 至 {end.isoformat()}）"
    workbook = writer(title, REGISTER_COLUMNS, [_cells(number, entry, zone)
                                                for number, entry in enumerate(records, start=1)])
    with uow_factory() as uow:
        record(uow, principal.actor, "register.export", "register", f"{start.isoformat()}..{end.isoformat()}",
               {"format": "xlsx", "rows": len(records), "timezone": str(zone)})
        uow.commit()
    return workbook


def annual_statistics(uow_factory, principal: Principal, year: int, now: datetime.datetime,
                      zone: datetime.tzinfo = datetime.UTC) -> UseStatistics:
    """利用人次 and 利用件次 of a year by purpose, form and department, with totals; and the loans that ran late
    and the returns that found a discrepancy in it. Raises ForbiddenError or InvalidInputError (the year)."""
    principal.require(Action.REPORTS_VIEW)
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= LAST_DAY.year:
        raise InvalidInputError(f"a year from 1900 to {LAST_DAY.year}, not {year!r}")
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    since, until = _period(start, end, zone)
    with uow_factory(read_only=True) as uow:
        records = uow.loans.register(since, until, principal.scope)
        overdue, discrepancies = uow.loans.loan_troubles(since, until, now, principal.scope)
    total = UseCount(len({entry.request_id for entry in records}), len(records))
    return UseStatistics(
        year=year,
        by_purpose=_with_zeros(count_uses(records, lambda entry: entry.purpose_category), UsePurpose),
        by_form=_with_zeros(count_uses(records, lambda entry: entry.form), BorrowForm),
        by_department=dict(sorted(count_uses(records, lambda entry: entry.department).items())),
        department_names={entry.department: entry.department_name for entry in records},
        total=total, loans_overdue=overdue, return_discrepancies=discrepancies)


def _period(start: datetime.date, end: datetime.date, zone: datetime.tzinfo) -> tuple:
    if end > LAST_DAY:
        raise InvalidInputError(f"a register ends by {LAST_DAY.isoformat()}")
    if end < start:
        raise InvalidInputError(f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInputError(f"a register covers at most {MAX_DAYS} days; ask for a shorter period")
    since = datetime.datetime.combine(start, datetime.time(), zone)
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(), zone)
    return since.astimezone(datetime.UTC), until.astimezone(datetime.UTC)


def _with_zeros(counts: dict[str, UseCount], kinds) -> dict[str, UseCount]:
    """Every purpose (or form) in its order, those without use as zero; anything unknown after them."""
    ordered = {kind.value: counts.get(kind.value, UseCount()) for kind in kinds}
    return {**ordered, **{key: value for key, value in counts.items() if key not in ordered}}


def _cells(number: int, entry: UseRecord, zone: datetime.tzinfo) -> list:
    def day(moment):
        return None if moment is None else moment.astimezone(zone).date()

    borrower_name = entry.borrower_name
    check = CHECK_NAMES.get(entry.return_check or "", entry.return_check)
    return [number, day(entry.approved_at), entry.request_id, entry.borrower, borrower_name,
            PURPOSE_NAMES.get(entry.purpose_category, entry.purpose_category), entry.purpose,
            FORM_NAMES.get(entry.form, entry.form), entry.item_code, entry.item_title, entry.item_pages,
            "、".join(entry.approvers), entry.days, day(entry.use_until), day(entry.issued_at), day(entry.returned_at),
            check, entry.pages_counted, day(entry.grant_expires_at)]
