"""Related records in the console and over the API: both directions, the graph, adding and removing by hand, and
an item the viewer may not see neither shown nor counted."""

import re
import xml.etree.ElementTree as ElementTree

import pytest
from sqlalchemy import select

from appliance.adapters.db.tables import ItemLinkRow
from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.domain.jobs import ITEM_TEXT, Job
from appliance.services.item_text import process_item_text
from appliance.services.items import add_item
from tests.support.console import api_token_for, make_person, signed_in_client
from tests.support.ocr_texts import attach_texts
from web.api.v1 import links as links_api

SVG = "{http://www.w3.org/2000/svg}"
NOTICE, SECRET, PUBLIC, OTHER = (f"Z109-WS·2019-Y-{part}" for part in ("BGS-0001", "RSC-0001", "BGS-0002", "BGS-0003"))


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


def register(appliance, actor, department: str, title: str, doc_number: str, label: str = "公开"):
    return add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2019, "Y", department),
                    ItemFields.build(title=title, date="20190315", doc_number=doc_number, access_label=label))


@pytest.fixture
def linked(appliance, actor, fonds):
    """A notice forwarding a restricted RSC document and implementing a public one, read by the item-text job."""
    notice = register(appliance, actor, "BGS", "关于转发<人事处>通知的通知", "Z办发〔2019〕50号")
    register(appliance, actor, "RSC", "人事处关于调整工资的通知", "Z人发〔2019〕2号", label="受控")
    register(appliance, actor, "BGS", "关于<b>档案</b>工作的通知", "Z办发〔2019〕1号")
    register(appliance, actor, "BGS", "关于档案工作的补充通知", "")
    text = "Z办发〔2019〕50号\n现将Z人发〔2019〕2号转发给你们。根据Z办发(2019)1号执行。"
    attach_texts(appliance, {notice.id: [text]})
    assert process_item_text(appliance.uow_factory, Job(0, ITEM_TEXT, {"item": notice.id}, 1))
    make_person(appliance, "archivist-wang", ["archivist"])
    make_person(appliance, "archivist-li", ["archivist"], clearance="内部", departments=["BGS"])
    make_person(appliance, "reader-sun", ["reader"])
    return notice


def link_count(appliance) -> int:
    with appliance.uow_factory(read_only=True) as uow:
        return len(uow.session.execute(select(ItemLinkRow.id)).all())


def section(page: str) -> str:
    start = page.index('<section class="item-links"')
    return page[start:page.index("</section>", start)]


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_item_page_lists_both_directions_and_draws_the_graph(app, linked):
    client = signed_in_client(app, "archivist-wang")
    page = client.get(f"/items/{NOTICE}").get_data(as_text=True)
    links = section(page)
    assert 'data-link-count="2"' in links and ">Forwards</h3>" in links and ">Implements</h3>" in links
    assert SECRET in links and "found in the text: Z办发(2019)1号" in links
    assert "&lt;b&gt;档案&lt;/b&gt;" in links and "<b>档案" not in links
    svg = ElementTree.fromstring(links[links.index("<svg"):links.index("</svg>") + 6])
    assert len(svg.findall(f"{SVG}a")) == 3 and "style=" not in links
    assert 'href="/static/links.css"' in page and 'action="/items/Z109-WS%C2%B72019-Y-BGS-0001/links"' in links
    back = section(client.get(f"/items/{PUBLIC}").get_data(as_text=True))
    assert ">Implemented by</h3>" in back and NOTICE in back and 'data-link-count="1"' in back


def test_a_hidden_item_is_neither_shown_nor_counted(app, linked):
    client = signed_in_client(app, "archivist-li")
    page = client.get(f"/items/{NOTICE}").get_data(as_text=True)
    links = section(page)
    assert 'data-link-count="1"' in links and "人事处关于" not in links
    assert SECRET not in page  # nor in the item's history
    assert ">Forwards</h3>" not in links
    body = client.get(f"/api/v1/items/{NOTICE}/links").json  # the API with the same person's session
    assert [link["item"]["archival_code"] for link in body["links"]] == [PUBLIC]
    svg = client.get(f"/api/v1/items/{NOTICE}/links/graph.svg").get_data(as_text=True)
    assert SECRET not in svg and len(ElementTree.fromstring(svg).findall(f"{SVG}a")) == 2


def test_adding_and_removing_by_hand_through_the_forms(app, appliance, linked):
    client = signed_in_client(app, "archivist-wang")
    token = csrf(client.get(f"/items/{NOTICE}").get_data(as_text=True))
    response = client.post(f"/items/{NOTICE}/links", data={"csrf_token": token, "related": OTHER,
                                                             "relation": "related", "note": "同一项目"})
    assert response.status_code == 302 and response.location.endswith("#links")
    page = client.get(f"/items/{NOTICE}").get_data(as_text=True)
    assert "Link added." in page and 'data-link-count="3"' in page and "added by archivist-wang" in page
    manual = re.search(r'action="(/items/[^"]+/links/\d+/remove)"', page).group(1)
    assert page.count("/remove\"") == 1  # links found in the text have no remove button
    assert client.post(manual, data={"csrf_token": token}).status_code == 302
    assert "Link removed." in client.get(f"/items/{NOTICE}").get_data(as_text=True) and link_count(appliance) == 2


