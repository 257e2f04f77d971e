"""The system administrator's backups page: the last runs with their sizes, the next ones, the twin's reachability,
a running backup's progress, and buttons that ask the worker's scheduler for a backup or a restore drill (borg never
runs inside a web request). Also the banner every console page shows them when backups fail or stop."""

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext

from appliance.domain.backup import BackupRun, RunKind
from appliance.domain.errors import DanganError
from appliance.domain.permissions import Action
from appliance.domain.sessions import Principal
from appliance.services.backup_schedule import backup_alert, backups_view, request_run
from web.security import appliance, now, requires

blueprint = Blueprint("backups", __name__, template_folder="templates")

REFRESH_SECONDS = 10  # while a run is running the page reloads itself: no script needed
KIND_LABELS = {"backup": lazy_gettext("Backup"), "prune": lazy_gettext("Prune"), "check": lazy_gettext("Check"),
               "verify": lazy_gettext("Check with data verification"), "drill": lazy_gettext("Restore drill")}
TRIGGER_LABELS = {"schedule": lazy_gettext("schedule"), "documents": lazy_gettext("new documents"),
                  "missed": lazy_gettext("made up after a missed run"), "manual": lazy_gettext("asked for")}
STATE_LABELS = {"running": lazy_gettext("running"), "ok": lazy_gettext("ok"), "warning": lazy_gettext("warning"),
                "failed": lazy_gettext("failed")}


@blueprint.get("/backups")
@requires(Action.BACKUP_RUN)
def overview():
    box = appliance()
    view = backups_view(box.uow_factory, box.config, now())
    return render_template("console/backups.html", view=view, rows=[run_row(run) for run in view.recent],
                           repository=box.config.backup.repository, refresh_seconds=REFRESH_SECONDS,
                           kinds=KIND_LABELS, triggers=TRIGGER_LABELS, states=STATE_LABELS)


@blueprint.post("/backups/run")
@requires(Action.BACKUP_RUN)
def run_now():
    return _request(RunKind.BACKUP, gettext("A backup was asked for: the worker starts it within a minute."))


@blueprint.post("/backups/drill")
@requires(Action.BACKUP_RUN)
def drill():
    return _request(RunKind.DRILL, gettext("A restore drill was asked for: the worker starts it within a minute."))


def _request(kind: RunKind, queued_message: str):
    # The CSRF token is checked for every POST before any view runs (web.security).
    box = appliance()
    try:
        queued = request_run(box.uow_factory, g.principal.actor, kind, box.config.backup.enabled, now())
    except DanganError as error:
        flash(str(error), "error")
    else:
        flash(queued_message if queued else gettext("One is waiting to start already."), "info")
    return redirect(url_for(".overview"), 303)


def run_row(run: BackupRun) -> dict:
    """A run's figures for the table: sizes, the share of new data, how long it took."""
    stats = run.stats
    original, deduplicated = stats.get("archive_original_size"), stats.get("archive_deduplicated_size")
    seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    return {"run": run, "original": size_text(original), "deduplicated": size_text(deduplicated),
            "new_share": f"{100 * deduplicated / original:.1f} %" if original and deduplicated is not None else "",
            "files": stats.get("archive_nfiles"), "seconds": round(seconds) if seconds is not None else None}


def size_text(size: int | float | None) -> str:
    """Bytes for people: 1.5 GB, 320 MB, 12 kB."""
    if size is None:
        return ""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(size) < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return ""


@blueprint.app_template_filter("backup_size")
def _backup_size(size) -> str:
    return size_text(size)


@blueprint.app_template_global()
def backup_banner(principal: Principal) -> str | None:
    """The failure banner for those who run backups, asked once per page (one query); None when all is well."""
    if not principal.may(Action.BACKUP_RUN) or not appliance().config.backup.enabled:
        return None
    if "backup_alert" not in g:
        g.backup_alert = backup_alert(appliance().uow_factory, now())
    if g.backup_alert == "failed":
        return gettext("The last backup failed.")
    if g.backup_alert == "overdue":
        return gettext("No backup has succeeded in the last 48 hours.")
    return None
