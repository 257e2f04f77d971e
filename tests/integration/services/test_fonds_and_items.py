import pytest

from appliance.domain.catalogue import ItemFields, ItemFilter, ItemState
from appliance.domain.codes import ClassKey
from appliance.domain.errors import ConflictError, InvalidInputError, NotFoundError
from appliance.services import fonds as fonds_service
from appliance.services.audit import verify_audit_chain
from appliance.services.items import add_item, list_items, show_item

FIELDS = ItemFields.build(title="关于开展档案工作检查的通知", date="20110315", responsible="办公室", pages=2)
BGS_2011 = ClassKey("Z109", "WS", 2011, "Y", "BGS")


def test_fonds_numbers_are_unique(appliance, actor, fonds):
    with pytest.raises(ConflictError, match="fonds Z109 already exists"):
        fonds_service.add_fonds(appliance.uow_factory, actor, "z109", "又一个", "year-retention")
    with pytest.raises(InvalidInputError, match="4 capital letters"):
        fonds_service.add_fonds(appliance.uow_factory, actor, "Z10", "短", "year-retention")
    assert [f.code for f in fonds_service.list_fonds(appliance.uow_factory)] == ["Z109"]


def test_item_numbers_run_in_order_per_class(appliance, actor, fonds):
    codes = [add_item(appliance.uow_factory, appliance.blob_store, actor, BGS_2011, FIELDS).archival_code
             for _ in range(3)]
    other = add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "D30", "BGS"),
                     FIELDS)
    assert codes == [f"Z109-WS·2011-Y-BGS-{n:04d}" for n in (1, 2, 3)]
    assert other.archival_code == "Z109-WS·2011-D30-BGS-0001"


def test_a_failed_item_does_not_use_up_a_number(appliance, actor, fonds):
    add_item(appliance.uow_factory, appliance.blob_store, actor, BGS_2011, FIELDS)
    with pytest.raises(InvalidInputError, match="unknown department XYZ"):
        add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "XYZ"), FIELDS)
    assert add_item(appliance.uow_factory, appliance.blob_store, actor, BGS_2011, FIELDS).code.item_number == 2


def test_the_scheme_is_fixed_once_items_exist(appliance, actor, fonds):
    fonds_service.change_scheme(appliance.uow_factory, actor, "Z109", "year-retention-department")
    add_item(appliance.uow_factory, appliance.blob_store, actor, BGS_2011, FIELDS)
    with pytest.raises(ConflictError, match="scheme year-retention-department is fixed"):
        fonds_service.change_scheme(appliance.uow_factory, actor, "Z109", "year-retention")


def test_a_year_retention_fonds_takes_no_department(appliance, actor):
    fonds_service.add_fonds(appliance.uow_factory, actor, "J001", "小单位", "year-retention")
    item = add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("J001", "WS", 2019, "D10", None),
                    FIELDS)
    assert item.archival_code == "J001-WS·2019-D10-0001"
    with pytest.raises(InvalidInputError, match="takes no department"):
        add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("J001", "WS", 2019, "D10", "BGS"),
                 FIELDS)


def test_pages_go_to_the_blob_store_and_set_the_page_count(appliance, actor, fonds, tmp_path):
    pages = []
    for number in range(3):
        path = tmp_path / f"page{number}.png"
        path.write_bytes(b"\x89PNG fake page %d" % number)
        pages.append(path)
    fields = ItemFields.build(title="会议纪要", date="20110401")
    item = add_item(appliance.uow_factory, appliance.blob_store, actor, BGS_2011, fields, pages)
    view = show_item(appliance.uow_factory, item.code.format("."))
    assert view.item.fields.pages == 3
    assert [page.size for page in view.pages] == [path.stat().st_size for path in pages]
    for page in view.pages:
        appliance.blob_store.verify(page)
    assert [event.action for event in view.history] == ["item.create"]
    assert view.history[0].details["pages"] == [page.sha256 for page in view.pages]


def test_a_missing_page_file_changes_nothing(appliance, actor, fonds, tmp_path):
    fields = ItemFields.build(title="会议纪要", date="20110401")
    with pytest.raises(InvalidInputError, match="missing.png: no such file"):
        add_item(appliance.uow_factory, appliance.blob_store, actor, BGS_2011, fields, [tmp_path / "missing.png"])
    with pytest.raises(InvalidInputError, match="is a directory"):
        add_item(appliance.uow_factory, appliance.blob_store, actor, BGS_2011, fields, [tmp_path])
    assert list_items(appliance.uow_factory, ItemFilter("Z109")).items == []
    assert verify_audit_chain(appliance.uow_factory).events_checked == 3  # fonds + two departments


def test_listing_pages_in_code_order(appliance, actor, fonds):
    for key in (ClassKey("Z109", "WS", 2012, "Y", "BGS"), BGS_2011, BGS_2011, ClassKey("Z109", "WS", 2011, "Y", "RSC")):
        add_item(appliance.uow_factory, appliance.blob_store, actor, key, FIELDS)
    first = list_items(appliance.uow_factory, ItemFilter("Z109"), limit=2)
    assert [i.archival_code for i in first.items] == ["Z109-WS·2011-Y-BGS-0001", "Z109-WS·2011-Y-BGS-0002"]
    second = list_items(appliance.uow_factory, ItemFilter("Z109"), after=first.next_after.format(), limit=2)
    assert [i.archival_code for i in second.items] == ["Z109-WS·2011-Y-RSC-0001", "Z109-WS·2012-Y-BGS-0001"]
    assert second.next_after is None
    filtered = list_items(appliance.uow_factory, ItemFilter("Z109", year=2011, department="RSC"))
    assert [i.archival_code for i in filtered.items] == ["Z109-WS·2011-Y-RSC-0001"]
    assert all(i.state is ItemState.INTAKE for i in first.items)


def test_unknown_items_and_fonds(appliance, fonds):
    with pytest.raises(NotFoundError, match="no item"):
        show_item(appliance.uow_factory, "Z109-WS·2011-Y-BGS-0009")
    with pytest.raises(NotFoundError, match="no fonds 'Q999'"):
        list_items(appliance.uow_factory, ItemFilter("Q999"))


def test_concurrent_registrations_get_distinct_consecutive_numbers(appliance, actor, fonds):
    import threading

    codes, errors = [], []

    def register(count: int) -> None:
        try:
            for _ in range(count):
                codes.append(add_item(appliance.uow_factory, appliance.blob_store, actor, BGS_2011, FIELDS).code)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=register, args=(10,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(code.item_number for code in codes) == list(range(1, 41))
    assert verify_audit_chain(appliance.uow_factory).ok


def test_a_page_position_outside_the_filter_is_refused(appliance, actor, fonds):
    add_item(appliance.uow_factory, appliance.blob_store, actor, BGS_2011, FIELDS)
    with pytest.raises(InvalidInputError, match="lies outside the filter \\(year 2012\\)"):
        list_items(appliance.uow_factory, ItemFilter("Z109", year=2012), after="Z109-WS·2011-Y-BGS-0001")
