"""Legal holds (法律冻结): placed on an item or a class, released with a reason; while active they stop appraisal
and destruction of what they cover. Every placing and release is audited."""

import datetime

from appliance.domain.catalogue import Item, ItemState, check_category_code, check_department_code
from appliance.domain.codes import parse_archival_code
from appliance.domain.errors import ConflictError, InvalidInputError, NotFoundError
from appliance.domain.holds import HoldScope, LegalHold, check_hold_reason
from appliance.domain.permissions import Action
from appliance.domain.retention import parse_retention
from appliance.domain.sessions import Principal
from appliance.services.audit import record
from appliance.services.fonds import require_fonds


def place_hold(uow_factory, principal: Principal, scope_or_code: HoldScope | str, reason: str,
               now: datetime.datetime) -> LegalHold:
    """Place a hold on one item (its archival code) or on a class (a HoldScope naming the fonds, perhaps narrowed).

    Raises ForbiddenError, NotFoundError (an unknown fonds, or an item unknown or out of the principal's sight),
    ConflictError (the item is destroyed already) or InvalidInputError (no reason, a malformed code or class).
    """
    principal.require(Action.HOLD_MANAGE)
    reason = check_hold_reason(reason)
    with uow_factory() as uow:
        if isinstance(scope_or_code, str):
            scope, item_code = _item_scope(uow, principal, scope_or_code), parse_archival_code(scope_or_code).format()
        else:
            scope, item_code = _class_scope(uow, scope_or_code), None
        hold_id = uow.holds.add(scope, reason, principal.username, now)
        record(uow, principal.actor, "hold.place", "hold", str(hold_id), {**_scope_details(scope, item_code),
                                                                          "reason": reason})
        uow.commit()
        return uow.holds.get(hold_id)


def release_hold(uow_factory, principal: Principal, hold_id: int, reason: str, now: datetime.datetime) -> LegalHold:
    """Release an active hold with a reason.

    Raises ForbiddenError, NotFoundError (no such hold, or on an item out of sight), ConflictError (released
    already, perhaps by someone a moment ago) or InvalidInputError (no reason).
    """
    principal.require(Action.HOLD_MANAGE)
    reason = check_hold_reason(reason)
    with uow_factory() as uow:
        hold = uow.holds.get(hold_id)
        if hold is None or not _visible(uow, principal, hold):
            raise NotFoundError(f"no legal hold {hold_id}")
        if not hold.active or not uow.holds.release(hold_id, principal.username, reason, now):
            released = uow.holds.get(hold_id)
            raise ConflictError(f"legal hold {hold_id} was released already by {released.released_by} "
                                f"at {released.released_at:%Y-%m-%d %H:%M} UTC")
        record(uow, principal.actor, "hold.release", "hold", str(hold_id),
               {**_scope_details(hold.scope, hold.item_code), "reason": reason})
        uow.commit()
        return uow.holds.get(hold_id)


def list_holds(uow_factory, principal: Principal, active_only: bool = False) -> list[LegalHold]:
    """The register of holds, newest first (released ones too unless `active_only`); holds on items out of the
    principal's sight are left out. Raises ForbiddenError."""
    principal.require(Action.HOLD_MANAGE)
    with uow_factory(read_only=True) as uow:
        holds = list(reversed(uow.holds.active())) if active_only else uow.holds.all()
        return [hold for hold in holds if _visible(uow, principal, hold)]


def holds_covering(uow, items: list[Item]) -> dict[int, LegalHold]:
    """For each of these items an active hold covers, the oldest such hold (inside the caller's transaction)."""
    holds = uow.holds.active_for_fonds_of({item.code.fonds for item in items})
    covering = {}
    for item in items:
        hold = next((hold for hold in holds if hold.scope.covers(item)), None)
        if hold is not None:
            covering[item.id] = hold
    return covering


def _item_scope(uow, principal: Principal, code: str) -> HoldScope:
    wanted = parse_archival_code(code).format()
    item = uow.catalogue.get_item(wanted)
    if item is None or not principal.scope.can_see(item):
        raise NotFoundError(f"no item {wanted}")
    if item.state is ItemState.DESTROYED:
        raise ConflictError(f"item {wanted} is destroyed already: there is nothing left to hold")
    return HoldScope(item.code.fonds, item_id=item.id)


def _class_scope(uow, scope: HoldScope) -> HoldScope:
    """The class checked: the fonds exists, every narrowing part is known; a hold on one item names its code."""
    if scope.item_id is not None:
        raise InvalidInputError("a hold on one item names the item's archival code")
    fonds = require_fonds(uow, scope.fonds or "")
    if scope.year is not None and not 1000 <= scope.year <= 9999:
        raise InvalidInputError(f"year {scope.year} is not a year")
    category = check_category_code(scope.category.strip().upper()) if scope.category else None
    if category is not None and category not in uow.catalogue.categories():
        raise InvalidInputError(f"there is no category {category}")
    department = check_department_code(scope.department.strip().upper()) if scope.department else None
    if department is not None and department not in uow.catalogue.departments(fonds.code):
        raise InvalidInputError(f"fonds {fonds.code} has no department {department}")
    retention = parse_retention(scope.retention).code if scope.retention else None
    return HoldScope(fonds.code, category=category, year=scope.year, retention=retention, department=department)


def _visible(uow, principal: Principal, hold: LegalHold) -> bool:
    """A hold on an item out of sight is not shown: that the item exists is not for everyone to know."""
    if hold.item_code is None:
        return True
    item = uow.catalogue.get_item(hold.item_code)
    return item is not None and principal.scope.can_see(item)


def _scope_details(scope: HoldScope, item_code: str | None) -> dict:
    if item_code is not None:
        return {"item": item_code, "fonds": scope.fonds}
    parts = {"fonds": scope.fonds, "category": scope.category, "year": scope.year, "retention": scope.retention,
             "department": scope.department}
    return {name: value for name, value in parts.items() if value is not None}
