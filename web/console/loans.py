"""The loan desk: physical files issued, renewed, returned and checked; the use register and its statistics."""

import datetime
import zoneinfo

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext

from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from appliance.domain.loans import MAX_RENEWALS
from appliance.domain.permissions import Action
from appliance.services import loans, use_register
from web.console.forms import EmptyForm
from web.security import appliance, now, requires

blueprint = Blueprint("loans", __name__, template_folder="templates")
REFUSALS = (InvalidInputError, ConflictError, ForbiddenError, NotFoundError)
LABELS = {
    "work": lazy_gettext("Work reference"), "research": lazy_gettext("Research"),
    "history": lazy_gettext("Compiling history and gazetteers"), "economy": lazy_gettext("Economic development"),
    "education": lazy_gettext("Publicity and education"), "evidence": lazy_gettext("Personal evidence"),
    "other": lazy_gettext("Other"),
    "read": lazy_gettext("Reading"), "excerpt": lazy_gettext("Excerpting"), "copy": lazy_gettext("Copying"),
    "lend": lazy_gettext("Lending"), "certify": lazy_gettext("Certifying"),
    "intact": lazy_gettext("Intact"), "pages_missing": lazy_gettext("Page count differs"),
    "altered": lazy_gettext("Altered"),
}  # purposes (利用目的), forms (利用方式) and return checks, in the reader's language


@blueprint.get("/loans")
@requires(Action.LOAN_ISSUE)
def desk():
    box, moment = appliance(), now()
    return render_template("console/loans.html", moment=moment, form=EmptyForm(), max_renewals=MAX_RENEWALS,
                           waiting=loans.waiting_to_issue(box.uow_factory, g.principal, moment),
                           out=loans.open_loans(box.uow_factory, g.principal, moment))


@blueprint.post("/loans/requests/<int(max=2147483647):request_id>/issue")
@requires(Action.LOAN_ISSUE)
def issue(request_id: int):
    try:
        issued = loans.issue_loans(appliance().uow_factory, g.principal, request_id, now())
    except REFUSALS as refused:
        flash(str(refused), "error")
    else:
        flash(gettext("Request %(number)d: %(count)d files handed out.", number=request_id, count=len(issued)),
              "info")
    return redirect(url_for("loans.desk"))


@blueprint.post("/loans/<int(max=2147483647):loan_id>/renew")
@requires(Action.LOAN_ISSUE)
def renew(loan_id: int):
    try:
        days = _number(request.form.get("days", ""), gettext("Days"))
        renewed = loans.renew_loan(appliance().uow_factory, g.principal, loan_id, days, now())
    except REFUSALS as refused:
        flash(str(refused), "error")
    else:
        flash(gettext("Loan %(number)d renewed.", number=renewed.id), "info")
    return redirect(url_for("loans.desk"))


@blueprint.post("/loans/<int(max=2147483647):loan_id>/return")
@requires(Action.LOAN_ISSUE)
def take_back(loan_id: int):
    try:
        pages = _number(request.form.get("pages_counted", ""), gettext("Pages counted"))
        returned = loans.return_loan(appliance().uow_factory, g.principal, loan_id, pages,
                                     request.form.get("altered") == "yes", request.form.get("note", ""), now())
    except REFUSALS as refused:
        flash(str(refused), "error")
    else:
        intact = returned.return_check.value == "intact"
        flash(gettext("Loan %(number)d returned intact.", number=loan_id) if intact else
              gettext("Loan %(number)d returned with a discrepancy; the desk was told.", number=loan_id),
              "info" if intact else "error")
    return redirect(url_for("loans.desk"))


@blueprint.get("/register")
@requires(Action.REPORTS_VIEW)
def register():
    zone = zoneinfo.ZoneInfo(appliance().config.web.timezone)
    today = now().astimezone(zone).date()
    start = _day(request.args.get("from"), today.replace(day=1))
    end = _day(request.args.get("to"), today)
    year = _year(request.args.get("year"), today.year)
    box, rows, statistics = appliance(), [], None
    try:
        rows = use_register.register_rows(box.uow_factory, g.principal, start, end, zone)
        statistics = use_register.annual_statistics(box.uow_factory, g.principal, year, now(), zone)
    except InvalidInputError as refused:
        flash(str(refused), "error")
    return render_template("console/register.html", start=start, end=end, year=year, rows=rows,
                           statistics=statistics, labels=LABELS)


def _number(text: str, name: str) -> int:
    if not text.strip().isdigit():
        raise InvalidInputError(gettext("%(name)s: give a whole number.", name=name))
    return int(text.strip())


def _day(text: str | None, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text) if text else default
    except ValueError:
        flash(gettext("Dates are written YYYY-MM-DD."), "error")
        return default


def _year(text: str | None, default: int) -> int:
    if text and text.isascii() and text.isdigit() and len(text) == 4:
        return int(text)
    return default
