"""Lists sorted by code or by date, either way, paged by keyset without losing or repeating an item."""

import pytest

from appliance.domain.catalogue import ItemFields, ItemFilter, ItemOrder
from appliance.domain.codes import ClassKey
from appliance.domain.errors import InvalidInputError
from appliance.services.items import add_item, list_items

DATES = ["20110315", "20110101", "20111201", "20110315", "20110702", "20110101", "20110930"]


@pytest.fixture
def items(appliance, actor, fonds):
    for number, date in enumerate(DATES):
        department = "BGS" if number % 2 == 0 else "RSC"
        add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", department),
                 ItemFields.build(title=f"通知{number}", date=date))
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2012, "Y", "BGS"),
             ItemFields.build(title="次年", date="20120101"))


def walk(appliance, item_filter, order, limit=2) -> list[tuple[str, str]]:
    seen, after = [], None
    while True:
        page = list_items(appliance.uow_factory, item_filter, after, limit, order=order)
        seen += [(item.fields.date, item.archival_code) for item in page.items]
        if page.next_position is None:
            return seen
        after = page.next_position


@pytest.mark.parametrize("order", list(ItemOrder))
def test_every_order_pages_through_each_item_once_in_order(appliance, items, order):
    seen = walk(appliance, ItemFilter("Z109", year=2011), order)
    key = (lambda entry: entry) if order.by_date else (lambda entry: entry[1])
    assert seen == sorted(seen, key=key, reverse=order.descending) and len(seen) == len(DATES)


def test_descending_code_order_works_on_the_whole_fonds(appliance, items):
    seen = walk(appliance, ItemFilter("Z109"), ItemOrder.CODE_DESC, limit=3)
    assert seen[0][1] == "Z109-WS·2012-Y-BGS-0001" and len(seen) == len(DATES) + 1


def test_sorting_by_date_needs_a_year_and_a_well_formed_position(appliance, items):
    with pytest.raises(InvalidInputError, match="within one year"):
        list_items(appliance.uow_factory, ItemFilter("Z109"), order=ItemOrder.DATE)
    with pytest.raises(InvalidInputError, match="date~archival code"):
        list_items(appliance.uow_factory, ItemFilter("Z109", year=2011), "Z109-WS·2011-Y-BGS-0001",
                   order=ItemOrder.DATE)
