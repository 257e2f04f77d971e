"""One item's whole life through the API, on SQLite and PostgreSQL: scanned, archived, borrowed and viewed,
appraised, listed, approved, witnessed, destroyed and purged — and its history tells all of it, in order. And the
other flows on the way: a correction, a paper loan and its return check, a legal hold that stops appraisal."""

import datetime

import pytest

from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.services.audit import history, verify_audit_chain
from appliance.services.destruction import purge_destroyed
from appliance.services.items import add_item
from tests.support.console import PASSWORD, api_token_for
from tests.support.intake_documents import delivered
from tests.web.test_capture_api import post_intake
from web import create_app

AGENT = "agent-secret"
CODE = "Z109-WS·2011-D10-BGS-0001"
PEOPLE = {"wang": "archivist", "zhao": "approver", "li-na": "archivist", "qian": "approver", "sun": "reader"}


@pytest.fixture
def client(appliance, actor, fonds):
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "D10", "BGS"),
             ItemFields.build(title="关于开展档案工作检查的通知", date="20110315", responsible="某某市人民政府办公室"))
    return create_app({"appliance": appliance, "TESTING": True, "AGENT_TOKEN": AGENT}).test_client()


@pytest.fixture
def tokens(appliance, client):
    return {name: api_token_for(appliance, name, role) for name, role in PEOPLE.items()}


def decided(client, token: dict, request_id: int) -> dict:
    answer = client.post(f"/api/v1/requests/{request_id}/decisions", headers=token, json={"decision": "approve"})
    assert answer.status_code == 200, answer.json
    return answer.json


def kinds_told(client, token: dict) -> list[str]:
    return [notice["kind"] for notice in client.get("/api/v1/notifications", headers=token).json["notifications"]]


def archived(client, tokens) -> None:
    """Scanned with its cover sheet, filed to the item, archived through a request."""
    manifest, pages = delivered("DA1:ITEM:Z109-WS.2011-D10-BGS-0001", [1, 2])
    assert post_intake(client, manifest, pages).json["archival_code"] == CODE
    archiving = client.post("/api/v1/requests", headers=tokens["wang"],
                            json={"kind": "archiving", "items": [CODE], "reason": "2011 年度归档"})
    assert archiving.status_code == 201, archiving.json
    assert decided(client, tokens["zhao"], archiving.json["id"])["state"] == "approved"


def test_an_items_life_from_scan_to_destruction_is_in_its_history(client, tokens, appliance):
    archived(client, tokens)
    assert client.get(f"/api/v1/items/{CODE}/pages/1", headers=tokens["sun"]).status_code == 403
    borrowing = client.post("/api/v1/requests", headers=tokens["sun"], json={
        "kind": "borrowing", "items": [CODE], "purpose": "编写大事记", "purpose_category": "history", "days": 3})
    decided(client, tokens["zhao"], borrowing.json["id"])
    assert client.get(f"/api/v1/items/{CODE}/pages/1", headers=tokens["sun"]).status_code == 200
    appraised = client.post("/api/v1/appraisal/decisions", headers=tokens["wang"], json={
        "fonds": "Z109", "year": 2022, "items": [CODE], "decision": "destroy", "reason": "已无保存价值"})
    assert appraised.status_code == 201, appraised.json
    listed = client.post("/api/v1/destruction-lists", headers=tokens["wang"],
                         json={"fonds": "Z109", "reason": "2011 年度到期档案销毁"})
    assert listed.status_code == 201, listed.json
    decided(client, tokens["zhao"], listed.json["request"])
    called = {name for name in PEOPLE if "destruction.approved" in kinds_told(client, tokens[name])}
    assert called == {"li-na", "qian"}  # the witnesses: neither the compiler nor the approver
    for witness in ("li-na", "qian"):
        confirmed = client.post(f"/api/v1/destruction-lists/{listed.json['id']}/witnesses", headers=tokens[witness],
                                json={"password": PASSWORD})
        assert confirmed.status_code == 200, confirmed.json
    assert purge_destroyed(appliance.uow_factory, appliance.blob_store, datetime.datetime.now(datetime.UTC)) == 1
    assert "destruction.executed" in kinds_told(client, tokens["wang"])
    item = client.get(f"/api/v1/items/{CODE}", headers=tokens["wang"]).json
    assert item["state"] == "destroyed"
    assert client.get(f"/api/v1/items/{CODE}/pages/1", headers=tokens["wang"]).status_code == 403
    life = [event.action for event in history(appliance.uow_factory, "item", CODE)]
    assert life == ["item.create", "item.pages.add", "item.archive", "item.view_page", "appraisal.destroy",
                    "item.destroy"]
    viewed = [event for event in history(appliance.uow_factory, "item", CODE) if event.action == "item.view_page"]
    assert viewed[0].actor.startswith("sun") and "grant" in viewed[0].details
    number = listed.json["number"]
    of_list = [event.action for event in history(appliance.uow_factory, "destruction_list", number)]
    assert of_list == ["destruction.compile", "destruction.witness", "destruction.witness", "destruction.execute",
                       "destruction.purge"]
    assert verify_audit_chain(appliance.uow_factory).ok


def test_a_correction_a_paper_loan_and_a_hold_on_the_way(client, tokens, appliance):
    archived(client, tokens)
    correction = client.post("/api/v1/requests", headers=tokens["wang"], json={
        "kind": "correction", "items": [CODE], "changes": {"doc_number": "某办发〔2011〕12号"},
        "reason": "文号漏录，据原件补"})
    decided(client, tokens["zhao"], correction.json["id"])
    assert client.get(f"/api/v1/items/{CODE}", headers=tokens["wang"]).json["doc_number"] == "某办发〔2011〕12号"
    lending = client.post("/api/v1/requests", headers=tokens["sun"], json={
        "kind": "borrowing", "items": [CODE], "purpose": "核对原件", "purpose_category": "evidence", "form": "lend",
        "days": 7})
    decided(client, tokens["zhao"], lending.json["id"])
    (loan,) = client.post("/api/v1/loans", headers=tokens["wang"], json={"request": lending.json["id"]}).json["loans"]
    back = client.post(f"/api/v1/loans/{loan['id']}/return", headers=tokens["li-na"],
                       json={"pages_counted": 1, "note": "少一页"})
    assert back.json["return_check"] == "pages_missing"
    hold = client.post("/api/v1/holds", headers=tokens["zhao"], json={"item": CODE, "reason": "诉讼证据保全"})
    assert hold.status_code == 201, hold.json
    refused = client.post("/api/v1/appraisal/decisions", headers=tokens["wang"], json={
        "fonds": "Z109", "year": 2022, "items": [CODE], "decision": "destroy", "reason": "已无保存价值"})
    assert refused.status_code == 409 and "legal hold" in refused.json["message"]
    life = [event.action for event in history(appliance.uow_factory, "item", CODE)]
    assert life == ["item.create", "item.pages.add", "item.archive", "item.correct"]
    loan_events = [event.action for event in history(appliance.uow_factory, "loan", str(loan["id"]))]
    assert loan_events == ["loan.issue", "loan.return"]
