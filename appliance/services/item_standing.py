"""Where an item stands beyond its fields: a legal hold on it, the appraisal decision in force, the list that
destroyed it. The item page shows it, so whoever looks at an item sees why it may or may not be touched."""

from dataclasses import dataclass

from appliance.domain.access import AccessScope
from appliance.domain.appraisal import AppraisalDecision
from appliance.domain.codes import parse_archival_code
from appliance.domain.errors import NotFoundError
from appliance.domain.holds import LegalHold
from appliance.services.holds import holds_covering


@dataclass(frozen=True)
class ItemStanding:
    hold: LegalHold | None  # the oldest active hold covering it
    appraisal: AppraisalDecision | None  # the decision in force
    destruction_list: str | None  # the number of the list that destroyed it
    destruction_list_id: int | None


def item_standing(uow_factory, archival_code: str, scope: AccessScope) -> ItemStanding:
    """The item's hold, appraisal and destruction; raises NotFoundError (unknown or out of sight) or
    InvalidInputError (a malformed code)."""
    code = parse_archival_code(archival_code).format()
    with uow_factory(read_only=True, consistent=False) as uow:
        item = uow.catalogue.get_item(code)
        if item is None or not scope.can_see(item):
            raise NotFoundError(f"no item {code}")
        number = uow.destruction.destroyed_under(code)
        list_id = uow.destruction.id_of(number) if number else None
        return ItemStanding(hold=holds_covering(uow, [item]).get(item.id),
                            appraisal=uow.appraisals.current_for([item.id]).get(item.id),
                            destruction_list=number, destruction_list_id=list_id)
