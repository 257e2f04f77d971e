"""Scanner pages: the agents and their devices, the Scan button, live progress (server-sent events), a batch's
report, and printing cover sheets."""

import datetime
import io
import json
import re
import time
from collections.abc import Iterator

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext, lazy_gettext

from appliance.adapters.coversheet_pdf import CoverSheet, render_cover_sheets
from appliance.domain.coversheet import SheetText
from appliance.domain.errors import DanganError, InvalidInputError
from appliance.domain.permissions import Action
from appliance.domain.scanning import PRESETS
from appliance.services import coversheet_printing, scanner_status
from appliance.services.scanners import request_scan
from web.errors import status_for
from web.security import appliance, requires

blueprint = Blueprint("scanners_console", __name__, template_folder="templates")

EVENTS_SECONDS = 25  # then the stream ends and EventSource reconnects: no worker thread is held for good
EVENTS_POLL_SECONDS = 1.0
KEEPALIVE_SECONDS = 10  # a comment line now and then: proxies close connections that stay silent
DEFAULT_SEPARATORS = 10
MAX_CODES_TEXT = 200_000  # 5,000 codes of about 25 characters, with room to spare
PRESET_LABELS = {"colour": lazy_gettext("Colour"), "greyscale": lazy_gettext("Greyscale"),
                 "bitonal": lazy_gettext("Black and white")}


def _heartbeat_seconds() -> float:
    return appliance().config.agent.heartbeat_seconds


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@blueprint.get("/scanners")
@requires(Action.SCANNERS_VIEW)
def overview():
    box = appliance()
    view = scanner_status.scanners_overview(box.uow_factory, _now(), _heartbeat_seconds())
    idle_seconds = box.config.web.idle_minutes * 60 // 2  # live updates pause before the session would idle out
    presets = [(preset, PRESET_LABELS[preset]) for preset in PRESETS]
    return render_template("console/scanners.html", overview=view, presets=presets, principal=g.principal,
                           idle_seconds=idle_seconds, labels=_live_labels())


@blueprint.post("/scanners/scan")
@requires(Action.SCAN_START)
def scan():
    form = request.form
    try:
        requested = request_scan(appliance().uow_factory, g.principal.actor, form.get("agent", "").strip(),
                                 form.get("device", "").strip(), form.get("preset", "colour"),
                                 form.get("duplex") == "on")
    except InvalidInputError as error:
        flash(gettext("The scan was not started: %(reason)s", reason=str(error)), "error")
    else:
        flash(gettext("Scan %(number)d asked of %(agent)s: it starts at the agent's next heartbeat.",
                      number=requested.id, agent=requested.agent), "info")
    return redirect(url_for(".overview"), 303)


@blueprint.get("/scanners/events")
@requires(Action.SCANNERS_VIEW)
def events():
    config = current_app.config
    stream = agent_events(appliance().uow_factory, _heartbeat_seconds(),
                          config.get("SCANNER_EVENTS_SECONDS", EVENTS_SECONDS),
                          config.get("SCANNER_EVENTS_POLL_SECONDS", EVENTS_POLL_SECONDS))
    # X-Accel-Buffering: a reverse proxy (nginx) in front must pass each event on at once
    return Response(stream, mimetype="text/event-stream",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@blueprint.get("/batches/<batch_id>")
@requires(Action.SCANNERS_VIEW)
def batch(batch_id: str):
    view = scanner_status.batch_report(appliance().uow_factory, batch_id)
    return render_template("console/batch.html", view=view, batch=view.batch)


@blueprint.route("/coversheets", methods=["GET", "POST"])
@requires(Action.COVERSHEET_PRINT)
def coversheets():
    if request.method == "GET":
        return _coversheet_form()
    try:
        printed = _print_sheets(request.form)
    except DanganError as error:
        return _coversheet_form(str(error)), status_for(error)
    response = send_file(io.BytesIO(printed.pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=sheet_file_name(printed.subject))
    response.headers["Cache-Control"] = "no-store"
    return response


def agent_events(uow_factory, heartbeat_seconds: float, seconds: float, poll_seconds: float,
                 keepalive_seconds: float = KEEPALIVE_SECONDS) -> Iterator[str]:
    """Server-sent events: the agents' state whenever it changes, a keep-alive comment when it does not."""
    yield "retry: 1000\n\n"
    deadline = time.monotonic() + seconds
    last_change, last_sent = None, time.monotonic()
    while True:
        statuses = scanner_status.agent_statuses(uow_factory, _now(), heartbeat_seconds)
        payload = scanner_status.status_payload(statuses)
        change = _without_ages(payload)  # ages tick every second; the page counts them up itself
        if change != last_change:
            last_change, last_sent = change, time.monotonic()
            yield f"event: agents\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"
        elif time.monotonic() - last_sent >= keepalive_seconds:
            last_sent = time.monotonic()
            yield ": keep-alive\n\n"
        if time.monotonic() + poll_seconds > deadline:
            return
        time.sleep(poll_seconds)


def _without_ages(payload: dict) -> list:
    return [{key: value for key, value in agent.items() if key != "age_seconds"} for agent in payload["agents"]]


def _print_sheets(form) -> coversheet_printing.PrintedSheets:
    uow_factory, actor = appliance().uow_factory, g.principal.actor
    if form.get("kind") == "batch":
        return coversheet_printing.print_batch_sheets(uow_factory, actor, render_pdf, form.get("batch_class", ""),
                                                      _separators(form.get("separators", "")))
    codes_text = form.get("codes", "")
    if len(codes_text) > MAX_CODES_TEXT:
        raise InvalidInputError(gettext("Too many archival codes at once: print them in parts."))
    return coversheet_printing.print_item_sheets(uow_factory, actor, render_pdf, codes_text.splitlines())


def _separators(text: str) -> int:
    text = text.strip()
    if not text:
        return DEFAULT_SEPARATORS
    if not text.isdigit():
        raise InvalidInputError(gettext("The number of separator sheets must be a whole number."))
    return int(text)


def _coversheet_form(error: str | None = None):
    form = request.form
    return render_template("console/coversheets.html", error=error, kind=form.get("kind", "items"),
                           codes=form.get("codes", "")[:MAX_CODES_TEXT], batch_class=form.get("batch_class", ""),
                           separators=form.get("separators", str(DEFAULT_SEPARATORS)))


def render_pdf(sheets: list[SheetText]) -> bytes:
    """The cover sheets as a PDF (the adapter); raises InvalidInputError or FontMissingError."""
    return render_cover_sheets([CoverSheet(sheet.payload, sheet.heading, list(sheet.lines)) for sheet in sheets])


def sheet_file_name(subject: str) -> str:
    """An ASCII file name for the download: browsers and file systems differ on anything else."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", subject).strip("-.")[:80]
    return f"coversheets-{safe or 'dangan'}.pdf"


def _live_labels() -> dict:
    """What scanners.js writes into the page, in the page's language."""
    return {
        "online": gettext("online"), "offline": gettext("offline"), "seconds_ago": gettext("{seconds} s ago"),
        "scanning": gettext("scanning"), "finished": gettext("finished"), "interrupted": gettext("interrupted"),
        "changed": gettext("The scanners have changed: reload the page to see them."),
        "paused": gettext("Live updates are paused while you are away: reload the page."),
        "stopped": gettext("Live updates stopped: reload the page."),
    }
