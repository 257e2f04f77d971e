"""The audit administrator's pages: search and filter the audit log, export it, verify the chain with one click."""

import datetime
import tempfile
from pathlib import Path

from flask import Blueprint, Response, g, render_template, request, send_file

from appliance.adapters.db.audit_search_repository import AuditSearchRepository
from appliance.adapters.tables import write_xlsx
from appliance.domain.audit_query import RESULTS, EventQuery, parse_before
from appliance.domain.permissions import Action
from appliance.services import audit_search
from web.security import appliance, requires

blueprint = Blueprint("audit", __name__, template_folder="templates")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _query() -> EventQuery:
    return EventQuery.from_form(request.args, appliance().config.web.timezone)


@blueprint.get("/audit")
@requires(Action.AUDIT_READ)
def events():
    query = _query()
    page = audit_search.search_events(appliance().uow_factory, query, parse_before(request.args.get("before")),
                                      searcher=AuditSearchRepository)
    return render_template("console/audit.html", query=query, page=page, results=RESULTS,
                           paged=bool(request.args.get("before")),
                           csv_maximum=audit_search.MAX_CSV_EVENTS, xlsx_maximum=audit_search.MAX_XLSX_EVENTS)


@blueprint.post("/audit/verify")
@requires(Action.AUDIT_VERIFY)
def verify():
    # The CSRF token is checked for every POST before any view runs (web.security).
    report = audit_search.verify_and_record(appliance().uow_factory, g.principal.actor)
    return render_template("console/audit_verify.html", report=report)


@blueprint.get("/audit/export.csv")
@requires(Action.AUDIT_EXPORT)
def export_csv():
    chunks = audit_search.export_csv(appliance().uow_factory, g.principal.actor, _query(),
                                     searcher=AuditSearchRepository)
    disposition = f'attachment; filename="{_file_stem()}.csv"'
    return Response(chunks, mimetype="text/csv", headers={"Content-Disposition": disposition})


@blueprint.get("/audit/export.xlsx")
@requires(Action.AUDIT_EXPORT)
def export_xlsx():
    # Deleted when closed: send_file closes it once the response is sent, or the error path below does.
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - it outlives this function
    try:
        audit_search.export_xlsx(appliance().uow_factory, g.principal.actor, _query(), Path(handle.name), write_xlsx,
                                 searcher=AuditSearchRepository)
    except BaseException:
        handle.close()
        raise
    return send_file(handle, mimetype=XLSX_TYPE, as_attachment=True, download_name=f"{_file_stem()}.xlsx")


def _file_stem() -> str:
    return "audit-log-" + datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
