"""The use register on both databases: its rows, the xlsx read back, and the annual statistics of a known set."""

import datetime
import io
import zoneinfo

import pytest
from openpyxl import load_workbook

from appliance.adapters.register_xlsx import write_register
from appliance.domain.access import EVERYTHING, AccessScope
from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.domain.errors import ForbiddenError, InvalidInputError
from appliance.domain.loans import UseCount
from appliance.domain.permissions import allowed_actions
from appliance.domain.sessions import Principal
from appliance.domain.workflow import BorrowForm, BorrowTerms, Decision, UsePurpose
from appliance.services.audit import history
from appliance.services.borrowing import request_borrowing
from appliance.services.items import add_item
from appliance.services.loans import issue_loans, return_loan
from appliance.services.use_register import annual_statistics, export_register_xlsx, register_rows
from appliance.services.workflows import decide_request

DAY = datetime.timedelta(days=1)
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
YEAR_START, YEAR_END = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)


def person(name: str, role: str, scope: AccessScope = EVERYTHING) -> Principal:
    return Principal(name, f"{name}的名字", frozenset({role}), allowed_actions([role]), scope, "192.0.2.7")


DESK, APPROVER = person("desk-wang", "archivist"), person("approver-zhao", "approver")
READER, CITIZEN = person("reader-li", "reader"), person("citizen-he", "reader")


@pytest.fixture
def codes(appliance, actor, fonds):
    """Two items of 办公室 (BGS) and one of 人事处 (RSC), 3 pages each."""
    made = {}
    for name, department in (("first", "BGS"), ("second", "BGS"), ("personnel", "RSC")):
        fields = ItemFields.build(title=f"{name} 文件", date="20110315", access_label="内部", pages=3)
        key = ClassKey("Z109", "WS", 2011, "Y", department)
        made[name] = add_item(appliance.uow_factory, appliance.blob_store, actor, key, fields).archival_code
    return made


def borrow(appliance, who, codes, form, category, when, purpose="编写大事记", decision=Decision.APPROVE) -> int:
    terms = BorrowTerms(purpose, form, 7, purpose_category=category)
    request_id = request_borrowing(appliance.uow_factory, who, codes, terms, when).request.id
    decide_request(appliance.uow_factory, APPROVER, request_id, decision, "不符合规定" if decision == "reject" else "",
                   when)
    return request_id


@pytest.fixture
def known_set(appliance, codes):
    """2026: a loan of two items (research), a reading (work, purpose "=1+1"), a copy (evidence); a rejected
    request and one of 2025 that do not count. The loan: one item back late, one back early with a page missing."""
    lent = borrow(appliance, READER, [codes["first"], codes["personnel"]], BorrowForm.LEND, UsePurpose.RESEARCH,
                  START)
    read = borrow(appliance, READER, [codes["first"]], BorrowForm.READ, UsePurpose.WORK, START + DAY, "=1+1")
    borrow(appliance, CITIZEN, [codes["second"]], BorrowForm.COPY, UsePurpose.EVIDENCE, START + 2 * DAY)
    borrow(appliance, CITIZEN, [codes["second"]], BorrowForm.COPY, UsePurpose.EVIDENCE, START + 3 * DAY,
           decision=Decision.REJECT)
    borrow(appliance, READER, [codes["second"]], BorrowForm.READ, UsePurpose.WORK, START - 365 * DAY)
    first, personnel = issue_loans(appliance.uow_factory, DESK, lent, START + DAY)
    return_loan(appliance.uow_factory, DESK, first.id, 3, False, "", START + 20 * DAY)  # due on day 8
    return_loan(appliance.uow_factory, DESK, personnel.id, 2, False, "", START + 3 * DAY)
    return {"lent": lent, "read": read}


