"""Assistance in the console and the API: tags on the item page, filing suggestions on the intake document page,
the acceptance rates; decisions audited, forged or beyond-rights requests refused with nothing changed."""

import datetime

import pytest
from sqlalchemy import text

from appliance import assistance_wiring
from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.services.audit import history
from appliance.services.items import add_item
from appliance.services.keywords import refresh_keywords
from tests.integration.services.test_keywords import FLOOD_NOTICE
from tests.support.console import api_token_for, make_person, post_form, signed_in_client
from tests.support.official_documents import archive_documents, generate_documents, intake_document_with_text

NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def item(appliance, actor, fonds):
    found = add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2019, "Y", "BGS"),
                     ItemFields.build(title="关于做好防汛抗旱工作的通知", date="20190402", access_label="内部"))
    with appliance.uow_factory() as uow:
        refresh_keywords(uow, found.id, FLOOD_NOTICE, assistance_wiring.keyword_extractor())
        uow.commit()
    return found


@pytest.fixture
def archivist(app, appliance):
    make_person(appliance, "archivist-li", ["archivist"])
    return signed_in_client(app, "archivist-li")


def keyword_states(appliance, item) -> dict:
    with appliance.uow_factory(read_only=True) as uow:
        return dict(uow.session.execute(text("SELECT keyword, state FROM item_keywords WHERE item_id = :id"),
                                        {"id": item.id}).all())


def test_the_item_page_shows_tags_and_a_decision_is_audited(archivist, appliance, item):
    page = archivist.get(f"/items/{item.archival_code}").get_data(as_text=True)
    assert 'data-suggested="防汛"' in page and "Add a tag" in page and "/tags/accept" in page
    path = f"/items/{item.archival_code}/tags"
    response = post_form(archivist, f"{path}/accept", {"keyword": "防汛"}, f"/items/{item.archival_code}")
    assert response.status_code == 302 and response.location.endswith("#tags")
    post_form(archivist, f"{path}/dismiss", {"keyword": "水库"}, f"/items/{item.archival_code}")
    post_form(archivist, f"{path}/add", {"keyword": "汛期值班"}, f"/items/{item.archival_code}")
    states = keyword_states(appliance, item)
    assert (states["防汛"], states["水库"], states["汛期值班"]) == ("accepted", "dismissed", "accepted")
    page = archivist.get(f"/items/{item.archival_code}").get_data(as_text=True)
    assert 'data-tag="防汛"' in page and 'data-tag="汛期值班"' in page and 'data-suggested="水库"' not in page
    actions = [event.action for event in history(appliance.uow_factory, "item", item.archival_code)]
    assert {"item.tag.accept", "item.tag.dismiss", "item.tag.add"} <= set(actions)


def test_a_reader_sees_tags_but_may_not_decide(app, appliance, item):
    make_person(appliance, "reader-zhao", ["reader"])
    reader = signed_in_client(app, "reader-zhao")
    page = reader.get(f"/items/{item.archival_code}").get_data(as_text=True)
    assert 'data-suggested="防汛"' in page and "/tags/accept" not in page and "Add a tag" not in page
    before = keyword_states(appliance, item)
    response = post_form(reader, f"/items/{item.archival_code}/tags/accept", {"keyword": "防汛"},
                         f"/items/{item.archival_code}")
    assert response.status_code == 403
    assert keyword_states(appliance, item) == before


def test_a_forged_or_bad_decision_changes_nothing(archivist, appliance, item):
    before = keyword_states(appliance, item)
    forged = archivist.post(f"/items/{item.archival_code}/tags/accept", data={"keyword": "防汛"})
    assert forged.status_code == 400
    for decision, keyword in (("approve", "防汛"), ("add", ""), ("add", "x" * 41), ("accept", "没有这个词")):
        response = post_form(archivist, f"/items/{item.archival_code}/tags/{decision}", {"keyword": keyword},
                             f"/items/{item.archival_code}")
        assert response.status_code in (302, 404)
    assert keyword_states(appliance, item) == before


@pytest.fixture
def trained(appliance, fonds):
    corpus = [document for document in generate_documents(300, seed=21) if document.department in ("BGS", "RSC")]
    archive_documents(appliance, fonds, corpus)
    assert assistance_wiring.retrain_if_due(appliance.uow_factory, assistance_wiring.models_directory(appliance),
                                            NOW) is not None
    return next(document for document in generate_documents(30, seed=22) if document.department == "RSC")


