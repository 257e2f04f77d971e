"""The Scanners pages: who sees them, agents' heartbeats on the page, the Scan button, live events, batch reports and
cover sheets, with hostile and bad input."""

import datetime
import io
import json
import re
from urllib.parse import quote

import pytest

from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.domain.scanning import AgentReport
from appliance.services.audit import latest_events
from appliance.services.items import add_item
from appliance.services.scanner_status import agent_status
from tests.support.console import make_person, post_form, sign_in
from tests.support.intake_documents import delivered
from web import create_app
from web.console import scanners as scanners_console

TOKEN = "agent-secret"
AGENT = {"Authorization": f"Bearer {TOKEN}", "X-Dangan-Agent": "scanner-pc"}
CODE = "Z109-WS·2011-Y-BGS-0001"
HOSTILE = "<img src=x onerror=alert(1)>"
STATE = {
    "devices": [{"name": "test:0", "vendor": "Noname", "model": "frontend-tester", "type": "virtual device"}],
    "batch": {"batch_id": "batch-1", "state": "scanning", "pages": 7, "documents": 2, "error": None},
    "last_error": None,
    "outbox": {"pending": 3, "delivered": 5, "refused": 0, "last_error": None, "next_retry_at": None},
    "interrupted_batches": [],
}


@pytest.fixture
def app(appliance):
    app = create_app({"appliance": appliance, "TESTING": True, "SESSION_COOKIE_SECURE": False,
                      "AGENT_TOKEN": TOKEN, "SCANNER_EVENTS_SECONDS": 3, "SCANNER_EVENTS_POLL_SECONDS": 0.1})
    if "scanners_console" not in app.blueprints:  # until web/setup.py registers the blueprint itself
        app.register_blueprint(scanners_console.blueprint)
    return app


@pytest.fixture
def operator(app, appliance):
    make_person(appliance, "operator-zhao", ["operator"])
    client = app.test_client()
    assert sign_in(client, "operator-zhao").status_code == 302
    post_form(client, "/language", {"language": "en"})  # the flashed messages are then English, like the checks
    return client


def heartbeat(client, state=STATE, agent="scanner-pc"):
    response = client.post(f"/api/v1/agents/{agent}/heartbeat", headers=AGENT, json=state)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["scan_requests"]


def signed_in_as(app, appliance, username: str, role: str):
    secret = make_person(appliance, username, [role], with_totp=role.endswith("_admin"))
    client = app.test_client()
    assert sign_in(client, username, totp_secret=secret).status_code == 302
    return client


def test_who_may_see_the_scanners_scan_and_print(app, appliance):
    expected = {  # role: (the page, the Scan button, cover sheets); MATRIX in appliance.domain.permissions
        "operator": (200, True, 200), "archivist": (200, True, 200), "system_admin": (200, False, 403),
        "reader": (403, False, 403), "approver": (403, False, 403), "audit_admin": (403, False, 403),
        "security_admin": (403, False, 403),
    }
    heartbeat(app.test_client())
    for role, (page_status, may_scan, coversheets_status) in expected.items():
        client = signed_in_as(app, appliance, f"user-{role.replace('_', '-')}", role)
        page = client.get("/scanners")
        assert page.status_code == page_status, role
        assert ('class="scan-button"' in page.get_data(as_text=True)) is may_scan, role
        assert ('href="/scanners"' in client.get("/").get_data(as_text=True)) is (page_status == 200), role
        assert client.get("/coversheets").status_code == coversheets_status, role
        scan = post_form(client, "/scanners/scan", {"agent": "scanner-pc", "device": "test:0"})
        assert scan.status_code == (303 if may_scan else 403), role
    assert app.test_client().get("/scanners").status_code == 302  # nobody signed in: to the sign-in page


def test_a_heartbeat_shows_on_the_page_with_devices_and_progress(app, operator):
    heartbeat(app.test_client(), {**STATE, "last_error": HOSTILE})
    page = operator.get("/scanners", headers={"Accept-Language": "en"}).get_data(as_text=True)
    card = page.split('data-agent="scanner-pc"')[1]
    assert "online" in card and "frontend-tester" in card and "<code>test:0</code>" in card
    assert '<strong data-field="pages">7</strong>' in card and '<strong data-field="documents">2</strong>' in card
    assert '<span data-field="outbox-pending">3</span>' in card
    assert HOSTILE not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'src="/static/scanners.js" defer' in page and "<script>" not in page and " style=" not in page


