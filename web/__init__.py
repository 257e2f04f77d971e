"""The console and REST API of Dangan, over the appliance's service layer."""

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Flask app; `test_config` may carry a ready `appliance` and Flask settings."""
    from web.setup import configure_app

    app = Flask(__name__)
    configure_app(app, test_config or {})
    return app
