"""The console's assistance: keywords offered as tags on the item page, and how filing suggestions fare (issue 8).

The item page includes console/_item_keywords.html, which asks `item_keywords(item)` for its data: this module owns
the section, so the item page's view need not know about keywords.
"""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext

from appliance.domain.errors import ConflictError, InvalidInputError
from appliance.domain.permissions import Action
from appliance.services.filing_suggestions import acceptance_rates
from appliance.services.keywords import ItemTags, add_tag, decide_keyword, item_tags
from web.console.forms import EmptyForm
from web.security import appliance, current_principal, now, requires

blueprint = Blueprint("assistance", __name__, template_folder="templates")
REFUSALS = (InvalidInputError, ConflictError)  # shown on the item page; forbidden and not found are 403 and 404
FIELD_LABELS = {"department": lazy_gettext("Department"), "retention": lazy_gettext("Retention"),
                "title": lazy_gettext("Title"), "doc_number": lazy_gettext("Document number"),
                "date": lazy_gettext("Date"), "responsible": lazy_gettext("Responsible"), "year": lazy_gettext("Year")}


@blueprint.app_template_global()
def item_keywords(item) -> ItemTags:
    """The tags section of an item's page, for the person looking at it."""
    return item_tags(appliance().uow_factory, current_principal(), item.archival_code)


@blueprint.app_template_global()
def suggestion_field_label(field: str) -> str:
    return str(FIELD_LABELS.get(field, field))


@blueprint.post("/items/<code>/tags/<decision>")
@requires(Action.ITEM_EDIT_INTAKE)  # tags on archived items too (enrichment); the service refuses destroyed ones
def decide(code: str, decision: str):
    if decision not in ("accept", "dismiss", "add"):
        return _back(code, gettext("Unknown decision."))
    if not EmptyForm().validate_on_submit():
        return _back(code, gettext("The form had expired: try again."))
    try:
        if decision == "add":
            add_tag(appliance().uow_factory, g.principal, code, request.form.get("keyword", ""), now())
        else:
            decide_keyword(appliance().uow_factory, g.principal, code, request.form.get("keyword", ""), decision,
                           now())
    except REFUSALS as refused:
        return _back(code, str(refused))
    flash(gettext("Tags saved."), "info")
    return redirect(url_for("items.item_page", code=code, _anchor="tags"))


def _back(code: str, message: str):
    flash(message, "error")
    return redirect(url_for("items.item_page", code=code, _anchor="tags"))


@blueprint.get("/assistance")
@requires(Action.INTAKE_VIEW)
def acceptance():
    return render_template("console/assistance.html", rates=acceptance_rates(appliance().uow_factory))
