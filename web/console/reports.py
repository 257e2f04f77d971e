"""Reports: the dashboard of charts with a period and fonds filter, each chart's xlsx, the page as PDF, and the
annual statistics report (年度档案工作统计) with its xlsx and PDF."""

import datetime
import zoneinfo

from flask import Blueprint, Response, flash, g, render_template, request
from flask_babel import gettext

from appliance.adapters.report_pdf import write_figures_pdf
from appliance.adapters.report_xlsx import write_figures
from appliance.domain.errors import InvalidInputError
from appliance.domain.permissions import Action
from appliance.services import annual_report, reports
from appliance.services.fonds import list_fonds
from web.console import report_charts
from web.security import appliance, now, requires

blueprint = Blueprint("reports", __name__, template_folder="templates")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HELPERS = {"figure_title": report_charts.figure_title, "column_titles": report_charts.column_titles,
           "row_label": report_charts.row_label, "chart_svg": report_charts.chart_svg}


@blueprint.get("/reports")
@requires(Action.REPORTS_VIEW)
def dashboard():
    try:
        period = _period(strict=False)
    except InvalidInputError as refused:
        flash(str(refused), "error")
        period = reports.report_period(None, None, None, _today())
    figures = reports.dashboard(appliance().uow_factory, g.principal, period, now(), _zone())
    return render_template("console/reports.html", period=period, figures=figures,
                           fonds_list=list_fonds(appliance().uow_factory), **HELPERS)


@blueprint.get("/reports/<name>.xlsx")
@requires(Action.REPORTS_VIEW)
def figure_xlsx(name: str):
    period = _period(strict=True)
    data = reports.export_xlsx(appliance().uow_factory, g.principal, [name], period, now(), write_figures, _zone())
    return _download(data, XLSX_TYPE, f"report-{name}-{period.start.isoformat()}-{period.end.isoformat()}.xlsx")


@blueprint.get("/reports.pdf")
@requires(Action.REPORTS_VIEW)
def dashboard_pdf():
    period = _period(strict=True)
    data = reports.export_pdf(appliance().uow_factory, g.principal, period, now(), write_figures_pdf, _zone())
    return _download(data, "application/pdf", f"reports-{period.start.isoformat()}-{period.end.isoformat()}.pdf")


@blueprint.get("/reports/annual")
@requires(Action.REPORTS_VIEW)
def annual():
    year, fonds = _year(strict=False), _fonds()
    found = annual_report.annual_report(appliance().uow_factory, g.principal, year, fonds, _zone())
    return render_template("console/reports_annual.html", report=found, year=year, fonds=fonds or "",
                           fonds_list=list_fonds(appliance().uow_factory), **HELPERS)


@blueprint.get("/reports/annual.xlsx")
@requires(Action.REPORTS_VIEW)
def annual_xlsx():
    return _annual_download("xlsx", write_figures, XLSX_TYPE)


@blueprint.get("/reports/annual.pdf")
@requires(Action.REPORTS_VIEW)
def annual_pdf():
    return _annual_download("pdf", write_figures_pdf, "application/pdf")


def _annual_download(form: str, writer, kind: str) -> Response:
    year, fonds = _year(strict=True), _fonds()
    data = annual_report.export_annual(appliance().uow_factory, g.principal, year, fonds, writer, form, _zone())
    return _download(data, kind, f"annual-statistics-{year}{'-' + fonds if fonds else ''}.{form}")


def _download(data: bytes, kind: str, name: str) -> Response:
    return Response(data, mimetype=kind, headers={"Content-Disposition": f"attachment; filename={name}"})


def _period(strict: bool) -> reports.ReportPeriod:
    """The period and fonds asked for; a malformed date is refused (strict) or replaced by the default."""
    start, end = _day("from", strict), _day("to", strict)
    return reports.report_period(start, end, request.args.get("fonds"), _today())


def _day(name: str, strict: bool) -> datetime.date | None:
    text = request.args.get(name, "").strip()
    try:
        return datetime.date.fromisoformat(text) if text else None
    except ValueError:
        if strict:
            raise InvalidInputError(gettext("Dates are written YYYY-MM-DD.")) from None
        flash(gettext("Dates are written YYYY-MM-DD."), "error")
        return None


def _year(strict: bool) -> int:
    text = request.args.get("year", "").strip()
    if text.isascii() and text.isdigit() and len(text) == 4:
        return int(text)
    if text and strict:
        raise InvalidInputError(gettext("A year is written with 4 digits."))
    if text:
        flash(gettext("A year is written with 4 digits."), "error")
    return annual_report.default_year(_today())


def _fonds() -> str | None:
    period = reports.report_period(None, None, request.args.get("fonds"), _today())
    return period.fonds


def _today() -> datetime.date:
    return now().astimezone(_zone()).date()


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(appliance().config.web.timezone)
