"""Scanner agents over the API: heartbeats, scans asked for, batch reports, the intake queue.

The agent-facing calls take the agent token only; the scan queue, batches and scanners serve people too.
"""

from dataclasses import asdict

from flask import Blueprint, g, jsonify

from appliance.domain.permissions import Action
from appliance.services import scanners
from web.api.v1.agent_auth import agent_or, agent_required
from web.api.v1.bodies import json_object
from web.security import appliance

blueprint = Blueprint("scanners_api", __name__, url_prefix="/api/v1")


@blueprint.post("/agents/<agent>/heartbeat")
@agent_required
def heartbeat(agent: str):
    requests = scanners.report_heartbeat(appliance().uow_factory, agent, json_object())
    return jsonify({"scan_requests": [scan.as_dict() for scan in requests]})


@blueprint.post("/agents/<agent>/scan-requests/<int(max=2147483647):request_id>")
@agent_required
def finish_scan(agent: str, request_id: int):
    body = json_object()
    scanners.finish_scan_request(appliance().uow_factory, g.agent, agent, request_id, body.get("outcome", ""),
                                 body.get("batch"), body.get("message"))
    return jsonify({"ok": True})


@blueprint.put("/batches/<batch_id>")
@agent_required
def record_batch(batch_id: str):
    body = json_object()
    scanners.record_batch(appliance().uow_factory, g.agent, batch_id, body.get("state", ""), body.get("report", {}))
    return jsonify({"ok": True})


@blueprint.get("/batches/<batch_id>")
@agent_or(Action.SCANNERS_VIEW)
def show_batch(batch_id: str):
    batch, documents = scanners.show_batch(appliance().uow_factory, batch_id)
    return jsonify({"batch": asdict(batch), "documents": [_document(view) for view in documents]})


@blueprint.post("/scans")
@agent_or(Action.SCAN_START)
def request_scan():
    body = json_object()
    scan = scanners.request_scan(appliance().uow_factory, g.actor, str(body.get("agent", "")),
                                 str(body.get("device", "")), str(body.get("preset", "colour")),
                                 bool(body.get("duplex", False)), body.get("resume_batch"))
    return jsonify(scan.as_dict()), 201


@blueprint.get("/scanners")
@agent_or(Action.SCANNERS_VIEW)
def list_scanners():
    reports = scanners.agent_reports(appliance().uow_factory)
    return jsonify({"agents": [{"agent": r.agent, "reported_at": r.reported_at, **r.state} for r in reports]})


@blueprint.get("/intake")
@agent_or(Action.INTAKE_VIEW)
def intake_queue():
    return jsonify({"documents": [_document(view) for view in scanners.intake_queue(appliance().uow_factory)]})


def _document(view) -> dict:
    return {"id": view.id, "batch": view.batch_id, "sequence": view.sequence, "cover": view.cover_payload,
            "state": view.state.value, "archival_code": view.archival_code, "reason": view.reason,
            "pages": view.pages, "received_at": view.received_at}
