import pytest

from web import create_app


@pytest.fixture
def app(appliance):
    return create_app({"appliance": appliance, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()