def test_the_register_has_a_row_per_item_of_each_approved_request(appliance, codes, known_set):
    rows = register_rows(appliance.uow_factory, DESK, YEAR_START, YEAR_END)
    lent, read = known_set["lent"], known_set["read"]
    assert [(row.request_id, row.item_code) for row in rows][:3] == [
        (lent, codes["first"]), (lent, codes["personnel"]), (read, codes["first"])]
    assert len(rows) == 4
    personnel = rows[1]
    assert (personnel.form, personnel.purpose_category, personnel.approvers, personnel.item_pages) == (
        "lend", "research", ("approver-zhao",), 3)
    assert (personnel.issued_at, personnel.returned_at, personnel.return_check) == (
        START + DAY, START + 3 * DAY, "pages_missing")
    reading = rows[2]
    assert reading.grant_expires_at == START + DAY + 7 * DAY and reading.issued_at is None
    assert register_rows(appliance.uow_factory, DESK, datetime.date(2026, 3, 3), datetime.date(2026, 3, 3)) == [
        rows[2]]


def test_the_period_follows_the_time_zone(appliance, codes):
    late_evening = datetime.datetime(2026, 12, 31, 20, 0, tzinfo=datetime.UTC)  # 1 January 2027 in Shanghai
    borrow(appliance, READER, [codes["first"]], BorrowForm.READ, UsePurpose.WORK, late_evening)
    assert len(register_rows(appliance.uow_factory, DESK, YEAR_START, YEAR_END)) == 1
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    assert register_rows(appliance.uow_factory, DESK, YEAR_START, YEAR_END, shanghai) == []


def test_the_xlsx_reads_back_with_text_kept_as_text(appliance, codes, known_set):
    data = export_register_xlsx(appliance.uow_factory, DESK, YEAR_START, YEAR_END, write_register)
    sheet = load_workbook(io.BytesIO(data)).active
    assert "档案利用登记表" in sheet["A1"].value and sheet.freeze_panes == "A3"
    headers = [cell.value for cell in sheet[2]]
    assert headers[:4] == ["序号", "登记日期", "申请编号", "借阅人"] and "利用目的" in headers and "归还检查" in headers
    values = dict(zip(headers, [cell.value for cell in sheet[4]], strict=True))
    assert (values["档号"], values["利用方式"], values["利用目的"], values["页数"]) == (codes["personnel"], "借出",
                                                                                 "学术研究", 3)
    assert (values["归还检查"], values["清点页数"], values["批准人"]) == ("页数不符", 2, "approver-zhao")
    assert values["借出日期"].date() == datetime.date(2026, 3, 3)
    purpose = sheet.cell(row=5, column=headers.index("目的说明") + 1)
    assert (purpose.value, purpose.data_type) == ("=1+1", "s")  # the borrower's words, never a formula
    assert sheet.max_row == 2 + 4
    (event,) = [event for event in history(appliance.uow_factory, "register", "2026-01-01..2026-12-31")]
    assert event.action == "register.export" and event.details["rows"] == 4


def test_annual_statistics_of_a_known_set(appliance, known_set):
    statistics = annual_statistics(appliance.uow_factory, DESK, 2026, START + 30 * DAY)
    assert statistics.total == UseCount(3, 4)
    assert statistics.by_purpose["research"] == UseCount(1, 2)
    assert statistics.by_purpose["work"] == UseCount(1, 1) and statistics.by_purpose["history"] == UseCount(0, 0)
    assert list(statistics.by_purpose) == [purpose.value for purpose in UsePurpose]
    assert (statistics.by_form["lend"], statistics.by_form["copy"]) == (UseCount(1, 2), UseCount(1, 1))
    assert statistics.by_department == {"BGS": UseCount(3, 3), "RSC": UseCount(1, 1)}
    assert statistics.department_names == {"BGS": "办公室", "RSC": "人事处"}
    assert (statistics.loans_overdue, statistics.return_discrepancies) == (1, 1)
    earlier = annual_statistics(appliance.uow_factory, DESK, 2025, START + 30 * DAY)
    assert earlier.total == UseCount(1, 1) and earlier.loans_overdue == 0


def test_refusals(appliance, codes):
    with pytest.raises(ForbiddenError):
        register_rows(appliance.uow_factory, READER, YEAR_START, YEAR_END)
    with pytest.raises(ForbiddenError):
        annual_statistics(appliance.uow_factory, READER, 2026, START)
    with pytest.raises(InvalidInputError, match="before it starts"):
        register_rows(appliance.uow_factory, DESK, YEAR_END, YEAR_START)
    with pytest.raises(InvalidInputError):
        annual_statistics(appliance.uow_factory, DESK, 20_260, START)
