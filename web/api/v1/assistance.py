"""/api/v1 keywords offered as tags and filing suggestions learned from the archive (issue 8). Being built."""

from flask import Blueprint

blueprint = Blueprint("assistance_api", __name__, url_prefix="/api/v1")


def openapi_paths() -> dict:
    """This module's paths for the OpenAPI document."""
    return {}
