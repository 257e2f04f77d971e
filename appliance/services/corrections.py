"""Corrections (更正): an archived item's fields change only through a request with a reason and approval."""

import datetime

from appliance.domain.codes import parse_archival_code
from appliance.domain.errors import InvalidInputError
from appliance.domain.sessions import Principal
from appliance.domain.workflow import DEFAULT_CHAIN_POLICY, ChainPolicy, RequestKind
from appliance.services.item_editing import changed_fields, check_field_names, field_differences
from appliance.services.workflows import RequestView, open_request


def request_correction(uow_factory, principal: Principal, archival_code: str, changes: dict, reason: str,
                       now: datetime.datetime, policy: ChainPolicy = DEFAULT_CHAIN_POLICY) -> RequestView:
    """Ask to change fields of an archived item; the values are checked now and applied at the last approval.

    Raises InvalidInputError (no reason, an unknown field, a bad value, nothing that changes), ConflictError (the
    item is not archived), NotFoundError or ForbiddenError.
    """
    if not reason.strip():
        raise InvalidInputError("a correction needs its reason: what was wrong, and the source that shows it")
    check_field_names(changes)
    code = parse_archival_code(archival_code).format()
    with uow_factory(read_only=True) as uow:
        found = uow.catalogue.get_item_with_pages(code)
    if found is not None and principal.scope.can_see(found[0]):
        item, pages = found
        differences = field_differences(item.fields, changed_fields(item.fields, changes, len(pages)))
        if not differences:
            raise InvalidInputError("the correction changes nothing")
        payload = {"changes": changes, "differences": differences}
    else:
        payload = {}  # open_request answers for an unknown or hidden item
    return open_request(uow_factory, principal, RequestKind.CORRECTION, [code], reason, now, policy,
                        payload=payload)
