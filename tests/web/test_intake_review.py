"""Reviewing the intake queue in the console: file, make an item, split, move and merge pages, each audited."""

import pytest

from appliance.domain.actors import Actor
from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.services.audit import latest_events
from appliance.services.intake import receive_document
from appliance.services.intake_review import intake_document
from appliance.services.items import add_item, show_item
from tests.support.console import make_person, post_form, sign_in
from tests.support.intake_documents import delivered, streams

AGENT = Actor("agent:scanner-pc", "192.0.2.50")
CODE = "Z109-WS·2011-Y-BGS-0001"


@pytest.fixture
def waiting(appliance, actor, fonds):
    """Two documents without cover sheets (3 pages and 2 pages), and a registered item to file to."""
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
             ItemFields.build(title="关于开展档案工作检查的通知", date="20110315"))
    ids = []
    for sequence, seeds in ((1, [1, 2, 3]), (2, [4, 5])):
        manifest, pages = delivered(None, seeds, sequence=sequence)
        ids.append(receive_document(appliance.uow_factory, appliance.blob_store, AGENT, manifest,
                                    streams(pages)).document_id)
    return ids


@pytest.fixture
def reviewer(client, appliance):
    make_person(appliance, "reviewer", ["archivist"])
    assert sign_in(client, "reviewer").status_code == 302
    post_form(client, "/language", {"language": "en"})
    return client


def test_the_queue_lists_waiting_documents_with_the_reason(reviewer, waiting):
    page = reviewer.get("/intake", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"/intake/documents/{waiting[0]}" in page and "no cover sheet" in page


def test_a_document_filed_to_an_item_adds_its_pages(reviewer, appliance, waiting):
    response = post_form(reviewer, f"/intake/documents/{waiting[0]}/file", {"archival_code": CODE},
                         f"/intake/documents/{waiting[0]}")
    assert response.status_code == 302 and response.location.startswith("/items/")
    view = show_item(appliance.uow_factory, CODE)
    assert view.item.fields.pages == 3 and len(view.pages) == 3
    assert intake_document(appliance.uow_factory, waiting[0]).view.state.value == "filed"
    actions = [event.action for event in latest_events(appliance.uow_factory, 3)]
    assert "intake.file" in actions and "item.pages.add" in actions
    again = post_form(reviewer, f"/intake/documents/{waiting[0]}/file", {"archival_code": CODE},
                      f"/intake/documents/{waiting[1]}")
    assert again.status_code == 409  # a filed document does not file twice


def test_a_new_item_is_made_in_a_class(reviewer, appliance, waiting):
    response = post_form(reviewer, f"/intake/documents/{waiting[1]}/new-item",
                         {"class": "Z109/WS/2011/D30/BGS", "access_label": "内部"}, "/intake")
    assert response.status_code == 302
    view = show_item(appliance.uow_factory, "Z109-WS·2011-D30-BGS-0001")
    assert view.item.fields.title == "[待著录]" and view.item.fields.pages == 2


def test_split_move_and_merge_keep_every_page(reviewer, appliance, waiting):
    first, second = waiting
    before = intake_document(appliance.uow_factory, first).pages + intake_document(appliance.uow_factory,
                                                                                   second).pages
    split = post_form(reviewer, f"/intake/documents/{first}/split", {"first_page": "3"}, "/intake")
    assert split.status_code == 302
    third = int(split.location.rsplit("/", 1)[1])
    assert len(intake_document(appliance.uow_factory, first).pages) == 2
    moved = post_form(reviewer, f"/intake/documents/{first}/move", {"page": "1", "target": str(second)}, "/intake")
    assert moved.status_code == 302
    merged = post_form(reviewer, f"/intake/documents/{third}/move", {"page": "1", "target": str(second)}, "/intake")
    assert merged.status_code == 302
    after = [intake_document(appliance.uow_factory, number).pages for number in (first, second, third)]
    assert sorted(sum(after, [])) == sorted(before) and len(after[1]) == 4
    assert intake_document(appliance.uow_factory, third).view.state.value == "merged"
    actions = [event.action for event in latest_events(appliance.uow_factory, 3)]
    assert actions[:3] == ["intake.merge", "intake.move_pages", "intake.split"]


@pytest.mark.parametrize("path, form, message", [
    ("file", {"archival_code": "Z109-WS·2011-Y-BGS-0099"}, "no registered item"),
    ("file", {"archival_code": "'; DROP TABLE items;--"}, "archival code"),
    ("new-item", {"class": "Z109/XX/2011/D30/BGS"}, "unknown category"),
    ("split", {"first_page": "1"}, "splits before page 2"),
    ("split", {"first_page": "abc"}, "number"),
])
def test_bad_review_input_is_refused_and_changes_nothing(reviewer, appliance, waiting, path, form, message):
    before = len(latest_events(appliance.uow_factory, 500))
    response = post_form(reviewer, f"/intake/documents/{waiting[0]}/{path}", form, "/intake")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert len(latest_events(appliance.uow_factory, 500)) == before
    assert len(intake_document(appliance.uow_factory, waiting[0]).pages) == 3


def test_an_operator_sees_the_queue_but_does_not_review(client, appliance, waiting):
    make_person(appliance, "operator-1", ["operator"])
    sign_in(client, "operator-1")
    assert client.get(f"/intake/documents/{waiting[0]}").status_code == 200
    image = client.get(f"/intake/documents/{waiting[0]}/pages/1.jpg")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert latest_events(appliance.uow_factory, 1)[0].action == "intake.view_page"
    response = post_form(client, f"/intake/documents/{waiting[0]}/file", {"archival_code": CODE}, "/intake")
    assert response.status_code == 403


def test_a_review_without_the_csrf_token_changes_nothing(reviewer, appliance, waiting):
    response = reviewer.post(f"/intake/documents/{waiting[0]}/file", data={"archival_code": CODE})
    assert response.status_code == 400
    assert intake_document(appliance.uow_factory, waiting[0]).view.state.value == "intake"
