"""Reports over the API: each dashboard figure as JSON or xlsx, and the annual statistics (年度档案工作统计) as JSON
or xlsx. Counts cover what the caller may see; exports are audited."""

import zoneinfo

from flask import Blueprint, Response, g, jsonify, request

from appliance.adapters.report_xlsx import write_figures
from appliance.domain.errors import InvalidInputError
from appliance.domain.permissions import Action
from appliance.services import annual_report, reports
from appliance.services.report_figures import Figure
from web.api.v1.bodies import date_arg
from web.api.v1.schema import NULLABLE_TEXT, TEXT, WHOLE, errors, object_schema, operation, query, response
from web.security import appliance, now, requires

blueprint = Blueprint("reports_api", __name__, url_prefix="/api/v1")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blueprint.get("/reports/<name>")
@requires(Action.REPORTS_VIEW)
def figure(name: str):
    period = _period()
    found = reports.figure(appliance().uow_factory, g.principal, name, period, now(), _zone())
    return jsonify({"from": period.start.isoformat(), "to": period.end.isoformat(), "fonds": period.fonds,
                    **figure_json(found)})


@blueprint.get("/reports/<name>.xlsx")
@requires(Action.REPORTS_VIEW)
def figure_xlsx(name: str):
    period = _period()
    data = reports.export_xlsx(appliance().uow_factory, g.principal, [name], period, now(), write_figures, _zone())
    return _download(data, f"report-{name}-{period.start.isoformat()}-{period.end.isoformat()}.xlsx")


@blueprint.get("/reports/annual")
@requires(Action.REPORTS_VIEW)
def annual():
    year, fonds = _year(), _period().fonds
    found = annual_report.annual_report(appliance().uow_factory, g.principal, year, fonds, _zone())
    return jsonify({"year": found.year, "fonds": found.fonds, "title": found.title, "summary": found.summary(),
                    "figures": [figure_json(entry) for entry in found.figures]})


@blueprint.get("/reports/annual.xlsx")
@requires(Action.REPORTS_VIEW)
def annual_xlsx():
    year, fonds = _year(), _period().fonds
    data = annual_report.export_annual(appliance().uow_factory, g.principal, year, fonds, write_figures, "xlsx",
                                       _zone())
    return _download(data, f"annual-statistics-{year}.xlsx")


def figure_json(found: Figure) -> dict:
    return {"figure": found.name, "title": found.title, "chart": found.chart, "columns": list(found.columns),
            "detail_columns": list(found.detail_columns), "withheld": found.withheld,
            "rows": [{"key": row.key, "label": row.label, "values": list(row.values), "details": list(row.details)}
                     for row in found.rows]}


def _download(data: bytes, name: str) -> Response:
    return Response(data, mimetype=XLSX_TYPE, headers={"Content-Disposition": f"attachment; filename={name}"})


def _period() -> reports.ReportPeriod:
    today = now().astimezone(_zone()).date()
    return reports.report_period(date_arg("from"), date_arg("to"), request.args.get("fonds"), today)


def _year() -> int:
    text = request.args.get("year")
    if text is None:
        return annual_report.default_year(now().astimezone(_zone()).date())
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise InvalidInputError(f"year must be 4 digits, not {text[:20]!r}")
    return int(text)


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(appliance().config.web.timezone)


def openapi_paths() -> dict:
    """This module's paths for the OpenAPI document."""
    number = {"type": "number"}
    row = object_schema({"key": TEXT, "label": TEXT, "values": {"type": "array", "items": number},
                         "details": {"type": "array", "items": TEXT}})
    described = {"figure": TEXT, "title": TEXT, "chart": {"enum": ["bar", "stacked", "line", "table"]},
                 "columns": {"type": "array", "items": TEXT}, "detail_columns": {"type": "array", "items": TEXT},
                 "withheld": {"type": "boolean"}, "rows": {"type": "array", "items": row}}
    name = {"name": "name", "in": "path", "required": True, "schema": {"enum": list(reports.FIGURES)},
            "description": "which figure"}
    period = [query("from", {"type": "string", "format": "date"}, "first day (default: 29 days before to)"),
              query("to", {"type": "string", "format": "date"}, "last day, included (default today)"),
              query("fonds", {"type": "string", "pattern": "^[A-Za-z0-9]{4}$"}, "one fonds (default all)")]
    year = [query("year", {"type": "integer", "minimum": 1900, "maximum": 9998},
                  "the year (default: last year until March, then this one)"),
            query("fonds", {"type": "string", "pattern": "^[A-Za-z0-9]{4}$"}, "one fonds (default all)")]
    binary = response({"type": "string", "format": "binary"}, "xlsx", XLSX_TYPE)
    return {
        "/api/v1/reports/{name}": {"get": operation(
            "A report figure over the period, counted over what the caller may see", {
                "200": response(object_schema({"from": TEXT, "to": TEXT, "fonds": NULLABLE_TEXT, **described})),
                **errors(401, 403, 404, 422)}, [name, *period])},
        "/api/v1/reports/{name}.xlsx": {"get": operation("A report figure as an xlsx workbook (audited)", {
            "200": binary, **errors(401, 403, 404, 422)}, [name, *period])},
        "/api/v1/reports/annual": {"get": operation("The annual statistics of archive work (年度档案工作统计)", {
            "200": response(object_schema({
                "year": WHOLE, "fonds": NULLABLE_TEXT, "title": TEXT,
                "summary": {"type": "object", "additionalProperties": number},
                "figures": {"type": "array", "items": object_schema(described)}})), **errors(401, 403, 422)}, year)},
        "/api/v1/reports/annual.xlsx": {"get": operation("The annual statistics as an xlsx workbook (audited)", {
            "200": binary, **errors(401, 403, 422)}, year)},
    }
