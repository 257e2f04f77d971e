"""Legal holds and appraisal decisions over the API with machine tokens: placed, released, refused, as JSON."""


import pytest

from appliance.domain.catalogue import ItemFields, ItemFilter, ItemState
from appliance.domain.codes import ClassKey
from appliance.services.audit import latest_events
from appliance.services.items import add_item
from tests.support.console import api_token_for

FIRST, SECOND = "Z109-WS·2011-D10-BGS-0001", "Z109-WS·2011-D10-BGS-0002"
PERSONNEL = "Z109-WS·2011-D10-RSC-0001"


@pytest.fixture
def tokens(appliance, actor, fonds):
    for department in ("BGS", "BGS", "RSC"):
        add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "D10", department),
                 ItemFields.build(title="通知", date="20110301"))
    with appliance.uow_factory() as uow:  # as a legacy catalogue import files them: archived
        uow.catalogue.set_state([item.id for item in uow.catalogue.iterate_items(ItemFilter("Z109"))],
                                ItemState.ARCHIVED)
        uow.commit()
    return {"archivist": api_token_for(appliance, "archivist-wang", "archivist"),
            "reader": api_token_for(appliance, "reader-sun", "reader"),
            "operator": api_token_for(appliance, "operator-li", "operator")}


def expiry(client, tokens, year=2022) -> dict:
    return client.get(f"/api/v1/appraisal/expiry?fonds=Z109&year={year}", headers=tokens["archivist"]).json


def test_a_hold_is_placed_shown_on_the_expiry_list_and_released(client, tokens):
    placed = client.post("/api/v1/holds", headers=tokens["archivist"], json={"item": FIRST, "reason": "诉讼"})
    assert placed.status_code == 201 and placed.json["item"] == FIRST and placed.json["active"] is True
    hold_id = placed.json["id"]
    items = {item["archival_code"]: item for item in expiry(client, tokens)["items"]}
    assert items[FIRST]["hold"] == {"id": hold_id, "reason": "诉讼"} and items[SECOND]["hold"] is None
    listed = client.get("/api/v1/holds?active=true", headers=tokens["archivist"]).json["holds"]
    assert [hold["id"] for hold in listed] == [hold_id]
    bare = client.post(f"/api/v1/holds/{hold_id}/release", headers=tokens["archivist"], json={})
    assert bare.status_code == 422 and "say why" in bare.json["message"]
    released = client.post(f"/api/v1/holds/{hold_id}/release", headers=tokens["archivist"], json={"reason": "结案"})
    assert released.status_code == 200 and released.json["active"] is False
    assert released.json["released_by"] == "archivist-wang"
    again = client.post(f"/api/v1/holds/{hold_id}/release", headers=tokens["archivist"], json={"reason": "结案"})
    assert again.status_code == 409 and again.json["error"] == "conflict"
    assert client.post("/api/v1/holds/999/release", headers=tokens["archivist"],
                       json={"reason": "结案"}).status_code == 404
    assert client.get("/api/v1/holds?active=true", headers=tokens["archivist"]).json["holds"] == []


def test_a_class_hold_refuses_a_whole_batch_of_decisions(client, appliance, tokens):
    placed = client.post("/api/v1/holds", headers=tokens["archivist"],
                         json={"fonds": "Z109", "year": 2011, "department": "RSC", "category": None, "reason": "仲裁"})
    assert placed.status_code == 201 and (placed.json["item"], placed.json["department"]) == (None, "RSC")
    refused = client.post("/api/v1/appraisal/decisions", headers=tokens["archivist"], json={
        "fonds": "Z109", "year": 2022, "items": [FIRST, PERSONNEL], "decision": "destroy", "reason": "无保存价值"})
    assert refused.status_code == 409 and f"legal hold {placed.json['id']}" in refused.json["message"]
    assert all(item["decision"] is None for item in expiry(client, tokens)["items"])
    assert latest_events(appliance.uow_factory, 1)[0].action == "hold.place"


def test_decisions_over_the_api(client, tokens):
    kept = client.post("/api/v1/appraisal/decisions", headers=tokens["archivist"], json={
        "fonds": "Z109", "year": 2022, "items": [FIRST], "decision": "keep", "keep_years": 3, "reason": "仍需查考"})
    assert kept.status_code == 201
    (decision,) = kept.json["decisions"]
    assert (decision["decision"], decision["review_year"], decision["archival_code"]) == ("keep", 2025, FIRST)
    destroyed = client.post("/api/v1/appraisal/decisions", headers=tokens["archivist"], json={
        "fonds": "Z109", "year": 2022, "items": [SECOND], "decision": "destroy", "reason": "无保存价值"})
    assert destroyed.status_code == 201
    listed = expiry(client, tokens)
    assert [item["archival_code"] for item in listed["items"]] == [SECOND, PERSONNEL] and listed["total"] == 2
    assert listed["items"][0]["decision"]["decision"] == "destroy"
    assert FIRST in [item["archival_code"] for item in expiry(client, tokens, 2025)["items"]]
    extended = client.post("/api/v1/appraisal/decisions", headers=tokens["archivist"], json={
        "fonds": "Z109", "year": 2022, "items": [PERSONNEL], "decision": "extend", "new_retention": "Y",
        "reason": "人事档案永久保存"})
    assert extended.json["decisions"][0]["review_year"] is None
    assert PERSONNEL not in [item["archival_code"] for item in expiry(client, tokens, 2100)["items"]]


@pytest.mark.parametrize("who, body, status", [
    ("reader", {}, 403),
    ("operator", {}, 403),
    ("archivist", {"items": FIRST}, 422),
    ("archivist", {"year": "2022"}, 422),
    ("archivist", {"decision": "shred"}, 422),
    ("archivist", {"year": 2021}, 409),  # not due yet
    ("archivist", {"items": ["Z109-WS·2011-D10-BGS-0009"]}, 404),
    ("archivist", {"decision": "extend", "new_retention": "D10"}, 422),
])
def test_bad_decisions_are_refused(client, tokens, who, body, status):
    wanted = {"fonds": "Z109", "year": 2022, "items": [FIRST], "decision": "keep", "reason": "理由", **body}
    response = client.post("/api/v1/appraisal/decisions", headers=tokens[who], json=wanted)
    assert response.status_code == status and set(response.json) == {"error", "message"}


@pytest.mark.parametrize("who, body, status", [
    ("reader", {"item": FIRST, "reason": "诉讼"}, 403),
    ("operator", {"item": FIRST, "reason": "诉讼"}, 403),
    ("archivist", {"item": FIRST}, 422),
    ("archivist", {"item": 7, "reason": "诉讼"}, 422),
    ("archivist", {"fonds": "Z109", "year": "2011", "reason": "诉讼"}, 422),
    ("archivist", {"fonds": "Z999", "reason": "诉讼"}, 404),
    ("archivist", {"reason": "诉讼"}, 404),
])
def test_bad_holds_are_refused(client, tokens, who, body, status):
    response = client.post("/api/v1/holds", headers=tokens[who], json=body)
    assert response.status_code == status and set(response.json) == {"error", "message"}
    assert client.get("/api/v1/holds", headers=tokens["archivist"]).json["holds"] == []
