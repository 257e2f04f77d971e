"""The loan desk and the use register in the console: hand out, see what is out and late, renew, take back."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from appliance.domain.access import EVERYTHING
from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.domain.permissions import allowed_actions
from appliance.domain.sessions import Principal
from appliance.domain.workflow import BorrowForm, BorrowTerms, Decision
from appliance.services.borrowing import request_borrowing
from appliance.services.items import add_item
from appliance.services.loans import issue_loans, open_loans
from appliance.services.workflows import decide_request
from tests.support.console import make_person, post_form, sign_in

CODE = "Z109-WS·2011-Y-BGS-0001"
WEEK_AGO = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=7)


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


def person(name: str, role: str) -> Principal:
    return Principal(name, name, frozenset({role}), allowed_actions([role]), EVERYTHING, "192.0.2.7")


@pytest.fixture
def lending(appliance, actor, fonds) -> int:
    """reader-li's approved request to borrow the paper file for 3 days, approved a week ago."""
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
             ItemFields.build(title="关于开展档案工作检查的通知", date="20110315", pages=2))
    for name, role in (("desk-wang", "archivist"), ("reader-li", "reader"), ("approver-zhao", "approver")):
        make_person(appliance, name, [role])
    terms = BorrowTerms("核对任免时间", BorrowForm.LEND, 3)
    request_id = request_borrowing(appliance.uow_factory, person("reader-li", "reader"), [CODE], terms,
                                   WEEK_AGO).request.id
    decide_request(appliance.uow_factory, person("approver-zhao", "approver"), request_id, Decision.APPROVE, "",
                   WEEK_AGO)
    return request_id


def test_the_desk_hands_out_renews_and_takes_back(client, appliance, lending):
    sign_in(client, "desk-wang")
    page = client.get("/loans").get_data(as_text=True)
    assert f"/loans/requests/{lending}/issue" in page and CODE in page
    assert post_form(client, f"/loans/requests/{lending}/issue", {}, "/loans").status_code == 302
    page = client.get("/loans").get_data(as_text=True)
    assert f"/loans/requests/{lending}/issue" not in page and 'class="card overdue"' not in page
    (loan,) = open_loans(appliance.uow_factory, person("desk-wang", "archivist"), WEEK_AGO)
    post_form(client, f"/loans/{loan.id}/renew", {"days": "2"}, "/loans")
    (renewed,) = open_loans(appliance.uow_factory, person("desk-wang", "archivist"), WEEK_AGO)
    assert renewed.renewals == 1 and renewed.due_at == loan.due_at + datetime.timedelta(days=2)
    refused = post_form(client, f"/loans/{loan.id}/return", {"pages_counted": "2", "altered": "yes"}, "/loans")
    assert refused.status_code == 302 and "what was altered" in client.get("/loans").get_data(as_text=True)
    post_form(client, f"/loans/{loan.id}/return", {"pages_counted": "1", "note": "缺第2页"}, "/loans")
    assert open_loans(appliance.uow_factory, person("desk-wang", "archivist"), WEEK_AGO) == []


def test_an_overdue_loan_is_highlighted(client, appliance, lending):
    half_day = datetime.timedelta(hours=12)
    issue_loans(appliance.uow_factory, person("desk-qian", "archivist"), lending, WEEK_AGO + half_day)  # 3.5 days late
    sign_in(client, "desk-wang")
    page = client.get("/loans", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'class="card overdue"' in page and "Overdue by 4 days" in page


def test_the_register_page_shows_the_use_and_the_year(client, appliance, lending):
    issue_loans(appliance.uow_factory, person("desk-qian", "archivist"), lending, WEEK_AGO)
    sign_in(client, "approver-zhao")
    today = datetime.datetime.now(datetime.UTC).date()
    start = (today - datetime.timedelta(days=30)).isoformat()
    page = client.get(f"/register?from={start}&to={today.isoformat()}").get_data(as_text=True)
    assert CODE in page and "核对任免时间" in page and "register.xlsx" in page
    link = f"/api/v1/register.xlsx?from={start}&to={today.isoformat()}"
    sheet = load_workbook(io.BytesIO(client.get(link).data)).active
    assert sheet["I3"].value == CODE  # the download link works with the console's session
    bad = client.get("/register?from=someday").get_data(as_text=True)
    assert "YYYY-MM-DD" in bad


def test_a_reader_is_not_let_in(client, appliance, lending):
    sign_in(client, "reader-li")
    assert client.get("/loans").status_code == 403
    assert client.get("/register").status_code == 403
    assert post_form(client, f"/loans/requests/{lending}/issue", {}).status_code == 403
