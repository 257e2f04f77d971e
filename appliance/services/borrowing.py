"""Borrowing (借阅/利用): ask to use items for a purpose, in a form, for a period; an approved electronic use grants
viewing until it ends, and the worker ends grants on time."""

import datetime

from appliance.domain.actors import Actor
from appliance.domain.sessions import Principal
from appliance.domain.workflow import BorrowTerms, RequestKind
from appliance.services.audit import record
from appliance.services.workflows import RequestView, open_request

GRANT_KEEPER = Actor("system:grants", "worker")


def request_borrowing(uow_factory, principal: Principal, codes: list[str], terms: BorrowTerms,
                      now: datetime.datetime) -> RequestView:
    """Ask to use items; the approval chain follows their access labels. Raises as open_request does."""
    return open_request(uow_factory, principal, RequestKind.BORROWING, codes, terms.purpose, now,
                        payload=terms.as_dict())


def expire_grants(uow_factory, now: datetime.datetime) -> int:
    """End the viewing grants whose time is up, each with an audit event; returns how many ended."""
    with uow_factory(read_only=True, consistent=False) as uow:
        due = uow.workflows.grants_due(now)
    if not due:
        return 0  # the worker asks every few seconds: no write transaction when nothing is due
    with uow_factory() as uow:
        ended = uow.workflows.end_expired_grants(now)
        for grant_id, username, item_id in ended:
            record(uow, GRANT_KEEPER, "grant.expire", "grant", str(grant_id), {"user": username, "item": item_id})
        uow.commit()
    return len(ended)
