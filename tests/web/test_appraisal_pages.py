"""The appraisal and legal-hold pages: the expiry list with decisions and holds, placing and releasing holds."""

import pytest

from appliance.domain.catalogue import ItemFields, ItemFilter, ItemState
from appliance.domain.codes import ClassKey
from appliance.services.audit import latest_events
from appliance.services.items import add_item
from tests.support.console import make_person, post_form, sign_in

FIRST, SECOND = "Z109-WS·2011-D10-BGS-0001", "Z109-WS·2011-D10-BGS-0002"


@pytest.fixture
def archivist(client, appliance, actor, fonds):
    for _ in range(2):
        add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "D10", "BGS"),
                 ItemFields.build(title="关于年度工作的通知", date="20110301"))
    with appliance.uow_factory() as uow:
        uow.catalogue.set_state([item.id for item in uow.catalogue.iterate_items(ItemFilter("Z109"))],
                                ItemState.ARCHIVED)
        uow.commit()
    make_person(appliance, "archivist-wang", ["archivist"])
    assert sign_in(client, "archivist-wang").status_code == 302
    post_form(client, "/language", {"language": "en"})  # the assertions read English: the zh-CN catalogue may lag
    return client


def listed_rows(html: str) -> str:
    """The rows of the items' table (the last table of the page), without the form below it."""
    return html.split("<tbody>")[-1].split("</tbody>")[0]


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_expiry_list_records_a_decision_for_the_ticked_items(archivist, appliance):
    listed = page(archivist, "/appraisal?fonds=Z109&year=2022")
    assert FIRST in listed and SECOND in listed and "<script" not in listed and "style=" not in listed
    assert 'name="items"' in listed and "Not decided yet" in listed
    response = post_form(archivist, "/appraisal/decisions", {
        "fonds": "Z109", "year": "2022", "items": [FIRST], "decision": "keep", "keep_years": "5",
        "reason": "仍有查考价值"}, "/appraisal")
    assert response.status_code == 302 and "year=2022" in response.location
    after = page(archivist, "/appraisal?fonds=Z109&year=2022")
    assert "Decision recorded for 1 items." in after and FIRST not in listed_rows(after) and SECOND in after
    assert FIRST in page(archivist, "/appraisal?fonds=Z109&year=2027")  # due again after five years
    assert latest_events(appliance.uow_factory, 1)[0].action == "appraisal.keep"
    post_form(archivist, "/appraisal/decisions", {"fonds": "Z109", "year": "2022", "items": [SECOND],
                                                  "decision": "destroy", "reason": "无保存价值"}, "/appraisal")
    assert "To be destroyed" in listed_rows(page(archivist, "/appraisal?fonds=Z109&year=2022"))


def test_a_refused_decision_is_explained_and_changes_nothing(archivist, appliance):
    post_form(archivist, "/holds", {"item": SECOND, "reason": "诉讼证据"}, "/holds")
    response = post_form(archivist, "/appraisal/decisions", {
        "fonds": "Z109", "year": "2022", "items": [FIRST, SECOND], "decision": "destroy", "reason": "无保存价值"},
        "/appraisal")
    after = page(archivist, response.location)
    assert "legal hold" in after and "Hold 1" in after
    assert "Not decided yet" in listed_rows(after) and "To be destroyed" not in listed_rows(after)
    assert latest_events(appliance.uow_factory, 1)[0].action == "hold.place"
    untied = post_form(archivist, "/appraisal/decisions", {"fonds": "Z109", "year": "2022", "decision": "keep",
                                                          "reason": "保留"}, "/appraisal")
    assert "Tick the items" in page(archivist, untied.location)


def test_holds_are_placed_on_an_item_or_a_class_and_released(archivist, appliance):
    empty = page(archivist, "/holds")
    assert "No hold is in force." in empty and "<script" not in empty and "style=" not in empty
    post_form(archivist, "/holds", {"item": FIRST, "reason": "诉讼证据"}, "/holds")
    post_form(archivist, "/holds", {"item": "", "fonds": "Z109", "year": "2011", "department": "BGS",
                                    "reason": "专项审计"}, "/holds")
    placed = page(archivist, "/holds")
    assert FIRST in placed and "专项审计" in placed and "BGS" in placed
    hold_id = latest_events(appliance.uow_factory, 1)[0].object_id
    post_form(archivist, f"/holds/{hold_id}/release", {"reason": "审计结束"}, "/holds")
    released = page(archivist, "/holds")
    assert "审计结束" in released and latest_events(appliance.uow_factory, 1)[0].action == "hold.release"
    refused = post_form(archivist, f"/holds/{hold_id}/release", {"reason": "再次"}, "/holds")
    assert "released already" in page(archivist, refused.location)


@pytest.mark.parametrize("role", ["reader", "operator"])
def test_readers_and_operators_are_kept_out(client, appliance, fonds, role):
    make_person(appliance, f"{role}-sun", [role])
    sign_in(client, f"{role}-sun")
    assert client.get("/appraisal").status_code == 403
    assert client.get("/holds").status_code == 403
    assert post_form(client, "/holds", {"item": FIRST, "reason": "诉讼"}).status_code == 403
