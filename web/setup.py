"""Wiring of the Flask app: the appliance, blueprints, error handlers and security headers."""

from flask import Flask

from appliance.bootstrap import build_appliance, check_schema
from web import errors
from web.api.v1 import health
from web.console import catalogue

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def configure_app(app: Flask, test_config: dict) -> None:
    settings = dict(test_config)
    appliance = settings.pop("appliance", None)
    if appliance is None:
        appliance = build_appliance(migrate=False)
        check_schema(appliance)
    app.config.update(JSON_AS_ASCII=False, **settings)
    app.extensions["dangan"] = appliance
    app.register_blueprint(catalogue.blueprint)
    app.register_blueprint(health.blueprint)
    errors.register(app)
    app.after_request(_security_headers)


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
