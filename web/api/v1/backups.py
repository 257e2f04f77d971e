"""Backups over the API: the state of backups (for monitoring), and asking the worker for a backup now."""

from flask import Blueprint, g, jsonify

from appliance.domain.backup import BackupRun, RunKind
from appliance.domain.permissions import Action
from appliance.services.backup_schedule import BackupsView, backups_view, request_run
from web.api.v1.schema import NULLABLE_TEXT, TEXT, WHOLE, errors, object_schema, operation, response
from web.security import appliance, now, requires

blueprint = Blueprint("backups_api", __name__, url_prefix="/api/v1")


@blueprint.get("/backups")
@requires(Action.BACKUP_RUN)
def overview():
    box = appliance()
    return jsonify(overview_json(backups_view(box.uow_factory, box.config, now())))


@blueprint.post("/backups")
@requires(Action.BACKUP_RUN)
def back_up_now():
    box = appliance()
    queued = request_run(box.uow_factory, g.principal.actor, RunKind.BACKUP, box.config.backup.enabled, now())
    return jsonify({"kind": "backup", "queued": queued}), 202


def overview_json(view: BackupsView) -> dict:
    history, coming, twin = view.history, view.upcoming, view.twin
    return {
        "enabled": view.enabled, "overdue": view.overdue, "running": run_json(history.running),
        "last_backup": run_json(history.last_success), "last_check": run_json(history.last_check),
        "last_verify": run_json(history.last_verify), "last_drill": run_json(view.last_drill),
        "documents_since_backup": history.documents_since_backup, "waiting": view.waiting,
        "next": None if coming is None else {
            "backup_at": coming.backup_at.isoformat(), "retry_at": _time(coming.retry_at),
            "documents_left": coming.documents_left, "check_at": coming.check_at.isoformat(),
            "verify_at": coming.verify_at.isoformat()},
        "twin": None if twin is None else {"reachable": twin.reachable, "checked_at": twin.checked_at.isoformat(),
                                           "error": twin.error, "stats": twin.stats or {}},
        "recent": [run_json(run) for run in view.recent],
    }


def run_json(run: BackupRun | None) -> dict | None:
    if run is None:
        return None
    return {"id": run.id, "kind": run.kind.value, "repository": run.repository.value, "archive": run.archive,
            "state": run.state.value, "trigger": run.trigger.value, "started_at": run.started_at.isoformat(),
            "finished_at": _time(run.finished_at), "progress": run.progress, "stats": run.stats,
            "message": run.message}


def _time(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


RUN = object_schema({
    "id": WHOLE, "kind": {"enum": [kind.value for kind in RunKind]}, "repository": TEXT, "archive": NULLABLE_TEXT,
    "state": {"enum": ["running", "ok", "warning", "failed"]}, "trigger": TEXT, "started_at": TEXT,
    "finished_at": NULLABLE_TEXT, "progress": {"type": "object"}, "stats": {"type": "object"}, "message": TEXT})
NULLABLE_RUN = {"oneOf": [RUN, {"type": "null"}]}
OVERVIEW = object_schema({
    "enabled": {"type": "boolean"}, "overdue": {"type": "boolean"}, "running": NULLABLE_RUN,
    "last_backup": NULLABLE_RUN, "last_check": NULLABLE_RUN, "last_verify": NULLABLE_RUN, "last_drill": NULLABLE_RUN,
    "documents_since_backup": WHOLE,
    "waiting": object_schema({"backup": WHOLE, "drill": WHOLE}),
    "next": {"oneOf": [object_schema({"backup_at": TEXT, "retry_at": NULLABLE_TEXT,
                                      "documents_left": {"type": ["integer", "null"]}, "check_at": TEXT,
                                      "verify_at": TEXT}), {"type": "null"}]},
    "twin": {"oneOf": [object_schema({"reachable": {"type": "boolean"}, "checked_at": TEXT, "error": TEXT,
                                      "stats": {"type": "object"}}), {"type": "null"}]},
    "recent": {"type": "array", "items": RUN}})


def openapi_paths() -> dict:
    """This module's paths for the OpenAPI document."""
    return {"/api/v1/backups": {
        "get": operation("Backups: the last runs of each kind, the running one with its progress, the next runs, "
                         "the twin's reachability as the worker last probed it", {
                             "200": response(OVERVIEW), **errors(401, 403)}),
        "post": operation("Ask the worker for a backup now; queued is false when one is waiting already; 409 when "
                          "no backup repository is set", {
                              "202": response(object_schema({"kind": TEXT, "queued": {"type": "boolean"}})),
                              **errors(401, 403, 409)}),
    }}
