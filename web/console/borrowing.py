"""Borrowing in the console: ask to use items, follow one's requests, view what is granted."""

import datetime
import re
from dataclasses import dataclass

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext

from appliance.domain.errors import ConflictError, DanganError, ForbiddenError, InvalidInputError, NotFoundError
from appliance.domain.permissions import Action
from appliance.domain.sessions import Principal
from appliance.domain.workflow import (
    MAX_BORROW_DAYS,
    MAX_REASON,
    BorrowForm,
    BorrowTerms,
    Decision,
    UsePurpose,
    ViewingGrant,
)
from appliance.services import borrowing, workflows
from appliance.services.borrowing import request_borrowing
from web.console.forms import EmptyForm
from web.errors import status_for
from web.security import appliance, now, requires

blueprint = Blueprint("borrowing", __name__, template_folder="templates")

PURPOSE_LABELS = {
    UsePurpose.WORK: lazy_gettext("Work reference"),
    UsePurpose.RESEARCH: lazy_gettext("Academic research"),
    UsePurpose.HISTORY: lazy_gettext("Compiling histories and gazetteers"),
    UsePurpose.ECONOMY: lazy_gettext("Economic development"),
    UsePurpose.EDUCATION: lazy_gettext("Publicity and education"),
    UsePurpose.EVIDENCE: lazy_gettext("Personal evidence"),
    UsePurpose.OTHER: lazy_gettext("Other purpose"),
}
FORM_LABELS = {
    BorrowForm.READ: lazy_gettext("Reading"),
    BorrowForm.EXCERPT: lazy_gettext("Excerpting"),
    BorrowForm.COPY: lazy_gettext("Copying"),
    BorrowForm.LEND: lazy_gettext("Lending the paper file"),
    BorrowForm.CERTIFY: lazy_gettext("Certifying a copy"),
}
CODE_SEPARATORS = re.compile(r"[\s,，;；、]+")
MAX_FORM_ITEMS = 200  # each code is looked up before asking; longer lists go through the API
DEFAULT_DAYS = 7


@dataclass(frozen=True)
class GrantLine:
    """A viewing grant as the borrower sees it: on which item, until when, whether it still lets them in."""

    code: str
    until: datetime.datetime
    in_force: bool
    lapsed: bool  # its time ran out (rather than access ending early)


@dataclass(frozen=True)
class BorrowingLine:
    view: workflows.RequestView
    titles: dict[str, str]
    grants: list[GrantLine]

    @property
    def terms(self) -> dict:
        return self.view.payload


@blueprint.get("/borrowing")
@requires(Action.BORROW_REQUEST)
def mine():
    return render_template("console/borrowing.html", lines=my_borrowings(g.principal, now()), form=EmptyForm(),
                           purposes=PURPOSE_LABELS, forms=FORM_LABELS)


@blueprint.get("/borrowing/new")
@requires(Action.BORROW_REQUEST)
def new():
    typed = {"items": request.args.get("items", "")[:MAX_REASON], "purpose_category": UsePurpose.WORK.value,
             "purpose": "", "form": BorrowForm.READ.value, "days": str(DEFAULT_DAYS)}
    return _form_page(typed, "")


@blueprint.post("/borrowing/new")
@requires(Action.BORROW_REQUEST)
def ask():
    typed = {name: request.form.get(name, "") for name in ("items", "purpose_category", "purpose", "form", "days")}
    typed |= {name: bool(request.form.get(name)) for name in ("may_download", "may_print")}
    try:
        codes, terms = _parse(typed)
        view = request_borrowing(appliance().uow_factory, g.principal, codes, terms, now(), appliance().chain_policy)
    except DanganError as refused:
        return _form_page(typed, str(refused)), status_for(refused)
    flash(gettext("Borrowing asked for as request %(number)d.", number=view.request.id), "info")
    return redirect(url_for("borrowing.mine"))