def test_a_silent_agent_shows_as_offline_after_three_heartbeats():
    reported = datetime.datetime(2026, 11, 27, 3, 0, 0, tzinfo=datetime.UTC)
    report = AgentReport("scanner-pc", {"devices": "not a list", "batch": {"pages": "x"}}, "2026-11-27T03:00:00")
    assert agent_status(report, reported + datetime.timedelta(seconds=6), heartbeat_seconds=2).online
    late = agent_status(report, reported + datetime.timedelta(seconds=7), heartbeat_seconds=2)
    assert not late.online and late.age_seconds == 7 and late.devices == () and late.batch is None


def test_the_scan_form_asks_for_a_scan_that_the_next_heartbeat_hands_over(app, appliance, operator):
    heartbeat(app.test_client())
    response = post_form(operator, "/scanners/scan", {"agent": "scanner-pc", "device": "test:0",
                                                      "preset": "greyscale", "duplex": "on"}, "/scanners")
    assert response.status_code == 303 and response.location.endswith("/scanners")
    page = operator.get("/scanners", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r"Scan \d+ asked of scanner-pc", page)
    (handed,) = heartbeat(app.test_client())
    assert (handed["device"], handed["preset"], handed["duplex"]) == ("test:0", "greyscale", True)
    assert heartbeat(app.test_client()) == []
    event = latest_events(appliance.uow_factory, 1)[0]
    assert (event.action, event.actor) == ("scan.request", "operator-zhao")


