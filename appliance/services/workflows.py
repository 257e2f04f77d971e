"""Requests and decisions: open a request on items, decide it tier by tier, withdraw it; every step audited.

Two approvers acting at once end in exactly one transition: a decision applies only to the version of the request
it was made on, and the other is told what happened meanwhile.
"""

import datetime
from dataclasses import dataclass

from appliance.domain.access import EVERYTHING, AccessScope
from appliance.domain.catalogue import ItemState
from appliance.domain.codes import parse_archival_code
from appliance.domain.errors import ConflictError, InvalidInputError, NotFoundError
from appliance.domain.intake import PLACEHOLDER_TITLE
from appliance.domain.jobs import STAMP_ACCESS_COPY
from appliance.domain.permissions import Action
from appliance.domain.sessions import Principal
from appliance.domain.workflow import (
    DEFAULT_CHAIN_POLICY,
    BorrowForm,
    ChainPolicy,
    Decision,
    RequestKind,
    RequestSnapshot,
    RequestState,
    check_reason,
    decide,
    may_decide,
)
from appliance.services.audit import record
from appliance.services.item_editing import changed_fields, field_differences
from appliance.services.links import link_cited_by
from appliance.services.notifications import notify_request_decided, notify_request_opened
from appliance.services.search import index_item, index_items

REQUESTING_ACTION = {
    RequestKind.ARCHIVING: Action.ARCHIVE_REQUEST,
    RequestKind.CORRECTION: Action.CORRECTION_REQUEST,
    RequestKind.BORROWING: Action.BORROW_REQUEST,
    RequestKind.DESTRUCTION: Action.APPRAISAL_DECIDE,
}
MAX_ITEMS = 10_000


@dataclass(frozen=True)
class RequestView:
    request: RequestSnapshot
    items: list[str]
    steps: list[tuple[int, str, str, str, datetime.datetime]]
    report: list[dict]  # per item, what was checked when it was asked for (archiving: the four checks)
    payload: dict  # what is asked beyond the items (a correction: the fields' old and new values)


def open_request(uow_factory, principal: Principal, kind: RequestKind, codes: list[str], reason: str,
                 now: datetime.datetime, policy: ChainPolicy = DEFAULT_CHAIN_POLICY,
                 report: list[dict] = (), payload: dict | None = None) -> RequestView:
    """Ask for something on items; the chain of approvals follows the highest access label among them.

    Raises ForbiddenError (the principal may not ask), NotFoundError (an item unknown or outside the scope) or
    InvalidInputError (no items, too many, a malformed code, a reason too long).
    """
    with uow_factory() as uow:
        request_id = add_request(uow, principal, kind, codes, reason, now, policy, report, payload)
        uow.commit()
    return show_request(uow_factory, request_id)


def add_request(uow, principal: Principal, kind: RequestKind, codes: list[str], reason: str,
                now: datetime.datetime, policy: ChainPolicy = DEFAULT_CHAIN_POLICY,
                report: list[dict] = (), payload: dict | None = None) -> int:
    """open_request inside the caller's transaction, for services that record more with it; returns its id."""
    principal.require(REQUESTING_ACTION[kind])
    wanted = _codes(codes)
    reason = check_reason(reason)
    items = [_visible_item(uow, code, principal.scope) for code in wanted]
    for item in items:
        _check_item_fits(kind, item)
    chain = policy.chain_for(kind, items)
    request_id = uow.workflows.add(kind, chain, principal.username, reason, [item.id for item in items], now,
                                   report, payload)
    record(uow, principal.actor, "request.open", "request", str(request_id),
           {"kind": kind.value, "items": wanted, "chain": [tier.name for tier in chain], "reason": reason})
    notify_request_opened(uow, request_id, now)
    return request_id


def decide_request(uow_factory, principal: Principal, request_id: int, decision: Decision, reason: str,
                   now: datetime.datetime) -> RequestView:
    """Approve a tier, reject with a reason, or withdraw one's own request.

    Raises NotFoundError, ConflictError (not pending any more, or decided by someone else a moment ago: the
    message says its state), ForbiddenError (not this person's to decide) or InvalidInputError.
    """
    reason = check_reason(reason)
    with uow_factory() as uow:
        request = uow.workflows.get(request_id)
        if request is None:
            raise NotFoundError(f"no request {request_id}")
        outcome = decide(request, decision, principal.username, principal.actions, reason)
        if not uow.workflows.transition(request_id, request.version, outcome.state, outcome.tier, now):
            uow.rollback()
            now_state = uow.workflows.get(request_id)
            raise ConflictError(f"request {request_id} was decided by someone else a moment ago: it is "
                                f"{now_state.state.value} now")
        uow.workflows.add_step(request_id, request.tier, decision.value, principal.username, reason, now)
        if outcome.state is RequestState.APPROVED and request.kind in ON_APPROVAL:
            ON_APPROVAL[request.kind](uow, principal, request, now)
        details = {"tier": request.tier, "tier_name": _tier_name(request), "state": outcome.state.value,
                   "reason": reason}
        record(uow, principal.actor, f"request.{decision.value}", "request", str(request_id), details)
        notify_request_decided(uow, request_id, reason, now)
        uow.commit()
    return show_request(uow_factory, request_id)


def _archive_items(uow, principal: Principal, request: RequestSnapshot, now: datetime.datetime) -> None:
    """The last approval of an archiving request: its items are archived, their code and fields fixed from now."""
    request_id = request.id
    item_ids = uow.workflows.item_ids(request_id)
    uow.catalogue.set_state(item_ids, ItemState.ARCHIVED)
    index_items(uow, item_ids)  # the state is a facet the index narrows by
    for code in uow.workflows.item_codes(request_id):
        record(uow, principal.actor, "item.archive", "item", code, {"request": request_id})
        uow.jobs.enqueue(STAMP_ACCESS_COPY, f"{STAMP_ACCESS_COPY}:{code}", {"item": code})  # the 归档章


