"""Related records over the API: an item's links both ways, adding and removing links by hand, and the graph around
an item as SVG (issue 8)."""

from flask import Blueprint, Response, g, jsonify, url_for

from appliance.adapters.link_graph_svg import render_graph_svg
from appliance.domain.citations import ItemLink, RelatedRecord, Relation
from appliance.domain.permissions import Action
from appliance.services.links import EDIT_LINKS, MAX_NOTE, add_link, link_graph, related_records, remove_link
from web.api.v1.bodies import json_object, text
from web.api.v1.schema import CODE_PARAMETER, TEXT, WHOLE, errors, json_body, object_schema, operation, response
from web.security import appliance, requires

blueprint = Blueprint("links_api", __name__, url_prefix="/api/v1")


@blueprint.get("/items/<code>/links")
@requires(Action.ITEM_READ)
def links_of(code: str):
    records = related_records(appliance().uow_factory, code, g.principal.scope)
    return jsonify({"links": [record_json(record) for record in records]})


@blueprint.post("/items/<code>/links")
@requires(EDIT_LINKS)
def add(code: str):
    body = json_object()
    link = add_link(appliance().uow_factory, g.principal, code, text(body, "item"), text(body, "relation"),
                    text(body, "note"))
    return jsonify(link_json(link)), 201


@blueprint.delete("/items/<code>/links/<int(max=2147483647):link_id>")
@requires(EDIT_LINKS)
def remove(code: str, link_id: int):
    remove_link(appliance().uow_factory, g.principal, code, link_id)
    return jsonify({"ok": True})


@blueprint.get("/items/<code>/links/graph.svg")
@requires(Action.ITEM_READ)
def graph(code: str):
    found = link_graph(appliance().uow_factory, code, g.principal.scope)
    svg = render_graph_svg(found, lambda archival_code: url_for("items.item_page", code=archival_code),
                           caption=f"Records related to {code}")
    return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + svg, mimetype="image/svg+xml")


def link_json(link: ItemLink) -> dict:
    return {"id": link.id, "relation": link.relation.value, "origin": link.origin.value,
            "evidence": link.evidence, "created_by": link.created_by, "created_at": link.created_at.isoformat()}


def record_json(record: RelatedRecord) -> dict:
    other = record.other
    return {**link_json(record.link), "direction": "outgoing" if record.outgoing else "incoming",
            "item": {"archival_code": other.archival_code, "title": other.title, "doc_number": other.doc_number,
                     "date": other.date}}


LINK = object_schema({"id": WHOLE, "relation": {"enum": [relation.value for relation in Relation]},
                      "origin": {"enum": ["auto", "manual"]}, "evidence": TEXT,
                      "created_by": {"type": ["string", "null"]}, "created_at": TEXT})
RELATED = object_schema({**LINK["properties"], "direction": {"enum": ["outgoing", "incoming"]},
                         "item": object_schema({"archival_code": TEXT, "title": TEXT, "doc_number": TEXT,
                                                "date": TEXT})})
LINK_ID = {"name": "link_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647}}


def openapi_paths() -> dict:
    """This module's paths for the OpenAPI document."""
    add_body = {"type": "object", "required": ["item", "relation"], "additionalProperties": False, "properties": {
        "item": {**TEXT, "description": "archival code of the related item; this item is the link's source"},
        "relation": {"enum": [relation.value for relation in Relation]},
        "note": {**TEXT, "maxLength": MAX_NOTE}}}
    return {
        "/api/v1/items/{code}/links": {
            "get": operation("The item's links both ways, to the items the principal may see", {
                "200": response(object_schema({"links": {"type": "array", "items": RELATED}})),
                **errors(401, 403, 404, 422)}, [CODE_PARAMETER]),
            "post": operation("Link the item to another by hand; 409 when they are linked so already", {
                "201": response(LINK), **errors(400, 401, 403, 404, 409, 422)}, [CODE_PARAMETER],
                json_body(add_body))},
        "/api/v1/items/{code}/links/{link_id}": {"delete": operation(
            "Remove a link made by hand; one found in the item's text stays (409)", {
                "200": response(object_schema({"ok": {"type": "boolean"}})),
                **errors(401, 403, 404, 409, 422)}, [CODE_PARAMETER, LINK_ID])},
        "/api/v1/items/{code}/links/graph.svg": {"get": operation(
            "The graph around the item, two links out, as SVG", {
                "200": {"description": "SVG", "content": {"image/svg+xml": {"schema": TEXT}}},
                **errors(401, 403, 404, 422)}, [CODE_PARAMETER])},
    }
