"""Legal holds over the API: place one on an item or a class, release it, list them."""

from flask import Blueprint, g, jsonify, request

from appliance.domain.errors import InvalidInputError
from appliance.domain.holds import HoldScope, LegalHold
from appliance.domain.permissions import Action
from appliance.services.holds import list_holds, place_hold, release_hold
from web.api.v1.bodies import json_object, text
from web.api.v1.schema import NULLABLE_TEXT, TEXT, WHOLE, errors, json_body, object_schema, operation, query, response
from web.security import appliance, now, requires

blueprint = Blueprint("holds_api", __name__, url_prefix="/api/v1")


@blueprint.get("/holds")
@requires(Action.HOLD_MANAGE)
def holds():
    active = request.args.get("active", "false").strip().lower()
    if active not in ("true", "false"):
        raise InvalidInputError("active is true or false")
    listed = list_holds(appliance().uow_factory, g.principal, active_only=active == "true")
    return jsonify({"holds": [hold_json(hold) for hold in listed]})


@blueprint.post("/holds")
@requires(Action.HOLD_MANAGE)
def place():
    body = json_object()
    if body.get("item") is not None:
        target = text(body, "item")
    else:
        year = body.get("year")
        if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
            raise InvalidInputError("year must be a whole number")
        target = HoldScope(text(body, "fonds"), category=_optional(body, "category"), year=year,
                           retention=_optional(body, "retention"), department=_optional(body, "department"))
    hold = place_hold(appliance().uow_factory, g.principal, target, text(body, "reason"), now())
    return jsonify(hold_json(hold)), 201


@blueprint.post("/holds/<int(max=2147483647):hold_id>/release")
@requires(Action.HOLD_MANAGE)
def release(hold_id: int):
    hold = release_hold(appliance().uow_factory, g.principal, hold_id, text(json_object(), "reason"), now())
    return jsonify(hold_json(hold))


def hold_json(hold: LegalHold) -> dict:
    scope = hold.scope
    return {"id": hold.id, "fonds": scope.fonds, "item": hold.item_code, "category": scope.category,
            "year": scope.year, "retention": scope.retention, "department": scope.department, "reason": hold.reason,
            "placed_by": hold.placed_by, "placed_at": hold.placed_at.isoformat(), "active": hold.active,
            "released_by": hold.released_by,
            "released_at": hold.released_at.isoformat() if hold.released_at else None,
            "release_reason": hold.release_reason}


def _optional(body: dict, name: str) -> str | None:
    """A narrowing part of a class: left out, null or empty all mean "any"."""
    if body.get(name) is None:
        return None
    return text(body, name).strip() or None


HOLD = object_schema({
    "id": WHOLE, "fonds": TEXT, "item": NULLABLE_TEXT, "category": NULLABLE_TEXT,
    "year": {"type": ["integer", "null"]}, "retention": NULLABLE_TEXT, "department": NULLABLE_TEXT, "reason": TEXT,
    "placed_by": TEXT, "placed_at": TEXT, "active": {"type": "boolean"}, "released_by": NULLABLE_TEXT,
    "released_at": NULLABLE_TEXT, "release_reason": TEXT})
HOLD_ID = {"name": "hold_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}


def openapi_paths() -> dict:
    """This module's paths for the OpenAPI document."""
    place_body = {"type": "object", "required": ["reason"], "additionalProperties": False, "properties": {
        "item": {**TEXT, "description": "archival code of the one item held"},
        "fonds": {**TEXT, "description": "the class held: a fonds, narrowed by any of the fields below"},
        "category": TEXT, "year": WHOLE, "retention": TEXT, "department": TEXT, "reason": TEXT}}
    return {
        "/api/v1/holds": {
            "get": operation("Legal holds, newest first, released ones too unless active=true", {
                "200": response(object_schema({"holds": {"type": "array", "items": HOLD}})), **errors(401, 403, 422)},
                [query("active", {"enum": ["true", "false"]}, "only the holds in force")]),
            "post": operation("Place a legal hold on one item or on a class; what it covers is neither appraised "
                              "nor destroyed until it is released", {
                                  "201": response(HOLD), **errors(400, 401, 403, 404, 409, 422)},
                              body=json_body(place_body))},
        "/api/v1/holds/{hold_id}/release": {"post": operation(
            "Release a legal hold, with a reason; 409 when it was released already", {
                "200": response(HOLD), **errors(400, 401, 403, 404, 409, 422)}, [HOLD_ID],
            json_body(object_schema({"reason": TEXT})))},
    }
