"""POST /api/v1/intake: a scanner agent delivers one document (manifest + page images)."""

from flask import Blueprint, current_app, g, jsonify, request

from appliance.domain.errors import InvalidInputError
from appliance.domain.intake_manifest import check_idempotency_key, parse_manifest
from appliance.services.intake import receive_document
from web.api.v1.agent_auth import agent_required

blueprint = Blueprint("intake_api", __name__, url_prefix="/api/v1")


@blueprint.post("/intake")
@agent_required
def deliver_document():
    manifest = parse_manifest(_manifest_bytes())
    check_idempotency_key(manifest, request.headers.get("Idempotency-Key"))
    streams = [_page_stream(entry.part) for entry in manifest.pages]
    appliance = current_app.extensions["dangan"]
    receipt = receive_document(appliance.uow_factory, appliance.blob_store, g.agent, manifest, streams,
                               appliance.config.catalogue.default_access_label, appliance.image_problem)
    return jsonify(receipt.as_dict()), 200 if receipt.replay else 201


def _manifest_bytes() -> bytes:
    if "manifest" in request.files:
        return request.files["manifest"].read()
    if "manifest" in request.form:
        return request.form["manifest"].encode("utf-8")
    raise InvalidInputError("the request has no manifest part")


def _page_stream(part: str):
    upload = request.files.get(part)
    if upload is None:
        raise InvalidInputError(f"the manifest names {part}, which is not in the request")
    return upload.stream