def test_the_intake_page_offers_suggestions_and_filing_records_them(archivist, appliance, trained):
    document_id = intake_document_with_text(appliance, trained.text)
    page = archivist.get(f"/intake/documents/{document_id}").get_data(as_text=True)
    assert f'data-fill="filing-title" data-value="{trained.title}"' in page
    assert f'data-value="{trained.doc_number}"' in page and 'data-part="4" data-value="RSC"' in page
    assert "suggestions.js" in page
    assert 'id="filing-title" maxlength="1000" value=""' in page  # never filled by itself
    response = post_form(archivist, f"/intake/documents/{document_id}/new-item",
                         {"class": f"Z109/WS/2020/{trained.retention}/RSC", "access_label": "内部",
                          "title": trained.title, "date": trained.date}, f"/intake/documents/{document_id}")
    assert response.status_code == 302 and "/items/Z109-WS" in response.location
    rates = archivist.get("/api/v1/assistance/acceptance").get_json()["fields"]
    by_field = {rate["field"]: rate for rate in rates}
    assert by_field["title"]["accepted"] == 1 and by_field["date"]["rate"] == 1.0
    assert by_field["doc_number"]["ignored"] == 1 and by_field["department"]["offered"] == 1
    page = archivist.get("/assistance").get_data(as_text=True)
    assert 'data-field="title"' in page and "100%" in page


def test_a_bad_description_files_nothing_and_keeps_what_was_typed(archivist, appliance, trained):
    document_id = intake_document_with_text(appliance, trained.text)
    response = post_form(archivist, f"/intake/documents/{document_id}/new-item",
                         {"class": "Z109/WS/2020/D10/RSC", "title": "关于测试的通知", "date": "20201340"},
                         f"/intake/documents/{document_id}")
    assert response.status_code == 422 and 'value="关于测试的通知"' in response.get_data(as_text=True)
    with appliance.uow_factory(read_only=True) as uow:
        assert uow.intake.get_document(document_id).state.value == "intake"


def test_the_api_gives_suggestions_tags_and_rates(client, appliance, trained, item):
    archivist = api_token_for(appliance, "api-archivist", "archivist")
    reader = api_token_for(appliance, "api-reader", "reader")
    document_id = intake_document_with_text(appliance, trained.text)
    found = client.get(f"/api/v1/intake/{document_id}/suggestions", headers=archivist).get_json()
    assert found["suggestions"]["title"][0] == {"value": trained.title, "rank": 1, "score": 0.85, "source": "header"}
    assert len(found["suggestions"]["retention"]) == 3 and found["model"]["metrics"]["department"]["top1"] > 0
    assert client.get(f"/api/v1/intake/{document_id}/suggestions", headers=reader).status_code == 403
    assert client.get("/api/v1/intake/999999/suggestions", headers=archivist).status_code == 404
    path = f"/api/v1/items/{item.archival_code}/tags"
    accepted = client.post(path, json={"decision": "accept", "keyword": "抗旱"}, headers=archivist)
    assert accepted.status_code == 200 and accepted.get_json()["state"] == "accepted"
    assert client.post(path, json={"decision": "accept", "keyword": "抗旱"}, headers=archivist).status_code == 409
    assert client.post(path, json={"decision": "accept", "keyword": "水库"}, headers=reader).status_code == 403
    assert client.post(path, json=["accept"], headers=archivist).status_code == 422
    assert client.post(path, json={"decision": "maybe", "keyword": "水库"}, headers=archivist).status_code == 422
    tags = client.get(path, headers=reader).get_json()
    assert [tag["keyword"] for tag in tags["accepted"]] == ["抗旱"] and tags["may_decide"] is False
    assert client.get("/api/v1/assistance/acceptance", headers=reader).status_code == 403


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the API layer: one database is enough
def test_the_assistance_operations_answer_as_described(appliance, item):
    """schemathesis over this module's operations alone (the whole document runs in test_openapi_schema.py)."""
    import schemathesis

    from tests.web.test_openapi_schema import answers_as_described
    from web import create_app

    headers = api_token_for(appliance, "schema-archivist", "archivist")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", create_app({"appliance": appliance,
                                                                                  "TESTING": True}))
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if any(part in operation.path for part in ("/suggestions", "/tags", "/assistance/")):
            answers_as_described(operation, headers)
            checked.append(operation.label)
    assert len(checked) == 4, checked
