"""Archiving through the API with machine tokens: open, approve, conflicts and refusals as JSON."""

import datetime

import pytest

from appliance.adapters.sample_batch import render_text_page
from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.services.items import add_item
from tests.support.console import SECURITY_OFFICER, api_token_for

CODE = "Z109-WS·2011-Y-BGS-0001"


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


@pytest.fixture
def tokens(appliance, actor, fonds, tmp_path):
    page = tmp_path / "page.png"
    render_text_page(["关于开展档案工作检查的通知"], dpi=75).save(page)
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
             ItemFields.build(title="关于开展档案工作检查的通知", date="20110315", responsible="某某市人民政府办公室"),
             [page])
    return {"archivist": api_token_for(appliance, "archivist-wang", "archivist"),
            "approver": api_token_for(appliance, "approver-zhao", "approver"),
            "reader": api_token_for(appliance, "reader-sun", "reader")}


def test_an_item_is_archived_through_the_api_and_then_fixed(client, tokens):
    opened = client.post("/api/v1/requests", headers=tokens["archivist"],
                         json={"kind": "archiving", "items": [CODE], "reason": "2011 年度归档"})
    assert opened.status_code == 201 and opened.json["state"] == "pending"
    request_id = opened.json["id"]
    approved = client.post(f"/api/v1/requests/{request_id}/decisions", headers=tokens["approver"],
                           json={"decision": "approve"})
    assert approved.json["state"] == "approved" and approved.json["steps"][0]["by"] == "approver-zhao"
    again = client.post(f"/api/v1/requests/{request_id}/decisions", headers=tokens["approver"],
                        json={"decision": "reject", "reason": "晚了"})
    assert again.status_code == 409 and again.json["error"] == "conflict" and "is approved" in again.json["message"]
    assert client.get(f"/api/v1/items/{CODE}", headers=tokens["archivist"]).json["state"] == "archived"
    edited = client.patch(f"/api/v1/items/{CODE}", headers=tokens["archivist"], json={"title": "改题名"})
    assert edited.status_code == 409 and "correction" in edited.json["message"]


@pytest.mark.parametrize("who, body, status", [
    ("reader", {"kind": "archiving", "items": [CODE]}, 403),
    ("approver", {"kind": "archiving", "items": [CODE]}, 403),
    ("archivist", {"kind": "sorting", "items": [CODE]}, 422),
    ("archivist", {"kind": "archiving", "items": "Z109"}, 422),
    ("archivist", {"kind": "archiving", "items": ["Z109-WS·2011-Y-BGS-0009"]}, 404),
])
def test_bad_requests_are_refused_with_the_reason(client, tokens, who, body, status):
    response = client.post("/api/v1/requests", headers=tokens[who], json=body)
    assert response.status_code == status and set(response.json) == {"error", "message"}


def test_an_item_failing_the_four_checks_is_not_sent_on(client, appliance, actor, tokens):
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
             ItemFields.build(title="无责任者的文件", date="20110316"))
    response = client.post("/api/v1/requests", headers=tokens["archivist"],
                           json={"kind": "archiving", "items": ["Z109-WS·2011-Y-BGS-0002"]})
    assert response.status_code == 422 and response.json["error"] == "checks_failed"
    assert "Z109-WS·2011-Y-BGS-0002" in response.json["message"] and "责任者" in response.json["message"]


def test_the_report_of_the_four_checks_goes_with_the_request(client, tokens):
    opened = client.post("/api/v1/requests", headers=tokens["archivist"], json={"kind": "archiving", "items": [CODE]})
    (report,) = opened.json["report"]
    assert report["archival_code"] == CODE and report["passed"] is True
    assert set(report["checks"]) == {"authenticity", "integrity", "usability", "security"}


def test_a_rejection_needs_a_reason_and_the_requester_cannot_approve(client, tokens):
    request_id = client.post("/api/v1/requests", headers=tokens["archivist"],
                             json={"kind": "archiving", "items": [CODE]}).json["id"]
    bare = client.post(f"/api/v1/requests/{request_id}/decisions", headers=tokens["approver"],
                       json={"decision": "reject"})
    assert bare.status_code == 422 and "reason" in bare.json["message"]
    own = client.post(f"/api/v1/requests/{request_id}/decisions", headers=tokens["archivist"],
                      json={"decision": "approve"})
    assert own.status_code == 403
    assert client.get(f"/api/v1/requests/{request_id}", headers=tokens["reader"]).json["state"] == "pending"


def test_a_request_on_items_out_of_sight_is_not_found(client, appliance, tokens):
    from appliance.domain.access import AccessScope
    from appliance.domain.catalogue import AccessLabel
    from appliance.services.accounts import set_scope

    request_id = client.post("/api/v1/requests", headers=tokens["archivist"],
                             json={"kind": "archiving", "items": [CODE]}).json["id"]
    set_scope(appliance.uow_factory, SECURITY_OFFICER, "reader-sun", AccessScope(AccessLabel.PUBLIC))
    hidden = client.get(f"/api/v1/requests/{request_id}", headers=tokens["reader"])
    assert hidden.status_code == 404 and CODE not in hidden.get_data(as_text=True)