@pytest.mark.parametrize(("related", "relation", "message"), [
    ("Z109-WS·2019-Y-BGS-0099", "cites", "no item Z109-WS·2019-Y-BGS-0099 to link to"),
    (NOTICE, "cites", "cannot be linked to itself"),
    (PUBLIC, "implements", "already"),
    (SECRET, "cites", f"no item {SECRET} to link to"),
    (PUBLIC, "loves", "unknown relation"),
])
def test_refusals_say_why_and_change_nothing(app, appliance, linked, related, relation, message):
    client = signed_in_client(app, "archivist-li")
    token = csrf(client.get(f"/items/{NOTICE}").get_data(as_text=True))
    client.post(f"/items/{NOTICE}/links", data={"csrf_token": token, "related": related, "relation": relation})
    page = client.get(f"/items/{NOTICE}").get_data(as_text=True)
    assert message in page and link_count(appliance) == 2


def test_forged_and_unauthorised_forms_change_nothing(app, appliance, linked):
    client = signed_in_client(app, "archivist-wang")
    assert client.post(f"/items/{NOTICE}/links", data={"related": OTHER, "relation": "cites"}).status_code == 400
    reader = signed_in_client(app, "reader-sun")
    page = reader.get(f"/items/{NOTICE}").get_data(as_text=True)
    assert 'data-link-count="2"' in page and "Link a related record" not in page
    response = reader.post(f"/items/{NOTICE}/links", data={"csrf_token": csrf(page), "related": OTHER,
                                                             "relation": "cites"})
    assert response.status_code == 403 and link_count(appliance) == 2


def test_the_api_adds_lists_and_removes(client, appliance, linked):
    headers = api_token_for(appliance, "archivist-zhao", "archivist")
    created = client.post(f"/api/v1/items/{OTHER}/links", json={"item": NOTICE.replace("·", "."),
                                                                 "relation": "replies", "note": "补充"},
                          headers=headers)
    assert created.status_code == 201 and created.json["origin"] == "manual"
    listed = client.get(f"/api/v1/items/{NOTICE}/links", headers=headers).json["links"]
    assert {(link["direction"], link["relation"], link["item"]["archival_code"]) for link in listed} == {
        ("outgoing", "forwards", SECRET), ("outgoing", "implements", PUBLIC), ("incoming", "replies", OTHER)}
    again = client.post(f"/api/v1/items/{OTHER}/links", json={"item": NOTICE, "relation": "replies"},
                        headers=headers)
    assert again.status_code == 409 and set(again.json) == {"error", "message"}
    for body in ({"item": 5, "relation": "cites"}, {"relation": "cites"}, {"item": OTHER, "relation": "cites"}):
        assert client.post(f"/api/v1/items/{OTHER}/links", json=body, headers=headers).status_code == 422
    found = next(link["id"] for link in listed if link["origin"] == "auto")
    assert client.delete(f"/api/v1/items/{NOTICE}/links/{found}", headers=headers).status_code == 409
    assert client.delete(f"/api/v1/items/{NOTICE}/links/{created.json['id']}", headers=headers).json == {"ok": True}
    assert client.delete(f"/api/v1/items/{NOTICE}/links/{created.json['id']}", headers=headers).status_code == 404
    assert link_count(appliance) == 2


def test_the_api_refuses_readers_and_strangers(client, appliance, linked):
    reader = api_token_for(appliance, "reader-zhou", "reader")
    assert client.get(f"/api/v1/items/{NOTICE}/links", headers=reader).status_code == 200
    assert client.post(f"/api/v1/items/{NOTICE}/links", json={"item": OTHER, "relation": "cites"},
                       headers=reader).status_code == 403
    assert client.get(f"/api/v1/items/{NOTICE}/links").status_code == 401
    missing = client.get("/api/v1/items/Z109-WS·2019-Y-BGS-0099/links", headers=reader)
    assert missing.status_code == 404 and missing.json["error"] == "not_found"


def test_the_graph_svg_is_well_formed_with_escaped_labels(client, appliance, linked):
    headers = api_token_for(appliance, "archivist-zhao", "archivist")
    response = client.get(f"/api/v1/items/{NOTICE}/links/graph.svg", headers=headers)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    root = ElementTree.fromstring(response.data)
    titles = [node.find(f"{SVG}title").text for node in root.findall(f"{SVG}a")]
    assert titles[0] == f"关于转发<人事处>通知的通知 — {NOTICE} — Z办发〔2019〕50号"
    assert b"<\xe4\xba\xba" not in response.data  # "<人" only ever escaped
    assert root.findall(f"{SVG}a")[1].get("href") == "/items/Z109-WS%C2%B72019-Y-RSC-0001"


def test_the_paths_are_described():
    paths = links_api.openapi_paths()
    assert set(paths) == {"/api/v1/items/{code}/links", "/api/v1/items/{code}/links/{link_id}",
                          "/api/v1/items/{code}/links/graph.svg"}
    assert set(paths["/api/v1/items/{code}/links"]) == {"get", "post"}
