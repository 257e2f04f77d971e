"""The item page, editing in intake, and the watermarked viewer: who sees what, and every view audited."""

import io

import pytest
from PIL import Image, ImageChops

from appliance.adapters.sample_batch import render_text_page
from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.services.audit import latest_events
from appliance.services.items import add_item
from tests.support.console import make_person, post_form, sign_in

CODE = "Z109-WS·2011-Y-BGS-0001"


@pytest.fixture
def item_with_pages(appliance, actor, fonds, tmp_path):
    paths = []
    for number in (1, 2):
        path = tmp_path / f"page{number}.png"
        render_text_page([f"第{number}页", "关于印发档案工作规划的通知"], dpi=100).save(path)
        paths.append(path)
    fields = ItemFields.build(title="关于印发<script>alert(1)</script>规划的通知", date="20110315",
                              doc_number="办发〔2011〕3号")
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"), fields,
             paths)
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "RSC"),
             ItemFields.build(title="人事处受控文件", date="20110401", access_label="受控"))
    return CODE


def signed_in(client, appliance, name, roles, **scope):
    make_person(appliance, name, roles, **scope)
    assert sign_in(client, name).status_code == 302
    return client


def test_an_archivist_sees_the_item_its_pages_and_history_with_the_title_escaped(client, appliance, item_with_pages):
    signed_in(client, appliance, "li.ming", ["archivist"])
    page = client.get(f"/items/{CODE}").get_data(as_text=True)
    assert "办发〔2011〕3号" in page and "item.create" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert page.count('href="/items/Z109-WS%C2%B72011-Y-BGS-0001/pages/') >= 2
    listing = client.get("/fonds/Z109").get_data(as_text=True)
    assert 'href="/items/Z109-WS%C2%B72011-Y-BGS-0001"' in listing


