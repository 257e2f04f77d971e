"""Borrowing in the console: the form and its refusals, one's requests with their decisions and grants, withdrawal,
the item page's borrow link and grant line; and the purpose category over the API."""

import datetime
import re

import pytest

from appliance.adapters.sample_batch import render_text_page
from appliance.domain.catalogue import AccessLabel, ItemFields
from appliance.domain.codes import ClassKey
from appliance.domain.permissions import MATRIX
from appliance.services import workflows
from appliance.services.api_tokens import issue_token
from appliance.services.audit import latest_events
from appliance.services.borrowing import expire_grants
from appliance.services.items import add_item
from tests.support.console import SECURITY_OFFICER, csrf_token, make_person, post_form, sign_in

CODE = "Z109-WS·2011-Y-BGS-0001"  # 内部, with a page
RESTRICTED = "Z109-WS·2011-Y-RSC-0001"  # 受控: beyond a reader cleared for 内部
RESTRICTED_TITLE = "人事处受控文件"
UNKNOWN = "Z109-WS·2011-Y-BGS-0099"
REQUEST_CARD = re.compile(r'id="request-(\d+)"')


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


@pytest.fixture
def items(appliance, actor, fonds, tmp_path):
    page = tmp_path / "page.png"
    render_text_page(["关于开展档案工作检查的通知"], dpi=75).save(page)
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
             ItemFields.build(title="关于开展档案工作检查的通知", date="20110315"), [page])
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "RSC"),
             ItemFields.build(title=RESTRICTED_TITLE, date="20110401", access_label="受控"))
    return CODE


@pytest.fixture
def reader(app, appliance, items):
    client = app.test_client()
    make_person(appliance, "sun.reader", ["reader"], clearance=AccessLabel.INTERNAL)
    assert sign_in(client, "sun.reader").status_code == 302
    return client


@pytest.fixture
def approver(app, appliance, items):
    client = app.test_client()
    make_person(appliance, "zhao.approver", ["approver"])
    assert sign_in(client, "zhao.approver").status_code == 302
    return client


def form(**changes) -> dict:
    return {"items": CODE, "purpose_category": "research", "purpose": "撰写机关志第三章", "form": "excerpt",
            "days": "10", "may_download": "1", **changes}


def ask(client, **changes):
    return post_form(client, "/borrowing/new", form(**changes), "/borrowing/new")


def asked_ids(client) -> list[int]:
    return [int(number) for number in REQUEST_CARD.findall(client.get("/borrowing").get_data(as_text=True))]


def test_a_reader_asks_from_the_item_page_and_finds_the_request_in_their_list(reader, appliance):
    item_page = reader.get(f"/items/{CODE}").get_data(as_text=True)
    assert 'href="/borrowing/new?items=Z109-WS%C2%B72011-Y-BGS-0001"' in item_page
    assert 'data-grant="none"' in item_page  # no grant yet, and the page says so
    blank = reader.get("/borrowing/new?items=" + CODE).get_data(as_text=True)
    assert f">{CODE}</textarea>" in blank and 'name="csrf_token"' in blank
    asked = ask(reader)
    assert asked.status_code == 302 and asked.location.endswith("/borrowing")
    listing = reader.get("/borrowing").get_data(as_text=True)
    (request_id,) = asked_ids(reader)
    assert f"{request_id}" in listing and CODE in listing and "关于开展档案工作检查的通知" in listing
    assert "撰写机关志第三章" in listing and "待审批" in listing and 'data-state="pending"' in listing
    view = workflows.show_request(appliance.uow_factory, request_id)
    assert view.request.requester == "sun.reader" and view.items == [CODE]
    assert view.payload == {"purpose": "撰写机关志第三章", "form": "excerpt", "days": 10, "may_download": True,
                            "may_print": False, "purpose_category": "research"}
    assert latest_events(appliance.uow_factory, 1)[0].action == "request.open"


@pytest.mark.parametrize("changes, status, shown", [
    ({"purpose": "  "}, 422, f">{CODE}</textarea>"),  # what was typed stays
    ({"days": "0"}, 422, "撰写机关志第三章"),
    ({"days": "91"}, 422, "撰写机关志第三章"),
    ({"days": "十"}, 422, "撰写机关志第三章"),
    ({"purpose_category": "curiosity"}, 422, "撰写机关志第三章"),
    ({"form": "burn"}, 422, "撰写机关志第三章"),
    ({"items": " , "}, 422, "撰写机关志第三章"),
    ({"items": "Z109-WS-2011"}, 422, "撰写机关志第三章"),
    ({"items": f"{CODE}\n{UNKNOWN}"}, 404, UNKNOWN),
], ids=["no purpose", "days 0", "days 91", "days not a number", "unknown purpose", "unknown form", "no items",
        "malformed code", "unknown code"])
def test_bad_input_is_refused_on_the_form_with_what_was_typed_kept(reader, changes, status, shown):
    refused = ask(reader, **changes)
    page = refused.get_data(as_text=True)
    assert refused.status_code == status
    assert 'class="error" role="alert"' in page and shown in page
    assert asked_ids(reader) == []


def test_an_item_beyond_the_clearance_is_refused_like_an_unknown_one(reader):
    unknown = ask(reader, items=UNKNOWN)
    hidden = ask(reader, items=RESTRICTED)
    assert hidden.status_code == unknown.status_code == 404
    message = re.compile(r'<p class="error" role="alert">(.*?)</p>')
    hidden_message = message.search(hidden.get_data(as_text=True)).group(1)
    assert hidden_message == message.search(unknown.get_data(as_text=True)).group(1).replace(UNKNOWN, RESTRICTED)
    assert RESTRICTED_TITLE not in hidden.get_data(as_text=True)
    assert asked_ids(reader) == []


