"""The appraisal pages: the expiry list with a decision per item, and legal holds."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext

from appliance.domain.appraisal import DEFAULT_KEEP_YEARS, MAX_KEEP_YEARS, decision_terms
from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from appliance.domain.holds import HoldScope
from appliance.domain.permissions import Action
from appliance.domain.retention import RETENTION_PERIODS
from appliance.services.appraisal import expiry_list, record_decisions
from appliance.services.fonds import list_fonds
from appliance.services.holds import list_holds, place_hold, release_hold
from web.console.forms import EmptyForm
from web.security import appliance, now, requires

blueprint = Blueprint("appraisal", __name__, template_folder="templates")
REFUSALS = (InvalidInputError, ConflictError, ForbiddenError, NotFoundError)
DECISION_LABELS = {"keep": lazy_gettext("Keep"), "extend": lazy_gettext("Extend retention"),
                   "destroy": lazy_gettext("To be destroyed")}


@blueprint.get("/appraisal")
@requires(Action.APPRAISAL_DECIDE)
def expiry():
    fonds, year = request.args.get("fonds", "").strip().upper(), _year(request.args.get("year"))
    listed, problem = None, None
    if fonds and year:
        try:
            listed = expiry_list(appliance().uow_factory, fonds, year, request.args.get("after") or None,
                                 scope=g.principal.scope)
        except (InvalidInputError, NotFoundError) as refused:
            problem = str(refused)
    elif fonds:
        problem = gettext("Give the year of the appraisal round as four digits.")
    return render_template("console/appraisal_expiry.html", listed=listed, problem=problem, fonds=fonds,
                           year=year or now().year, all_fonds=list_fonds(appliance().uow_factory),
                           retentions=RETENTION_PERIODS, decision_labels=DECISION_LABELS, form=EmptyForm(),
                           keep_years=DEFAULT_KEEP_YEARS, max_keep_years=MAX_KEEP_YEARS)


@blueprint.post("/appraisal/decisions")
@requires(Action.APPRAISAL_DECIDE)
def decide():
    fonds, year = request.form.get("fonds", "").strip().upper(), _year(request.form.get("year"))
    codes = request.form.getlist("items")
    try:
        if not codes:
            raise InvalidInputError(gettext("Tick the items the decision is for."))
        terms = decision_terms(request.form.get("decision", ""), request.form.get("reason", ""),
                               _whole(request.form.get("keep_years")), request.form.get("new_retention") or None)
        recorded = record_decisions(appliance().uow_factory, g.principal, fonds, year or 0, codes, terms, now())
    except REFUSALS as refused:
        flash(str(refused), "error")
    else:
        flash(gettext("Decision recorded for %(count)d items.", count=len(recorded)), "info")
    return redirect(url_for("appraisal.expiry", fonds=fonds or None, year=year))


@blueprint.get("/holds")
@requires(Action.HOLD_MANAGE)
def holds():
    listed = list_holds(appliance().uow_factory, g.principal)
    return render_template("console/holds.html", active=[hold for hold in listed if hold.active],
                           released=[hold for hold in listed if not hold.active], form=EmptyForm(),
                           all_fonds=list_fonds(appliance().uow_factory), retentions=RETENTION_PERIODS)


@blueprint.post("/holds")
@requires(Action.HOLD_MANAGE)
def place():
    form = request.form
    code = form.get("item", "").strip()
    try:
        target = code or HoldScope(form.get("fonds", ""), category=form.get("category") or None,
                                   year=_whole(form.get("year")), retention=form.get("retention") or None,
                                   department=form.get("department") or None)
        hold = place_hold(appliance().uow_factory, g.principal, target, form.get("reason", ""), now())
    except REFUSALS as refused:
        flash(str(refused), "error")
    else:
        flash(gettext("Legal hold %(number)d placed.", number=hold.id), "info")
    return redirect(url_for("appraisal.holds"))


@blueprint.post("/holds/<int(max=2147483647):hold_id>/release")
@requires(Action.HOLD_MANAGE)
def release(hold_id: int):
    try:
        release_hold(appliance().uow_factory, g.principal, hold_id, request.form.get("reason", ""), now())
    except REFUSALS as refused:
        flash(str(refused), "error")
    else:
        flash(gettext("Legal hold %(number)d released.", number=hold_id), "info")
    return redirect(url_for("appraisal.holds"))


def _year(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if len(text) == 4 and text.isdigit() else None


def _whole(text: str | None) -> int | None:
    """A whole number typed into a form; None when left empty. Raises InvalidInputError for anything else."""
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 6:
        raise InvalidInputError(gettext("%(text)s is not a whole number.", text=text))
    return int(text)
