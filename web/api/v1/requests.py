"""Requests over the API: open one on items, read it, decide it (approve, reject with a reason, withdraw)."""

from flask import Blueprint, g, jsonify

from appliance.domain.errors import InvalidInputError
from appliance.domain.permissions import Action
from appliance.domain.workflow import BorrowForm, BorrowTerms, Decision, RequestKind, UsePurpose
from appliance.services import workflows
from appliance.services.archiving import request_archiving
from appliance.services.borrowing import request_borrowing
from appliance.services.corrections import request_correction
from web.api.v1.bodies import choice, json_object, text
from web.security import appliance, now, requires

blueprint = Blueprint("requests_api", __name__, url_prefix="/api/v1")


@blueprint.post("/requests")
@requires(Action.ITEM_READ)  # who may ask for what is the service's to say, by the kind of request
def open_request():
    body = json_object()
    kind = choice(RequestKind, body.get("kind"), "kind")
    codes = body.get("items")
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        raise InvalidInputError("items must be a list of archival codes")
    box = appliance()
    if kind is RequestKind.ARCHIVING:
        view = request_archiving(box.uow_factory, box.blob_store, box.image_problem, g.principal, codes,
                                 text(body, "reason"), now(), box.chain_policy)
    elif kind is RequestKind.BORROWING:
        view = request_borrowing(box.uow_factory, g.principal, codes, _terms(body), now(), box.chain_policy)
    elif kind is RequestKind.CORRECTION:
        changes = body.get("changes")
        if len(codes) != 1 or not isinstance(changes, dict):
            raise InvalidInputError("a correction names one item and the fields to change: {\"changes\": {...}}")
        view = request_correction(box.uow_factory, g.principal, codes[0], changes, text(body, "reason"), now(),
                                  box.chain_policy)
    else:
        view = workflows.open_request(box.uow_factory, g.principal, kind, codes, text(body, "reason"), now(),
                                      box.chain_policy)
    return jsonify(request_json(view)), 201


@blueprint.get("/requests/<int(max=2147483647):request_id>")
@requires(Action.ITEM_READ)
def get_request(request_id: int):
    return jsonify(request_json(workflows.show_request(appliance().uow_factory, request_id, g.principal.scope)))


@blueprint.post("/requests/<int(max=2147483647):request_id>/decisions")
@requires(Action.ITEM_READ)
def decide(request_id: int):
    body = json_object()
    decision = choice(Decision, body.get("decision"), "decision")
    view = workflows.decide_request(appliance().uow_factory, g.principal, request_id, decision,
                                    text(body, "reason"), now())
    return jsonify(request_json(view))


def request_json(view: workflows.RequestView) -> dict:
    snapshot = view.request
    return {"id": snapshot.id, "kind": snapshot.kind.value, "state": snapshot.state.value,
            "requester": snapshot.requester, "tier": snapshot.tier,
            "chain": [{"name": tier.name, "action": tier.action.value} for tier in snapshot.chain],
            "items": view.items,
            "steps": [{"tier": tier, "decision": decision, "by": actor, "reason": reason, "at": when.isoformat()}
                      for tier, decision, actor, reason, when in view.steps],
            "report": view.report, "payload": view.payload}


def _terms(body: dict) -> BorrowTerms:
    days = body.get("days", 7)
    if not isinstance(days, int) or isinstance(days, bool):
        raise InvalidInputError("days must be a whole number")
    return BorrowTerms(text(body, "purpose"), choice(BorrowForm, body.get("form", "read"), "form"), days,
                       body.get("download") is True, body.get("print") is True,
                       choice(UsePurpose, body.get("purpose_category", "work"), "purpose_category"))