def test_a_pending_request_is_withdrawn_by_its_requester_only(app, appliance, reader, approver):
    ask(reader)
    (request_id,) = asked_ids(reader)
    someone_else = post_form(approver, f"/borrowing/{request_id}/withdraw", {}, "/borrowing")
    assert someone_else.status_code == 302
    assert workflows.show_request(appliance.uow_factory, request_id).request.state.value == "pending"
    assert "sun.reader" not in approver.get("/borrowing").get_data(as_text=True)  # who asked is not told
    withdrawn = post_form(reader, f"/borrowing/{request_id}/withdraw", {}, "/borrowing")
    assert withdrawn.status_code == 302 and withdrawn.location.endswith("/borrowing")
    assert workflows.show_request(appliance.uow_factory, request_id).request.state.value == "withdrawn"
    listing = reader.get("/borrowing").get_data(as_text=True)
    assert "已撤回" in listing and f'/borrowing/{request_id}/withdraw' not in listing  # no button once withdrawn
    again = post_form(reader, f"/borrowing/{request_id}/withdraw", {}, "/borrowing")
    assert again.status_code == 302 and "withdrawn" in reader.get("/borrowing").get_data(as_text=True)


def test_the_list_shows_who_rejected_and_why(reader, approver):
    ask(reader)
    (request_id,) = asked_ids(reader)
    post_form(approver, f"/approvals/{request_id}", {"decision": "reject", "reason": "请注明所需章节"}, "/approvals")
    listing = reader.get("/borrowing").get_data(as_text=True)
    assert "已退回" in listing and "zhao.approver" in listing and "请注明所需章节" in listing
    assert 'data-grant=' not in listing  # a rejection grants nothing


def test_an_approved_reading_shows_its_grant_until_it_ends(appliance, reader, approver):
    ask(reader, form="read", days="3")
    (request_id,) = asked_ids(reader)
    post_form(approver, f"/approvals/{request_id}", {"decision": "approve"}, "/approvals")
    listing = reader.get("/borrowing").get_data(as_text=True)
    assert 'data-grant="in-force"' in listing and "已批准" in listing
    assert 'data-grant="in-force"' in reader.get(f"/items/{CODE}").get_data(as_text=True)
    assert reader.get(f"/items/{CODE}/pages/1.jpg").status_code == 200
    # The worker's task, called with a moment past the three days: the grant ends as it would then.
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=3, minutes=1)
    assert expire_grants(appliance.uow_factory, later) == 1
    assert 'data-grant="ended"' in reader.get("/borrowing").get_data(as_text=True)
    assert 'data-grant="ended"' in reader.get(f"/items/{CODE}").get_data(as_text=True)
    assert reader.get(f"/items/{CODE}/pages/1.jpg").status_code == 403


def test_a_paper_loan_grants_no_viewing(reader, approver):
    ask(reader, form="lend")
    (request_id,) = asked_ids(reader)
    post_form(approver, f"/approvals/{request_id}", {"decision": "approve"}, "/approvals")
    listing = reader.get("/borrowing").get_data(as_text=True)
    assert "已批准" in listing and "data-grant=" not in listing


def test_forms_without_the_csrf_token_are_refused(appliance, reader):
    refused = reader.post("/borrowing/new", data=form())
    assert refused.status_code == 400 and asked_ids(reader) == []
    ask(reader)
    (request_id,) = asked_ids(reader)
    assert reader.post(f"/borrowing/{request_id}/withdraw").status_code == 400
    assert workflows.show_request(appliance.uow_factory, request_id).request.state.value == "pending"


def test_those_who_may_view_content_see_no_grant_line_and_the_operator_no_borrowing(app, appliance, items):
    archivist = app.test_client()
    make_person(appliance, "wang.archivist", ["archivist"])
    sign_in(archivist, "wang.archivist")
    page = archivist.get(f"/items/{CODE}").get_data(as_text=True)
    assert "data-grant=" not in page and "/borrowing/new?items=" in page
    operator = app.test_client()
    make_person(appliance, "li.operator", ["operator"])
    sign_in(operator, "li.operator")
    assert operator.get("/borrowing").status_code == 403
    assert operator.post("/borrowing/new", data={"csrf_token": csrf_token(operator, "/")}).status_code == 403


def test_the_api_takes_a_purpose_category(client, appliance, items):
    make_person(appliance, "sun.reader", ["reader"])
    _, secret = issue_token(appliance.uow_factory, SECURITY_OFFICER, "sun.reader", "reader machine",
                            [action.value for action in MATRIX["reader"]], datetime.datetime.now(datetime.UTC))
    headers = {"Authorization": f"Bearer {secret}"}
    body = {"kind": "borrowing", "items": [CODE], "purpose": "个人档案证明", "form": "certify"}
    opened = client.post("/api/v1/requests", headers=headers, json={**body, "purpose_category": "evidence"})
    assert opened.status_code == 201 and opened.json["payload"]["purpose_category"] == "evidence"
    plain = client.post("/api/v1/requests", headers=headers, json=body)
    assert plain.json["payload"]["purpose_category"] == "work"
    wrong = client.post("/api/v1/requests", headers=headers, json={**body, "purpose_category": "curiosity"})
    assert wrong.status_code == 422 and "purpose_category" in wrong.json["message"]
