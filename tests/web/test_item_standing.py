"""The item page says where an item stands — held, appraised — and archived items are corrected from it."""

import datetime

import pytest

from appliance.domain.access import EVERYTHING
from appliance.domain.appraisal import AppraisalChoice, decision_terms
from appliance.domain.catalogue import ItemFields, ItemFilter, ItemState
from appliance.domain.codes import ClassKey
from appliance.domain.holds import HoldScope
from appliance.domain.permissions import allowed_actions
from appliance.domain.sessions import Principal
from appliance.services.appraisal import record_decisions
from appliance.services.audit import history
from appliance.services.holds import place_hold
from appliance.services.items import add_item
from tests.support.console import make_person, post_form, sign_in

CODE, OTHER = "Z109-WS·2011-D10-BGS-0001", "Z109-WS·2011-D10-BGS-0002"
NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)


def principal(name: str, role: str) -> Principal:
    return Principal(name, name, frozenset({role}), allowed_actions([role]), EVERYTHING, "192.0.2.7")


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


@pytest.fixture
def archived(appliance, actor, fonds):
    for title in ("关于开展档案工作检查的通知", "关于印发年度工作要点的通知"):
        add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "D10", "BGS"),
                 ItemFields.build(title=title, date="20110315"))
    with appliance.uow_factory() as uow:
        uow.catalogue.set_state([item.id for item in uow.catalogue.iterate_items(ItemFilter("Z109"))],
                                ItemState.ARCHIVED)
        uow.commit()


@pytest.fixture
def people(app, appliance, archived):
    clients = {}
    for name, role in (("wang", "archivist"), ("zhao", "approver")):
        make_person(appliance, name, [role])
        clients[name] = app.test_client()
        assert sign_in(clients[name], name).status_code == 302
        clients[name].set_cookie("dangan_language", "en")
    return clients


def page(client, code: str) -> str:
    return client.get(f"/items/{code}", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_a_hold_and_an_appraisal_decision_show_on_the_item_page(appliance, people):
    place_hold(appliance.uow_factory, principal("zhao", "approver"), CODE, "诉讼证据保全", NOW)
    record_decisions(appliance.uow_factory, principal("wang", "archivist"), "Z109", 2022, [OTHER],
                     decision_terms(AppraisalChoice.KEEP, "仍有查考价值", keep_years=5), NOW)
    held = page(people["wang"], CODE)
    assert 'data-standing="held"' in held and "诉讼证据保全" in held
    assert 'data-standing="appraisal-keep"' not in held
    kept = page(people["wang"], OTHER)
    assert 'data-standing="appraisal-keep"' in kept and "2027" in kept and 'data-standing="held"' not in kept


def test_an_archived_item_is_corrected_through_a_request_from_its_page(appliance, people):
    shown = page(people["wang"], CODE)
    assert '/correction"' in shown and '/edit"' not in shown
    assert '/correction"' not in page(people["zhao"], CODE)  # approvers do not ask
    asked = post_form(people["wang"], f"/items/{CODE}/correction",
                      {"title": "关于开展档案工作检查的通知（更正）", "date": "20110315", "responsible": "",
                       "doc_number": "", "notes": "", "reason": "题名漏字，据原件更正"}, f"/items/{CODE}")
    assert asked.status_code == 302 and asked.location.endswith("/approvals")
    inbox = people["zhao"].get("/approvals").get_data(as_text=True)
    request_id = int(inbox.split('action="/approvals/', 1)[1].split('"', 1)[0])
    post_form(people["zhao"], f"/approvals/{request_id}", {"decision": "approve"}, "/approvals")
    assert "关于开展档案工作检查的通知（更正）" in page(people["wang"], CODE)
    corrected = [event for event in history(appliance.uow_factory, "item", CODE) if event.action == "item.correct"]
    assert corrected and corrected[0].details["title"][1] == "关于开展档案工作检查的通知（更正）"


def test_a_correction_that_changes_nothing_is_refused_and_nothing_is_asked(appliance, people):
    asked = post_form(people["wang"], f"/items/{CODE}/correction",
                      {"title": "关于开展档案工作检查的通知", "date": "20110315", "responsible": "", "doc_number": "",
                       "notes": "", "reason": "无"}, f"/items/{CODE}")
    assert asked.status_code == 302 and "/items/Z109-WS" in asked.location
    assert 'action="/approvals/' not in people["zhao"].get("/approvals").get_data(as_text=True)


def test_a_class_hold_shows_on_every_item_it_covers(appliance, people):
    place_hold(appliance.uow_factory, principal("zhao", "approver"), HoldScope("Z109", year=2011), "审计调阅", NOW)
    assert all('data-standing="held"' in page(people["zhao"], code) for code in (CODE, OTHER))
