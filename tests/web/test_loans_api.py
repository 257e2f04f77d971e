"""Loans and the use register through the API with machine tokens: issue, renew, return, lists, register, statistics."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.services.items import add_item
from tests.support.console import api_token_for

CODE = "Z109-WS·2011-Y-BGS-0001"


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


@pytest.fixture
def tokens(appliance, actor, fonds):
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
             ItemFields.build(title="关于开展档案工作检查的通知", date="20110315", pages=4))
    return {"desk": api_token_for(appliance, "desk-wang", "archivist"),
            "approver": api_token_for(appliance, "approver-zhao", "approver"),
            "reader": api_token_for(appliance, "reader-sun", "reader")}


@pytest.fixture
def lending(client, tokens) -> int:
    """An approved request to lend the paper file to reader-sun for 7 days."""
    opened = client.post("/api/v1/requests", headers=tokens["reader"],
                         json={"kind": "borrowing", "items": [CODE], "purpose": "=1+1", "form": "lend", "days": 7})
    assert opened.status_code == 201, opened.json
    request_id = opened.json["id"]
    approved = client.post(f"/api/v1/requests/{request_id}/decisions", headers=tokens["approver"],
                           json={"decision": "approve"})
    assert approved.json["state"] == "approved"
    return request_id


def test_a_file_is_lent_renewed_and_returned_through_the_api(client, tokens, lending):
    waiting = client.get("/api/v1/loans?state=waiting", headers=tokens["desk"])
    assert [entry["request"] for entry in waiting.json["waiting"]] == [lending]
    issued = client.post("/api/v1/loans", headers=tokens["desk"], json={"request": lending})
    assert issued.status_code == 201
    (loan,) = issued.json["loans"]
    assert (loan["item"], loan["borrower"], loan["renewals"], loan["days_overdue"]) == (CODE, "reader-sun", 0, 0)
    again = client.post("/api/v1/loans", headers=tokens["desk"], json={"request": lending})
    assert again.status_code == 409 and f"loan {loan['id']}" in again.json["message"]
    assert [mine["id"] for mine in client.get("/api/v1/loans", headers=tokens["reader"]).json["loans"]] == [loan["id"]]
    assert [out["id"] for out in client.get("/api/v1/loans?state=open", headers=tokens["desk"]).json["loans"]] == [
        loan["id"]]
    assert client.get("/api/v1/loans?state=overdue", headers=tokens["desk"]).json["loans"] == []
    renewals = f"/api/v1/loans/{loan['id']}/renewals"
    for _ in range(2):
        assert client.post(renewals, headers=tokens["desk"], json={"days": 7}).status_code == 200
    third = client.post(renewals, headers=tokens["desk"], json={"days": 7})
    assert third.status_code == 409 and "renewed 2 times" in third.json["message"]
    back = client.post(f"/api/v1/loans/{loan['id']}/return", headers=tokens["desk"], json={"pages_counted": 4})
    assert back.status_code == 200 and back.json["return_check"] == "intact" and back.json["renewals"] == 2
    twice = client.post(f"/api/v1/loans/{loan['id']}/return", headers=tokens["desk"], json={"pages_counted": 4})
    assert twice.status_code == 409


@pytest.mark.parametrize("who, method, path, body, status", [
    ("reader", "post", "/api/v1/loans", {"request": 1}, 403),
    ("reader", "get", "/api/v1/loans?state=open", None, 403),
    ("approver", "post", "/api/v1/loans", {"request": 1}, 403),
    ("desk", "post", "/api/v1/loans", {"request": "1"}, 422),
    ("desk", "post", "/api/v1/loans", {"request": 999}, 404),
    ("desk", "get", "/api/v1/loans?state=lost", None, 422),
    ("desk", "post", "/api/v1/loans/999/renewals", {"days": 3}, 404),
    ("desk", "post", "/api/v1/loans/999/return", {"pages_counted": -1}, 422),
    ("desk", "post", "/api/v1/loans/999/return", {"pages_counted": 3, "altered": "no"}, 422),
    ("reader", "get", "/api/v1/register", None, 403),
    ("desk", "get", "/api/v1/register?from=2026-13-01", None, 422),
    ("desk", "get", "/api/v1/register?from=2026-02-01&to=2026-01-01", None, 422),
    ("desk", "get", "/api/v1/statistics/use?year=26", None, 422),
])
def test_refusals_are_clear_json(client, tokens, who, method, path, body, status):
    answer = getattr(client, method)(path, headers=tokens[who], json=body)
    assert answer.status_code == status and answer.json["error"] and answer.json["message"]


def test_the_borrower_cannot_hand_the_file_to_themselves(client, appliance, tokens):
    desk_as_borrower = client.post("/api/v1/requests", headers=tokens["desk"], json={
        "kind": "borrowing", "items": [CODE], "purpose": "编研", "form": "lend", "days": 3})
    request_id = desk_as_borrower.json["id"]
    client.post(f"/api/v1/requests/{request_id}/decisions", headers=tokens["approver"], json={"decision": "approve"})
    refused = client.post("/api/v1/loans", headers=tokens["desk"], json={"request": request_id})
    assert refused.status_code == 403 and "another person" in refused.json["message"]
    assert client.get("/api/v1/loans?state=open", headers=tokens["desk"]).json["loans"] == []


def test_the_register_and_statistics(client, tokens, lending):
    client.post("/api/v1/loans", headers=tokens["desk"], json={"request": lending})
    today = datetime.datetime.now(datetime.UTC).date()
    period = f"from={today.replace(month=1, day=1).isoformat()}&to={(today + datetime.timedelta(days=1)).isoformat()}"
    (row,) = client.get(f"/api/v1/register?{period}", headers=tokens["desk"]).json["rows"]
    assert (row["item"], row["form"], row["purpose"], row["approvers"]) == (CODE, "lend", "=1+1", ["approver-zhao"])
    assert row["issued_at"] and row["returned_at"] is None
    workbook = client.get(f"/api/v1/register.xlsx?{period}", headers=tokens["desk"])
    assert workbook.status_code == 200 and workbook.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(workbook.data)).active
    assert sheet["I3"].value == CODE and sheet["G3"].value == "=1+1" and sheet["G3"].data_type == "s"
    statistics = client.get(f"/api/v1/statistics/use?year={today.year}", headers=tokens["approver"]).json
    assert statistics["total"] == {"requests": 1, "items": 1}
    assert {"key": "lend", "requests": 1, "items": 1} in statistics["by_form"]
    assert statistics["by_department"] == [{"key": "BGS", "requests": 1, "items": 1}]
