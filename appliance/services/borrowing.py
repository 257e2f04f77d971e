"""Borrowing (借阅/利用): ask to use items for a purpose, in a form, for a period; an approved electronic use grants
viewing until it ends, and the worker ends grants on time."""

import datetime

from appliance.domain.actors import Actor
from appliance.domain.codes import parse_archival_code
from appliance.domain.errors import NotFoundError
from appliance.domain.sessions import Principal
from appliance.domain.workflow import DEFAULT_CHAIN_POLICY, BorrowTerms, ChainPolicy, RequestKind, ViewingGrant
from appliance.services.audit import record
from appliance.services.notifications import notify
from appliance.services.workflows import RequestView, open_request, show_request

GRANT_KEEPER = Actor("system:grants", "worker")


def request_borrowing(uow_factory, principal: Principal, codes: list[str], terms: BorrowTerms,
                      now: datetime.datetime, policy: ChainPolicy = DEFAULT_CHAIN_POLICY) -> RequestView:
    """Ask to use items; the approval chain follows the policy (by default their access labels). Raises as
    open_request does."""
    return open_request(uow_factory, principal, RequestKind.BORROWING, codes, terms.purpose, now, policy,
                        payload=terms.as_dict())


def expire_grants(uow_factory, now: datetime.datetime) -> int:
    """End the viewing grants whose time is up, each with an audit event; returns how many ended."""
    with uow_factory(read_only=True, consistent=False) as uow:
        due = uow.workflows.grants_due(now)
    if not due:
        return 0  # the worker asks every few seconds: no write transaction when nothing is due
    with uow_factory() as uow:
        ended = uow.workflows.end_expired_grants(now)
        for grant_id, username, code in ended:
            record(uow, GRANT_KEEPER, "grant.expire", "grant", str(grant_id), {"user": username, "item": code})
            notify(uow, [username], "grant.ended", now, {"item": code, "until": now.isoformat()},
                   f"/items/{code}")
        uow.commit()
    return len(ended)


def grants_of(uow_factory, principal: Principal, code: str | None = None) -> list[ViewingGrant]:
    """The principal's own viewing grants, newest first, in force or not; on one item when named.

    Raises NotFoundError (the item unknown or out of sight) or InvalidInputError (a malformed code).
    """
    with uow_factory(read_only=True, consistent=False) as uow:
        item_id = None
        if code is not None:
            item = uow.catalogue.get_item(parse_archival_code(code).format())
            if item is None or not principal.scope.can_see(item):
                raise NotFoundError(f"no item {code}")
            item_id = item.id
        return uow.workflows.grants_of(principal.username, item_id)


def borrowing_requests_of(uow_factory, principal: Principal, limit: int = 100) -> list[RequestView]:
    """The principal's own borrowing requests, newest first, showing only the items still in their sight."""
    with uow_factory(read_only=True, consistent=False) as uow:
        request_ids = uow.workflows.ids_asked_by(principal.username, limit, RequestKind.BORROWING)
    views = []
    for request_id in request_ids:
        try:
            views.append(show_request(uow_factory, request_id, principal.scope))
        except NotFoundError:  # none of its items is in sight any more (a changed clearance)
            continue
    return views
