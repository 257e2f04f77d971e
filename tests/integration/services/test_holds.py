"""Legal holds on both databases: placed on an item or a class, released once, each step audited."""

import datetime

import pytest

from appliance.domain.access import EVERYTHING, AccessScope
from appliance.domain.catalogue import AccessLabel, ItemFields, ItemFilter, ItemState
from appliance.domain.codes import ClassKey
from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from appliance.domain.holds import HoldScope
from appliance.domain.permissions import allowed_actions
from appliance.domain.sessions import Principal
from appliance.services.audit import history
from appliance.services.holds import holds_covering, list_holds, place_hold, release_hold
from appliance.services.items import add_item

NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
BGS_FIRST, RSC_FIRST = "Z109-WS·2011-D10-BGS-0001", "Z109-WS·2011-D10-RSC-0001"


def person(name: str, role: str, scope: AccessScope = EVERYTHING) -> Principal:
    return Principal(name, name, frozenset({role}), allowed_actions([role]), scope, "192.0.2.7")


ARCHIVIST = person("wang", "archivist")


@pytest.fixture
def items(appliance, actor, fonds):
    """Archived items of 2011 (two of BGS, one of RSC) and of 2012."""
    for year, department in ((2011, "BGS"), (2011, "BGS"), (2011, "RSC"), (2012, "BGS")):
        add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", year, "D10", department),
                 ItemFields.build(title="通知", date=f"{year}0301"))
    with appliance.uow_factory() as uow:
        found = list(uow.catalogue.iterate_items(ItemFilter("Z109")))
        uow.catalogue.set_state([item.id for item in found], ItemState.ARCHIVED)
        uow.commit()
    return {item.archival_code: item for item in found}


def covered(appliance, items) -> set[str]:
    with appliance.uow_factory(read_only=True) as uow:
        holds = holds_covering(uow, list(items.values()))
    return {code for code, item in items.items() if item.id in holds}


def test_a_hold_on_one_item_is_placed_listed_and_released_once(appliance, items):
    hold = place_hold(appliance.uow_factory, ARCHIVIST, BGS_FIRST, " 诉讼证据保全 ", NOW)
    assert hold.active and hold.item_code == BGS_FIRST and hold.reason == "诉讼证据保全" and hold.placed_by == "wang"
    assert covered(appliance, items) == {BGS_FIRST}
    assert [listed.id for listed in list_holds(appliance.uow_factory, ARCHIVIST, active_only=True)] == [hold.id]
    released = release_hold(appliance.uow_factory, ARCHIVIST, hold.id, "诉讼结束", NOW)
    assert not released.active and released.released_by == "wang" and released.release_reason == "诉讼结束"
    assert covered(appliance, items) == set()
    assert list_holds(appliance.uow_factory, ARCHIVIST, active_only=True) == []
    assert [listed.id for listed in list_holds(appliance.uow_factory, ARCHIVIST)] == [hold.id]  # the register keeps it
    with pytest.raises(ConflictError, match="released already by wang"):
        release_hold(appliance.uow_factory, ARCHIVIST, hold.id, "再次", NOW)
    events = history(appliance.uow_factory, "hold", str(hold.id))
    assert [event.action for event in events] == ["hold.place", "hold.release"]
    assert events[0].details == {"item": BGS_FIRST, "fonds": "Z109", "reason": "诉讼证据保全"}
    assert events[1].details["reason"] == "诉讼结束"


def test_a_class_hold_covers_exactly_its_class(appliance, items):
    place_hold(appliance.uow_factory, ARCHIVIST, HoldScope("z109", year=2011, department="bgs"), "审计", NOW)
    assert covered(appliance, items) == {BGS_FIRST, "Z109-WS·2011-D10-BGS-0002"}
    fonds_hold = place_hold(appliance.uow_factory, ARCHIVIST, HoldScope("Z109"), "巡视", NOW)
    assert fonds_hold.scope == HoldScope("Z109") and covered(appliance, items) == set(items)
    details = history(appliance.uow_factory, "hold", str(fonds_hold.id))[0].details
    assert details == {"fonds": "Z109", "reason": "巡视"}


@pytest.mark.parametrize("scope, error", [
    (HoldScope("Z999"), NotFoundError),
    (HoldScope(""), NotFoundError),
    (HoldScope("Z109", retention="D15"), InvalidInputError),
    (HoldScope("Z109", department="XYZ"), InvalidInputError),
    (HoldScope("Z109", category="QQ"), InvalidInputError),
    (HoldScope("Z109", year=20110), InvalidInputError),
    (HoldScope("Z109", item_id=1), InvalidInputError),
])
def test_a_bad_class_is_refused_and_nothing_placed(appliance, items, scope, error):
    with pytest.raises(error):
        place_hold(appliance.uow_factory, ARCHIVIST, scope, "审计", NOW)
    assert list_holds(appliance.uow_factory, ARCHIVIST) == []


def test_refusals_place_and_release_nothing(appliance, items):
    with pytest.raises(InvalidInputError, match="say why"):
        place_hold(appliance.uow_factory, ARCHIVIST, BGS_FIRST, "  ", NOW)
    with pytest.raises(NotFoundError):
        place_hold(appliance.uow_factory, ARCHIVIST, "Z109-WS·2011-D10-BGS-0009", "审计", NOW)
    for role in ("reader", "operator", "system_admin"):
        with pytest.raises(ForbiddenError):
            place_hold(appliance.uow_factory, person("sun", role), BGS_FIRST, "审计", NOW)
    assert list_holds(appliance.uow_factory, ARCHIVIST) == []
    hold = place_hold(appliance.uow_factory, ARCHIVIST, BGS_FIRST, "审计", NOW)
    with pytest.raises(ForbiddenError):
        release_hold(appliance.uow_factory, person("sun", "reader"), hold.id, "结束", NOW)
    with pytest.raises(InvalidInputError):
        release_hold(appliance.uow_factory, ARCHIVIST, hold.id, "", NOW)
    with pytest.raises(NotFoundError):
        release_hold(appliance.uow_factory, ARCHIVIST, hold.id + 100, "结束", NOW)
    assert list_holds(appliance.uow_factory, ARCHIVIST, active_only=True)[0].id == hold.id


def test_holds_on_items_out_of_sight_are_hidden(appliance, items):
    outsider = person("li", "archivist", AccessScope(AccessLabel.RESTRICTED, frozenset({"RSC"})))
    with pytest.raises(NotFoundError):
        place_hold(appliance.uow_factory, outsider, BGS_FIRST, "审计", NOW)
    hold = place_hold(appliance.uow_factory, ARCHIVIST, BGS_FIRST, "审计", NOW)
    assert list_holds(appliance.uow_factory, outsider) == []
    with pytest.raises(NotFoundError):
        release_hold(appliance.uow_factory, outsider, hold.id, "结束", NOW)
    assert place_hold(appliance.uow_factory, outsider, RSC_FIRST, "审计", NOW).item_code == RSC_FIRST
