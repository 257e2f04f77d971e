"""Physical loans and the use register over the API: issue, renew, return, overdue, register, statistics."""

import datetime
import zoneinfo

from flask import Blueprint, Response, g, jsonify, request

from appliance.adapters.register_xlsx import write_register
from appliance.domain.errors import InvalidInputError
from appliance.domain.loans import Loan, UseCount, UseRecord, UseStatistics, WaitingItem
from appliance.domain.permissions import Action
from appliance.services import loans, use_register
from web.api.v1.bodies import date_arg, iso, json_object
from web.api.v1.schema import NULLABLE_TEXT, TEXT, WHOLE, errors, json_body, object_schema, operation, query, response
from web.security import appliance, now, requires

blueprint = Blueprint("loans_api", __name__, url_prefix="/api/v1")
LARGEST_ID = 2_147_483_647
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LISTS = {"open": loans.open_loans, "overdue": loans.overdue_loans}


@blueprint.post("/loans")
@requires(Action.LOAN_ISSUE)
def issue():
    request_id = _whole(json_object().get("request"), "request", 1, LARGEST_ID)
    issued = loans.issue_loans(appliance().uow_factory, g.principal, request_id, now())
    return jsonify({"loans": [loan_json(loan, now()) for loan in issued]}), 201


@blueprint.get("/loans")
@requires(Action.BORROW_REQUEST)  # one's own loans; the desk's lists need LOAN_ISSUE, which the service asks
def list_loans():
    state = request.args.get("state", "mine")
    box, moment = appliance(), now()
    if state == "waiting":
        waiting = loans.waiting_to_issue(box.uow_factory, g.principal, moment)
        return jsonify({"state": state, "waiting": [waiting_json(entry) for entry in waiting]})
    if state == "mine":
        found = loans.loans_of(box.uow_factory, g.principal)
    elif state in LISTS:
        found = LISTS[state](box.uow_factory, g.principal, moment)
    else:
        raise InvalidInputError(f"unknown state {state!r} (known: open, overdue, waiting, mine)")
    return jsonify({"state": state, "loans": [loan_json(loan, moment) for loan in found]})


@blueprint.post("/loans/<int(max=2147483647):loan_id>/renewals")
@requires(Action.LOAN_ISSUE)
def renew(loan_id: int):
    days = _whole(json_object().get("days"), "days", 1, 366)
    return jsonify(loan_json(loans.renew_loan(appliance().uow_factory, g.principal, loan_id, days, now()), now()))


@blueprint.post("/loans/<int(max=2147483647):loan_id>/return")
@requires(Action.LOAN_ISSUE)
def take_back(loan_id: int):
    body = json_object()
    pages = _whole(body.get("pages_counted"), "pages_counted", 0, 100_000)
    altered, note = body.get("altered", False), body.get("note", "")
    if not isinstance(altered, bool) or not isinstance(note, str):
        raise InvalidInputError("altered is true or false, note is text")
    returned = loans.return_loan(appliance().uow_factory, g.principal, loan_id, pages, altered, note, now())
    return jsonify(loan_json(returned, now()))


@blueprint.get("/register")
@requires(Action.REPORTS_VIEW)
def register():
    start, end = _period()
    rows = use_register.register_rows(appliance().uow_factory, g.principal, start, end, _zone())
    return jsonify({"from": start.isoformat(), "to": end.isoformat(), "rows": [record_json(row) for row in rows]})


@blueprint.get("/register.xlsx")
@requires(Action.REPORTS_VIEW)
def register_xlsx():
    start, end = _period()
    data = use_register.export_register_xlsx(appliance().uow_factory, g.principal, start, end, write_register,
                                             _zone())
    name = f"use-register-{start.isoformat()}-{end.isoformat()}.xlsx"
    return Response(data, mimetype=XLSX_TYPE, headers={"Content-Disposition": f"attachment; filename={name}"})


