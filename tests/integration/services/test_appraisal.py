"""The expiry list on both databases: what is due, counted from the year after filing, permanent items never."""

import pytest

from appliance.domain.appraisal import ExpiryRule
from appliance.domain.catalogue import ItemFields, ItemFilter, ItemState
from appliance.domain.codes import ClassKey
from appliance.domain.errors import InvalidInputError
from appliance.services.appraisal import expiry_list
from appliance.services.items import add_item


@pytest.fixture
def archived(appliance, actor, fonds):
    for year, retention, count in ((2011, "D10", 3), (2012, "D10", 2), (1995, "D30", 1), (1996, "D30", 1),
                                   (1990, "Y", 2)):
        for _ in range(count):
            add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", year, retention, "BGS"),
                     ItemFields.build(title="通知", date=f"{year}0301"))
    with appliance.uow_factory() as uow:  # as a legacy catalogue import files them: archived
        ids = [item.id for item in uow.catalogue.iterate_items(ItemFilter("Z109"))]
        uow.catalogue.set_state(ids, ItemState.ARCHIVED)
        uow.commit()


def test_items_whose_period_ran_out_are_listed_and_counted(appliance, archived):
    due = expiry_list(appliance.uow_factory, "Z109", 2022, limit=2)
    assert due.due_years == {"D30": 1991, "D10": 2011}
    assert due.counts == {(2011, "D10"): 3} and due.total == 3
    assert [item.archival_code for item in due.items] == ["Z109-WS·2011-D10-BGS-0001", "Z109-WS·2011-D10-BGS-0002"]
    rest = expiry_list(appliance.uow_factory, "Z109", 2022, after=due.next_after.format(), limit=2)
    assert [item.archival_code for item in rest.items] == ["Z109-WS·2011-D10-BGS-0003"] and rest.next_after is None
    later = expiry_list(appliance.uow_factory, "Z109", 2027)
    assert later.counts == {(2011, "D10"): 3, (2012, "D10"): 2, (1995, "D30"): 1, (1996, "D30"): 1}
    assert all(item.code.retention != "Y" for item in later.items)  # 永久 is never due


def test_counting_from_the_filing_year_makes_items_due_a_year_earlier(appliance, archived):
    assert expiry_list(appliance.uow_factory, "Z109", 2021).total == 0
    early = expiry_list(appliance.uow_factory, "Z109", 2021, rule=ExpiryRule(count_from_next_year=False))
    assert early.counts == {(2011, "D10"): 3}


def test_a_bad_year_is_refused(appliance, archived):
    with pytest.raises(InvalidInputError):
        expiry_list(appliance.uow_factory, "Z109", 20220)
