"""Physical loans and the use register over the API: issue, renew, return, overdue, register, statistics."""

from flask import Blueprint

blueprint = Blueprint("loans_api", __name__, url_prefix="/api/v1")


def openapi_paths() -> dict:
    """This module's paths for the OpenAPI document."""
    return {}
