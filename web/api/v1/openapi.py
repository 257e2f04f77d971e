"""GET /api/v1/openapi.json: the API described, so machines and the schema tests know every endpoint's shape."""

from flask import Blueprint, jsonify

from appliance import __version__
from appliance.domain.retention import RETENTION_PERIODS
from appliance.domain.scanning import PRESETS

blueprint = Blueprint("openapi", __name__, url_prefix="/api/v1")

TEXT = {"type": "string"}
NULLABLE_TEXT = {"type": ["string", "null"]}
WHOLE = {"type": "integer"}
OK = {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}
ERROR = {"type": "object", "required": ["error", "message"],
         "properties": {"error": TEXT, "message": TEXT}}
CODE_PARAMETER = {"name": "code", "in": "path", "required": True,
                  "schema": {**TEXT, "maxLength": 60, "pattern": r"^[A-Z0-9]{4}-[A-Z]{1,4}[·.]\d{4}-[A-Z0-9]{1,3}"
                                                                 r"(-[A-Z0-9]{3})?-\d{4,5}$"},
                  "description": "archival code, e.g. Z109-WS·2011-Y-BGS-0001 ('.' may stand for '·')"}


def _object(properties: dict, required: list[str] | None = None, extra: bool = False) -> dict:
    return {"type": "object", "properties": properties, "required": required or list(properties),
            "additionalProperties": extra}


ITEM = _object({
    "archival_code": TEXT, "fonds": TEXT, "category": TEXT, "year": WHOLE, "retention": TEXT,
    "department": NULLABLE_TEXT, "item_number": WHOLE, "title": TEXT, "supplied_title": {"type": "boolean"},
    "date": TEXT, "responsible": TEXT, "doc_number": TEXT, "access_label": {"enum": ["公开", "内部", "受控"]},
    "pages": WHOLE, "notes": TEXT, "state": {"enum": ["intake", "archived", "destroyed"]}, "created_at": TEXT,
    "page_images": {"type": "array", "items": _object({"number": WHOLE, "sha256": TEXT, "size": WHOLE,
                                                       "media_type": TEXT})},
}, required=["archival_code", "title", "state", "access_label", "pages"])
INTAKE_DOCUMENT = _object({"id": WHOLE, "batch": TEXT, "sequence": WHOLE, "cover": NULLABLE_TEXT, "state": TEXT,
                           "archival_code": NULLABLE_TEXT, "reason": NULLABLE_TEXT, "pages": WHOLE,
                           "received_at": TEXT})
REQUEST = _object({
    "id": WHOLE, "kind": {"enum": ["archiving", "correction", "borrowing", "destruction"]},
    "state": {"enum": ["pending", "approved", "rejected", "withdrawn"]}, "requester": TEXT, "tier": WHOLE,
    "chain": {"type": "array", "items": _object({"name": TEXT, "action": TEXT})},
    "items": {"type": "array", "items": TEXT},
    "steps": {"type": "array", "items": _object({"tier": WHOLE, "decision": TEXT, "by": TEXT, "reason": TEXT,
                                                   "at": TEXT})},
    "report": {"type": "array", "items": {"type": "object"}},
    "payload": {"type": "object"},
})
SCAN_REQUEST = _object({"id": WHOLE, "device": TEXT, "preset": {"enum": list(PRESETS)}, "duplex": {"type": "boolean"},
                        "resume_batch": NULLABLE_TEXT, "state": TEXT, "batch": NULLABLE_TEXT,
                        "message": NULLABLE_TEXT})


def _response(schema: dict, description: str = "done", media_type: str = "application/json") -> dict:
    return {"description": description, "content": {media_type: {"schema": schema}}}


def _errors(*statuses: int) -> dict:
    reasons = {400: "malformed request", 401: "no valid session or token", 403: "not allowed for this principal",
               404: "not found, or not visible to this principal", 409: "conflicts with the current state",
               422: "invalid input", 503: "not set up yet"}
    return {str(status): _response(ERROR, reasons[status]) for status in statuses}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _operation(summary: str, responses: dict, parameters: list | None = None, body: dict | None = None,
               security: str = "people") -> dict:
    operation = {"summary": summary, "responses": responses, "parameters": parameters or []}
    if body is not None:
        operation["requestBody"] = body
    operation["security"] = {"people": [{"bearerToken": []}, {"session": []}], "agent": [{"agentToken": []}],
                             "none": []}[security]
    return operation


