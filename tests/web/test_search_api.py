"""GET /api/v1/search: hits with marked snippets, facets, the principal's rights, and refusals as JSON."""

import pytest

from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.domain.jobs import PAGE_OCR, Derivative
from appliance.services.items import add_item
from appliance.services.search import index_item
from tests.support.console import api_token_for
from web.api.v1 import search as search_api


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


@pytest.fixture
def tokens(appliance, actor, fonds):
    public = add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2019, "Y", "BGS"),
                      ItemFields.build(title="关于开展档案工作检查的通知", date="20190315",
                                       doc_number="Z办发〔2019〕12号"))
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2019, "Y", "RSC"),
             ItemFields.build(title="档案人员薪酬调整的请示", date="20190601", access_label="受控"))
    with appliance.uow_factory() as uow:
        page, pdf = appliance.blob_store.put_bytes(b"page"), appliance.blob_store.put_bytes(b"%PDF")
        uow.blobs.add(page)
        uow.blobs.add(pdf)
        uow.jobs.add_derivative(Derivative(page.sha256, PAGE_OCR, "test/1", pdf.sha256, "定于四月开展数字化检查。"))
        uow.blobs.add_pages(public.id, [page.sha256])
        index_item(uow, public.id)
        uow.commit()
    return {"archivist": api_token_for(appliance, "archivist-wang", "archivist"),
            "reader": api_token_for(appliance, "reader-sun", "reader")}


def test_hits_snippets_and_facets(client, tokens):
    response = client.get("/api/v1/search", query_string={"q": "Z办发[2019]12号 数字化"}, headers=tokens["archivist"])
    assert response.status_code == 200
    body = response.json
    assert body["total"] == 1 and body["hits"][0]["archival_code"] == "Z109-WS·2019-Y-BGS-0001"
    assert body["hits"][0]["snippet_source"] == "text"
    assert {"text": "数字化", "match": True} in body["hits"][0]["snippet"]
    assert body["facets"]["year"] == [{"value": 2019, "count": 1}]


def test_filters_and_what_each_principal_may_see(client, tokens):
    everything = client.get("/api/v1/search?q=档案&sort=date", headers=tokens["archivist"]).json
    assert everything["total"] == 2 and everything["hits"][0]["date"] == "20190601"
    assert client.get("/api/v1/search?q=档案&label=受控", headers=tokens["archivist"]).json["total"] == 1
    assert client.get("/api/v1/search?q=档案&department=bgs", headers=tokens["archivist"]).json["total"] == 1
    assert client.get("/api/v1/search?q=档案&from=20190401&to=20191231",
                      headers=tokens["archivist"]).json["total"] == 1
    # a reader searches the catalogue fields only: the page text is content
    assert client.get("/api/v1/search?q=数字化", headers=tokens["reader"]).json["total"] == 0
    assert client.get("/api/v1/search?q=检查", headers=tokens["reader"]).json["hits"][0]["snippet_source"] == "title"


@pytest.mark.parametrize("arguments", ["limit=0", "limit=x", "offset=-1", "sort=rank", "state=lost", "label=秘密",
                                       "retention=Q", "from=2019", "year=19"])
def test_bad_arguments_are_refused(client, tokens, arguments):
    response = client.get(f"/api/v1/search?q=档案&{arguments}", headers=tokens["archivist"])
    assert response.status_code == 422 and set(response.json) == {"error", "message"}


def test_metacharacters_and_no_token(client, tokens):
    for typed in ['"', "*", "NEAR(档案", "'", "OR", "-档案", "档案 AND 1=1"]:
        response = client.get("/api/v1/search", query_string={"q": typed}, headers=tokens["archivist"])
        assert response.status_code == 200, typed
    assert client.get("/api/v1/search?q=档案").status_code == 401


def test_the_openapi_paths_are_described():
    described = search_api.openapi_paths()["/api/v1/search"]["get"]
    assert {parameter["name"] for parameter in described["parameters"]} >= {"q", "fonds", "from", "to", "sort"}
