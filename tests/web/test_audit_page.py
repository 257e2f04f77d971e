import csv
import html
import io
import re

import openpyxl
import pytest
from sqlalchemy import select, text

from appliance.adapters.db.audit_repository import EVENTS
from appliance.adapters.db.audit_search_repository import LIKE_ESCAPE, AuditSearchRepository, escape_like
from appliance.domain.actors import Actor
from appliance.domain.audit import AuditEvent
from appliance.domain.audit_query import EventQuery
from appliance.domain.errors import InvalidInputError
from appliance.services.audit import latest_events, verify_audit_chain
from appliance.services.audit_search import export_csv
from tests.support.console import csrf_token, make_person, post_form, sign_in

ENGLISH = {"Accept-Language": "en"}
SEQ_CELL = re.compile(r'<td class="number">(\d+)</td>')
AUDIT_PATHS = ("/audit", "/audit/export.csv", "/audit/export.xlsx")


@pytest.fixture
def auditor(client, appliance):
    """The client, signed in as the audit administrator (with the second factor, as administrators must)."""
    secret = make_person(appliance, "auditor-zhao", ["audit_admin"], with_totp=True)
    response = sign_in(client, "auditor-zhao", totp_secret=secret)
    assert response.status_code == 302 and "/login" not in response.location
    return client


def append(appliance, *events: dict) -> None:
    """Events with chosen fields (time included), appended to the real chain in one transaction."""
    defaults = {"occurred_at": "2025-03-01T00:00:00.000000Z", "actor": "tester", "source": "192.0.2.50",
                "action": "test.event", "object_type": "thing", "object_id": "1", "result": "ok", "details": {}}
    with appliance.uow_factory() as uow:
        for fields in events:
            uow.audit.append(AuditEvent(seq=0, **{**defaults, **fields}))
        uow.commit()


def seqs_on(page: str) -> list[int]:
    return [int(number) for number in SEQ_CELL.findall(page)]


def actors_on(client, query: str) -> set[str]:
    response = client.get(f"/audit?{query}", headers=ENGLISH)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_data(as_text=True).split("<tbody>")[1]
    return {html.unescape(name) for name in re.findall(r'<td><a href="/audit\?actor=[^"]*">([^<]*)</a></td>', body)}


def test_only_the_audit_administrator_reaches_the_audit_pages(client, app, appliance):
    for path in AUDIT_PATHS:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location
    anonymous_verify = client.post("/audit/verify", data={"csrf_token": csrf_token(client)})
    assert anonymous_verify.status_code == 302 and "/login" in anonymous_verify.location
    make_person(appliance, "archivist-li", ["archivist"])
    for name, role in (("system-wu", "system_admin"), ("security-qian", "security_admin")):
        secret = make_person(appliance, name, [role], with_totp=True)
        assert_refused(app.test_client(), name, secret)
    assert_refused(app.test_client(), "archivist-li", None)


def assert_refused(client, name: str, secret: str | None) -> None:
    assert sign_in(client, name, totp_secret=secret).status_code == 302
    for path in AUDIT_PATHS:
        assert client.get(path).status_code == 403, (name, path)
    assert post_form(client, "/audit/verify", {}).status_code == 403, name
    assert "/audit" not in client.get("/").get_data(as_text=True)  # no menu entry either


def test_the_audit_administrator_sees_newest_events_first_with_the_menu_entry(auditor):
    response = auditor.get("/audit", headers=ENGLISH)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'href="/audit" aria-current="page"' in page
    numbers = seqs_on(page)
    assert numbers == sorted(numbers, reverse=True) and len(numbers) >= 3
    assert "login.success" in page and "style=" not in page and "<script" not in page
    assert ">筛选</button>" in auditor.get("/audit").get_data(as_text=True)  # zh_CN is the default


def test_filters_work_and_combine(auditor, appliance):
    append(appliance,
           {"actor": "wang", "action": "item.view", "result": "ok", "object_type": "item", "object_id": "Z109-1"},
           {"actor": "wang", "action": "item.view_content", "result": "failure", "source": "198.51.100.7"},
           {"actor": "wang", "action": "login.failure", "result": "failure", "source": "198.51.100.7"},
           {"actor": "li", "action": "item.view", "result": "ok", "object_type": "item", "object_id": "Z109-2"},
           {"actor": "li", "action": "loginx", "result": "ok"})
    assert actors_on(auditor, "actor=wang") == {"wang"}
    assert actors_on(auditor, "action=item.view&actor=li") == {"li"}
    assert actors_on(auditor, "action=ITEM.VIEW&result=failure") == {"wang"}
    assert actors_on(auditor, "action=login.&actor=li") == set()  # "login." does not match "loginx"
    assert actors_on(auditor, "object_type=item&object_id=Z109-2") == {"li"}
    assert actors_on(auditor, "source=198.51.100.7&result=failure&action=login.") == {"wang"}
    assert actors_on(auditor, "result=failure&actor=li") == set()


