"""Destruction through the API with machine tokens, on both databases: compile, approve, witness twice, purge."""

import datetime
import zoneinfo

import pytest

from appliance.services.destruction import purge_destroyed
from tests.integration.services.test_destruction import decide_destroy, file_archived_items, png
from tests.support.console import api_token_for

# numbered by the year in the box's time zone (Asia/Shanghai by default) when the test runs
FIRST_LIST = f"Z109-XH-{datetime.datetime.now(zoneinfo.ZoneInfo('Asia/Shanghai')).year}-001"

NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
PEOPLE = {"wang": "archivist", "zhao": "approver", "li-na": "archivist", "qian": "approver", "sun": "reader",
          "zhou": "operator"}


@pytest.fixture
def tokens(appliance, actor, fonds, tmp_path):
    items = file_archived_items(appliance, actor, [[png(tmp_path, 10)], [png(tmp_path, 20)]])
    decide_destroy(appliance, items)
    return {username: api_token_for(appliance, username, role) for username, role in PEOPLE.items()}


def compiled_and_approved(client, tokens) -> dict:
    made = client.post("/api/v1/destruction-lists", headers=tokens["wang"],
                       json={"fonds": "Z109", "reason": "2011 年度到期档案销毁"})
    assert made.status_code == 201, made.json
    approved = client.post(f"/api/v1/requests/{made.json['request']}/decisions", headers=tokens["zhao"],
                           json={"decision": "approve"})
    assert approved.json["state"] == "approved"
    return made.json


def test_a_list_goes_from_compiling_to_purged_through_the_api(client, tokens, appliance):
    made = compiled_and_approved(client, tokens)
    assert (made["number"], made["state"], len(made["items"])) == (FIRST_LIST, "pending", 2)
    first = client.post(f"/api/v1/destruction-lists/{made['id']}/witnesses", headers=tokens["li-na"],
                        json={"password": "Archive-2026!"})
    assert first.status_code == 200 and first.json["state"] == "approved" and len(first.json["witnesses"]) == 1
    code = made["items"][0]
    assert client.get(f"/api/v1/items/{code}", headers=tokens["wang"]).json["state"] == "archived"
    second = client.post(f"/api/v1/destruction-lists/{made['id']}/witnesses", headers=tokens["qian"],
                         json={"password": "Archive-2026!"})
    assert second.json["state"] == "destroyed" and [w["by"] for w in second.json["witnesses"]] == ["li-na", "qian"]
    assert client.get(f"/api/v1/items/{code}", headers=tokens["wang"]).json["state"] == "destroyed"
    pdf = client.get(f"/api/v1/destruction-lists/{made['id']}/pdf", headers=tokens["qian"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert purge_destroyed(appliance.uow_factory, appliance.blob_store, NOW) == 1
    assert client.get(f"/api/v1/destruction-lists/{made['id']}", headers=tokens["wang"]).json["purged"] is True
    page = client.get(f"/api/v1/items/{code}/pages/1", headers=tokens["wang"])
    assert page.status_code == 403 and made["number"] in page.json["message"]
    listed = client.get("/api/v1/destruction-lists", headers=tokens["zhao"]).json["lists"]
    assert [entry["number"] for entry in listed] == [FIRST_LIST]


def test_refusals_are_clear_and_change_nothing(client, tokens):
    assert client.post("/api/v1/destruction-lists", headers=tokens["sun"],
                       json={"fonds": "Z109", "reason": "x"}).status_code == 403
    assert client.get("/api/v1/destruction-lists", headers=tokens["zhou"]).status_code == 403
    made = compiled_and_approved(client, tokens)
    path = f"/api/v1/destruction-lists/{made['id']}/witnesses"
    wrong = client.post(path, headers=tokens["li-na"], json={"password": "guess-2026!"})
    assert wrong.status_code == 403 and "password is wrong" in wrong.json["message"]
    own = client.post(path, headers=tokens["wang"], json={"password": "Archive-2026!"})
    assert own.status_code == 403 and "compiled" in own.json["message"]
    assert client.post(path, headers=tokens["sun"], json={"password": "Archive-2026!"}).status_code == 403
    assert client.post(path, headers=tokens["qian"], json={}).status_code == 422
    after = client.get(f"/api/v1/destruction-lists/{made['id']}", headers=tokens["wang"]).json
    assert (after["state"], after["witnesses"]) == ("approved", [])
