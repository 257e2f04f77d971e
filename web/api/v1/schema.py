"""The pieces the OpenAPI document is written with, shared by the API modules that describe their own paths."""

from appliance.domain.scanning import PRESETS

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


def object_schema(properties: dict, required: list[str] | None = None, extra: bool = False) -> dict:
    return {"type": "object", "properties": properties, "required": required or list(properties),
                  "additionalProperties": extra}


ITEM = object_schema({
    "archival_code": TEXT, "fonds": TEXT, "category": TEXT, "year": WHOLE, "retention": TEXT,
    "department": NULLABLE_TEXT, "item_number": WHOLE, "title": TEXT, "supplied_title": {"type": "boolean"},
    "date": TEXT, "responsible": TEXT, "doc_number": TEXT, "access_label": {"enum": ["公开", "内部", "受控"]},
    "pages": WHOLE, "notes": TEXT, "state": {"enum": ["intake", "archived", "destroyed"]}, "created_at": TEXT,
    "page_images": {"type": "array", "items": object_schema({"number": WHOLE, "sha256": TEXT, "size": WHOLE,
                                                       "media_type": TEXT})},
}, required=["archival_code", "title", "state", "access_label", "pages"])
INTAKE_DOCUMENT = object_schema({"id": WHOLE, "batch": TEXT, "sequence": WHOLE, "cover": NULLABLE_TEXT, "state": TEXT,
                           "archival_code": NULLABLE_TEXT, "reason": NULLABLE_TEXT, "pages": WHOLE,
                           "received_at": TEXT})
REQUEST = object_schema({
    "id": WHOLE, "kind": {"enum": ["archiving", "correction", "borrowing", "destruction"]},
    "state": {"enum": ["pending", "approved", "rejected", "withdrawn"]}, "requester": TEXT, "tier": WHOLE,
    "chain": {"type": "array", "items": object_schema({"name": TEXT, "action": TEXT})},
    "items": {"type": "array", "items": TEXT},
    "steps": {"type": "array", "items": object_schema({"tier": WHOLE, "decision": TEXT, "by": TEXT, "reason": TEXT,
                                                   "at": TEXT})},
    "report": {"type": "array", "items": {"type": "object"}},
    "payload": {"type": "object"},
})
SCAN_REQUEST = object_schema({
    "id": WHOLE, "device": TEXT, "preset": {"enum": list(PRESETS)}, "duplex": {"type": "boolean"},
    "resume_batch": NULLABLE_TEXT, "state": TEXT, "batch": NULLABLE_TEXT, "message": NULLABLE_TEXT,
})


def response(schema: dict, description: str = "done", media_type: str = "application/json") -> dict:
    return {"description": description, "content": {media_type: {"schema": schema}}}


def errors(*statuses: int) -> dict:
    reasons = {400: "malformed request", 401: "no valid session or token", 403: "not allowed for this principal",
               404: "not found, or not visible to this principal", 409: "conflicts with the current state",
               422: "invalid input", 503: "not set up yet"}
    return {str(status): response(ERROR, reasons[status]) for status in statuses}


def query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def operation(summary: str, responses: dict, parameters: list | None = None, body: dict | None = None,
              security: str = "people") -> dict:
    described = {"summary": summary, "responses": responses, "parameters": parameters or []}
    if body is not None:
        described["requestBody"] = body
    described["security"] = {"people": [{"bearerToken": []}, {"session": []}], "agent": [{"agentToken": []}],
                             "none": []}[security]
    return described


def json_body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}