@blueprint.get("/statistics/use")
@requires(Action.REPORTS_VIEW)
def statistics():
    text = request.args.get("year")
    if text is not None and not (text.isascii() and text.isdigit() and len(text) == 4):
        raise InvalidInputError(f"year must be 4 digits, not {text[:20]!r}")
    year = int(text) if text is not None else now().astimezone(_zone()).year
    found = use_register.annual_statistics(appliance().uow_factory, g.principal, year, now(), _zone())
    return jsonify(statistics_json(found))


def loan_json(loan: Loan, moment: datetime.datetime) -> dict:
    return {"id": loan.id, "request": loan.request_id, "item": loan.item_code, "title": loan.item_title,
            "pages": loan.item_pages, "borrower": loan.borrower, "borrower_name": loan.borrower_name,
            "issued_by": loan.issued_by, "issued_at": loan.issued_at.isoformat(), "due_at": loan.due_at.isoformat(),
            "renewals": loan.renewals, "days_overdue": loan.days_overdue(moment), "returned_at": iso(loan.returned_at),
            "received_by": loan.received_by, "pages_counted": loan.pages_counted,
            "return_check": loan.return_check.value if loan.return_check else None, "return_note": loan.return_note}


def waiting_json(entry: WaitingItem) -> dict:
    return {"request": entry.request_id, "borrower": entry.borrower, "borrower_name": entry.borrower_name,
            "approved_at": entry.approved_at.isoformat(), "days": entry.days, "item": entry.item_code,
            "title": entry.item_title, "pages": entry.item_pages}


def record_json(row: UseRecord) -> dict:
    return {"request": row.request_id, "approved_at": row.approved_at.isoformat(), "borrower": row.borrower,
            "borrower_name": row.borrower_name, "purpose_category": row.purpose_category, "purpose": row.purpose,
            "form": row.form, "item": row.item_code, "title": row.item_title, "pages": row.item_pages,
            "department": row.department, "approvers": list(row.approvers), "days": row.days,
            "until": row.use_until.isoformat(), "issued_at": iso(row.issued_at), "returned_at": iso(row.returned_at),
            "return_check": row.return_check, "pages_counted": row.pages_counted,
            "grant_expires_at": iso(row.grant_expires_at)}


def statistics_json(found: UseStatistics) -> dict:
    def counts(table: dict[str, UseCount]) -> list[dict]:
        return [{"key": key, "requests": count.requests, "items": count.items} for key, count in table.items()]

    return {"year": found.year, "by_purpose": counts(found.by_purpose), "by_form": counts(found.by_form),
            "by_department": counts(found.by_department), "department_names": found.department_names,
            "total": {"requests": found.total.requests, "items": found.total.items},
            "loans_overdue": found.loans_overdue, "return_discrepancies": found.return_discrepancies}


def _period() -> tuple[datetime.date, datetime.date]:
    """from and to (YYYY-MM-DD, both included); by default this year so far."""
    today = now().astimezone(_zone()).date()
    return date_arg("from", today.replace(month=1, day=1)), date_arg("to", today)


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(appliance().config.web.timezone)


