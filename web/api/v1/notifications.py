"""Notifications over the API: a person's messages and their unread count."""

from flask import Blueprint

blueprint = Blueprint("notifications_api", __name__, url_prefix="/api/v1")


def openapi_paths() -> dict:
    """This module's paths for the OpenAPI document."""
    return {}