def _json_body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _paths() -> dict:
    item_filters = [
        {"name": "fonds", "in": "query", "required": True, "schema": {**TEXT, "maxLength": 10}},
        _query("year", {"type": "integer", "minimum": 1000, "maximum": 9999}, "filing year"),
        _query("retention", {"enum": list(RETENTION_PERIODS)}, "retention period code"),
        _query("department", {**TEXT, "maxLength": 10}, "department code"),
        _query("category", {**TEXT, "maxLength": 10}, "category code"),
        _query("state", {"enum": ["intake", "archived", "destroyed"]}, "item state"),
        _query("order", {"enum": ["code", "-code", "date", "-date"]},
               "archival code or date, '-' for descending; date orders need a year"),
        _query("after", {**TEXT, "maxLength": 60}, "the next_after of the previous page"),
        _query("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "items per page (default 50)"),
    ]
    agent_parameter = {"name": "agent", "in": "path", "required": True,
                       "schema": {**TEXT, "pattern": "^[A-Za-z0-9._-]{1,100}$"}}
    return {
        "/api/v1/health": {"get": _operation("Is the appliance up and its database reachable", {
            "200": _response(_object({"status": TEXT, "version": TEXT, "database": TEXT})),
            "503": _response(_object({"status": TEXT, "version": TEXT, "database": TEXT}), "degraded")},
            security="none")},
        "/api/v1/openapi.json": {"get": _operation("This document", {"200": _response({"type": "object"})},
                                                   security="none")},
        "/api/v1/fonds": {"get": _operation("Fonds with the number of items the principal may see", {
            "200": _response(_object({"fonds": {"type": "array", "items": _object({
                "code": TEXT, "name": TEXT, "scheme": TEXT, "items": WHOLE})}})), **_errors(401, 403)})},
        "/api/v1/items": {"get": _operation("Items of a fonds in archival-code order, one page at a time", {
            "200": _response(_object({"items": {"type": "array", "items": ITEM}, "next_after": NULLABLE_TEXT})),
            **_errors(401, 403, 404, 422)}, item_filters)},
        "/api/v1/items/{code}": {
            "get": _operation("One item (with its page images for those who may view content)", {
                "200": _response(ITEM), **_errors(401, 403, 404, 422)}, [CODE_PARAMETER]),
            "patch": _operation("Change fields of an item in intake", {
                "200": _response(ITEM), **_errors(400, 401, 403, 404, 409, 422)}, [CODE_PARAMETER],
                _json_body({"type": "object", "additionalProperties": False, "properties": {
                    "title": TEXT, "date": TEXT, "responsible": TEXT, "doc_number": TEXT,
                    "access_label": TEXT, "pages": WHOLE, "notes": TEXT}}))},
        "/api/v1/items/{code}/pages/{number}": {"get": _operation(
            "A page image, watermarked for the principal; every view is audited",
            {"200": {"description": "JPEG", "content": {"image/jpeg": {"schema": {"type": "string",
                                                                                  "format": "binary"}}}},
             **_errors(401, 403, 404, 422)},
            [CODE_PARAMETER, {"name": "number", "in": "path", "required": True,
                              "schema": {"type": "integer", "minimum": 0}}])},
        "/api/v1/intake": {
            "get": _operation("Delivered documents waiting for a person", {
                "200": _response(_object({"documents": {"type": "array", "items": INTAKE_DOCUMENT}})),
                **_errors(401, 403)}),
            "post": _operation("A scanner agent delivers one document: manifest and page images", {
                "200": _response(_object({"document": WHOLE, "state": TEXT, "archival_code": NULLABLE_TEXT,
                                          "reason": NULLABLE_TEXT}), "a replay of a delivery"),
                "201": _response(_object({"document": WHOLE, "state": TEXT, "archival_code": NULLABLE_TEXT,
                                          "reason": NULLABLE_TEXT}), "filed"),
                **_errors(400, 401, 422, 503)},
                [{"name": "Idempotency-Key", "in": "header", "required": True, "schema": TEXT}],
                {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["manifest"],
                    "properties": {"manifest": {"type": "string", "format": "binary"}}}}}},
                security="agent")},
        "/api/v1/agents/{agent}/heartbeat": {"post": _operation(
            "An agent reports its state and takes the scans asked of it",
            {"200": _response(_object({"scan_requests": {"type": "array", "items": SCAN_REQUEST}})),
             **_errors(400, 401, 422, 503)}, [agent_parameter], _json_body({"type": "object"}), security="agent")},
        "/api/v1/agents/{agent}/scan-requests/{request_id}": {"post": _operation(
            "An agent says how a scan ended", {"200": _response(OK), **_errors(400, 401, 404, 422, 503)},
            [agent_parameter, {"name": "request_id", "in": "path", "required": True, "schema": WHOLE}],
            _json_body(_object({"outcome": {"enum": ["done", "failed"]}, "batch": NULLABLE_TEXT,
                                "message": NULLABLE_TEXT}, required=["outcome"])), security="agent")},
        "/api/v1/batches/{batch_id}": {
            "put": _operation("An agent records a batch's state and report", {
                "200": _response(OK), **_errors(400, 401, 422, 503)},
                [{"name": "batch_id", "in": "path", "required": True, "schema": {**TEXT, "maxLength": 100}}],
                _json_body(_object({"state": {"enum": ["scanning", "finished", "interrupted"]},
                                    "report": {"type": "object"}}, required=["state"])), security="agent"),
            "get": _operation("A batch and where its documents went", {
                "200": _response(_object({"batch": {"type": "object"},
                                          "documents": {"type": "array", "items": INTAKE_DOCUMENT}})),
                **_errors(401, 403, 404)},
                [{"name": "batch_id", "in": "path", "required": True, "schema": {**TEXT, "maxLength": 100}}])},
        "/api/v1/scans": {"post": _operation("Ask an agent to scan a batch (or resume one)", {
            "201": _response(SCAN_REQUEST), **_errors(400, 401, 403, 422)}, body=_json_body(_object({
                "agent": TEXT, "device": TEXT, "preset": {"enum": list(PRESETS)}, "duplex": {"type": "boolean"},
                "resume_batch": NULLABLE_TEXT}, required=["agent", "device"])))},
        "/api/v1/requests": {"post": _operation(
            "Ask for archiving (or another workflow) on items; the approval chain follows their access labels", {
                "201": _response(REQUEST), **_errors(400, 401, 403, 404, 409, 422)},
            body=_json_body(_object({"kind": {"enum": ["archiving", "correction", "borrowing", "destruction"]},
                                     "items": {"type": "array", "items": TEXT, "minItems": 1},
                                     "reason": TEXT, "changes": {"type": "object"}, "purpose": TEXT,
                                     "form": {"enum": ["read", "excerpt", "copy", "lend", "certify"]},
                                     "days": {"type": "integer", "minimum": 1, "maximum": 90},
                                     "download": {"type": "boolean"}, "print": {"type": "boolean"}},
                                    required=["kind", "items"])))},
        "/api/v1/requests/{request_id}": {"get": _operation("A request with its items and decisions", {
            "200": _response(REQUEST), **_errors(401, 403, 404)},
            [{"name": "request_id", "in": "path", "required": True, "schema": WHOLE}])},
        "/api/v1/requests/{request_id}/decisions": {"post": _operation(
            "Approve the tier due, reject with a reason, or withdraw one's own request; 409 says the state", {
                "200": _response(REQUEST), **_errors(400, 401, 403, 404, 409, 422)},
            [{"name": "request_id", "in": "path", "required": True, "schema": WHOLE}],
            _json_body(_object({"decision": {"enum": ["approve", "reject", "withdraw"]}, "reason": TEXT},
                               required=["decision"])))},
        "/api/v1/appraisal/expiry": {"get": _operation(
            "Archived items whose retention ran out by a year, counted per class, one page at a time", {
                "200": _response(_object({
                    "fonds": TEXT, "as_of_year": WHOLE, "due_years": {"type": "object"}, "total": WHOLE,
                    "classes": {"type": "array", "items": _object({"year": WHOLE, "retention": TEXT,
                                                                   "items": WHOLE})},
                    "items": {"type": "array", "items": ITEM}, "next_after": NULLABLE_TEXT})),
                **_errors(401, 403, 404, 422)},
            [{"name": "fonds", "in": "query", "required": True, "schema": {**TEXT, "maxLength": 10}},
             _query("year", {"type": "integer", "minimum": 1900, "maximum": 9999}, "the year asked about"),
             _query("after", {**TEXT, "maxLength": 60}, "the next_after of the previous page"),
             _query("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "items per page (default 50)")])},
        "/api/v1/scanners": {"get": _operation("Scanner agents, their devices and state", {
            "200": _response(_object({"agents": {"type": "array", "items": {"type": "object"}}})),
            **_errors(401, 403)})},
    }


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Dangan appliance API", "version": __version__,
                 "description": "Errors are always {\"error\": code, \"message\": text}. Lists page by keyset: "
                                "pass the previous page's next_after as after."},
        "paths": _paths(),
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
