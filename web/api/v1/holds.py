"""Legal holds over the API: place one on an item or a class, release it, list them."""

from flask import Blueprint

blueprint = Blueprint("holds_api", __name__, url_prefix="/api/v1")


def openapi_paths() -> dict:
    """This module's paths for the OpenAPI document."""
    return {}