def test_the_date_range_is_in_the_boxs_time_zone(auditor, appliance):
    # Asia/Shanghai is UTC+8: 15:30Z is 23:30 on 1 March there, 16:30Z is already 2 March.
    append(appliance, {"actor": "late-first", "occurred_at": "2025-03-01T15:30:00.000000Z"},
           {"actor": "early-second", "occurred_at": "2025-03-01T16:30:00.000000Z"},
           {"actor": "third", "occurred_at": "2025-03-03T01:00:00.000000Z"})
    assert actors_on(auditor, "date_from=2025-03-01&date_to=2025-03-01") == {"late-first"}
    assert actors_on(auditor, "date_from=2025-03-02&date_to=2025-03-02") == {"early-second"}
    assert actors_on(auditor, "date_from=2025-03-02") >= {"early-second", "third", "auditor-zhao"}
    assert actors_on(auditor, "date_to=2025-03-02") == {"late-first", "early-second"}
    assert actors_on(auditor, "date_from=2025-03-02T00:30&date_to=2025-03-02") == {"early-second"}
    assert actors_on(auditor, "date_from=2025-03-02T00:31&date_to=2025-03-02") == set()


BAD_FILTERS = (
    ("date_from=2025-02-30", "date_from must be a date"),
    ("date_to=yesterday", "date_to must be a date"),
    ("date_from=0001-01-01", "date_from must be a date"),
    ("date_from=2025-03-02&date_to=2025-03-01", "starts (2025-03-02) after it ends"),
    ("actor=" + "x" * 201, "actor is longer than 200"),
    ("result=maybe", "result must be one of ok, failure"),
    ("actor=a%00b", "control characters"),
)


def test_bad_filters_are_clear_errors(auditor):
    for query, message in BAD_FILTERS:
        response = auditor.get(f"/audit?{query}", headers=ENGLISH)
        assert response.status_code == 422 and message in response.get_data(as_text=True), query
        assert auditor.get(f"/audit/export.csv?{query}").status_code == 422, query
    for before in ("12abc", "-1", "0", "9" * 40):
        response = auditor.get(f"/audit?before={before}", headers=ENGLISH)
        assert response.status_code == 422 and "before must be an event number" in response.get_data(as_text=True)


def test_pages_go_back_in_time_by_seq_and_keep_the_filters(auditor, appliance):
    append(appliance, *({"action": "bulk.event", "object_id": str(number)} for number in range(120)))
    append(appliance, {"action": "other.event"})
    seen, path = [], "/audit?action=bulk."
    while path:
        page = auditor.get(path, headers=ENGLISH).get_data(as_text=True)
        seen.append(seqs_on(page))
        found = re.search(r'<a rel="next" href="([^"]+)"', page)
        path = found.group(1).replace("&amp;", "&") if found else None
        assert path is None or "action=bulk." in path
    assert [len(numbers) for numbers in seen] == [50, 50, 20]
    everything = [number for numbers in seen for number in numbers]
    assert everything == sorted(everything, reverse=True) and len(set(everything)) == 120


METACHARACTERS = ("'", "%", "_", '"', ";--", "' or '1'='1", "\\")


def test_sql_metacharacters_in_filters_match_only_themselves(auditor, appliance):
    append(appliance, *({"actor": f"o{typed}x", "action": f"odd{typed}action"} for typed in METACHARACTERS),
           {"actor": "plain", "action": "oddxaction"})
    for typed in METACHARACTERS:
        assert actors_on(auditor, f"action=odd{_url(typed)}a") == {f"o{typed}x"}, typed
        assert actors_on(auditor, f"actor=o{_url(typed)}x") == {f"o{typed}x"}, typed
        assert actors_on(auditor, f"action={_url(typed)}") == set(), typed
        assert actors_on(auditor, f"source={_url(typed)}") == set(), typed
    assert actors_on(auditor, "action=oddx") == {"plain"}


def test_the_like_pattern_escapes_its_wildcards(appliance):
    append(appliance, {"action": "a%b_c\\d"}, {"action": "axbycxd"}, {"action": "a%bxc\\d"})
    with appliance.engine.connect() as connection:
        for typed in ("a%b_c\\", "a%b_", "a%b_c\\d"):
            pattern = EVENTS.c.action.like(escape_like(typed) + "%", escape=LIKE_ESCAPE)
            assert connection.scalars(select(EVENTS.c.action).where(pattern)).all() == ["a%b_c\\d"], typed


def _url(value: str) -> str:
    from urllib.parse import quote
    return quote(value, safe="")