@blueprint.post("/borrowing/<int(max=2147483647):request_id>/withdraw")
@requires(Action.BORROW_REQUEST)
def withdraw(request_id: int):
    try:
        workflows.decide_request(appliance().uow_factory, g.principal, request_id, Decision.WITHDRAW, "", now())
    except ConflictError as refused:
        flash(str(refused), "error")
    except (ForbiddenError, NotFoundError):  # one answer for both: whose requests exist is not told
        flash(gettext("Request %(number)d is not one of yours to withdraw.", number=request_id), "error")
    else:
        flash(gettext("Request %(number)d withdrawn.", number=request_id), "info")
    return redirect(url_for("borrowing.mine"))


def my_borrowings(principal: Principal, moment: datetime.datetime) -> list[BorrowingLine]:
    """The principal's borrowing requests, newest first, with the items' titles and the grants they gave."""
    box = appliance()
    grants = {}
    for grant in borrowing.grants_of(box.uow_factory, principal):
        grants.setdefault(grant.request_id, []).append(_line(grant, moment))
    return [BorrowingLine(view, _titles(principal, view.items), grants.get(view.request.id, []))
            for view in borrowing.borrowing_requests_of(box.uow_factory, principal)]


def viewing_grant(principal: Principal, code: str, moment: datetime.datetime) -> GrantLine | None:
    """The latest viewing grant the principal's borrowing gave them on the item, in force or not; None if none."""
    try:
        grants = borrowing.grants_of(appliance().uow_factory, principal, code)
    except (InvalidInputError, NotFoundError):
        return None
    lines = [_line(grant, moment) for grant in grants]
    return max(lines, key=lambda line: (line.in_force, line.until), default=None)


def _line(grant: ViewingGrant, moment: datetime.datetime) -> GrantLine:
    in_force = grant.in_force(moment)
    ended = grant.ended_at or (None if in_force else grant.expires_at)
    return GrantLine(grant.item_code, grant.expires_at, in_force, ended is not None and ended >= grant.expires_at)


def _titles(principal: Principal, codes: list[str]) -> dict[str, str]:
    titles = {}
    for code in codes:
        try:
            titles[code] = workflows.require_visible_item(appliance().uow_factory, code, principal.scope).fields.title
        except NotFoundError:  # out of sight since it was asked for (a changed clearance)
            titles[code] = ""
    return titles


def _form_page(typed: dict, error: str) -> str:
    return render_template("console/borrowing_new.html", typed=typed, error=error, form=EmptyForm(),
                           purposes=PURPOSE_LABELS, forms=FORM_LABELS, most_days=MAX_BORROW_DAYS)


def _parse(typed: dict) -> tuple[list[str], BorrowTerms]:
    """The codes and terms of the form; raises InvalidInputError or NotFoundError with a message for the form."""
    category = _choice(UsePurpose, typed["purpose_category"], gettext("Choose a purpose from the list."))
    form = _choice(BorrowForm, typed["form"], gettext("Choose a form of use from the list."))
    if not typed["purpose"].strip():
        raise InvalidInputError(gettext("Say in words what the use is for."))
    days = _days(typed["days"])
    codes = _codes(typed["items"])
    return codes, BorrowTerms(typed["purpose"], form, days, typed["may_download"], typed["may_print"], category)


def _choice(kind, value: str, message: str):
    try:
        return kind(value)
    except ValueError:
        raise InvalidInputError(message) from None


def _days(text: str) -> int:
    try:
        days = int(text.strip())
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_BORROW_DAYS:
        raise InvalidInputError(gettext("A use lasts from 1 to %(most)d days.", most=MAX_BORROW_DAYS))
    return days


def _codes(text: str) -> list[str]:
    """The archival codes typed, each one the person may see; an unknown code and a hidden one read the same."""
    codes = [code for code in CODE_SEPARATORS.split(text) if code]
    if not codes:
        raise InvalidInputError(gettext("Name at least one item by its archival code."))
    if len(codes) > MAX_FORM_ITEMS:
        raise InvalidInputError(gettext("At most %(most)d items in one request.", most=MAX_FORM_ITEMS))
    for code in codes:
        try:
            workflows.require_visible_item(appliance().uow_factory, code, g.principal.scope)
        except InvalidInputError:
            raise InvalidInputError(gettext("%(code)s is not an archival code.", code=code)) from None
        except NotFoundError:
            raise NotFoundError(gettext("There is no item %(code)s among those open to you.", code=code)) from None
    return codes
