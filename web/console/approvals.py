"""The approvals inbox: what waits for the person's decision, what they asked for; and asking for archiving."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from appliance.domain.permissions import Action
from appliance.domain.workflow import Decision
from appliance.services import workflows
from appliance.services.archiving import request_archiving
from appliance.services.corrections import request_correction
from web.console.forms import EmptyForm
from web.security import appliance, now, requires, signed_in

blueprint = Blueprint("approvals", __name__, template_folder="templates")
REFUSALS = (InvalidInputError, ConflictError, ForbiddenError)


@blueprint.get("/approvals")
@signed_in
def inbox():
    box = workflows.inbox(appliance().uow_factory, g.principal)
    return render_template("console/approvals.html", inbox=box, form=EmptyForm())


@blueprint.post("/approvals/<int(max=2147483647):request_id>")
@signed_in
def decide(request_id: int):
    try:
        decision = Decision(request.form.get("decision", ""))
        workflows.decide_request(appliance().uow_factory, g.principal, request_id, decision,
                                 request.form.get("reason", ""), now())
    except ValueError:
        flash(gettext("Choose approve, reject or withdraw."), "error")
    except REFUSALS as refused:
        flash(str(refused), "error")
    else:
        flash(gettext("Request %(number)d: done.", number=request_id), "info")
    return redirect(url_for("approvals.inbox"))


@blueprint.post("/items/<code>/archive")
@requires(Action.ARCHIVE_REQUEST)
def ask_archiving(code: str):
    try:
        box = appliance()
        view = request_archiving(box.uow_factory, box.blob_store, box.image_problem, g.principal, [code],
                                 request.form.get("reason", ""), now(), box.chain_policy)
    except REFUSALS + (NotFoundError,) as refused:
        flash(str(refused), "error")
        return redirect(url_for("items.item_page", code=code))
    flash(gettext("Archiving asked for as request %(number)d.", number=view.request.id), "info")
    return redirect(url_for("approvals.inbox"))


CORRECTABLE_FIELDS = ("title", "date", "responsible", "doc_number", "notes")


@blueprint.post("/items/<code>/correction")
@requires(Action.CORRECTION_REQUEST)
def ask_correction(code: str):
    box = appliance()
    try:
        current = workflows.require_visible_item(box.uow_factory, code, g.principal.scope).fields
        changes = {name: request.form[name] for name in CORRECTABLE_FIELDS
                   if name in request.form and request.form[name] != str(getattr(current, name))}
        view = request_correction(box.uow_factory, g.principal, code, changes, request.form.get("reason", ""), now(),
                                  box.chain_policy)
    except REFUSALS + (NotFoundError,) as refused:
        flash(str(refused), "error")
        return redirect(url_for("items.item_page", code=code))
    flash(gettext("Correction asked for as request %(number)d.", number=view.request.id), "info")
    return redirect(url_for("approvals.inbox"))
