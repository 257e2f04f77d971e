"""GET /api/v1/openapi.json: the API described, so machines and the schema tests know every endpoint's shape."""

from flask import Blueprint, jsonify

from appliance import __version__
from appliance.domain.retention import RETENTION_PERIODS
from appliance.domain.scanning import PRESETS
from web.api.v1 import appraisal, assistance, backups, destruction, holds, links, loans, notifications, reports, search
from web.api.v1.schema import (
    CODE_PARAMETER,
    ERROR,
    INTAKE_DOCUMENT,
    ITEM,
    NULLABLE_TEXT,
    OK,
    REQUEST,
    SCAN_REQUEST,
    TEXT,
    WHOLE,
    errors,
    json_body,
    object_schema,
    operation,
    query,
    response,
)

blueprint = Blueprint("openapi", __name__, url_prefix="/api/v1")


def _paths() -> dict:
    item_filters = [
        {"name": "fonds", "in": "query", "required": True, "schema": {**TEXT, "maxLength": 10}},
        query("year", {"type": "integer", "minimum": 1000, "maximum": 9999}, "filing year"),
        query("retention", {"enum": list(RETENTION_PERIODS)}, "retention period code"),
        query("department", {**TEXT, "maxLength": 10}, "department code"),
        query("category", {**TEXT, "maxLength": 10}, "category code"),
        query("state", {"enum": ["intake", "archived", "destroyed"]}, "item state"),
        query("order", {"enum": ["code", "-code", "date", "-date"]},
              "archival code or date, '-' for descending; date orders need a year"),
        query("after", {**TEXT, "maxLength": 60}, "the next_after of the previous page"),
        query("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "items per page (default 50)"),
    ]
    agent_parameter = {"name": "agent", "in": "path", "required": True,
                       "schema": {**TEXT, "pattern": "^[A-Za-z0-9._-]{1,100}$"}}
    return {
        "/api/v1/health": {"get": operation("Is the appliance up and its database reachable", {
            "200": response(object_schema({"status": TEXT, "version": TEXT, "database": TEXT})),
            "503": response(object_schema({"status": TEXT, "version": TEXT, "database": TEXT}), "degraded")},
            security="none")},
        "/api/v1/openapi.json": {"get": operation("This document", {"200": response({"type": "object"})},
                                                   security="none")},
        "/api/v1/fonds": {"get": operation("Fonds with the number of items the principal may see", {
            "200": response(object_schema({"fonds": {"type": "array", "items": object_schema({
                "code": TEXT, "name": TEXT, "scheme": TEXT, "items": WHOLE})}})), **errors(401, 403)})},
        "/api/v1/items": {"get": operation("Items of a fonds in archival-code order, one page at a time", {
            "200": response(object_schema({"items": {"type": "array", "items": ITEM}, "next_after": NULLABLE_TEXT})),
            **errors(401, 403, 404, 422)}, item_filters)},
        "/api/v1/items/{code}": {
            "get": operation("One item (with its page images for those who may view content)", {
                "200": response(ITEM), **errors(401, 403, 404, 422)}, [CODE_PARAMETER]),
            "patch": operation("Change fields of an item in intake", {
                "200": response(ITEM), **errors(400, 401, 403, 404, 409, 422)}, [CODE_PARAMETER],
                json_body({"type": "object", "additionalProperties": False, "properties": {
                    "title": TEXT, "date": TEXT, "responsible": TEXT, "doc_number": TEXT,
                    "access_label": TEXT, "pages": WHOLE, "notes": TEXT}}))},
        "/api/v1/items/{code}/pages/{number}": {"get": operation(
            "A page image, watermarked for the principal; every view is audited",
            {"200": {"description": "JPEG", "content": {"image/jpeg": {"schema": {"type": "string",
                                                                                  "format": "binary"}}}},
             **errors(401, 403, 404, 422)},
            [CODE_PARAMETER, {"name": "number", "in": "path", "required": True,
                             "schema": {"type": "integer", "minimum": 0}}])},
        "/api/v1/intake": {
            "get": operation("Delivered documents waiting for a person", {
                "200": response(object_schema({"documents": {"type": "array", "items": INTAKE_DOCUMENT}})),
                **errors(401, 403)}),
            "post": operation("A scanner agent delivers one document: manifest and page images", {
                "200": response(object_schema({"document": WHOLE, "state": TEXT, "archival_code": NULLABLE_TEXT,
                                          "reason": NULLABLE_TEXT}), "a replay of a delivery"),
                "201": response(object_schema({"document": WHOLE, "state": TEXT, "archival_code": NULLABLE_TEXT,
                                          "reason": NULLABLE_TEXT}), "filed"),
                **errors(400, 401, 422, 503)},
                [{"name": "Idempotency-Key", "in": "header", "required": True, "schema": TEXT}],
                {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["manifest"],
                    "properties": {"manifest": {"type": "string", "format": "binary"}}}}}},
                security="agent")},
        "/api/v1/agents/{agent}/heartbeat": {"post": operation(
            "An agent reports its state and takes the scans asked of it",
            {"200": response(object_schema({"scan_requests": {"type": "array", "items": SCAN_REQUEST}})),
             **errors(400, 401, 422, 503)}, [agent_parameter], json_body({"type": "object"}), security="agent")},
        "/api/v1/agents/{agent}/scan-requests/{request_id}": {"post": operation(
            "An agent says how a scan ended", {"200": response(OK), **errors(400, 401, 404, 422, 503)},
            [agent_parameter, {"name": "request_id", "in": "path", "required": True, "schema": WHOLE}],
            json_body(object_schema({"outcome": {"enum": ["done", "failed"]}, "batch": NULLABLE_TEXT,
                                "message": NULLABLE_TEXT}, required=["outcome"])), security="agent")},
        "/api/v1/batches/{batch_id}": {
            "put": operation("An agent records a batch's state and report", {
                "200": response(OK), **errors(400, 401, 422, 503)},
                [{"name": "batch_id", "in": "path", "required": True, "schema": {**TEXT, "maxLength": 100}}],
                json_body(object_schema({"state": {"enum": ["scanning", "finished", "interrupted"]},
                                    "report": {"type": "object"}}, required=["state"])), security="agent"),
            "get": operation("A batch and where its documents went", {
                "200": response(object_schema({"batch": {"type": "object"},
                                          "documents": {"type": "array", "items": INTAKE_DOCUMENT}})),
                **errors(401, 403, 404)},
                [{"name": "batch_id", "in": "path", "required": True, "schema": {**TEXT, "maxLength": 100}}])},
        "/api/v1/scans": {"post": operation("Ask an agent to scan a batch (or resume one)", {
            "201": response(SCAN_REQUEST), **errors(400, 401, 403, 422)}, body=json_body(object_schema({
                "agent": TEXT, "device": TEXT, "preset": {"enum": list(PRESETS)}, "duplex": {"type": "boolean"},
                "resume_batch": NULLABLE_TEXT}, required=["agent", "device"])))},
        "/api/v1/requests": {"post": operation(
            "Ask for archiving (or another workflow) on items; the approval chain follows their access labels", {
                "201": response(REQUEST), **errors(400, 401, 403, 404, 409, 422)},
            body=json_body(object_schema({"kind": {"enum": ["archiving", "correction", "borrowing", "destruction"]},
                                     "items": {"type": "array", "items": TEXT, "minItems": 1},
                                     "reason": TEXT, "changes": {"type": "object"}, "purpose": TEXT,
                                     "form": {"enum": ["read", "excerpt", "copy", "lend", "certify"]},
                                     "days": {"type": "integer", "minimum": 1, "maximum": 90},
                                     "download": {"type": "boolean"}, "print": {"type": "boolean"},
                                     "purpose_category": {"enum": ["work", "research", "history", "economy",
                                                                   "education", "evidence", "other"]}},
                                         required=["kind", "items"])))},
        "/api/v1/requests/{request_id}": {"get": operation("A request with its items and decisions", {
            "200": response(REQUEST), **errors(401, 403, 404)},
            [{"name": "request_id", "in": "path", "required": True, "schema": WHOLE}])},
        "/api/v1/requests/{request_id}/decisions": {"post": operation(
            "Approve the tier due, reject with a reason, or withdraw one's own request; 409 says the state", {
                "200": response(REQUEST), **errors(400, 401, 403, 404, 409, 422)},
            [{"name": "request_id", "in": "path", "required": True, "schema": WHOLE}],
            json_body(object_schema({"decision": {"enum": ["approve", "reject", "withdraw"]}, "reason": TEXT},
                                    required=["decision"])))},
        "/api/v1/scanners": {"get": operation("Scanner agents, their devices and state", {
            "200": response(object_schema({"agents": {"type": "array", "items": {"type": "object"}}})),
            **errors(401, 403)})},
    }


def _all_paths() -> dict:
    """The core paths, then those each feature module describes next to its routes."""
    paths = _paths()
    for module in (appraisal, holds, destruction, loans, notifications, backups, search, reports, assistance, links):
        paths.update(module.openapi_paths())
    return paths


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Dangan appliance API", "version": __version__,
                 "description": "Errors are always {\"error\": code, \"message\": text}. Lists page by keyset: "
                                "pass the previous page's next_after as after."},
        "paths": _all_paths(),
        "components": {"securitySchemes": {
            "bearerToken": {"type": "http", "scheme": "bearer", "description": "an API token (dgn_...)"},
            "agentToken": {"type": "http", "scheme": "bearer", "description": "the scanner agents' token"},
            "session": {"type": "apiKey", "in": "cookie", "name": "dangan_session",
                        "description": "the console's session; unsafe methods need the X-CSRFToken header"}},
            "schemas": {"Error": ERROR, "Item": ITEM}},
    }


@blueprint.get("/openapi.json")
def openapi_json():
    return jsonify(openapi_document())


openapi_json.required_action = "public"