def _apply_correction(uow, principal: Principal, request: RequestSnapshot, now: datetime.datetime) -> None:
    """The last approval of a correction: the new values replace the old, which stay in the item's history."""
    request_id = request.id
    (code,) = uow.workflows.item_codes(request_id)
    item, pages = uow.catalogue.get_item_with_pages(code)
    fields = changed_fields(item.fields, uow.workflows.payload(request_id)["changes"], len(pages))
    uow.catalogue.update_fields(item.id, fields)
    index_item(uow, item.id)
    if fields.doc_number != item.fields.doc_number:
        link_cited_by(uow, item.id)
    record(uow, principal.actor, "item.correct", "item", code,
           {"request": request_id, **field_differences(item.fields, fields)})


def _grant_viewing(uow, principal: Principal, request: RequestSnapshot, now: datetime.datetime) -> None:
    """The last approval of an electronic use: the requester may view the items' content until the period ends."""
    terms = uow.workflows.payload(request.id)
    if terms.get("form") == BorrowForm.LEND.value:
        return  # a physical loan: the paper file is handed out at the desk
    expires_at = now + datetime.timedelta(days=terms["days"])
    uow.workflows.add_grants(request.id, request.requester, uow.workflows.item_ids(request.id),
                             terms.get("may_download", False), terms.get("may_print", False), now, expires_at)
    record(uow, principal.actor, "grant.issue", "request", str(request.id),
           {"user": request.requester, "until": expires_at.isoformat(), "items": uow.workflows.item_codes(request.id)})


ON_APPROVAL = {RequestKind.ARCHIVING: _archive_items, RequestKind.CORRECTION: _apply_correction,
               RequestKind.BORROWING: _grant_viewing}


def _check_item_fits(kind: RequestKind, item) -> None:
    if kind is RequestKind.CORRECTION and item.state is not ItemState.ARCHIVED:
        raise ConflictError(f"item {item.archival_code} is {item.state.value}: only archived items are corrected "
                            "(items in intake are edited directly)")
    if kind is RequestKind.ARCHIVING and item.state is not ItemState.INTAKE:
        raise ConflictError(f"item {item.archival_code} is {item.state.value}: only items in intake are archived")
    if kind is RequestKind.DESTRUCTION and item.state is not ItemState.ARCHIVED:
        raise ConflictError(f"item {item.archival_code} is {item.state.value}: only archived items are destroyed")
    if kind is RequestKind.ARCHIVING and item.fields.supplied_title and item.fields.title == PLACEHOLDER_TITLE:
        raise InvalidInputError(f"item {item.archival_code} is not described yet: give it a title before archiving")


def show_request(uow_factory, request_id: int, scope: AccessScope = EVERYTHING) -> RequestView:
    """The request, the items of it `scope` may see, and its decisions; raises NotFoundError (also when the scope
    sees none of its items: that a request on them exists is not for everyone to know)."""
    with uow_factory(read_only=True) as uow:
        request = uow.workflows.get(request_id)
        codes = uow.workflows.item_codes(request_id) if request else []
        visible = [code for code in codes if scope.can_see(uow.catalogue.get_item(code))]
        if request is None or not visible:
            raise NotFoundError(f"no request {request_id}")
        report = [entry for entry in uow.workflows.report(request_id) if entry.get("archival_code") in visible]
        return RequestView(request, visible, uow.workflows.steps(request_id), report, uow.workflows.payload(request_id))


@dataclass(frozen=True)
class Inbox:
    awaiting: list[RequestView]  # requests waiting for this person's decision now
    asked: list[RequestView]  # this person's own requests, newest first


def inbox(uow_factory, principal: Principal, limit: int = 100) -> Inbox:
    """What waits for the principal, and what they asked for; items out of their sight are left out."""
    with uow_factory(read_only=True, consistent=False) as uow:
        waiting = [uow.workflows.get(request_id) for request_id in uow.workflows.pending_ids(1000)]
        mine = uow.workflows.ids_asked_by(principal.username, limit)
    awaiting = [request.id for request in waiting if may_decide(request, principal.username, principal.actions)]
    return Inbox(_views(uow_factory, awaiting[:limit], principal.scope), _views(uow_factory, mine, principal.scope))


def _views(uow_factory, request_ids: list[int], scope: AccessScope) -> list[RequestView]:
    views = []
    for request_id in request_ids:
        try:
            views.append(show_request(uow_factory, request_id, scope))
        except NotFoundError:
            continue
    return views


def _codes(codes: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(parse_archival_code(code).format() for code in codes))
    if not wanted:
        raise InvalidInputError("name at least one item")
    if len(wanted) > MAX_ITEMS:
        raise InvalidInputError(f"at most {MAX_ITEMS} items in one request")
    return wanted


def _visible_item(uow, code: str, scope: AccessScope):
    item = uow.catalogue.get_item(code)
    if item is None or not scope.can_see(item):
        raise NotFoundError(f"no item {code}")
    return item


def require_visible_item(uow_factory, code: str, scope: AccessScope):
    """The item, or NotFoundError when it is unknown or outside the scope; InvalidInputError for a bad code."""
    with uow_factory(read_only=True, consistent=False) as uow:
        return _visible_item(uow, parse_archival_code(code).format(), scope)


def _tier_name(request: RequestSnapshot) -> str:
    return request.chain[request.tier].name if request.tier < len(request.chain) else ""
