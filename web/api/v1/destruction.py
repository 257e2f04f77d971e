"""Destruction lists over the API: compile, read, the PDF, witnesses' confirmations."""

from flask import Blueprint

blueprint = Blueprint("destruction_api", __name__, url_prefix="/api/v1")


def openapi_paths() -> dict:
    """This module's paths for the OpenAPI document."""
    return {}
