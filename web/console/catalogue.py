"""Catalogue pages: the fonds, and one fonds' tree and items with filters and paging."""

import threading
import time

from flask import Blueprint, g, render_template, request

from appliance.domain.catalogue import ItemFilter, parse_item_order
from appliance.domain.errors import InvalidInputError
from appliance.domain.permissions import Action
from appliance.domain.retention import RETENTION_PERIODS
from appliance.services import fonds as fonds_service
from appliance.services.items import browse_fonds, catalogue_tree
from web.security import appliance, requires, signed_in

blueprint = Blueprint("catalogue", __name__, template_folder="templates")


@blueprint.get("/")
@signed_in
def index():
    principal = g.principal
    may_read = principal.may(Action.ITEM_READ)
    overview = fonds_service.fonds_overview(appliance().uow_factory, principal.scope) if may_read else None
    return render_template("console/index.html", overview=overview)


@blueprint.get("/fonds/<code>")
@requires(Action.ITEM_READ)
def fonds_items(code: str):
    item_filter = ItemFilter(code.upper(), _year(), _choice("retention", RETENTION_PERIODS), _text("department"))
    order = parse_item_order(request.args.get("order"))
    view = browse_fonds(appliance().uow_factory, item_filter, after=request.args.get("after") or None,
                        limit=appliance().config.catalogue.page_size, scope=g.principal.scope,
                        order=order)
    return render_template("console/fonds.html", fonds=view.fonds, page=view.page, filter=item_filter,
                           departments=view.departments, retentions=RETENTION_PERIODS, order=order,
                           tree=_cached_tree(view.fonds.code, g.principal.scope), active_path=_active_path(item_filter))


def _active_path(item_filter: ItemFilter) -> dict:
    """The tree node the filter shows, as its path: the one marked current."""
    values = {"year": item_filter.year, "retention": item_filter.retention, "department": item_filter.department}
    return {level: value for level, value in values.items() if value is not None}


TREE_SECONDS = 60  # counting a million items takes half a second; a minute-old count in the tree is good enough
_trees: dict = {}
_building = threading.Lock()


def _cached_tree(fonds_code: str, scope):
    """The tree from the cache; when it is over a minute old, one request rebuilds it while the others go on
    with the old one (a rebuild at a million items takes 0.5 s: nobody else should wait for it)."""
    key = (fonds_code, scope)
    cached = _trees.get(key)
    if cached is not None and time.monotonic() - cached[0] < TREE_SECONDS:
        return cached[1]
    if cached is not None and not _building.acquire(blocking=False):
        return cached[1]  # someone is rebuilding it
    if cached is None:
        _building.acquire()
    try:
        cached = _trees.get(key)
        if cached is not None and time.monotonic() - cached[0] < TREE_SECONDS:
            return cached[1]
        tree = catalogue_tree(appliance().uow_factory, fonds_code, scope)
        if len(_trees) > 256:
            _trees.clear()
        _trees[key] = (time.monotonic(), tree)
        return tree
    finally:
        _building.release()


def _year() -> int | None:
    text = request.args.get("year", "").strip()
    if not text:
        return None
    if not (text.isdigit() and len(text) == 4):
        raise InvalidInputError(f"year {text!r} must have 4 digits")
    return int(text)


def _choice(name: str, allowed) -> str | None:
    value = request.args.get(name, "").strip().upper()
    if value and value not in allowed:
        raise InvalidInputError(f"unknown {name} {value!r}")
    return value or None


def _text(name: str) -> str | None:
    return request.args.get(name, "").strip().upper() or None