def test_a_forged_or_bad_scan_request_starts_nothing(app, operator):
    forged = operator.post("/scanners/scan", data={"agent": "scanner-pc", "device": "test:0"})
    assert forged.status_code == 400
    bad = post_form(operator, "/scanners/scan", {"agent": "scanner-pc", "device": "test:0", "preset": "sepia"},
                    "/scanners")
    assert bad.status_code == 303
    page = operator.get("/scanners", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "The scan was not started: unknown scan preset &#39;sepia&#39;" in page
    assert heartbeat(app.test_client()) == []


def read_until(stream, lines: list[str], done) -> list[str]:
    """Read chunks of a streamed response into `lines` until `done(lines)`; the stream ends by itself in any case."""
    for chunk in stream:
        lines.extend(chunk.decode().splitlines())
        if done(lines):
            break
    return lines


def data_lines(lines):
    return [json.loads(line.removeprefix("data: ")) for line in lines if line.startswith("data: ")]


def test_the_event_stream_pushes_the_agents_state_and_its_changes(app, operator):
    heartbeat(app.test_client())
    response = operator.get("/scanners/events", buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    stream = iter(response.response)
    lines = read_until(stream, [], lambda lines: data_lines(lines))
    assert lines[0] == "retry: 1000"
    (state,) = data_lines(lines)
    (agent,) = state["agents"]
    assert agent["agent"] == "scanner-pc" and agent["online"] and agent["batch"]["pages"] == 7
    heartbeat(app.test_client(), {**STATE, "batch": {**STATE["batch"], "pages": 8}})
    read_until(stream, lines, lambda lines: len(data_lines(lines)) == 2)
    assert data_lines(lines)[1]["agents"][0]["batch"]["pages"] == 8
    response.close()


def test_the_event_stream_ends_by_itself_and_keeps_alive_when_nothing_changes(appliance):
    events = list(scanners_console.agent_events(appliance.uow_factory, 2, seconds=1.0, poll_seconds=0.1,
                                                keepalive_seconds=0.3))
    assert events[0] == "retry: 1000\n\n"
    assert sum(event.startswith("event: agents\ndata: ") for event in events) == 1  # no agents, no change
    assert ": keep-alive\n\n" in events


def report_batch(client, batch_id, report):
    response = client.put(f"/api/v1/batches/{quote(batch_id, safe='')}", headers=AGENT,
                          json={"state": "finished", "report": report})
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_batch_report_escapes_what_agents_wrote(app, operator):
    agent = app.test_client()
    report_batch(agent, HOSTILE, {"device": HOSTILE, "operator": "<b>op</b>", "pages_scanned": 2,
                                  "notes": ["<script>alert('note')</script>"],
                                  "documents": [{"sequence": 1, "cover": HOSTILE, "pages": 2, "problem": HOSTILE}]})
    page = operator.get(f"/batches/{quote(HOSTILE, safe='')}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<script>alert" not in text and HOSTILE not in text and "<b>op</b>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text and "&lt;script&gt;alert(&#39;note&#39;)" in text
    overview = operator.get("/scanners").get_data(as_text=True)
    assert HOSTILE not in overview and "&lt;img src=x onerror=alert(1)&gt;" in overview
    assert operator.get("/batches/no-such-batch").status_code == 404


def test_a_batch_report_says_where_each_document_went(app, appliance, actor, fonds, operator):
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
             ItemFields.build(title="关于开展档案工作检查的通知", date="20110315"))
    manifest, pages = delivered("DA1:ITEM:Z109-WS.2011-Y-BGS-0001", [1, 2])
    agent = app.test_client()
    body = {"manifest": (io.BytesIO(manifest.to_json().encode()), "manifest.json", "application/json")}
    for entry, data in zip(manifest.pages, pages, strict=True):
        body[entry.part] = (io.BytesIO(data), entry.file_name, entry.media_type)
    assert agent.post("/api/v1/intake", data=body, content_type="multipart/form-data",
                      headers={**AGENT, "Idempotency-Key": manifest.document_key}).status_code == 201
    report_batch(agent, manifest.batch.id, {"pages_scanned": 4, "documents": [
        {"sequence": 1, "cover": manifest.cover_payload, "pages": 2},
        {"sequence": 2, "cover": None, "pages": 1, "problem": "pages before the first cover sheet"}]})
    text = operator.get(f"/batches/{manifest.batch.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    first, second = text.split('class="document-card')[1:3]
    assert "filed to its item" in first and CODE in first
    assert "not delivered yet" in second and "pages before the first cover sheet" in second


def test_cover_sheets_come_back_as_a_pdf_download_and_are_audited(app, appliance, actor, fonds, operator):
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
             ItemFields.build(title="关于开展档案工作检查的通知", date="20110315"))
    items = post_form(operator, "/coversheets", {"kind": "items", "codes": f"\n{CODE}\n{CODE}\n"}, "/coversheets")
    assert items.status_code == 200 and items.mimetype == "application/pdf" and items.data.startswith(b"%PDF-")
    assert items.headers["Content-Disposition"] == 'attachment; filename=coversheets-Z109-WS.2011-Y-BGS-0001.pdf'
    assert len(re.findall(rb"/Type /Page\b(?!s)", items.data)) == 1  # the code twice: one sheet
    batch = post_form(operator, "/coversheets", {"kind": "batch", "batch_class": "z109/WS/2011/Y/BGS",
                                                 "separators": "2"}, "/coversheets")
    assert batch.status_code == 200 and batch.data.startswith(b"%PDF-")
    assert "filename=coversheets-Z109-WS-2011-Y-BGS.pdf" in batch.headers["Content-Disposition"]
    assert len(re.findall(rb"/Type /Page\b(?!s)", batch.data)) == 3
    events = latest_events(appliance.uow_factory, 2)
    assert [(event.action, event.actor, event.details["sheets"]) for event in events] == [
        ("coversheet.print", "operator-zhao", 3), ("coversheet.print", "operator-zhao", 1)]  # newest first


@pytest.mark.parametrize("form, status, message", [
    ({"kind": "items", "codes": "Z109-WS·2011"}, 422, "malformed archival code"),
    ({"kind": "items", "codes": "Z109-WS·2011-Y-BGS-0099"}, 404, "no item Z109-WS·2011-Y-BGS-0099"),
    ({"kind": "items", "codes": " \n "}, 422, "name at least one archival code"),
    ({"kind": "batch", "batch_class": "Z109/WS/20x1/Y"}, 422, "must read fonds/category/year/retention"),
    ({"kind": "batch", "batch_class": "Z109/WS/2011/Y/BGS", "separators": "many"}, 422, "whole number"),
])
def test_bad_cover_sheet_requests_get_a_clear_error_and_no_pdf(app, fonds, operator, form, status, message):
    response = post_form(operator, "/coversheets", form, "/coversheets")
    text = response.get_data(as_text=True)
    assert response.status_code == status and response.mimetype == "text/html"
    assert message in text and 'role="alert"' in text
    kept = form.get("codes") or form["batch_class"]
    assert f">{kept}</textarea>" in text or f'value="{kept}"' in text  # the input is kept for mending
