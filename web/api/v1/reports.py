"""Reports: dashboards with charts, xlsx and PDF exports, the annual statistics report (issue 8). Being built."""

from flask import Blueprint

blueprint = Blueprint("reports_api", __name__, url_prefix="/api/v1")


def openapi_paths() -> dict:
    """This module's paths for the OpenAPI document."""
    return {}
