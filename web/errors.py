"""Domain errors to HTTP, in one place: JSON for the API, an HTML page for the console."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from appliance.domain.errors import (
    ConflictError,
    DanganError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)

STATUS = (
    (NotFoundError, 404),
    (ForbiddenError, 403),
    (ConflictError, 409),
    (InvalidInputError, 422),
)


def status_for(error: DanganError) -> int:
    return next((status for kind, status in STATUS if isinstance(error, kind)), 500)


def error_response(code: str, message: str, status: int):
    if request.path.startswith("/api/"):
        return jsonify({"error": code, "message": message}), status
    return render_template("console/error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(DanganError)
    def handle_domain_error(error: DanganError):
        return error_response(error.code, str(error), status_for(error))

    @app.errorhandler(404)
    def handle_not_found(_error):
        return error_response("not_found", gettext("No such page."), 404)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        code = (error.name or "error").lower().replace(" ", "_")
        return error_response(code, error.description or error.name, error.code or 500)

    @app.errorhandler(CSRFError)
    def handle_csrf(error: CSRFError):
        return error_response("csrf", gettext("The form had expired or did not come from this console: "
                                              "reload the page and try again.") + f" ({error.description})", 400)
