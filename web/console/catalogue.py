"""Catalogue pages: the fonds, and one fonds' items with filters and paging."""

from flask import Blueprint, current_app, render_template, request

from appliance.domain.catalogue import ItemFilter
from appliance.domain.errors import InvalidInputError
from appliance.domain.retention import RETENTION_PERIODS
from appliance.services import fonds as fonds_service
from appliance.services.items import list_items

blueprint = Blueprint("catalogue", __name__, template_folder="templates")


def _uow_factory():
    return current_app.extensions["dangan"].uow_factory


@blueprint.get("/")
def index():
    return render_template("console/index.html", overview=fonds_service.fonds_overview(_uow_factory()))


@blueprint.get("/fonds/<code>")
def fonds_items(code: str):
    fonds = fonds_service.get_fonds(_uow_factory(), code)
    item_filter = ItemFilter(fonds.code, _year(), _choice("retention", RETENTION_PERIODS), _text("department"))
    page = list_items(_uow_factory(), item_filter, after=request.args.get("after") or None,
                      limit=current_app.extensions["dangan"].config.catalogue.page_size)
    departments = fonds_service.list_departments(_uow_factory(), fonds.code)
    return render_template("console/fonds.html", fonds=fonds, page=page, filter=item_filter,
                           departments=departments, retentions=RETENTION_PERIODS)


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