def test_values_typed_by_anyone_are_shown_escaped(auditor, appliance):
    typed = "<script>alert(1)</script>"
    append(appliance, {"actor": "x", "action": "test.xss", "details": {"note": '<img src=x onerror="alert(2)">'}})
    with auditor.application.test_client() as attacker:  # the login form is where anyone can type
        assert sign_in(attacker, typed, "whatever").status_code == 401
    page = auditor.get("/audit", headers=ENGLISH).get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{&#34;note&#34;:&#34;&lt;img src=x onerror=\\&#34;alert(2)\\&#34;&gt;&#34;}" in page  # compact JSON


def test_csv_export_holds_the_filtered_events_and_is_audited(auditor, appliance):
    append(appliance, {"actor": "=HYPERLINK(1)", "action": "export.me", "details": {"名称": "档案"}},
           {"actor": "li", "action": "export.me", "result": "failure"}, {"actor": "li", "action": "not.me"})
    response = auditor.get("/audit/export.csv?action=export.&date_from=2025-01-01")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed and "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["seq", "occurred_at_utc", "actor"] and len(rows) == 3
    assert [row[2] for row in rows[1:]] == ["'=HYPERLINK(1)", "li"]  # a formula is neutralised for Excel
    assert rows[1][8] == '{"名称":"档案"}' and rows[2][7] == "failure" and len(rows[1][9]) == 64
    exported = latest_events(appliance.uow_factory, 1)[0]
    assert (exported.action, exported.actor, exported.result) == ("audit.export", "auditor-zhao", "ok")
    assert exported.details["filter"] == {"action": "export.", "date_from": "2025-01-01"}
    assert exported.details["events"] == 2 and exported.details["format"] == "csv"


def test_xlsx_export_opens_in_openpyxl_with_text_kept_as_text(auditor, appliance, tmp_path):
    append(appliance, {"actor": "=SUM(1)", "action": "sheet.row", "details": {"n": 1}},
           {"actor": "wang", "action": "sheet.row"})
    response = auditor.get("/audit/export.xlsx?action=sheet.")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    path = tmp_path / "audit.xlsx"
    path.write_bytes(response.get_data())
    sheet = openpyxl.load_workbook(path).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "seq" and len(rows) == 3
    assert rows[1][2] == "=SUM(1)" and sheet.cell(2, 3).data_type == "s"  # stored as text, never a formula
    assert rows[1][8] == '{"n":1}' and rows[2][2] == "wang" and isinstance(rows[1][0], int)
    exported = latest_events(appliance.uow_factory, 1)[0]
    assert exported.action == "audit.export" and exported.details["format"] == "xlsx"
    assert exported.details["events"] == 2


def test_an_export_above_the_maximum_is_refused_and_the_refusal_audited(appliance):
    append(appliance, *({"action": "many.event"} for _ in range(3)))
    query = EventQuery(action="many.")
    with pytest.raises(InvalidInputError, match="3 events match, more than the 2"):
        export_csv(appliance.uow_factory, Actor("auditor-zhao"), query, searcher=AuditSearchRepository, maximum=2)
    refused = latest_events(appliance.uow_factory, 1)[0]
    assert (refused.action, refused.result, refused.details["maximum"]) == ("audit.export", "failure", 2)
    chunks = export_csv(appliance.uow_factory, Actor("auditor-zhao"), query, searcher=AuditSearchRepository,
                        maximum=3)
    append(appliance, {"action": "many.event"})  # after the export began: not in it
    assert "".join(chunks).count("many.event") == 3


def test_verify_reports_an_intact_chain_and_is_audited(auditor, appliance):
    response = auditor.post("/audit/verify", data={"csrf_token": csrf_token(auditor, "/audit")}, headers=ENGLISH)
    page = response.get_data(as_text=True)
    verified = latest_events(appliance.uow_factory, 1)[0]
    assert (verified.action, verified.result, verified.details["intact"]) == ("audit.verify", "ok", True)
    count = verified.details["events_checked"]
    assert response.status_code == 200 and count == verified.seq - 1
    assert f"The audit chain is intact: {count} events checked." in page and verified.details["head_hash"] in page
    assert auditor.post("/audit/verify").status_code == 400  # no CSRF token, no verification
    assert latest_events(appliance.uow_factory, 1)[0].seq == verified.seq


def test_verify_names_the_event_tampered_with_in_the_database(auditor, appliance):
    append(appliance, *({"action": "victim.event", "object_id": str(number)} for number in range(3)))
    target = verify_audit_chain(appliance.uow_factory).events_checked - 1
    with appliance.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER audit_events_refuse_update"))
        else:
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        connection.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = :seq"), {"seq": target})
    response = auditor.post("/audit/verify", data={"csrf_token": csrf_token(auditor, "/audit")}, headers=ENGLISH)
    page = response.get_data(as_text=True)
    assert f"The audit chain is broken at event {target}." in page
    assert f"event {target} was altered" in page and f'href="/audit?before={target + 1}"' in page
    verified = latest_events(appliance.uow_factory, 1)[0]
    assert (verified.action, verified.result, verified.details["first_bad_seq"]) == ("audit.verify", "failure",
                                                                                      target)
