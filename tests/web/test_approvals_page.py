"""The approvals inbox in the console: send an item to archiving, approve it from the inbox, see it archived."""

import pytest

from appliance.adapters.sample_batch import render_text_page
from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.services.items import show_item
from tests.support.console import make_person, post_form, sign_in

CODE = "Z109-WS·2011-Y-BGS-0001"


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


@pytest.fixture
def item(appliance, actor, fonds, tmp_path):
    from appliance.services.items import add_item

    page = tmp_path / "page.png"
    render_text_page(["关于开展档案工作检查的通知"], dpi=75).save(page)
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
             ItemFields.build(title="关于开展档案工作检查的通知", date="20110315", responsible="办公室"), [page])
    return CODE


def test_an_item_goes_from_the_item_page_through_the_inbox_to_archived(app, appliance, item):
    archivist, approver = app.test_client(), app.test_client()
    make_person(appliance, "wang.archivist", ["archivist"])
    make_person(appliance, "zhao.approver", ["approver"])
    sign_in(archivist, "wang.archivist")
    sign_in(approver, "zhao.approver")
    asked = post_form(archivist, f"/items/{CODE}/archive", {"reason": "年度归档"}, f"/items/{CODE}")
    assert asked.status_code == 302 and asked.location.endswith("/approvals")
    inbox = approver.get("/approvals").get_data(as_text=True)
    assert CODE in inbox and 'value="approve"' in inbox
    request_id = int(inbox.split('action="/approvals/', 1)[1].split('"', 1)[0])
    done = post_form(approver, f"/approvals/{request_id}", {"decision": "approve"}, "/approvals")
    assert done.status_code == 302
    assert show_item(appliance.uow_factory, CODE).item.state.value == "archived"
    assert 'value="approve"' not in approver.get("/approvals").get_data(as_text=True)
    mine = archivist.get("/approvals").get_data(as_text=True)
    assert "zhao.approver" in mine and "已批准" in mine


def test_a_rejection_without_a_reason_is_refused_on_the_page(app, appliance, item):
    archivist, approver = app.test_client(), app.test_client()
    make_person(appliance, "wang.archivist", ["archivist"])
    make_person(appliance, "zhao.approver", ["approver"])
    sign_in(archivist, "wang.archivist")
    sign_in(approver, "zhao.approver")
    post_form(archivist, f"/items/{CODE}/archive", {}, f"/items/{CODE}")
    inbox = approver.get("/approvals").get_data(as_text=True)
    request_id = int(inbox.split('action="/approvals/', 1)[1].split('"', 1)[0])
    post_form(approver, f"/approvals/{request_id}", {"decision": "reject"}, "/approvals")
    assert "reason" in approver.get("/approvals").get_data(as_text=True)
    assert show_item(appliance.uow_factory, CODE).item.state.value == "intake"
