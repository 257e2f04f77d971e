"""Destruction lists over the API: compile, read, the PDF, witnesses' confirmations."""

import re
import zoneinfo

from flask import Blueprint, Response, g, jsonify

from appliance.adapters.destruction_pdf import DestructionListPdf
from appliance.domain.destruction import DestructionList, ListState
from appliance.domain.errors import InvalidInputError
from appliance.domain.permissions import Action
from appliance.services import destruction
from web.api.v1.bodies import iso, json_object, text
from web.api.v1.schema import NULLABLE_TEXT, TEXT, WHOLE, errors, json_body, object_schema, operation, response
from web.security import appliance, now, requires

blueprint = Blueprint("destruction_api", __name__, url_prefix="/api/v1")


def list_renderer() -> DestructionListPdf:
    """The PDF writer, showing times in the archive's time zone."""
    return DestructionListPdf(appliance().config.web.timezone)


@blueprint.post("/destruction-lists")
@requires(Action.APPRAISAL_DECIDE)
def compile_list():
    body = json_object()
    codes = body.get("items")
    if codes is not None and (not isinstance(codes, list) or not all(isinstance(code, str) for code in codes)):
        raise InvalidInputError("items must be a list of archival codes")
    box = appliance()
    listed = destruction.compile_list(box.uow_factory, box.blob_store, g.principal, text(body, "fonds"),
                                      text(body, "reason"), now(), codes, renderer=list_renderer(),
                                      zone=zoneinfo.ZoneInfo(box.config.web.timezone), policy=box.chain_policy)
    return jsonify(list_json(listed)), 201


@blueprint.get("/destruction-lists")
@requires(Action.DESTRUCTION_WITNESS)
def lists():
    return jsonify({"lists": [list_json(listed) for listed in destruction.destruction_lists(appliance().uow_factory)]})


@blueprint.get("/destruction-lists/<int(max=2147483647):list_id>")
@requires(Action.DESTRUCTION_WITNESS)
def get_list(list_id: int):
    return jsonify(list_json(destruction.show_list(appliance().uow_factory, list_id)))


@blueprint.get("/destruction-lists/<int(max=2147483647):list_id>/pdf")
@requires(Action.DESTRUCTION_WITNESS)
def pdf(list_id: int):
    return list_pdf_response(list_id)


def list_pdf_response(list_id: int) -> Response:
    """The list's PDF (the final one once executed), named after its number; the console serves it too."""
    box = appliance()
    listed, document = destruction.list_pdf(box.uow_factory, box.blob_store, list_id)
    filename = re.sub(r"[^A-Za-z0-9-]", "-", listed.number)
    return Response(document, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}.pdf"'})


@blueprint.post("/destruction-lists/<int(max=2147483647):list_id>/witnesses")
@requires(Action.DESTRUCTION_WITNESS)
def confirm(list_id: int):
    box = appliance()
    listed = destruction.witness(box.uow_factory, box.passwords, g.principal, list_id,
                                 text(json_object(), "password"), now(), blob_store=box.blob_store,
                                 renderer=list_renderer(), lockout_policy=box.lockout_policy)
    return jsonify(list_json(listed))


def list_json(listed: DestructionList) -> dict:
    return {"id": listed.id, "number": listed.number, "fonds": listed.fonds, "year": listed.year,
            "state": listed.state.value, "reason": listed.reason, "request": listed.request_id,
            "compiled_by": listed.compiled_by, "compiled_at": listed.compiled_at.isoformat(),
            "items": list(listed.items),
            "approvals": [{"by": approval.username, "name": approval.display_name,
                           "at": approval.decided_at.isoformat()} for approval in listed.approvals],
            "witnesses": [{"by": witness.username, "name": witness.display_name,
                           "at": witness.confirmed_at.isoformat()} for witness in listed.witnesses],
            "destroyed_at": iso(listed.destroyed_at), "purged": listed.purged_at is not None,
            "purged_at": iso(listed.purged_at)}


SIGNED = object_schema({"by": TEXT, "name": TEXT, "at": TEXT})
LIST = object_schema({
    "id": WHOLE, "number": TEXT, "fonds": TEXT, "year": WHOLE, "state": {"enum": [state.value for state in ListState]},
    "reason": TEXT, "request": WHOLE, "compiled_by": TEXT, "compiled_at": TEXT,
    "items": {"type": "array", "items": TEXT}, "approvals": {"type": "array", "items": SIGNED},
    "witnesses": {"type": "array", "items": SIGNED}, "destroyed_at": NULLABLE_TEXT, "purged": {"type": "boolean"},
    "purged_at": NULLABLE_TEXT,
})
LIST_ID = {"name": "list_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}


def openapi_paths() -> dict:
    """This module's paths for the OpenAPI document."""
    compile_body = object_schema({"fonds": {**TEXT, "maxLength": 10}, "reason": {**TEXT, "maxLength": 1000},
                                  "items": {"type": "array", "items": {**TEXT, "maxLength": 60}, "maxItems": 100}},
                                 required=["fonds", "reason"])
    return {
        "/api/v1/destruction-lists": {
            "post": operation("Compile a destruction list (销毁清册) of items appraised for destruction", {
                "201": response(LIST, "compiled; its request waits for leadership"), **errors(401, 403, 404, 409, 422)},
                body=json_body(compile_body)),
            "get": operation("Destruction lists, newest first", {
                "200": response(object_schema({"lists": {"type": "array", "items": LIST}})), **errors(401, 403)}),
        },
        "/api/v1/destruction-lists/{list_id}": {"get": operation("A destruction list: state, items, signatures", {
            "200": response(LIST), **errors(401, 403, 404)}, [LIST_ID])},
        "/api/v1/destruction-lists/{list_id}/pdf": {"get": operation("The list as PDF: final once executed", {
            "200": response({"type": "string", "format": "binary"}, "PDF", "application/pdf"),
            **errors(401, 403, 404)}, [LIST_ID])},
        "/api/v1/destruction-lists/{list_id}/witnesses": {"post": operation(
            "Confirm as a witness (监销人) with one's own password; the second confirmation executes the list", {
                "200": response(LIST), **errors(401, 403, 404, 409, 422)}, [LIST_ID],
            body=json_body(object_schema({"password": {**TEXT, "maxLength": 200}})))},
    }
