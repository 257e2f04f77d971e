"""/api/v1 keywords offered as tags and filing suggestions learned from the archive (issue 8)."""

from flask import Blueprint, g, jsonify

from appliance import assistance_wiring
from appliance.domain.filing_patterns import FIELDS, FieldAcceptance, FilingSuggestion, ItemKeyword
from appliance.domain.permissions import Action
from appliance.services.filing_suggestions import acceptance_rates, document_suggestions
from appliance.services.keywords import MAX_KEYWORD, add_tag, decide_keyword, item_tags
from web.api.v1.bodies import iso, json_object, text
from web.api.v1.schema import CODE_PARAMETER, TEXT, WHOLE, errors, json_body, object_schema, operation, response
from web.security import appliance, now, requires

blueprint = Blueprint("assistance_api", __name__, url_prefix="/api/v1")
DECISIONS = ("accept", "dismiss", "add")


@blueprint.get("/intake/<int(max=2147483647):document_id>/suggestions")
@requires(Action.INTAKE_VIEW)
def suggestions(document_id: int):
    box = appliance()
    shown = document_suggestions(box.uow_factory, assistance_wiring.models_for(box), document_id)
    model = None if shown.model is None else {"id": shown.model.id, "trained_at": iso(shown.model.trained_at),
                                              "trained_items": shown.model.trained_items,
                                              "metrics": shown.model.metrics}
    return jsonify({"document": document_id, "model": model,
                    "suggestions": {field: [suggestion_json(entry) for entry in offered]
                                    for field, offered in shown.fields.items()}})


@blueprint.get("/items/<code>/tags")
@requires(Action.ITEM_READ)
def tags(code: str):
    found = item_tags(appliance().uow_factory, g.principal, code)
    return jsonify({"accepted": [keyword_json(tag) for tag in found.accepted],
                    "suggested": [keyword_json(tag) for tag in found.suggested], "may_decide": found.may_decide})


@blueprint.post("/items/<code>/tags")
@requires(Action.ITEM_EDIT_INTAKE)  # tags on archived items too (enrichment); the service refuses destroyed ones
def decide(code: str):
    body = json_object()
    decision, keyword = text(body, "decision"), text(body, "keyword")
    if decision == "add":
        tag = add_tag(appliance().uow_factory, g.principal, code, keyword, now())
    else:
        tag = decide_keyword(appliance().uow_factory, g.principal, code, keyword, decision, now())
    return jsonify(keyword_json(tag))


@blueprint.get("/assistance/acceptance")
@requires(Action.INTAKE_VIEW)
def acceptance():
    return jsonify({"fields": [acceptance_json(rate) for rate in acceptance_rates(appliance().uow_factory)]})


def suggestion_json(suggestion: FilingSuggestion) -> dict:
    return {"value": suggestion.value, "rank": suggestion.rank, "score": suggestion.score,
            "source": suggestion.source}


def keyword_json(keyword: ItemKeyword) -> dict:
    return {"keyword": keyword.keyword, "weight": keyword.weight, "origin": keyword.origin, "state": keyword.state,
            "decided_by": keyword.decided_by, "decided_at": iso(keyword.decided_at)}


def acceptance_json(rate: FieldAcceptance) -> dict:
    return {"field": rate.field, "offered": rate.offered, "accepted": rate.accepted, "changed": rate.changed,
            "ignored": rate.ignored, "rate": rate.rate}


SUGGESTION = object_schema({"value": TEXT, "rank": WHOLE, "score": {"type": "number"},
                            "source": {"enum": ["model", "header"]}})
KEYWORD = object_schema({"keyword": TEXT, "weight": {"type": "number"}, "origin": {"enum": ["text", "manual"]},
                         "state": {"enum": ["suggested", "accepted", "dismissed"]},
                         "decided_by": {"type": ["string", "null"]}, "decided_at": {"type": ["string", "null"]}})
ACCEPTANCE = object_schema({"field": {"enum": list(FIELDS)}, "offered": WHOLE, "accepted": WHOLE, "changed": WHOLE,
                            "ignored": WHOLE, "rate": {"type": ["number", "null"]}})
DOCUMENT_ID = {"name": "document_id", "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647}}


def openapi_paths() -> dict:
    """This module's paths for the OpenAPI document."""
    decision_body = {"type": "object", "required": ["decision", "keyword"], "additionalProperties": False,
                     "properties": {"decision": {"enum": list(DECISIONS)},
                                    "keyword": {**TEXT, "minLength": 1, "maxLength": MAX_KEYWORD}}}
    model = {"type": ["object", "null"]}
    return {
        "/api/v1/intake/{document_id}/suggestions": {"get": operation(
            "Suggested filing values for an intake document: from its header and from the model learned from "
            "archived items; never applied by themselves", {
                "200": response(object_schema({"document": WHOLE, "model": model, "suggestions": {
                    "type": "object", "additionalProperties": {"type": "array", "items": SUGGESTION}}})),
                **errors(401, 403, 404)}, [DOCUMENT_ID])},
        "/api/v1/items/{code}/tags": {
            "get": operation("The item's accepted tags and the keywords suggested from its text", {
                "200": response(object_schema({"accepted": {"type": "array", "items": KEYWORD},
                                               "suggested": {"type": "array", "items": KEYWORD},
                                               "may_decide": {"type": "boolean"}})),
                **errors(401, 403, 404, 422)}, [CODE_PARAMETER]),
            "post": operation("Accept or dismiss a suggested keyword, or add a tag by hand (audited)", {
                "200": response(KEYWORD), **errors(400, 401, 403, 404, 409, 422)}, [CODE_PARAMETER],
                json_body(decision_body))},
        "/api/v1/assistance/acceptance": {"get": operation(
            "How the filing suggestions fared, per field, over the documents filed", {
                "200": response(object_schema({"fields": {"type": "array", "items": ACCEPTANCE}})),
                **errors(401, 403)})},
    }