def test_a_page_view_is_watermarked_never_cached_and_audited(client, appliance, item_with_pages):
    signed_in(client, appliance, "li.ming", ["archivist"])
    response = client.get(f"/items/{CODE}/pages/1.jpg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert "no-store" in response.headers["Cache-Control"]
    stamped = Image.open(io.BytesIO(response.data)).convert("L")
    plain = Image.open(io.BytesIO(appliance.imaging.display_rendition(_original(appliance, 1)))).convert("L")
    assert stamped.size == plain.size
    difference = ImageChops.difference(stamped, plain).point(lambda value: 255 if value > 40 else 0)
    assert difference.getbbox() is not None and sum(difference.histogram()[255:]) > 5000  # visible marks
    event = latest_events(appliance.uow_factory, 1)[0]
    assert (event.action, event.actor, event.object_id, event.details["page"]) == ("item.view_page", "li.ming", CODE, 1)


def test_downloads_and_prints_are_watermarked_pdfs_and_audited(client, appliance, item_with_pages):
    signed_in(client, appliance, "li.ming", ["archivist"])
    download = client.get(f"/items/{CODE}/download.pdf")
    assert download.data.startswith(b"%PDF-") and "attachment" in download.headers["Content-Disposition"]
    assert latest_events(appliance.uow_factory, 1)[0].action == "item.download"
    printed = client.get(f"/items/{CODE}/print.pdf")
    assert printed.data.startswith(b"%PDF-") and "inline" in printed.headers["Content-Disposition"]
    assert latest_events(appliance.uow_factory, 1)[0].action == "item.print"


def test_a_reader_sees_the_description_but_no_content(client, appliance, item_with_pages):
    signed_in(client, appliance, "zhao.lei", ["reader"])
    page = client.get(f"/items/{CODE}")
    assert page.status_code == 200 and "/pages/1" not in page.get_data(as_text=True)
    assert client.get(f"/items/{CODE}/pages/1.jpg").status_code == 403
    assert client.get(f"/items/{CODE}/download.pdf").status_code == 403
    assert all(event.action != "item.view_page" for event in latest_events(appliance.uow_factory, 20))


def test_clearance_and_department_scope_hide_items_everywhere(client, appliance, item_with_pages):
    signed_in(client, appliance, "sun.li", ["archivist"], clearance="内部", departments=["BGS"])
    listing = client.get("/fonds/Z109").get_data(as_text=True)
    assert CODE in listing and "人事处受控文件" not in listing
    assert client.get("/items/Z109-WS·2011-Y-RSC-0001").status_code == 404
    index = client.get("/").get_data(as_text=True)
    assert ">1</td>" in index  # the count does not include the hidden item


def test_a_public_clearance_sees_nothing_internal(client, appliance, item_with_pages):
    signed_in(client, appliance, "wu.fang", ["archivist"], clearance="公开")
    assert client.get(f"/items/{CODE}").status_code == 404
    assert client.get(f"/items/{CODE}/pages/1.jpg").status_code == 404
    assert "No items match" in client.get("/fonds/Z109", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_an_administrator_cannot_open_a_record(client, appliance, item_with_pages):
    secret = make_person(appliance, "sysop", ["system_admin"], with_totp=True)
    assert sign_in(client, "sysop", totp_secret=secret).status_code == 302
    for path in (f"/items/{CODE}", f"/items/{CODE}/pages/1.jpg", f"/items/{CODE}/download.pdf", "/fonds/Z109"):
        assert client.get(path).status_code == 403, path


def test_editing_an_intake_item_is_audited_with_old_and_new_values(client, appliance, item_with_pages):
    signed_in(client, appliance, "li.ming", ["archivist"])
    response = post_form(client, f"/items/{CODE}/edit", {"title": "新题名", "date": "20110316"}, f"/items/{CODE}")
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "新题名" in page
    event = latest_events(appliance.uow_factory, 1)[0]
    assert event.action == "item.edit" and event.details["date"] == ["20110315", "20110316"]


@pytest.mark.parametrize("changes, message", [
    ({"date": "2011-13-45"}, "date"),
    ({"pages": "7"}, "page images"),
    ({"title": ""}, "title"),
])
def test_a_bad_edit_is_refused_and_changes_nothing(client, appliance, item_with_pages, changes, message):
    signed_in(client, appliance, "li.ming", ["archivist"])
    before = len(latest_events(appliance.uow_factory, 100))
    response = post_form(client, f"/items/{CODE}/edit", changes, f"/items/{CODE}")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert len(latest_events(appliance.uow_factory, 100)) == before


def test_an_edit_without_the_csrf_token_changes_nothing(client, appliance, item_with_pages):
    signed_in(client, appliance, "li.ming", ["archivist"])
    response = client.post(f"/items/{CODE}/edit", data={"title": "伪造"})
    assert response.status_code == 400
    assert "伪造" not in client.get(f"/items/{CODE}").get_data(as_text=True)


@pytest.mark.parametrize("path, status", [
    ("/items/Z109-WS·2011-Y-BGS-0001/pages/3", 404),
    ("/items/Z109-WS·2011-Y-BGS-0001/pages/0.jpg", 404),
    ("/items/..%2F..%2Fetc%2Fpasswd", 404),
    ("/items/..%5C..%5Cetc", 422),
    ("/items/Z109-WS·2011-Y-BGS-0001/pages/..%2F..%2Fsecrets", 404),
    ("/items/Z109-WS·2011-Y-BGS-9999", 404),
])
def test_bad_page_addresses_are_clear_errors(client, appliance, item_with_pages, path, status):
    signed_in(client, appliance, "li.ming", ["archivist"])
    assert client.get(path).status_code == status


def _original(appliance, number: int) -> bytes:
    with appliance.uow_factory(read_only=True) as uow:
        _, pages = uow.catalogue.get_item_with_pages(CODE)
    with appliance.blob_store.open(pages[number - 1].sha256) as handle:
        return handle.read()


def test_the_tree_counts_only_what_the_reader_may_see(client, appliance, item_with_pages):
    signed_in(client, appliance, "sun.li", ["archivist"], clearance="内部", departments=["BGS"])
    page = client.get("/fonds/Z109?year=2011").get_data(as_text=True)  # the chosen year opens in the tree
    tree = page.split('<details class="tree"', 1)[1].split("</details>\n<section", 1)[0]
    assert 'href="/fonds/Z109?year=2011"' in tree and "RSC" not in tree and "人事处" not in tree
    # the fixture fonds is classified year-department-retention
    assert 'href="/fonds/Z109?year=2011&amp;department=BGS&amp;retention=Y"' in tree
