"""AccessScope: which access labels a clearance sees, department scope, and narrowing two scopes."""

import pytest

from appliance.domain.access import EVERYTHING, AccessScope, parse_clearance, parse_departments
from appliance.domain.catalogue import AccessLabel, Item, ItemFields, ItemState
from appliance.domain.codes import ArchivalCode
from appliance.domain.errors import InvalidInputError

PUBLIC, INTERNAL, RESTRICTED = AccessLabel.PUBLIC, AccessLabel.INTERNAL, AccessLabel.RESTRICTED


def item(label: AccessLabel, department: str | None = "BGS") -> Item:
    code = ArchivalCode("Z109", "WS", 2011, "Y", department, 1)
    fields = ItemFields.build(title="关于开展档案工作检查的通知", date="20110315", access_label=label)
    return Item(1, code, fields, ItemState.ARCHIVED, "2026-01-01T00:00:00Z")


def scope(clearance: AccessLabel, *departments: str, every_department: bool = False) -> AccessScope:
    return AccessScope(clearance, None if every_department else frozenset(departments))


@pytest.mark.parametrize(("clearance", "labels"), [
    (PUBLIC, (PUBLIC,)),
    (INTERNAL, (PUBLIC, INTERNAL)),
    (RESTRICTED, (PUBLIC, INTERNAL, RESTRICTED)),
])
def test_a_clearance_sees_its_label_and_those_below(clearance, labels):
    assert AccessScope(clearance).labels == labels
    assert [label for label in AccessLabel if AccessScope(clearance).can_see(item(label))] == list(labels)


def test_the_default_scope_is_public_in_every_department():
    assert AccessScope() == AccessScope(PUBLIC, None)
    assert EVERYTHING.labels == (PUBLIC, INTERNAL, RESTRICTED) and EVERYTHING.departments is None


def test_a_department_scope_hides_other_departments_but_not_the_whole_fonds():
    office = scope(RESTRICTED, "BGS")
    assert office.can_see(item(INTERNAL, "BGS"))
    assert not office.can_see(item(INTERNAL, "RSC"))
    assert office.can_see(item(INTERNAL, None))  # filed without a department: it belongs to the whole fonds
    assert not scope(PUBLIC, "BGS").can_see(item(INTERNAL, None))  # the label still applies
    assert scope(RESTRICTED, every_department=True).can_see(item(RESTRICTED, "RSC"))


def test_an_empty_department_scope_is_refused_rather_than_read_as_every_department():
    with pytest.raises(InvalidInputError, match="at least one department"):
        AccessScope(INTERNAL, frozenset())


def test_clearance_and_departments_are_parsed():
    assert [parse_clearance(text) for text in ("公开", "internal", "受控")] == [PUBLIC, INTERNAL, RESTRICTED]
    assert parse_departments([" bgs", "RSC", ""]) == {"BGS", "RSC"}
    with pytest.raises(InvalidInputError, match="3 capital letters or digits"):
        parse_departments(["办公室"])
    with pytest.raises(InvalidInputError):
        parse_clearance("秘密")
