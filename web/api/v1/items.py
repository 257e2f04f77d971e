"""Items over the API: list and filter with keyset paging, read one, edit one in intake, its watermarked pages."""

from flask import Blueprint, Response, g, jsonify, request

from appliance.domain.catalogue import Item, ItemFilter, ItemState, parse_item_order
from appliance.domain.errors import InvalidInputError
from appliance.domain.permissions import Action
from appliance.domain.retention import RETENTION_PERIODS
from appliance.services import fonds as fonds_service
from appliance.services import item_editing, viewing
from appliance.services.items import list_items, show_item
from web.api.v1.bodies import whole_number_arg
from web.security import appliance, now, requires, requires_content

blueprint = Blueprint("items_api", __name__, url_prefix="/api/v1")
MAX_LIMIT = 200


@blueprint.get("/fonds")
@requires(Action.ITEM_READ)
def fonds_list():
    overview = fonds_service.fonds_overview(appliance().uow_factory, g.principal.scope)
    return jsonify({"fonds": [{"code": fonds.code, "name": fonds.name, "scheme": fonds.scheme.value, "items": count}
                              for fonds, count in overview]})


@blueprint.get("/items")
@requires(Action.ITEM_READ)
def items_list():
    item_filter = _item_filter()
    limit = whole_number_arg("limit", 50, 1, MAX_LIMIT)
    page = list_items(appliance().uow_factory, item_filter, request.args.get("after") or None, limit,
                      g.principal.scope, parse_item_order(request.args.get("order")))
    return jsonify({"items": [item_json(item) for item in page.items], "next_after": page.next_position})


@blueprint.get("/items/<code>")
@requires(Action.ITEM_READ)
def item_get(code: str):
    view = show_item(appliance().uow_factory, code, g.principal.scope)
    body = item_json(view.item)
    if g.principal.may(Action.ITEM_VIEW_CONTENT):
        body["page_images"] = [{"number": number, "sha256": page.sha256, "size": page.size,
                                "media_type": page.media_type} for number, page in enumerate(view.pages, 1)]
    return jsonify(body)


@blueprint.patch("/items/<code>")
@requires(Action.ITEM_EDIT_INTAKE)
def item_edit(code: str):
    changes = request.get_json(silent=True)
    if not isinstance(changes, dict):
        raise InvalidInputError("the request body must be a JSON object of the fields to change")
    item = item_editing.edit_intake_item(appliance().uow_factory, g.principal.actor, code, changes,
                                         g.principal.scope)
    return jsonify(item_json(item))


@blueprint.get("/items/<code>/pages/<int(max=2147483647):number>")
@requires_content
def item_page_image(code: str, number: int):
    box = appliance()
    image = viewing.view_page(box.uow_factory, box.blob_store, box.imaging, g.principal, code, number, now())
    return Response(image, mimetype="image/jpeg", headers={"Cache-Control": "no-store, private"})


def item_json(item: Item) -> dict:
    fields = item.fields
    return {"archival_code": item.archival_code, "fonds": item.code.fonds, "category": item.code.category,
            "year": item.code.year, "retention": item.code.retention, "department": item.code.department,
            "item_number": item.code.item_number, "title": fields.title, "supplied_title": fields.supplied_title,
            "date": fields.date, "responsible": fields.responsible, "doc_number": fields.doc_number,
            "access_label": fields.access_label.value, "pages": fields.pages, "notes": fields.notes,
            "state": item.state.value, "created_at": item.created_at}


def _item_filter() -> ItemFilter:
    fonds = request.args.get("fonds", "").strip().upper()
    if not fonds:
        raise InvalidInputError("name the fonds: ?fonds=Z109")
    retention = request.args.get("retention", "").strip().upper() or None
    if retention is not None and retention not in RETENTION_PERIODS:
        raise InvalidInputError(f"unknown retention {retention!r}")
    state = request.args.get("state", "").strip() or None
    if state is not None and state not in {s.value for s in ItemState}:
        raise InvalidInputError(f"unknown state {state!r}")
    year = whole_number_arg("year", None, 1000, 9999)
    return ItemFilter(fonds, year, retention, request.args.get("department", "").strip().upper() or None,
                      request.args.get("category", "").strip().upper() or None, ItemState(state) if state else None)
