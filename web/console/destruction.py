"""Destruction lists (销毁清册): compile, approve through the inbox, witness, and the kept record."""

import zoneinfo

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext

from appliance.domain.destruction import ListState
from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from appliance.domain.permissions import Action
from appliance.services import destruction
from appliance.services.fonds import list_fonds
from web.api.v1.destruction import list_pdf_response, list_renderer
from web.console.forms import EmptyForm
from web.security import appliance, now, requires

blueprint = Blueprint("destruction", __name__, template_folder="templates")
REFUSALS = (InvalidInputError, ConflictError, ForbiddenError, NotFoundError)
LIST_STATES = {
    ListState.PENDING: lazy_gettext("Waiting for approval"),
    ListState.APPROVED: lazy_gettext("Approved, waiting for witnesses"),
    ListState.REJECTED: lazy_gettext("Rejected"),
    ListState.WITHDRAWN: lazy_gettext("Withdrawn"),
    ListState.DESTROYED: lazy_gettext("Destroyed"),
}


@blueprint.get("/destruction")
@requires(Action.DESTRUCTION_WITNESS)
def lists():
    box = appliance()
    may_compile = g.principal.may(Action.APPRAISAL_DECIDE)
    return render_template("console/destruction.html", lists=destruction.destruction_lists(box.uow_factory),
                           fonds=list_fonds(box.uow_factory) if may_compile else [], may_compile=may_compile,
                           list_state_label=_label, form=EmptyForm())


@blueprint.post("/destruction")
@requires(Action.APPRAISAL_DECIDE)
def compile_list():
    box = appliance()
    try:
        listed = destruction.compile_list(box.uow_factory, box.blob_store, g.principal, request.form.get("fonds", ""),
                                          request.form.get("reason", ""), now(), renderer=list_renderer(),
                                          zone=zoneinfo.ZoneInfo(box.config.web.timezone),
                                          policy=box.chain_policy)
    except REFUSALS as refused:
        flash(str(refused), "error")
        return redirect(url_for("destruction.lists"))
    flash(gettext("List %(number)s compiled: it waits for leadership's approval.", number=listed.number), "info")
    return redirect(url_for("destruction.details", list_id=listed.id))


@blueprint.get("/destruction/<int(max=2147483647):list_id>")
@requires(Action.DESTRUCTION_WITNESS)
def details(list_id: int):
    listed = destruction.show_list(appliance().uow_factory, list_id)
    return render_template("console/destruction_list.html", listed=listed, list_state_label=_label,
                           may_witness=_may_witness(listed), form=EmptyForm())


@blueprint.get("/destruction/<int(max=2147483647):list_id>/pdf")
@requires(Action.DESTRUCTION_WITNESS)
def pdf(list_id: int):
    return list_pdf_response(list_id)


@blueprint.post("/destruction/<int(max=2147483647):list_id>/witnesses")
@requires(Action.DESTRUCTION_WITNESS)
def confirm(list_id: int):
    box = appliance()
    try:
        listed = destruction.witness(box.uow_factory, box.passwords, g.principal, list_id,
                                     request.form.get("password", ""), now(), blob_store=box.blob_store,
                                     renderer=list_renderer(), lockout_policy=box.lockout_policy)
    except REFUSALS as refused:
        flash(str(refused), "error")
        return redirect(url_for("destruction.details", list_id=list_id))
    if listed.state is ListState.DESTROYED:
        flash(gettext("Confirmed: the items of list %(number)s are destroyed.", number=listed.number), "info")
    else:
        flash(gettext("Confirmed: list %(number)s waits for a second witness.", number=listed.number), "info")
    return redirect(url_for("destruction.details", list_id=list_id))


def _may_witness(listed) -> bool:
    """Whether to offer this person the witness form (the service checks again, and says why not)."""
    principal = g.principal
    excluded = {listed.compiled_by, *(approval.username for approval in listed.approvals),
                *(witness.username for witness in listed.witnesses)}
    return listed.state is ListState.APPROVED and principal.username not in excluded


def _label(state: ListState) -> str:
    return str(LIST_STATES[state])
