"""The agents' API over the Flask client: intake, heartbeat, scan requests, batch reports, with bad input."""

import io
import json

import pytest

from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.services.items import add_item, show_item
from tests.support.intake_documents import delivered
from web import create_app

TOKEN = "agent-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}", "X-Dangan-Agent": "scanner-pc"}
CODE = "Z109-WS·2011-Y-BGS-0001"


@pytest.fixture
def database_url(tmp_path):
    """The API's own checks do not depend on the database (the services' tests run on both): SQLite only."""
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


@pytest.fixture
def client(appliance, actor, fonds):
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
             ItemFields.build(title="关于开展档案工作检查的通知", date="20110315"))
    return create_app({"appliance": appliance, "TESTING": True, "AGENT_TOKEN": TOKEN}).test_client()


def form(manifest, pages, parts=None):
    body = {"manifest": (io.BytesIO(manifest.to_json().encode()), "manifest.json", "application/json")}
    for entry, data in zip(manifest.pages, pages, strict=True):
        body[entry.part] = (io.BytesIO(data), entry.file_name, entry.media_type)
    body.update(parts or {})
    return body


def post_intake(client, manifest, pages, headers=None, parts=None):
    headers = {**AUTH, "Idempotency-Key": manifest.document_key, **(headers or {})}
    return client.post("/api/v1/intake", data=form(manifest, pages, parts), headers=headers,
                       content_type="multipart/form-data")


def test_a_delivered_document_is_filed_once_and_a_replay_answers_200(client, appliance):
    manifest, pages = delivered("DA1:ITEM:Z109-WS.2011-Y-BGS-0001", [1, 2])
    first = post_intake(client, manifest, pages)
    assert first.status_code == 201
    assert first.json == {"document": 1, "state": "filed", "archival_code": CODE, "reason": None}
    again = post_intake(client, manifest, pages)
    assert (again.status_code, again.json) == (200, first.json)
    view = show_item(appliance.uow_factory, CODE)
    assert view.item.fields.pages == 2 and view.history[-1].actor == "agent:scanner-pc"


@pytest.mark.parametrize("headers, status", [
    ({"Authorization": "Bearer wrong"}, 401),
    ({"Authorization": ""}, 401),
    ({"Authorization": f"Basic {TOKEN}"}, 401),
])
def test_intake_without_the_agent_token_is_refused(client, appliance, headers, status):
    manifest, pages = delivered("DA1:ITEM:Z109-WS.2011-Y-BGS-0001", [1])
    response = post_intake(client, manifest, pages, headers=headers)
    assert response.status_code == status and response.json["error"] == "unauthorised"
    assert show_item(appliance.uow_factory, CODE).item.fields.pages == 0


def test_bad_deliveries_get_a_clear_422_and_change_nothing(client, appliance):
    manifest, pages = delivered("DA1:ITEM:Z109-WS.2011-Y-BGS-0001", [1, 2])
    cases = [
        (post_intake(client, manifest, pages, headers={"Idempotency-Key": "0" * 64}), "Idempotency-Key"),
        (post_intake(client, manifest, [pages[0], pages[0]]), "does not match"),
        (client.post("/api/v1/intake", data={"x": "y"}, headers={**AUTH, "Idempotency-Key": manifest.document_key}),
         "no manifest"),
        (post_intake(client, manifest, pages, parts={"manifest": (io.BytesIO(b"{not json"), "m.json")}),
         "not UTF-8 JSON"),
    ]
    missing = form(manifest, pages)
    del missing["page-2"]
    cases.append((client.post("/api/v1/intake", data=missing, content_type="multipart/form-data",
                              headers={**AUTH, "Idempotency-Key": manifest.document_key}), "page-2"))
    for response, message in cases:
        assert response.status_code == 422, (message, response.json)
        assert message in response.json["message"]
    assert show_item(appliance.uow_factory, CODE).item.fields.pages == 0
    assert client.get("/api/v1/intake", headers=AUTH).json == {"documents": []}


def test_a_heartbeat_keeps_the_state_and_hands_over_scan_requests_once(client):
    requested = client.post("/api/v1/scans", headers=AUTH, json={"agent": "scanner-pc", "device": "test:0",
                                                                 "preset": "greyscale", "duplex": True})
    assert requested.status_code == 201 and requested.json["state"] == "pending"
    state = {"devices": [{"name": "test:0"}], "batch": None, "last_error": None}
    first = client.post("/api/v1/agents/scanner-pc/heartbeat", headers=AUTH, json=state)
    assert [(r["device"], r["preset"], r["duplex"]) for r in first.json["scan_requests"]] == [
        ("test:0", "greyscale", True)]
    assert client.post("/api/v1/agents/scanner-pc/heartbeat", headers=AUTH, json=state).json == {
        "scan_requests": []}
    agents = client.get("/api/v1/scanners", headers=AUTH).json["agents"]
    assert agents[0]["agent"] == "scanner-pc" and agents[0]["devices"] == [{"name": "test:0"}]
    request_id = first.json["scan_requests"][0]["id"]
    done = client.post(f"/api/v1/agents/scanner-pc/scan-requests/{request_id}", headers=AUTH,
                       json={"outcome": "done", "batch": None, "message": None})
    assert done.status_code == 200
    elsewhere = client.post(f"/api/v1/agents/other-pc/scan-requests/{request_id}", headers=AUTH,
                            json={"outcome": "done"})
    assert elsewhere.status_code == 404


@pytest.mark.parametrize("path, body, message", [
    ("/api/v1/agents/scanner-pc/heartbeat", [1, 2], "JSON object"),
    ("/api/v1/agents/scanner-pc/heartbeat", {"junk": "x" * 70_000}, "under 64 KB"),
    ("/api/v1/agents/bad%20name/heartbeat", {}, "agent name"),
    ("/api/v1/scans", {"agent": "scanner-pc", "device": "test:0", "preset": "sepia"}, "unknown scan preset"),
    ("/api/v1/scans", {"agent": "scanner-pc", "device": ""}, "name the scanner device"),
])
def test_bad_agent_calls_are_refused_with_the_reason(client, path, body, message):
    response = client.post(path, headers=AUTH, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 422 and message in response.json["message"]


def test_a_batch_report_is_kept_and_shown_with_where_its_documents_went(client):
    manifest, pages = delivered(None, [3], problem="pages before the first cover sheet")
    assert post_intake(client, manifest, pages).status_code == 201
    report = {"pages_scanned": 1, "documents": [{"sequence": 1, "key": manifest.document_key}], "notes": ["x"]}
    assert client.put(f"/api/v1/batches/{manifest.batch.id}", headers=AUTH,
                      json={"state": "finished", "report": report}).status_code == 200
    shown = client.get(f"/api/v1/batches/{manifest.batch.id}", headers=AUTH).json
    assert shown["batch"]["state"] == "finished" and shown["batch"]["report"]["notes"] == ["x"]
    (document,) = shown["documents"]
    assert document["state"] == "intake" and document["reason"] == "pages before the first cover sheet"
    refused = client.put(f"/api/v1/batches/{manifest.batch.id}", headers=AUTH, json={"state": "lost"})
    assert refused.status_code == 422
