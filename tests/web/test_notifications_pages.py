"""Notifications in the console and over the API: counts on every page, one's own only, CSRF on marking read;
and the security administrator setting a person's mail address."""

import datetime
import re

import pytest

from appliance.adapters.sample_batch import render_text_page
from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.domain.permissions import MATRIX
from appliance.services import accounts
from appliance.services.api_tokens import issue_token
from appliance.services.audit import latest_events
from appliance.services.items import add_item
from appliance.services.notifications import notify
from tests.support.console import SECURITY_OFFICER, csrf_token, make_person, post_form, signed_in_client

CODE = "Z109-WS·2011-Y-BGS-0001"
NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
UNREAD_BADGE = re.compile(r'class="bell"[^>]*>[^<]*<span class="count"[^>]*>(\d+)</span>')
WAITING_BADGE = re.compile(r'href="/approvals"[^>]*>[^<]*<span class="count"[^>]*>(\d+)</span>')


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"



@pytest.fixture
def people(app, appliance):
    make_person(appliance, "zhao", ["approver"])
    make_person(appliance, "qian", ["archivist"])
    return {"zhao": signed_in_client(app, "zhao"), "qian": signed_in_client(app, "qian")}


def leave(appliance, username: str, kind: str, params: dict, link: str = "") -> int:
    with appliance.uow_factory() as uow:
        notify(uow, [username], kind, NOW, params, link)
        uow.commit()
    with appliance.uow_factory(read_only=True) as uow:
        return uow.notifications.list_for(username, False, 1)[0].id


def test_counts_show_on_every_page_and_the_inbox_lists_ones_own(app, appliance, actor, fonds, people, tmp_path):
    scan = tmp_path / "page.png"
    render_text_page(["关于开展档案工作检查的通知"], dpi=75).save(scan)
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
             ItemFields.build(title="关于开展档案工作检查的通知", date="20110315", responsible="办公室"), [scan])
    opened = post_form(people["qian"], f"/items/{CODE}/archive", {"reason": "年度归档"}, f"/items/{CODE}")
    assert opened.status_code == 302 and opened.location.endswith("/approvals")
    leave(appliance, "zhao", "loan.due_soon", {"item": CODE, "due": "2026-12-01"})
    page = people["zhao"].get("/").get_data(as_text=True)
    assert UNREAD_BADGE.search(page).group(1) == "2" and WAITING_BADGE.search(page).group(1) == "1"
    inbox = people["zhao"].get("/notifications").get_data(as_text=True)
    assert f"The paper file {CODE} is due back 2026-12-01" in inbox
    assert "Archiving request 1 waits for your decision" in inbox
    assert UNREAD_BADGE.search(people["qian"].get("/").get_data(as_text=True)) is None  # nothing for the asker yet
    assert "No notifications." in people["qian"].get("/notifications").get_data(as_text=True)


def test_marking_read_needs_csrf_and_ones_own_notification(app, appliance, people):
    mine = leave(appliance, "zhao", "request.approved", {"request": 3, "kind": "borrowing", "item": CODE,
                                                         "title": "题名", "count": 1}, "/approvals")
    theirs = leave(appliance, "qian", "loan.overdue", {"item": CODE, "due": "2026-11-01"})
    client = people["zhao"]
    assert client.post(f"/notifications/{mine}/read").status_code == 400  # no CSRF token
    assert post_form(client, f"/notifications/{theirs}/read", {}).status_code == 404
    opened = post_form(client, f"/notifications/{mine}/read", {"open": "1"})
    assert opened.status_code == 302 and opened.location.endswith("/approvals")
    assert UNREAD_BADGE.search(client.get("/").get_data(as_text=True)) is None
    assert UNREAD_BADGE.search(people["qian"].get("/").get_data(as_text=True)).group(1) == "1"
    assert post_form(people["qian"], "/notifications/read-all", {}).status_code == 302
    assert UNREAD_BADGE.search(people["qian"].get("/").get_data(as_text=True)) is None


def test_the_api_serves_ones_own_notifications(app, appliance, people):
    mine = leave(appliance, "zhao", "backup.failed", {"error": "twin unreachable"})
    theirs = leave(appliance, "qian", "loan.overdue", {"item": CODE, "due": "2026-11-01"})
    _, secret = issue_token(appliance.uow_factory, SECURITY_OFFICER, "zhao", "zhao's script",
                            [action.value for action in MATRIX["approver"]], datetime.datetime.now(datetime.UTC))
    token = {"Authorization": f"Bearer {secret}"}
    client = app.test_client()
    listed = client.get("/api/v1/notifications?unread=1", headers=token).json["notifications"]
    assert [(notice["id"], notice["text"]["en"]) for notice in listed] == [
        (mine, "The backup failed: twin unreachable")]
    assert client.get("/api/v1/notifications/count", headers=token).json == {"unread": 1, "awaiting": 0}
    assert client.post(f"/api/v1/notifications/{theirs}/read", headers=token).status_code == 404
    assert client.get("/api/v1/notifications?unread=maybe", headers=token).status_code == 422
    read = client.post(f"/api/v1/notifications/{mine}/read", headers=token)
    assert read.status_code == 200 and read.json["read_at"]
    assert client.get("/api/v1/notifications?unread=true", headers=token).json["notifications"] == []
    assert client.post("/api/v1/notifications/read-all", headers=token).json == {"marked": 0}
    session = people["qian"]  # signed in with a cookie: the API asks for the CSRF token like a form
    assert session.post("/api/v1/notifications/read-all").status_code == 400
    marked = session.post("/api/v1/notifications/read-all", headers={"X-CSRFToken": csrf_token(session, "/")})
    assert marked.json == {"marked": 1}
    assert client.get("/api/v1/notifications/count").status_code == 401


def test_the_security_administrator_sets_a_mail_address(app, appliance, people):
    secret = make_person(appliance, "security-sun", ["security_admin"], with_totp=True)
    security = signed_in_client(app, "security-sun", secret)
    refused = post_form(security, "/admin/users/zhao/email", {"email": "not an address"}, "/admin/users")
    assert refused.status_code == 422 and "not a mail address" in refused.get_data(as_text=True)
    done = post_form(security, "/admin/users/zhao/email", {"email": "zhao@example.cn"}, "/admin/users")
    assert done.status_code == 302
    assert "zhao@example.cn" in security.get("/admin/users").get_data(as_text=True)
    assert accounts.mail_addresses(appliance.uow_factory) == {"zhao": "zhao@example.cn"}
    event = latest_events(appliance.uow_factory, 1)[0]
    assert (event.actor, event.action, event.object_id) == ("security-sun", "account.email", "zhao")
    assert post_form(people["zhao"], "/admin/users/zhao/email", {"email": "me@example.cn"}).status_code == 403
