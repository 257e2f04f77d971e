"""Wiring of the Flask app: the appliance, blueprints, error handlers and security headers."""

from flask import Flask, request

from appliance.bootstrap import agent_token, build_appliance, check_schema, web_secret_key
from appliance.domain.intake_manifest import MAX_PAGES
from web import errors
from web.api.v1 import appraisal as appraisal_api
from web.api.v1 import assistance as assistance_api
from web.api.v1 import backups as backups_api
from web.api.v1 import destruction as destruction_api
from web.api.v1 import health, holds, intake, loans, notifications, openapi, scanners
from web.api.v1 import items as items_api
from web.api.v1 import links as links_api
from web.api.v1 import reports as reports_api
from web.api.v1 import requests as requests_api
from web.api.v1 import search as search_api
from web.api.v1.agent_auth import TOKEN_KEY
from web.console import (
    admin,
    appraisal,
    approvals,
    assistance,
    audit,
    auth,
    backups,
    borrowing,
    catalogue,
    destruction,
    items,
)
from web.console import intake as intake_console
from web.console import links as links_console
from web.console import loans as loans_console
from web.console import notifications as notifications_console
from web.console import reports as reports_console
from web.console import scanners as scanners_console
from web.console import search as search_console
from web.console.navigation import init_navigation
from web.i18n import init_languages
from web.security import init_security

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
    # A delivered document is one request: up to 5,000 page parts, several hundred MB in colour.
    app.config.update(JSON_AS_ASCII=False, MAX_FORM_PARTS=MAX_PAGES + 10, MAX_CONTENT_LENGTH=4 * 1024**3)
    app.extensions["dangan"] = appliance
    app.extensions[TOKEN_KEY] = settings.get("AGENT_TOKEN") or agent_token(appliance.config)
    with app.app_context():
        init_security(app)
    init_languages(app, appliance.config.web.timezone)
    init_navigation(app)
    app.config.update(settings)  # the tests' settings win over the defaults set above
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = web_secret_key(appliance.config)
    blueprints = (auth.blueprint, catalogue.blueprint, items.blueprint, intake_console.blueprint, approvals.blueprint,
                  scanners_console.blueprint, admin.blueprint, audit.blueprint, health.blueprint, intake.blueprint,
                  items_api.blueprint, openapi.blueprint, requests_api.blueprint, scanners.blueprint,
                  appraisal_api.blueprint, holds.blueprint, destruction_api.blueprint, loans.blueprint,
                  notifications.blueprint, appraisal.blueprint, destruction.blueprint, loans_console.blueprint,
                  notifications_console.blueprint, borrowing.blueprint, backups.blueprint, backups_api.blueprint,
                  search_api.blueprint, search_console.blueprint, reports_console.blueprint, reports_api.blueprint,
                  assistance.blueprint, assistance_api.blueprint, links_console.blueprint, links_api.blueprint)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    errors.register(app)
    app.after_request(_security_headers)


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html":  # a signed-in page must not come back from a cache after sign-out
        response.headers.setdefault("Cache-Control", "no-store")
    if request.is_secure:  # served over HTTPS (the appliance): browsers must not fall back to plain HTTP
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