def _whole(value, name: str, lowest: int, highest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
        raise InvalidInputError(f"{name} must be a whole number from {lowest} to {highest}")
    return value


def openapi_paths() -> dict:
    """This module's paths for the OpenAPI document."""
    loan = object_schema({
        "id": WHOLE, "request": WHOLE, "item": TEXT, "title": TEXT, "pages": WHOLE, "borrower": TEXT,
        "borrower_name": TEXT, "issued_by": TEXT, "issued_at": TEXT, "due_at": TEXT, "renewals": WHOLE,
        "days_overdue": WHOLE, "returned_at": NULLABLE_TEXT, "received_by": NULLABLE_TEXT,
        "pages_counted": {"type": ["integer", "null"]},
        "return_check": {"enum": ["intact", "pages_missing", "altered", None]}, "return_note": TEXT})
    waiting = object_schema({"request": WHOLE, "borrower": TEXT, "borrower_name": TEXT, "approved_at": TEXT,
                             "days": WHOLE, "item": TEXT, "title": TEXT, "pages": WHOLE})
    row = object_schema({
        "request": WHOLE, "approved_at": TEXT, "borrower": TEXT, "borrower_name": TEXT, "purpose_category": TEXT,
        "purpose": TEXT, "form": TEXT, "item": TEXT, "title": TEXT, "pages": WHOLE, "department": TEXT,
        "approvers": {"type": "array", "items": TEXT}, "days": WHOLE, "until": TEXT, "issued_at": NULLABLE_TEXT,
        "returned_at": NULLABLE_TEXT, "return_check": NULLABLE_TEXT, "pages_counted": {"type": ["integer", "null"]},
        "grant_expires_at": NULLABLE_TEXT})
    counts = {"type": "array", "items": object_schema({"key": TEXT, "requests": WHOLE, "items": WHOLE})}
    loan_id = {"name": "loan_id", "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 0, "maximum": LARGEST_ID}}
    period = [query("from", {"type": "string", "format": "date"}, "first day (YYYY-MM-DD), by approval date"),
              query("to", {"type": "string", "format": "date"}, "last day, included")]
    return {
        "/api/v1/loans": {
            "post": operation("Hand out the paper files of an approved lending request (not to oneself)", {
                "201": response(object_schema({"loans": {"type": "array", "items": loan}})),
                **errors(400, 401, 403, 404, 409, 422)},
                body=json_body(object_schema({"request": {"type": "integer", "minimum": 1,
                                                          "maximum": LARGEST_ID}}))),
            "get": operation("Loans: one's own (mine), or the desk's lists (open, overdue, waiting to issue)", {
                "200": response(object_schema({"state": TEXT, "loans": {"type": "array", "items": loan},
                                               "waiting": {"type": "array", "items": waiting}}, required=["state"])),
                **errors(401, 403, 422)},
                [query("state", {"enum": ["open", "overdue", "waiting", "mine"]}, "which loans (default mine)")])},
        "/api/v1/loans/{loan_id}/renewals": {"post": operation(
            "Renew a loan by up to its first period; at most twice", {
                "200": response(loan), **errors(400, 401, 403, 404, 409, 422)}, [loan_id],
            json_body(object_schema({"days": {"type": "integer", "minimum": 1, "maximum": 90}})))},
        "/api/v1/loans/{loan_id}/return": {"post": operation(
            "Take a file back with the return check: pages counted, altered (with a note)", {
                "200": response(loan), **errors(400, 401, 403, 404, 409, 422)}, [loan_id],
            json_body(object_schema({"pages_counted": {"type": "integer", "minimum": 0}, "altered": {"type": "boolean"},
                                     "note": TEXT}, required=["pages_counted"])))},
        "/api/v1/register": {"get": operation("The use register (利用登记) of a period: a row per item used", {
            "200": response(object_schema({"from": TEXT, "to": TEXT, "rows": {"type": "array", "items": row}})),
            **errors(401, 403, 422)}, period)},
        "/api/v1/register.xlsx": {"get": operation("The use register of a period as an xlsx workbook (audited)", {
            "200": response({"type": "string", "format": "binary"}, "xlsx", XLSX_TYPE), **errors(401, 403, 422)},
            period)},
        "/api/v1/statistics/use": {"get": operation("A year's use by purpose, form and department, with totals", {
            "200": response(object_schema({
                "year": WHOLE, "by_purpose": counts, "by_form": counts, "by_department": counts,
                "department_names": {"type": "object", "additionalProperties": TEXT},
                "total": object_schema({"requests": WHOLE, "items": WHOLE}), "loans_overdue": WHOLE,
                "return_discrepancies": WHOLE})), **errors(401, 403, 422)},
            [query("year", {"type": "integer", "minimum": 1900, "maximum": 9998}, "the year (default this one)")])},
    }
