"""The destruction pages: compile from /destruction, approve in the inbox, two witnesses sign with their passwords."""

import datetime
import zoneinfo

import pytest

from tests.integration.services.test_destruction import decide_destroy, file_archived_items, png
from tests.support.console import PASSWORD, make_person, post_form, sign_in

# numbered by the year in the box's time zone (Asia/Shanghai by default) when the test runs
FIRST_LIST = f"Z109-XH-{datetime.datetime.now(zoneinfo.ZoneInfo('Asia/Shanghai')).year}-001"

PEOPLE = {"wang": "archivist", "zhao": "approver", "li-na": "archivist", "qian": "approver", "sun": "reader"}


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


@pytest.fixture
def clients(app, appliance, actor, fonds, tmp_path):
    items = file_archived_items(appliance, actor, [[png(tmp_path, 10)], [png(tmp_path, 20)]])
    decide_destroy(appliance, items)
    signed_in = {}
    for username, role in PEOPLE.items():
        make_person(appliance, username, [role])
        signed_in[username] = app.test_client()
        assert sign_in(signed_in[username], username).status_code == 302
    return signed_in


def test_a_list_is_compiled_approved_and_witnessed_in_the_console(clients):
    page = clients["wang"].get("/destruction").get_data(as_text=True)
    assert 'name="reason"' in page and '<option value="Z109">' in page
    compiled = post_form(clients["wang"], "/destruction", {"fonds": "Z109", "reason": "2011 年度到期档案销毁"},
                         "/destruction")
    assert compiled.status_code == 302
    details = compiled.location
    assert FIRST_LIST in clients["wang"].get(details).get_data(as_text=True)
    inbox = clients["zhao"].get("/approvals").get_data(as_text=True)
    request_id = int(inbox.split('action="/approvals/', 1)[1].split('"', 1)[0])
    post_form(clients["zhao"], f"/approvals/{request_id}", {"decision": "approve"}, "/approvals")
    assert 'type="password"' not in clients["wang"].get(details).get_data(as_text=True)  # the compiler
    assert 'type="password"' in clients["li-na"].get(details).get_data(as_text=True)
    wrong = post_form(clients["li-na"], f"{details}/witnesses", {"password": "guess-2026!"}, details)
    assert "password is wrong" in clients["li-na"].get(wrong.location).get_data(as_text=True)
    post_form(clients["li-na"], f"{details}/witnesses", {"password": PASSWORD}, details)
    post_form(clients["qian"], f"{details}/witnesses", {"password": PASSWORD}, details)
    shown = clients["qian"].get(details).get_data(as_text=True)
    assert "li-na" in shown and "qian" in shown and 'type="password"' not in shown
    pdf = clients["zhao"].get(f"{details}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    listing = clients["zhao"].get("/destruction").get_data(as_text=True)
    assert FIRST_LIST in listing and 'name="reason"' not in listing  # approvers do not compile


def test_readers_are_kept_out(clients):
    assert clients["sun"].get("/destruction").status_code == 403
    assert post_form(clients["sun"], "/destruction", {"fonds": "Z109", "reason": "x"}).status_code == 403
