"""Notifications over the API: a person's own messages, marking them read, and the counts the console shows."""

from flask import Blueprint, g, jsonify, request

from appliance.domain.errors import InvalidInputError
from appliance.domain.notifications import Notification, render
from appliance.services import notifications as notification_service
from web.api.v1.schema import (
    NULLABLE_TEXT,
    TEXT,
    WHOLE,
    errors,
    object_schema,
    operation,
    query,
    response,
)
from web.security import appliance, now, signed_in

blueprint = Blueprint("notifications_api", __name__, url_prefix="/api/v1")
MAX_LIMIT = 200
FLAGS = {"1": True, "true": True, "0": False, "false": False}


@blueprint.get("/notifications")
@signed_in
def list_notifications():
    unread = FLAGS.get(request.args.get("unread", "0").lower())
    if unread is None:
        raise InvalidInputError("unread is 1 or 0")
    listed = notification_service.list_notifications(appliance().uow_factory, g.principal, unread, _limit())
    return jsonify({"notifications": [notification_json(notice) for notice in listed]})


@blueprint.post("/notifications/<int(max=2147483647):notification_id>/read")
@signed_in
def mark_read(notification_id: int):
    notice = notification_service.mark_read(appliance().uow_factory, g.principal, notification_id, now())
    return jsonify(notification_json(notice))


@blueprint.post("/notifications/read-all")
@signed_in
def mark_all_read():
    return jsonify({"marked": notification_service.mark_all_read(appliance().uow_factory, g.principal, now())})


@blueprint.get("/notifications/count")
@signed_in
def count():
    counts = notification_service.counts(appliance().uow_factory, g.principal)
    return jsonify({"unread": counts.unread, "awaiting": counts.awaiting})


def notification_json(notice: Notification) -> dict:
    return {"id": notice.id, "kind": notice.kind, "params": notice.params, "link": notice.link,
            "text": {"zh_CN": render(notice.kind, notice.params, "zh"), "en": render(notice.kind, notice.params, "en")},
            "created_at": notice.created_at.isoformat(),
            "read_at": notice.read_at.isoformat() if notice.read_at else None}


def _limit() -> int:
    text = request.args.get("limit", "50")
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise InvalidInputError(f"limit is a whole number from 1 to {MAX_LIMIT}")
    return int(text)


NOTIFICATION = object_schema({
    "id": WHOLE, "kind": TEXT, "params": {"type": "object"}, "link": TEXT,
    "text": object_schema({"zh_CN": TEXT, "en": TEXT}), "created_at": TEXT, "read_at": NULLABLE_TEXT,
})
ID_PARAMETER = {"name": "notification_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647}}


def openapi_paths() -> dict:
    """This module's paths for the OpenAPI document."""
    return {
        "/api/v1/notifications": {"get": operation("The principal's own notifications, newest first", {
            "200": response(object_schema({"notifications": {"type": "array", "items": NOTIFICATION}})),
            **errors(401, 422)}, [
            query("unread", {"enum": ["1", "0", "true", "false"]}, "only those not read yet"),
            query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "how many (default 50)")])},
        "/api/v1/notifications/{notification_id}/read": {"post": operation(
            "Mark one of the principal's notifications read", {
                "200": response(NOTIFICATION), **errors(400, 401, 403, 404)}, [ID_PARAMETER])},
        "/api/v1/notifications/read-all": {"post": operation("Mark all the principal's notifications read", {
            "200": response(object_schema({"marked": WHOLE})), **errors(400, 401, 403)})},
        "/api/v1/notifications/count": {"get": operation(
            "Unread notifications and requests waiting for the principal's decision", {
                "200": response(object_schema({"unread": WHOLE, "awaiting": WHOLE})), **errors(401)})},
    }
