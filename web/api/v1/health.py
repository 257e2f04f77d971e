"""GET /api/v1/health: is the appliance up and its database reachable."""

from flask import Blueprint, current_app, jsonify

from appliance import __version__
from appliance.services.health import check_health

blueprint = Blueprint("health", __name__, url_prefix="/api/v1")


@blueprint.get("/health")
def health():
    report = check_health(current_app.extensions["dangan"].uow_factory)
    body = {"status": "ok" if report.ok else "degraded", "version": __version__, "database": report.database}
    return jsonify(body), 200 if report.ok else 503


health.required_action = "public"  # monitoring asks without credentials; it says nothing about records
