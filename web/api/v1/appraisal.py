"""Appraisal over the API: the expiry list the appraisal group looks at this year, and its decisions on it."""

import datetime

from flask import Blueprint, g, jsonify, request

from appliance.domain.appraisal import MAX_KEEP_YEARS, AppraisalDecision, decision_terms
from appliance.domain.errors import InvalidInputError
from appliance.domain.permissions import Action
from appliance.domain.retention import RETENTION_PERIODS
from appliance.services.appraisal import MAX_DECISION_ITEMS, ExpiryList, expiry_list, record_decisions
from web.api.v1.bodies import text
from web.api.v1.items import item_json
from web.api.v1.schema import (
    ITEM,
    NULLABLE_TEXT,
    TEXT,
    WHOLE,
    errors,
    json_body,
    object_schema,
    operation,
    query,
    response,
)
from web.security import appliance, now, requires

blueprint = Blueprint("appraisal_api", __name__, url_prefix="/api/v1")


@blueprint.get("/appraisal/expiry")
@requires(Action.APPRAISAL_DECIDE)
def expiry():
    fonds = request.args.get("fonds", "").strip()
    if not fonds:
        raise InvalidInputError("name the fonds: ?fonds=Z109")
    year = request.args.get("year", "").strip() or str(datetime.date.today().year)
    limit = request.args.get("limit", "50").strip()
    if not year.isdigit() or not limit.isdigit() or not 1 <= int(limit) <= 200:
        raise InvalidInputError("year must be a year and limit a whole number from 1 to 200")
    listed = expiry_list(appliance().uow_factory, fonds, int(year), request.args.get("after") or None, int(limit),
                         scope=g.principal.scope)
    return jsonify(_expiry_json(listed))


@blueprint.post("/appraisal/decisions")
@requires(Action.APPRAISAL_DECIDE)
def decisions():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInputError("the request body must be a JSON object")
    codes, year = body.get("items"), body.get("year")
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        raise InvalidInputError("items must be a list of archival codes")
    if not isinstance(year, int) or isinstance(year, bool):
        raise InvalidInputError("year (the appraisal round) must be a whole number")
    terms = decision_terms(text(body, "decision"), text(body, "reason"), body.get("keep_years"),
                           body.get("new_retention") and text(body, "new_retention"))
    recorded = record_decisions(appliance().uow_factory, g.principal, text(body, "fonds"), year, codes, terms, now())
    return jsonify({"decisions": [decision_json(decision) for decision in recorded]}), 201


def decision_json(decision: AppraisalDecision) -> dict:
    return {"id": decision.id, "archival_code": decision.archival_code, "round_year": decision.round_year,
            "decision": decision.choice.value, "new_retention": decision.new_retention,
            "review_year": decision.review_year, "reason": decision.reason, "decided_by": decision.decided_by,
            "decided_at": decision.decided_at.isoformat(), "current": decision.current,
            "list_number": decision.list_number}


def _expiry_json(listed: ExpiryList) -> dict:
    items = []
    for item in listed.items:
        decision, hold = listed.decisions.get(item.id), listed.holds.get(item.id)
        items.append({**item_json(item), "decision": decision_json(decision) if decision else None,
                      "hold": {"id": hold.id, "reason": hold.reason} if hold else None})
    return {"fonds": listed.fonds, "as_of_year": listed.as_of_year, "due_years": listed.due_years,
            "total": listed.total,
            "classes": [{"year": year, "retention": retention, "items": count}
                        for (year, retention), count in sorted(listed.counts.items())],
            "items": items, "next_after": listed.next_after.format() if listed.next_after else None}


NULLABLE_WHOLE = {"type": ["integer", "null"]}
DECISION = object_schema({
    "id": WHOLE, "archival_code": TEXT, "round_year": WHOLE, "decision": {"enum": ["keep", "extend", "destroy"]},
    "new_retention": NULLABLE_TEXT, "review_year": NULLABLE_WHOLE, "reason": TEXT, "decided_by": TEXT,
    "decided_at": TEXT, "current": {"type": "boolean"}, "list_number": NULLABLE_TEXT})
EXPIRY_ITEM = {**ITEM, "properties": {
    **ITEM["properties"], "decision": {"oneOf": [DECISION, {"type": "null"}]},
    "hold": {"oneOf": [object_schema({"id": WHOLE, "reason": TEXT}), {"type": "null"}]}}}


def openapi_paths() -> dict:
    """This module's paths for the OpenAPI document."""
    decision_body = object_schema({
        "fonds": TEXT, "year": {**WHOLE, "description": "the appraisal round"},
        "items": {"type": "array", "items": TEXT, "minItems": 1, "maxItems": MAX_DECISION_ITEMS},
        "decision": {"enum": ["keep", "extend", "destroy"]}, "reason": TEXT,
        "keep_years": {"type": "integer", "minimum": 1, "maximum": MAX_KEEP_YEARS},
        "new_retention": {"enum": list(RETENTION_PERIODS)}},
        required=["fonds", "year", "items", "decision", "reason"])
    return {
        "/api/v1/appraisal/expiry": {"get": operation(
            "Archived items due for appraisal in a year, counted per class, one page at a time, each with its "
            "decision in force and a legal hold covering it", {
                "200": response(object_schema({
                    "fonds": TEXT, "as_of_year": WHOLE, "due_years": {"type": "object"}, "total": WHOLE,
                    "classes": {"type": "array", "items": object_schema({"year": WHOLE, "retention": TEXT,
                                                                         "items": WHOLE})},
                    "items": {"type": "array", "items": EXPIRY_ITEM}, "next_after": NULLABLE_TEXT})),
                **errors(401, 403, 404, 422)},
            [{"name": "fonds", "in": "query", "required": True, "schema": {**TEXT, "maxLength": 10}},
             query("year", {"type": "integer", "minimum": 1900, "maximum": 9999}, "the year asked about"),
             query("after", {**TEXT, "maxLength": 60}, "the next_after of the previous page"),
             query("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "items per page (default 50)")])},
        "/api/v1/appraisal/decisions": {"post": operation(
            "Record the appraisal group's decision (keep for some years, extend the retention, destroy) on items "
            "due in a round; all or nothing, and 409 for an item held, not due or on a live destruction list", {
                "201": response(object_schema({"decisions": {"type": "array", "items": DECISION}})),
                **errors(400, 401, 403, 404, 409, 422)},
            body=json_body(decision_body))},
    }
