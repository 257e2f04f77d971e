"""Related records: links between items, and the graph around an item (issue 8). Being built."""

from flask import Blueprint

blueprint = Blueprint("links_api", __name__, url_prefix="/api/v1")


def openapi_paths() -> dict:
    """This module's paths for the OpenAPI document."""
    return {}