def test_an_archived_item_is_corrected_only_through_an_approved_correction(client, tokens):
    request_id = client.post("/api/v1/requests", headers=tokens["archivist"],
                             json={"kind": "archiving", "items": [CODE]}).json["id"]
    client.post(f"/api/v1/requests/{request_id}/decisions", headers=tokens["approver"], json={"decision": "approve"})
    bare = client.post("/api/v1/requests", headers=tokens["archivist"],
                       json={"kind": "correction", "items": [CODE], "changes": {"date": "20110316"}})
    assert bare.status_code == 422 and "reason" in bare.json["message"]
    asked = client.post("/api/v1/requests", headers=tokens["archivist"],
                        json={"kind": "correction", "items": [CODE], "changes": {"date": "20110316"},
                              "reason": "发文日期据原件更正"})
    assert asked.status_code == 201 and asked.json["payload"]["differences"] == {"date": ["20110315", "20110316"]}
    assert client.get(f"/api/v1/items/{CODE}", headers=tokens["archivist"]).json["date"] == "20110315"
    client.post(f"/api/v1/requests/{asked.json['id']}/decisions", headers=tokens["approver"],
                json={"decision": "approve"})
    assert client.get(f"/api/v1/items/{CODE}", headers=tokens["archivist"]).json["date"] == "20110316"


def test_an_item_in_intake_is_not_corrected_but_edited(client, tokens):
    response = client.post("/api/v1/requests", headers=tokens["archivist"],
                           json={"kind": "correction", "items": [CODE], "changes": {"date": "20110316"},
                                 "reason": "据原件"})
    assert response.status_code == 409 and "edited directly" in response.json["message"]


def test_a_reader_views_content_only_while_an_approved_borrowing_is_in_force(client, appliance, tokens):
    from appliance.services.audit import latest_events
    from appliance.services.borrowing import expire_grants

    assert client.get(f"/api/v1/items/{CODE}/pages/1", headers=tokens["reader"]).status_code == 403
    asked = client.post("/api/v1/requests", headers=tokens["reader"],
                        json={"kind": "borrowing", "items": [CODE], "purpose": "编史修志", "form": "read", "days": 3})
    assert asked.status_code == 201 and asked.json["payload"]["days"] == 3
    client.post(f"/api/v1/requests/{asked.json['id']}/decisions", headers=tokens["approver"],
                json={"decision": "approve"})
    page = client.get(f"/api/v1/items/{CODE}/pages/1", headers=tokens["reader"])
    assert page.status_code == 200 and page.mimetype == "image/jpeg"
    view = latest_events(appliance.uow_factory, 1)[0]
    assert view.action == "item.view_page" and view.actor == "reader-sun" and "grant" in view.details
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=4)
    assert expire_grants(appliance.uow_factory, later) == 1
    ended = latest_events(appliance.uow_factory, 1)[0]
    assert ended.action == "grant.expire" and ended.details == {"user": "reader-sun", "item": CODE}
    assert client.get(f"/api/v1/items/{CODE}/pages/1", headers=tokens["reader"]).status_code == 403
    told = client.get("/api/v1/notifications", headers=tokens["reader"]).json["notifications"]
    assert [notice["kind"] for notice in told][0] == "grant.ended"


@pytest.mark.parametrize("body, message", [
    ({"purpose": "", "form": "read", "days": 3}, "purpose"),
    ({"purpose": "查考", "form": "read", "days": 365}, "1 to 90 days"),
    ({"purpose": "查考", "form": "photograph", "days": 3}, "unknown form"),
])
def test_bad_borrowing_terms_are_refused(client, tokens, body, message):
    response = client.post("/api/v1/requests", headers=tokens["reader"],
                           json={"kind": "borrowing", "items": [CODE], **body})
    assert response.status_code == 422 and message in response.json["message"]


def test_the_expiry_list_over_the_api(client, appliance, tokens):
    archived = client.post("/api/v1/requests", headers=tokens["archivist"],
                           json={"kind": "archiving", "items": [CODE]}).json["id"]
    client.post(f"/api/v1/requests/{archived}/decisions", headers=tokens["approver"], json={"decision": "approve"})
    none_yet = client.get("/api/v1/appraisal/expiry?fonds=Z109&year=2030", headers=tokens["archivist"]).json
    assert none_yet["total"] == 0  # 永久: never due
    assert client.get("/api/v1/appraisal/expiry?fonds=Z109", headers=tokens["reader"]).status_code == 403
    bad = client.get("/api/v1/appraisal/expiry?fonds=Z109&year=soon", headers=tokens["archivist"])
    assert bad.status_code == 422
