"""Report figures and the annual statistics through the API with machine tokens: JSON, xlsx, scope, refusals."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from appliance.domain.permissions import MATRIX
from appliance.services.api_tokens import issue_token
from appliance.services.audit import history
from appliance.services.reports import FIGURES
from tests.integration.services.test_reports import HOSTILE_NAME, build_known_set
from tests.support.console import SECURITY_OFFICER, api_token_for, make_person


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


@pytest.fixture
def tokens(appliance, actor, fonds, tmp_path):
    known = build_known_set(appliance, actor, tmp_path)
    make_person(appliance, "office", ["archivist"], departments=["BGS"])
    _, secret = issue_token(appliance.uow_factory, SECURITY_OFFICER, "office", "office machine",
                            [action.value for action in MATRIX["archivist"]], datetime.datetime.now(datetime.UTC))
    return {**people(appliance), "office": {"Authorization": f"Bearer {secret}"}, "year": known["now"].year}


def people(appliance) -> dict:
    return {"desk": api_token_for(appliance, "desk", "archivist"),
            "reader": api_token_for(appliance, "reader", "reader")}


def test_each_figure_as_json(client, tokens):
    for name in FIGURES:
        response = client.get(f"/api/v1/reports/{name}", headers=tokens["desk"])
        assert response.status_code == 200 and response.json["figure"] == name, name
    body = client.get("/api/v1/reports/holdings-department?fonds=z109", headers=tokens["desk"]).json
    assert body["fonds"] == "Z109" and body["columns"] == ["items", "pages"] and body["title"] == "馆藏（按机构）"
    assert {row["key"]: row["values"] for row in body["rows"]} == {"ABC": [1, 7], "BGS": [4, 7], "RSC": [2, 9]}
    assert body["rows"][0]["label"] == HOSTILE_NAME  # JSON carries the name as it is; pages escape it
    office = client.get("/api/v1/reports/holdings-department", headers=tokens["office"]).json
    assert [(row["key"], row["values"]) for row in office["rows"]] == [("BGS", [4, 7])]
    assert client.get("/api/v1/reports/backup-history", headers=tokens["office"]).json["withheld"] is True


def test_a_figure_as_xlsx_is_audited(client, appliance, tokens):
    response = client.get("/api/v1/reports/holdings-retention.xlsx", headers=tokens["desk"])
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = {row[0]: row[1:] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows == {"定期10年": (5, 17), "定期30年": (1, 5), "永久": (1, 1), "合计": (7, 23)}
    (event,) = history(appliance.uow_factory, "report", "holdings-retention")
    assert (event.actor, event.action, event.details["via"]) == ("desk", "report.export", "token")


def test_the_annual_statistics(client, tokens):
    year = tokens["year"]
    body = client.get(f"/api/v1/reports/annual?year={year}", headers=tokens["desk"]).json
    assert body["year"] == year and body["title"] == f"{year}年度档案工作统计"
    assert {key: body["summary"][key] for key in ("holdings_items", "holdings_pages", "use_requests", "use_items")} == {
        "holdings_items": 7, "holdings_pages": 23, "use_requests": 3, "use_items": 4}
    assert client.get(f"/api/v1/reports/annual?year={year}", headers=tokens["office"]).json["summary"][
        "holdings_items"] == 4
    workbook = client.get(f"/api/v1/reports/annual.xlsx?year={year}", headers=tokens["desk"])
    assert load_workbook(io.BytesIO(workbook.data)).worksheets[0]["A1"].value == f"{year}年度档案工作统计 — 基本情况"


@pytest.mark.parametrize(("who", "path", "status"), [
    ("reader", "/api/v1/reports/holdings-year", 403),
    ("reader", "/api/v1/reports/holdings-year.xlsx", 403),
    ("reader", "/api/v1/reports/annual", 403),
    ("desk", "/api/v1/reports/passwords", 404),
    ("desk", "/api/v1/reports/passwords.xlsx", 404),
    ("desk", "/api/v1/reports/intake-daily?from=2026-13-01", 422),
    ("desk", "/api/v1/reports/intake-daily?from=2026-03-01&to=2026-02-01", 422),
    ("desk", "/api/v1/reports/intake-daily?from=2020-01-01&to=2026-01-01", 422),
    ("desk", "/api/v1/reports/holdings-year?fonds=Z1%27%3B", 422),
    ("desk", "/api/v1/reports/intake-daily?from=0001-01-01&to=0001-01-02", 422),
    ("desk", "/api/v1/reports/intake-daily?from=9999-12-30&to=9999-12-31", 422),
    ("desk", "/api/v1/reports/annual?year=99999", 422),
    ("desk", "/api/v1/reports/annual.xlsx?year=1800", 422),
])
def test_refusals(client, appliance, who, path, status):
    response = client.get(path, headers=people(appliance)[who])
    assert response.status_code == status and response.json["error"], response.json


def test_the_openapi_document_describes_the_reports(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/reports/{name}", "/api/v1/reports/{name}.xlsx", "/api/v1/reports/annual",
                 "/api/v1/reports/annual.xlsx"):
        assert "get" in paths[path], path
