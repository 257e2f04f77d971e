import pytest

from appliance.adapters.tables import read_rows
from appliance.services.catalogue_import import import_catalogue
from appliance.services.fonds import add_department, add_fonds
from tests.support.catalogue_files import catalogue_rows, write_csv
from tests.support.console import make_person, sign_in


@pytest.fixture
def client(client, appliance):
    """Signed in as an archivist who may see everything."""
    make_person(appliance, "archivist-li", ["archivist"])
    assert sign_in(client, "archivist-li").status_code == 302
    return client


def load_catalogue(appliance, actor, tmp_path, rows):
    add_fonds(appliance.uow_factory, actor, "Z109", "某某市人民政府", "year-department-retention")
    add_department(appliance.uow_factory, actor, "Z109", "BGS", "办公室")
    path = write_csv(tmp_path / "c.csv", rows)
    import_catalogue(appliance.uow_factory, appliance.blob_store, actor, path, read_rows(path))


def test_an_empty_box_says_how_to_begin(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "尚无全宗" in response.get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert "No fonds yet" in english


def test_the_index_lists_fonds_with_counts(client, appliance, actor, tmp_path):
    load_catalogue(appliance, actor, tmp_path, catalogue_rows(3))
    page = client.get("/").get_data(as_text=True)
    assert "某某市人民政府" in page and ">3</td>" in page and 'href="/fonds/Z109"' in page


def test_a_fonds_page_filters_and_pages_in_code_order(client, app, appliance, actor, tmp_path):
    load_catalogue(appliance, actor, tmp_path, catalogue_rows(60) + catalogue_rows(2, retention="D10"))
    first = client.get("/fonds/Z109?year=2011&retention=Y").get_data(as_text=True)
    assert first.count('<td class="code">') == 50
    assert "Z109-WS·2011-Y-BGS-0001" in first and "D10" not in first.split("<tbody>")[1]
    assert "after=Z109-WS%C2%B72011-Y-BGS-0050" in first
    second = client.get("/fonds/Z109?year=2011&retention=Y&after=Z109-WS%C2%B72011-Y-BGS-0050").get_data(as_text=True)
    assert second.count('<td class="code">') == 10 and "Z109-WS·2011-Y-BGS-0051" in second
    assert 'rel="next"' not in second


def test_bad_filters_and_unknown_fonds_are_clear_errors(client, appliance, actor, tmp_path):
    load_catalogue(appliance, actor, tmp_path, catalogue_rows(1))
    response = client.get("/fonds/Z109?year=20x1")
    assert response.status_code == 422 and "must have 4 digits" in response.get_data(as_text=True)
    assert "出错了" in response.get_data(as_text=True)
    assert client.get("/fonds/Q999").status_code == 404
    assert client.get("/fonds/Z109?after=../../etc").status_code == 422


def test_pages_carry_security_headers_and_no_inline_script(client):
    response = client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script" not in response.get_data(as_text=True)
    assert client.get("/static/dangan.css").status_code == 200


def test_health_endpoint(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok" and response.get_json()["database"] == "ok"


def test_api_errors_are_json(client):
    response = client.get("/api/v1/nothing-here", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found", "message": "No such page."}
    assert client.get("/api/v1/nothing-here").get_json()["message"] == "没有这个页面。"


@pytest.mark.parametrize("department", ["' OR 1=1--", "BGS%", "B_S", '"; DROP TABLE items;--'])
def test_sql_metacharacters_in_filters_match_nothing_and_break_nothing(client, appliance, actor, tmp_path,
                                                                         department):
    load_catalogue(appliance, actor, tmp_path, catalogue_rows(3))
    response = client.get("/fonds/Z109", query_string={"department": department})
    assert response.status_code == 200 and '<td class="code">' not in response.get_data(as_text=True)
    assert client.get("/fonds/Z109").get_data(as_text=True).count('<td class="code">') == 3


def test_https_pages_tell_browsers_to_stay_on_https(client):
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in client.get("/login").headers
